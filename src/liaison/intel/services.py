"""Insight intelligence services: embed and index field text, match themes, link near-duplicates, cluster the
unmatched, count trends and search. Derived data only; reviewers' decisions go through `actions.py`.

The Django-free algorithms live in `liaison_text` (embed, search, cluster, duplicates, themes, trends); this
module feeds them from the database and writes what they return. Everything a user reads is narrowed by
`restrict()` first: search computes the ids a user may see *before* ranking, so neither a result nor a count
can come from a record they may not see (docs/insight-intelligence.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from liaison.core.permissions import can
from liaison.engagement.models import Interaction
from liaison.insights.models import Insight, InsightStatus, ListeningPriority
from liaison.medinfo.models import MedicalInquiry
from liaison_text import cluster as text_cluster
from liaison_text import duplicates as text_duplicates
from liaison_text import search as text_search
from liaison_text import themes, trends

from .models import (
    DIM,
    ClusterMember,
    ContentKind,
    DuplicateLink,
    InsightCluster,
    TextEmbedding,
    ThemeFeedback,
    ThemeMatch,
)

logger = logging.getLogger("liaison.intel")

# Near-duplicate threshold on the cosine of two insights by different authors (docs/insight-intelligence.md).
DUPLICATE_THRESHOLD = 0.85
# Smallest group of unmatched insights shown as a cluster.
MIN_CLUSTER_SIZE = 3
CALIBRATION = themes.Calibration()
SEARCHABLE = (ContentKind.INSIGHT, ContentKind.INTERACTION, ContentKind.INQUIRY)
# Vector index keys: kind code * KEY_SPACE + database id, so one index holds all three kinds.
KIND_CODES = {ContentKind.INSIGHT: 1, ContentKind.INTERACTION: 2, ContentKind.INQUIRY: 3}
KEY_SPACE = 10**12
EMBED_BATCH = 64


# ---- the model -------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def embedder() -> Any:
    """The local sentence embedder (built once into DATA_DIR/models); raises ModelUnavailable if it cannot be."""
    from liaison_text.embed import get_embedder

    return get_embedder(Path(settings.DATA_DIR) / "models")


def model_unavailable() -> type[Exception]:
    """The exception class the embedder raises when the model cannot be loaded or built."""
    from liaison_text.embed import ModelUnavailable

    return ModelUnavailable


def encode(texts: Sequence[str]) -> np.ndarray:
    """(n, 384) float32 unit rows for `texts`."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    return np.asarray(embedder().encode(list(texts)), dtype=np.float32).reshape(len(texts), DIM)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---- what is embedded ------------------------------------------------------------------------------------------


def _texts(kind: str, pks: Iterable[int] | None = None) -> dict[int, str]:
    """{database id: text} of the records of `kind` (all of them when `pks` is None); empty texts are skipped."""
    if kind == ContentKind.INSIGHT:
        qs, fields = Insight._base_manager.all(), ("text",)
    elif kind == ContentKind.INTERACTION:
        qs, fields = Interaction._base_manager.all(), ("notes",)
    elif kind == ContentKind.INQUIRY:
        qs, fields = MedicalInquiry._base_manager.all(), ("question",)
    elif kind == ContentKind.PRIORITY:
        return {
            p.pk: themes.text_of_priority(p.title, p.description)
            for p in ListeningPriority._base_manager.filter(
                **({"pk__in": list(pks)} if pks is not None else {})
            )
        }
    else:
        raise ValueError(f"unknown content kind {kind!r}")
    if pks is not None:
        qs = qs.filter(pk__in=list(pks))
    out = {}
    for row in qs.values_list("pk", *fields).iterator(chunk_size=2000):
        text = " ".join(v for v in row[1:] if v).strip()
        if text:
            out[row[0]] = text
    return out


def embed_records(
    kind: str, pks: Iterable[int] | None = None, *, progress: Callable[[int], None] | None = None
) -> int:
    """Embed the records of `kind` whose text or model changed since they were last embedded; returns how many.

    Unchanged text (same hash, same model version) is never re-embedded. Records that no longer exist or have
    no text lose their embedding.
    """
    pks = list(pks) if pks is not None else None
    texts = _texts(kind, pks)
    version = embedder().version
    stored = TextEmbedding.objects.filter(kind=kind)
    if pks is not None:
        stored = stored.filter(object_id__in=pks)
    known = {oid: (h, v) for oid, h, v in stored.values_list("object_id", "text_hash", "model_version")}
    gone = [oid for oid in known if oid not in texts]
    if gone:
        TextEmbedding.objects.filter(kind=kind, object_id__in=gone).delete()
    todo = [
        (pk, text, text_hash(text))
        for pk, text in texts.items()
        if known.get(pk) != (text_hash(text), version)
    ]
    for start in range(0, len(todo), EMBED_BATCH):
        batch = todo[start : start + EMBED_BATCH]
        vectors = encode([text for _, text, _ in batch])
        rows = [
            TextEmbedding(
                kind=kind,
                object_id=pk,
                model_version=version,
                text_hash=digest,
                vector=vector.astype("<f4").tobytes(),
                updated_at=timezone.now(),
            )
            for (pk, _, digest), vector in zip(batch, vectors, strict=True)
        ]
        TextEmbedding.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["kind", "object_id"],
            update_fields=["model_version", "text_hash", "vector", "updated_at"],
        )
        if progress:
            progress(len(batch))
    return len(todo)


def vectors_of(kind: str, pks: Iterable[int]) -> dict[int, np.ndarray]:
    """{id: stored vector} for the records of `kind` that have an up-to-date embedding."""
    version = embedder().version
    rows = TextEmbedding.objects.filter(kind=kind, object_id__in=list(pks), model_version=version)
    return {
        oid: np.frombuffer(bytes(vec), dtype="<f4").astype(np.float32)
        for oid, vec in rows.values_list("object_id", "vector")
    }


# ---- themes ----------------------------------------------------------------------------------------------------


def _candidate_insights(area_id: int) -> QuerySet:
    """Insights that count for themes, duplicates, clusters and trends: submitted or reviewed, not drafts."""
    return Insight._base_manager.filter(therapeutic_area_id=area_id).exclude(status=InsightStatus.DRAFT)


def latest_feedback(
    insight_ids: Iterable[int] | None = None, area_id: int | None = None
) -> dict[int, ThemeFeedback]:
    """{insight id: its latest ThemeFeedback} (system read: used for matching and aggregation, not shown)."""
    qs = ThemeFeedback._base_manager.order_by("insight_id", "-created_at", "-pk")
    if insight_ids is not None:
        qs = qs.filter(insight_id__in=list(insight_ids))
    if area_id is not None:
        qs = qs.filter(insight__therapeutic_area_id=area_id)
    out: dict[int, ThemeFeedback] = {}
    for fb in qs:
        out.setdefault(fb.insight_id, fb)
    return out


def prototypes(area_id: int) -> tuple[list[ListeningPriority], np.ndarray]:
    """The active priorities of an area and their prototypes: description embedding moved by feedback."""
    priorities = list(
        ListeningPriority._base_manager.filter(therapeutic_area_id=area_id, active=True).order_by("pk")
    )
    if not priorities:
        return [], np.zeros((0, DIM), dtype=np.float32)
    embed_records(ContentKind.PRIORITY, [p.pk for p in priorities])
    described = vectors_of(ContentKind.PRIORITY, [p.pk for p in priorities])
    feedback = latest_feedback(area_id=area_id)
    insight_vectors = vectors_of(ContentKind.INSIGHT, feedback)
    confirmed: dict[int, list[np.ndarray]] = defaultdict(list)
    rejected: dict[int, list[np.ndarray]] = defaultdict(list)
    for insight_id, fb in feedback.items():
        vector = insight_vectors.get(insight_id)
        if vector is None:
            continue
        if fb.priority_id is not None:
            confirmed[fb.priority_id].append(vector)
        if fb.suggested_id is not None and fb.suggested_id != fb.priority_id:
            rejected[fb.suggested_id].append(vector)
    rows = [
        themes.prototype(described[p.pk], confirmed.get(p.pk, []), rejected.get(p.pk, []))
        if p.pk in described
        else np.zeros(DIM, dtype=np.float32)
        for p in priorities
    ]
    return priorities, np.stack(rows)


def match_area(area_id: int, insight_ids: Iterable[int] | None = None) -> int:
    """Score insights of an area (all of them, or `insight_ids`) against its priorities; returns how many."""
    insights = _candidate_insights(area_id)
    if insight_ids is not None:
        insights = insights.filter(pk__in=list(insight_ids))
    ids = list(insights.values_list("pk", flat=True))
    if not ids:
        return 0
    priorities, protos = prototypes(area_id)
    vectors = vectors_of(ContentKind.INSIGHT, ids)
    ids = [i for i in ids if i in vectors]
    with transaction.atomic():
        ThemeMatch.objects.filter(insight_id__in=ids).delete()
        if not priorities or not ids:
            return len(ids)
        matrix = np.stack([vectors[i] for i in ids])
        cosines, scores = themes.score_matrix(matrix, protos, CALIBRATION)
        rows = []
        for i, insight_id in enumerate(ids):
            order = np.argsort(-scores[i], kind="stable")
            for rank, j in enumerate(order, start=1):
                rows.append(
                    ThemeMatch(
                        insight_id=insight_id,
                        priority=priorities[j],
                        cosine=float(cosines[i, j]),
                        score=float(scores[i, j]),
                        rank=rank,
                        matched=bool(scores[i, j] >= CALIBRATION.threshold),
                    )
                )
        ThemeMatch.objects.bulk_create(rows, batch_size=1000)
    return len(ids)


@dataclass(frozen=True)
class Theme:
    """An insight's theme as shown: the priority (None = unmatched), where it came from, and the model score."""

    priority_id: int | None
    source: str  # "reviewer" | "author" | "model" | "none"
    score: float | None


def themes_of(insights: Sequence[Insight]) -> dict[int, Theme]:
    """Each insight's theme: a reviewer's decision wins, then the author's own tag, then the model's match."""
    ids = [i.pk for i in insights]
    feedback = latest_feedback(ids)
    best = {
        m.insight_id: m
        for m in ThemeMatch._base_manager.filter(insight_id__in=ids, rank=1).only(
            "insight_id", "priority_id", "score", "matched"
        )
    }
    out = {}
    for insight in insights:
        match = best.get(insight.pk)
        score = match.score if match else None
        if insight.pk in feedback:
            out[insight.pk] = Theme(feedback[insight.pk].priority_id, "reviewer", score)
        elif insight.listening_priority_id:
            out[insight.pk] = Theme(insight.listening_priority_id, "author", score)
        elif match is not None and match.matched:
            out[insight.pk] = Theme(match.priority_id, "model", score)
        else:
            out[insight.pk] = Theme(None, "none", score)
    return out


# ---- near-duplicates and signals -------------------------------------------------------------------------------


def link_duplicates(area_id: int, insight_ids: Iterable[int] | None = None) -> int:
    """Link insights of an area that say the same thing (cosine >= DUPLICATE_THRESHOLD, different authors).

    With `insight_ids`, only the links of those insights are recomputed (the save job); without, the area's.
    Returns the number of links written.
    """
    rows = list(_candidate_insights(area_id).values_list("pk", "author_id"))
    authors = dict(rows)
    vectors = vectors_of(ContentKind.INSIGHT, authors)
    ids = [i for i in authors if i in vectors]
    if not ids:
        return 0
    matrix = np.stack([vectors[i] for i in ids])
    if insight_ids is None:
        near_duplicates = text_duplicates.near_duplicates

        pairs = [
            (int(a), int(b), float(s))
            for a, b, s in _pairs(near_duplicates(matrix, ids, threshold=DUPLICATE_THRESHOLD))
        ]
        scope = Q(insight__therapeutic_area_id=area_id) | Q(other__therapeutic_area_id=area_id)
    else:
        wanted = [i for i in insight_ids if i in vectors]
        pairs = []
        for a in wanted:
            sims = matrix @ vectors[a]
            for j in np.flatnonzero(sims >= DUPLICATE_THRESHOLD):
                if ids[j] != a:
                    pairs.append((a, ids[j], float(sims[j])))
        scope = Q(insight_id__in=list(insight_ids)) | Q(other_id__in=list(insight_ids))
    links = {}
    for a, b, s in pairs:
        if authors.get(a) is None or authors.get(a) == authors.get(b):
            continue
        lo, hi = min(a, b), max(a, b)
        links[(lo, hi)] = max(s, links.get((lo, hi), 0.0))
    with transaction.atomic():
        DuplicateLink.objects.filter(scope).delete()
        DuplicateLink.objects.bulk_create(
            [DuplicateLink(insight_id=a, other_id=b, similarity=s) for (a, b), s in links.items()],
            batch_size=1000,
        )
    return len(links)


def _pairs(result: Any) -> Iterable[tuple[Any, Any, float]]:
    """near_duplicates' pairs as (id, id, similarity) whatever container it returns them in."""
    for item in result:
        if isinstance(item, tuple | list):
            yield item[0], item[1], float(item[2]) if len(item) > 2 else 1.0
        else:  # a small record type with named fields
            a = getattr(item, "a", None) or getattr(item, "left", None) or getattr(item, "id_a", None)
            b = getattr(item, "b", None) or getattr(item, "right", None) or getattr(item, "id_b", None)
            yield a, b, float(getattr(item, "similarity", getattr(item, "score", 1.0)))


def signal_groups(user: Any, insight_ids: Iterable[int]) -> dict[int, int]:
    """{insight id: signal id} over the links the user may see: linked insights share the smallest id.

    Union-find over the visible links only, so a signal never grows through an insight the user cannot see.
    """
    ids = list(insight_ids)
    parent = {i: i for i in ids}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    links = DuplicateLink.objects.restrict(user, "view").filter(insight_id__in=ids, other_id__in=ids)
    for a, b in links.values_list("insight_id", "other_id"):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {i: find(i) for i in ids}


@dataclass(frozen=True)
class Signal:
    """What several MSLs heard: the linked insights the user may see and their distinct authors (voices)."""

    insights: list[Insight]
    voices: int


def signal_of(user: Any, insight: Insight) -> Signal:
    """The signal an insight belongs to, as far as `user` may see (the insight alone when it has no links)."""
    visible = Insight.objects.restrict(user, "view")
    seen, frontier = {insight.pk}, [insight.pk]
    links = DuplicateLink.objects.restrict(user, "view")
    while frontier:
        step = links.filter(Q(insight_id__in=frontier) | Q(other_id__in=frontier)).values_list(
            "insight_id", "other_id"
        )
        frontier = [x for pair in step for x in pair if x not in seen]
        seen.update(frontier)
    members = list(visible.filter(pk__in=seen).select_related("author").order_by("created_at"))
    return Signal(members, len({m.author_id for m in members}))


# ---- clusters of the unmatched ---------------------------------------------------------------------------------


def recluster_area(area_id: int) -> int:
    """Cluster the area's insights that no priority matched and label each cluster; returns the cluster count."""
    cluster, label_clusters = text_cluster.cluster, text_cluster.label_clusters

    insights = list(_candidate_insights(area_id).only("pk", "text", "listening_priority_id"))
    theme = themes_of(insights)
    unmatched = [i for i in insights if theme[i.pk].priority_id is None]
    vectors = vectors_of(ContentKind.INSIGHT, [i.pk for i in unmatched])
    unmatched = [i for i in unmatched if i.pk in vectors]
    with transaction.atomic():
        InsightCluster.objects.filter(therapeutic_area_id=area_id).delete()
        if len(unmatched) < MIN_CLUSTER_SIZE:
            return 0
        labels = [
            int(x)
            for x in cluster(np.stack([vectors[i.pk] for i in unmatched]), min_cluster_size=MIN_CLUSTER_SIZE)
        ]
        keywords = label_clusters([i.text for i in unmatched], labels)
        members: dict[int, list[int]] = defaultdict(list)
        for insight, label in zip(unmatched, labels, strict=True):
            if label >= 0:
                members[label].append(insight.pk)
        for label, ids in members.items():
            group = InsightCluster.objects.create(
                therapeutic_area_id=area_id,
                number=label,
                keywords=list(keywords.get(label, []))[:8],
                size=len(ids),
            )
            ClusterMember.objects.bulk_create([ClusterMember(cluster=group, insight_id=i) for i in ids])
    return len(members)


@dataclass
class ClusterView:
    """A cluster as one user sees it: keywords from the members they may see, and those members."""

    cluster: InsightCluster
    keywords: list[str]
    insights: list[Insight]


def clusters_for(user: Any, area_id: int | None = None) -> list[ClusterView]:
    """Clusters with at least one member the user may see; keywords are recomputed when some are hidden, so a
    label never carries words from insights the user cannot read."""
    label_clusters = text_cluster.label_clusters

    members = ClusterMember.objects.restrict(user, "view").select_related(
        "cluster", "cluster__therapeutic_area", "insight", "insight__author"
    )
    if area_id is not None:
        members = members.filter(cluster__therapeutic_area_id=area_id)
    grouped: dict[int, list[ClusterMember]] = defaultdict(list)
    for m in members:
        grouped[m.cluster_id].append(m)
    out = []
    partial = {cid: ms for cid, ms in grouped.items() if len(ms) < ms[0].cluster.size}
    relabelled: dict[int, list[str]] = {}
    if partial:
        texts, labels = [], []
        for cid, ms in partial.items():
            texts += [m.insight.text for m in ms]
            labels += [cid] * len(ms)
        relabelled = {int(k): list(v) for k, v in label_clusters(texts, labels).items()}
    for cid, ms in grouped.items():
        cluster = ms[0].cluster
        out.append(ClusterView(cluster, relabelled.get(cid, cluster.keywords)[:8], [m.insight for m in ms]))
    out.sort(key=lambda v: (v.cluster.therapeutic_area.name, -len(v.insights)))
    return out


# ---- trends ----------------------------------------------------------------------------------------------------


def observed_at(insight: Insight) -> Any:
    """When the field heard it: the interaction's time, else when it was submitted, else created."""
    if insight.interaction_id and insight.interaction is not None:
        return insight.interaction.occurred_at
    return insight.submitted_at or insight.created_at


@dataclass
class ThemeTrend:
    """One theme's monthly signal counts and the months where it emerged."""

    key: str
    label: str
    area: str
    points: list[trends.MonthPoint]

    @property
    def total(self) -> int:
        return sum(p.count for p in self.points)

    @property
    def emerging(self) -> list[str]:
        return [p.month for p in self.points if p.emerging]


@dataclass
class TrendTable:
    """The trends page and API: the months, one row per theme, and the insight/signal totals behind them."""

    months: list[str]
    rows: list[ThemeTrend] = field(default_factory=list)
    insights: int = 0
    signals: int = 0


def trend_table(user: Any, *, area_id: int | None = None, months: int = 12, today: Any = None) -> TrendTable:
    """Signals per theme per month over the last `months` months, from the insights the user may see.

    A signal is a group of linked near-duplicates (counted once, in the month its first insight was heard).
    """
    today = today or timezone.localdate()
    last = trends.month_key(today)
    year, month = today.year, today.month - (months - 1)
    while month <= 0:
        year, month = year - 1, month + 12
    month_list = trends.month_range(f"{year:04d}-{month:02d}", last)
    qs = (
        Insight.objects.restrict(user, "view")
        .exclude(status=InsightStatus.DRAFT)
        .select_related("interaction", "therapeutic_area")
    )
    if area_id is not None:
        qs = qs.filter(therapeutic_area_id=area_id)
    insights = list(qs)
    theme = themes_of(insights)
    groups = signal_groups(user, [i.pk for i in insights])
    first: dict[int, Insight] = {}
    for insight in sorted(insights, key=observed_at):
        first.setdefault(groups[insight.pk], insight)
    names = dict(ListeningPriority._base_manager.values_list("pk", "title"))
    items, labels = [], {}
    for root, insight in first.items():
        t = theme[root] if root in theme else theme[insight.pk]
        key = f"p{t.priority_id}" if t.priority_id else f"u{insight.therapeutic_area_id}"
        labels[key] = (
            names.get(t.priority_id, "?") if t.priority_id else "Unmatched (nobody asked)",
            insight.therapeutic_area.name,
        )
        items.append((key, observed_at(insight)))
    counts = trends.monthly_counts(items, month_list)
    rows = [
        ThemeTrend(k, labels[k][0], labels[k][1], trends.detect(c, month_list)) for k, c in counts.items()
    ]
    rows.sort(key=lambda r: (not r.emerging, r.area, -r.total))
    return TrendTable(month_list, rows, insights=len(insights), signals=len(first))


# ---- the vector index ------------------------------------------------------------------------------------------


def key_of(kind: str, pk: int) -> int:
    return KIND_CODES[ContentKind(kind)] * KEY_SPACE + int(pk)


def split_key(key: int) -> tuple[str, int]:
    code, pk = divmod(int(key), KEY_SPACE)
    kind = next(k for k, c in KIND_CODES.items() if c == code)
    return str(kind), pk


class _IndexCache:
    """The process's vector index: loaded from DATA_DIR/index, rebuilt from the database when stale.

    Stale means the stored embeddings changed since the index was built (count, newest update or model
    version differ). New and changed rows are added in place; anything else (deletions) rebuilds it.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.index: Any = None
        self.fingerprint: tuple[Any, ...] | None = None

    @staticmethod
    def directory() -> Path:
        return Path(settings.DATA_DIR) / "index"

    @staticmethod
    def db_fingerprint(version: str) -> tuple[Any, ...]:
        agg = TextEmbedding.objects.filter(kind__in=SEARCHABLE, model_version=version).aggregate(
            n=Count("pk"), newest=Max("updated_at")
        )
        return (version, agg["n"], agg["newest"].isoformat() if agg["newest"] else "")

    def get(self) -> Any:
        """The index, refreshed against the database (one aggregate query when nothing changed)."""
        version = embedder().version
        with self.lock:
            current = self.db_fingerprint(version)
            if self.index is not None and self.fingerprint == current:
                return self.index
            if self.index is None:
                self._load(current)
            if self.fingerprint != current and not self._catch_up(version, current):
                self.rebuild(version)
            return self.index

    def _load(self, current: tuple[Any, ...]) -> None:
        VectorIndex = text_search.VectorIndex  # noqa: N806

        manifest = self.directory() / "manifest.json"
        try:
            meta = json.loads(manifest.read_text())
            if tuple(meta["fingerprint"]) == current:
                self.index = VectorIndex.load(self.directory() / "vectors")
                self.fingerprint = current
        except Exception:  # noqa: BLE001 - a missing or unreadable cache is rebuilt
            self.index, self.fingerprint = None, None

    def _catch_up(self, version: str, current: tuple[Any, ...]) -> bool:
        """Add the rows updated since the index was built; False when only a rebuild can make it current."""
        if self.index is None or self.fingerprint is None or self.fingerprint[0] != version:
            return False
        since = self.fingerprint[2]
        rows = TextEmbedding.objects.filter(kind__in=SEARCHABLE, model_version=version)
        if since:
            rows = rows.filter(updated_at__gt=since)
        fresh = list(rows.values_list("kind", "object_id", "vector"))
        keys = [key_of(k, oid) for k, oid, _ in fresh]
        added = len(set(keys) - self._keys)
        if self.fingerprint[1] + added != current[1]:
            return False
        if keys:
            self.index.remove(keys)
            self.index.add(keys, np.stack([np.frombuffer(bytes(v), dtype="<f4") for _, _, v in fresh]))
            self._keys.update(keys)
        self.fingerprint = current
        return True

    def rebuild(self, version: str | None = None) -> int:
        """Build the index from every stored embedding and save it with its manifest; returns its size."""
        VectorIndex = text_search.VectorIndex  # noqa: N806

        version = version or embedder().version
        current = self.db_fingerprint(version)
        index = VectorIndex(DIM)
        keys: list[int] = []
        chunk: list[np.ndarray] = []
        chunk_keys: list[int] = []
        rows = TextEmbedding.objects.filter(kind__in=SEARCHABLE, model_version=version).values_list(
            "kind", "object_id", "vector"
        )
        for kind, oid, vector in rows.iterator(chunk_size=5000):
            chunk_keys.append(key_of(kind, oid))
            chunk.append(np.frombuffer(bytes(vector), dtype="<f4"))
            if len(chunk) >= 5000:
                index.add(chunk_keys, np.stack(chunk))
                keys += chunk_keys
                chunk, chunk_keys = [], []
        if chunk:
            index.add(chunk_keys, np.stack(chunk))
            keys += chunk_keys
        directory = self.directory()
        directory.mkdir(parents=True, exist_ok=True)
        index.save(directory / "vectors")
        (directory / "manifest.json").write_text(
            json.dumps({"fingerprint": list(current), "size": len(keys)})
        )
        self.index, self.fingerprint, self._keys = index, current, set(keys)
        return len(keys)

    _keys: set[int] = set()  # noqa: RUF012 - replaced per instance on rebuild


INDEX = _IndexCache()


# ---- indexing: one record, or everything -----------------------------------------------------------------------


def index_record(kind: str, object_id: int) -> dict[str, Any]:
    """The save job: embed one record if its text changed; for an insight, re-match its theme and re-link its
    near-duplicates. The vector index catches up on the next search."""
    embedded = embed_records(kind, [object_id])
    out: dict[str, Any] = {"kind": kind, "id": object_id, "embedded": embedded}
    if kind == ContentKind.INSIGHT:
        insight = Insight._base_manager.filter(pk=object_id).first()
        if insight is not None and insight.status != InsightStatus.DRAFT:
            out["matched"] = match_area(insight.therapeutic_area_id, [object_id])
            out["links"] = link_duplicates(insight.therapeutic_area_id, [object_id])
    return out


@dataclass
class RebuildReport:
    """What `rebuild` did, for the CLI summary and the demo loader."""

    embedded: dict[str, int] = field(default_factory=dict)
    matched: int = 0
    links: int = 0
    clusters: int = 0
    indexed: int = 0


def rebuild(*, progress: Callable[[str, int], None] | None = None) -> RebuildReport:
    """Re-embed what is missing or stale, recompute themes, duplicate links and clusters of every area, and
    rebuild the vector index from the database."""
    report = RebuildReport()
    step = progress or (lambda stage, n: None)
    for kind in (*SEARCHABLE, ContentKind.PRIORITY):
        report.embedded[str(kind)] = embed_records(
            kind, progress=lambda n, k=kind: step(f"embedding {k}s", n)
        )
    areas = sorted(set(Insight._base_manager.values_list("therapeutic_area_id", flat=True)))
    for area_id in areas:
        report.matched += match_area(area_id)
        report.links += link_duplicates(area_id)
        report.clusters += recluster_area(area_id)
        step("themes, duplicates and clusters", 0)
    report.indexed = INDEX.rebuild()
    return report


def pending_counts() -> dict[str, int]:
    """How many records of each searchable kind have no up-to-date embedding (for the CLI and the docs)."""
    version = embedder().version
    out = {}
    for kind in SEARCHABLE:
        have = TextEmbedding.objects.filter(kind=kind, model_version=version).count()
        out[str(kind)] = max(0, len(_texts(kind)) - have)
    return out


# ---- search ----------------------------------------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9][a-z0-9\-]*", re.IGNORECASE)
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "their",
        "this",
        "to",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "about",
        "after",
        "into",
        "than",
        "then",
        "them",
        "they",
    ]
)
BM25_K1, BM25_B = 1.2, 0.75
KEYWORD_CANDIDATES = 5000


def terms(text: str) -> list[str]:
    """Lower-case word terms without stop words (keyword search and BM25)."""
    return [w for w in (m.group(0).lower() for m in _WORD.finditer(text)) if w not in _STOP and len(w) > 1]


def bm25(
    query: Sequence[str], docs: dict[int, str], corpus_size: int | None = None
) -> list[tuple[int, float]]:
    """Okapi BM25 of `docs` for the query terms, best first (documents with no query term are left out)."""
    tokenised = {key: terms(text) for key, text in docs.items()}
    n = max(corpus_size or 0, len(tokenised), 1)
    avg = sum(len(t) for t in tokenised.values()) / max(len(tokenised), 1) or 1.0
    df = Counter(term for toks in tokenised.values() for term in set(toks))
    scored = []
    for key, toks in tokenised.items():
        tf = Counter(toks)
        score = 0.0
        for term in set(query):
            if tf[term]:
                idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                score += (
                    idf
                    * tf[term]
                    * (BM25_K1 + 1)
                    / (tf[term] + BM25_K1 * (1 - BM25_B + BM25_B * len(toks) / avg))
                )
        if score > 0:
            scored.append((key, score))
    scored.sort(key=lambda x: (-x[1], x[0]))
    return scored


@dataclass(frozen=True)
class SearchHit:
    """One result: what it is, where it lives, a snippet, and how it was found."""

    kind: str
    uuid: str
    url: str
    title: str
    snippet: str
    when: Any
    score: float
    keyword: bool
    meaning: bool


@dataclass
class SearchResult:
    """Hits best first; `semantic` is False when the model was unavailable and only keywords ranked."""

    query: str
    hits: list[SearchHit]
    semantic: bool = True


_SOURCES: dict[str, tuple[type, str, str, str]] = {
    # kind: (model, text field, date field, url name)
    ContentKind.INSIGHT: (Insight, "text", "created_at", "insights:insight_detail"),
    ContentKind.INTERACTION: (Interaction, "notes", "occurred_at", "engagement:interaction_detail"),
    ContentKind.INQUIRY: (MedicalInquiry, "question", "received_at", "medinfo:inquiry_detail"),
}


def searchable_kinds(user: Any) -> list[str]:
    """The kinds of record `user` may search: those whose `view` the matrix grants (none for commercial)."""
    return [str(k) for k, (model, *_) in _SOURCES.items() if can(user, model.permission_resource, "view")]


def search(user: Any, query: str, *, k: int = 20, kinds: Sequence[str] | None = None) -> SearchResult:
    """Search the insights, interaction notes and inquiries `user` may see, by keywords and by meaning.

    The allowed ids come from `restrict()` before anything is ranked; keyword hits are BM25 over allowed
    records containing a query word, meaning hits come from the vector index limited to the allowed keys, and
    the two lists are fused by reciprocal rank (liaison_text.search.hybrid_rank).
    """
    query = " ".join(query.split())[:200]
    wanted = [x for x in searchable_kinds(user) if kinds is None or x in kinds]
    if not query or not wanted:
        return SearchResult(query, [])
    words = terms(query)[:8]
    allowed: dict[str, QuerySet] = {kind: _SOURCES[kind][0].objects.restrict(user, "view") for kind in wanted}
    keyword_hits: list[tuple[int, float]] = []
    docs: dict[int, str] = {}
    for kind, qs in allowed.items():
        text_field = _SOURCES[kind][1]
        if not words:
            continue
        contains = Q()
        for word in words:
            contains |= Q(**{f"{text_field}__icontains": word})
        for pk, text in qs.filter(contains).values_list("pk", text_field)[:KEYWORD_CANDIDATES]:
            docs[key_of(kind, pk)] = text
    if docs:
        corpus = sum(qs.count() for qs in allowed.values())
        keyword_hits = bm25(words, docs, corpus)[: k * 3]
    vector_hits: list[tuple[int, float]] = []
    semantic = True
    try:
        vector_hits = _allowed_vector_hits(encode([query])[0], k * 3, allowed)
    except Exception as exc:  # noqa: BLE001 - the model or index failing must degrade search, never break it
        logger.warning("semantic search unavailable, keywords only: %s", exc)
        semantic = False
    fused = _fuse(keyword_hits, vector_hits, k)
    keyword_keys, vector_keys = {key for key, _ in keyword_hits}, {key for key, _ in vector_hits}
    return SearchResult(query, _hits(fused, keyword_keys, vector_keys, words), semantic)


OVERSAMPLE = 10


def _allowed_vector_hits(vector: np.ndarray, k: int, allowed: dict[str, QuerySet]) -> list[tuple[int, float]]:
    """The k nearest records the user may see, as (key, cosine).

    The common case stays cheap at any scale: take OVERSAMPLE * k nearest neighbours unfiltered and keep those
    restrict() allows (one `pk__in` query per kind). Only when too few survive (a user who may see a small share
    of the records) are all the allowed ids read and the index searched with them as its filter."""
    index = INDEX.get()
    nearest = index.search(vector, OVERSAMPLE * k)
    by_kind: dict[str, list[int]] = defaultdict(list)
    for key, _ in nearest:
        kind, pk = split_key(key)
        if kind in allowed:
            by_kind[kind].append(pk)
    visible = {
        key_of(kind, pk)
        for kind, pks in by_kind.items()
        for pk in allowed[kind].filter(pk__in=pks).values_list("pk", flat=True)
    }
    hits = [(int(key), float(score)) for key, score in nearest if key in visible]
    if len(hits) >= k or len(nearest) < OVERSAMPLE * k:
        return hits[:k]
    keys = [key_of(kind, pk) for kind, qs in allowed.items() for pk in qs.values_list("pk", flat=True)]
    if not keys:
        return []
    result = index.search(vector, k, allowed=np.asarray(keys, dtype=np.int64))
    return [(int(key), float(score)) for key, score in result]


def _fuse(
    keyword_hits: list[tuple[int, float]], vector_hits: list[tuple[int, float]], k: int
) -> list[tuple[int, float]]:
    hybrid_rank = text_search.hybrid_rank

    fused = hybrid_rank(keyword_hits, vector_hits, k=k)
    return [
        (int(item[0]), float(item[1])) if isinstance(item, tuple | list) else (int(item), 0.0)
        for item in fused
    ][:k]


def _hits(
    fused: list[tuple[int, float]], keyword_keys: set[int], vector_keys: set[int], words: Sequence[str]
) -> list[SearchHit]:
    by_kind: dict[str, list[int]] = defaultdict(list)
    for key, _ in fused:
        kind, pk = split_key(key)
        by_kind[kind].append(pk)
    records: dict[int, Any] = {}
    for kind, pks in by_kind.items():
        model = _SOURCES[kind][0]
        for obj in model._base_manager.filter(pk__in=pks):
            records[key_of(kind, obj.pk)] = obj
    hits = []
    for key, score in fused:
        obj = records.get(key)
        if obj is None:
            continue
        kind, _ = split_key(key)
        _, text_field, date_field, url_name = _SOURCES[kind]
        text = getattr(obj, text_field) or ""
        hits.append(
            SearchHit(
                kind=kind,
                uuid=str(obj.uuid),
                url=reverse(url_name, kwargs={"uuid": obj.uuid}),
                title=str(obj),
                snippet=snippet(text, words),
                when=getattr(obj, date_field),
                score=score,
                keyword=key in keyword_keys,
                meaning=key in vector_keys,
            )
        )
    return hits


def snippet(text: str, words: Sequence[str], width: int = 220) -> str:
    """Up to `width` characters of `text` around its first query word (or its start)."""
    text = " ".join(text.split())
    lower = text.lower()
    positions = [lower.find(w) for w in words if lower.find(w) >= 0]
    start = max(0, min(positions) - width // 3) if positions else 0
    out = text[start : start + width]
    return ("…" if start else "") + out + ("…" if start + width < len(text) else "")
