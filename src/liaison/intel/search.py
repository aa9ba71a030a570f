"""Search over insights, interaction notes and inquiries: keywords (BM25) and meaning, fused by rank.

Everything a user reads is narrowed by `restrict()` first: search computes the ids a user may see *before*
ranking, so neither a result nor a count can come from a record they may not see
(docs/insight-intelligence.md).
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db.models import Q, QuerySet
from django.urls import reverse

from liaison.core.models import AuditedModel
from liaison.core.permissions import can
from liaison.engagement.models import Interaction
from liaison.insights.models import Insight
from liaison.medinfo.models import MedicalInquiry
from liaison_text import search as text_search

from .embeddings import encode
from .index import INDEX, key_of, split_key
from .models import ContentKind

if TYPE_CHECKING:
    from liaison.accounts.models import User

logger = logging.getLogger("liaison.intel")

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


_SOURCES: dict[str, tuple[type[AuditedModel], str, str, str]] = {
    # kind: (model, text field, date field, url name)
    ContentKind.INSIGHT: (Insight, "text", "created_at", "insights:insight_detail"),
    ContentKind.INTERACTION: (Interaction, "notes", "occurred_at", "engagement:interaction_detail"),
    ContentKind.INQUIRY: (MedicalInquiry, "question", "received_at", "medinfo:inquiry_detail"),
}


def searchable_kinds(user: User) -> list[str]:
    """The kinds of record `user` may search: those whose `view` the matrix grants (none for commercial)."""
    return [str(k) for k, (model, *_) in _SOURCES.items() if can(user, model.permission_resource, "view")]


def search(user: User, query: str, *, k: int = 20, kinds: Sequence[str] | None = None) -> SearchResult:
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
        for record in model._base_manager.filter(pk__in=pks):
            records[key_of(kind, record.pk)] = record
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
