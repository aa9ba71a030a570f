"""Near-duplicates and signals: links between insights that say the same thing, and the signals they form.

A signal is what several MSLs heard: linked insights and their distinct authors (voices), only ever as far as
the user may see them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import transaction
from django.db.models import Q

from liaison.insights.models import Insight
from liaison_text import duplicates as text_duplicates

from .embeddings import vectors_of
from .models import ContentKind, DuplicateLink
from .priority_matching import candidate_insights

if TYPE_CHECKING:
    from liaison.accounts.models import User

# Near-duplicate threshold on the cosine of two insights by different authors (docs/insight-intelligence.md).
DUPLICATE_THRESHOLD = 0.85


def link_duplicates(area_id: int, insight_ids: Iterable[int] | None = None) -> int:
    """Link insights of an area that say the same thing (cosine >= DUPLICATE_THRESHOLD, different authors).

    With `insight_ids`, only the links of those insights are recomputed (the save job); without, the area's.
    Returns the number of links written.
    """
    rows = list(candidate_insights(area_id).values_list("pk", "author_id"))
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
    links: dict[tuple[Any, Any], float] = {}
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


def signal_groups(user: User, insight_ids: Iterable[int]) -> dict[int, int]:
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


def signal_of(user: User, insight: Insight) -> Signal:
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
