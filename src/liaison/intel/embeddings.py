"""Embeddings of field text: the local model, the text of each kind of record, and the stored vectors.

Vectors live in `intel.TextEmbedding`; a record is re-embedded only when its text or the model changed
(docs/insight-intelligence.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from liaison.engagement.models import Interaction
from liaison.insights.models import Insight, ListeningPriority
from liaison.medinfo.models import MedicalInquiry
from liaison_text import priority_matching as text_matching

from .models import DIM, ContentKind, TextEmbedding

# The kinds of record that search covers, and so the kinds the vector index holds.
SEARCHABLE = (ContentKind.INSIGHT, ContentKind.INTERACTION, ContentKind.INQUIRY)
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
    qs: QuerySet
    if kind == ContentKind.INSIGHT:
        qs, fields = Insight._base_manager.all(), ("text",)
    elif kind == ContentKind.INTERACTION:
        qs, fields = Interaction._base_manager.all(), ("notes",)
    elif kind == ContentKind.INQUIRY:
        qs, fields = MedicalInquiry._base_manager.all(), ("question",)
    elif kind == ContentKind.PRIORITY:
        return {
            p.pk: text_matching.text_of_priority(p.title, p.description)
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
