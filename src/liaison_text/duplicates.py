"""Near-duplicate pairs among embedded texts: the same note pasted twice, a question re-asked in other words.

Exact and simple: the cosine of every pair is computed block by block (a BLAS matrix product per block of rows,
so memory stays at block x n floats) and pairs at or above the threshold are kept. That is O(n^2) work: about a
second for 10k texts on 2 cores, which covers a territory's notes or a week of inquiries; for a whole corpus,
query a `VectorIndex` per text instead (docs/text.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def near_duplicates(
    vectors: np.ndarray, ids: Sequence[int] | np.ndarray, *, threshold: float = 0.9, block: int = 2048
) -> list[tuple[int, int, float]]:
    """Pairs (id_a, id_b, cosine) with cosine >= threshold, each pair once (a listed before b), most similar first.

    Vectors are normalised here, so the threshold is a cosine whatever the caller passed. 0.9 on MiniLM
    embeddings means "the same text with small edits"; paraphrases usually score 0.75-0.9.
    """
    vecs = np.asarray(vectors, dtype=np.float32)
    id_arr = np.asarray(ids).astype(np.int64, copy=False).reshape(-1)
    if vecs.ndim != 2 or len(vecs) != len(id_arr):
        raise ValueError(f"need one vector per id: {vecs.shape} vectors for {len(id_arr)} ids")
    if not -1.0 <= threshold <= 1.0:
        raise ValueError("threshold is a cosine, between -1 and 1")
    if not np.isfinite(vecs).all():
        raise ValueError("vectors contain NaN or infinity")
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    vecs = (vecs / np.where(norms == 0, 1.0, norms)).astype(np.float32)
    pairs: list[tuple[int, int, float]] = []
    for start in range(0, len(vecs), block):
        sims = vecs[start : start + block] @ vecs.T
        rows, cols = np.nonzero(sims >= threshold)
        rows = rows + start
        upper = cols > rows  # each unordered pair once, never a text with itself
        for r, c in zip(rows[upper].tolist(), cols[upper].tolist(), strict=True):
            pairs.append((int(id_arr[r]), int(id_arr[c]), float(sims[r - start, c])))
    pairs.sort(key=lambda p: (-p[2], p[0], p[1]))
    return pairs
