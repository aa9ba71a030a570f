"""Stand-ins for `liaison_text.search`, `.cluster` and `.duplicates` with the same interfaces, used only when
those modules are not installed (they were being written alongside this app). Exact brute force: right, and
fast enough for tens of thousands of records; the real modules replace them automatically when present.
"""

from __future__ import annotations

import pickle
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


class VectorIndex:
    """Exact cosine search over unit rows, with an optional allow-list of ids."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.ids: list[int] = []
        self.rows: dict[int, int] = {}
        self.matrix = np.zeros((0, dim), dtype=np.float32)

    def add(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        """Add (or replace) vectors under ids."""
        self.remove(ids)
        start = len(self.ids)
        self.ids += [int(i) for i in ids]
        self.rows.update({int(i): start + n for n, i in enumerate(ids)})
        self.matrix = np.vstack([self.matrix, np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)])

    def remove(self, ids: Sequence[int]) -> None:
        """Drop ids (unknown ones are ignored)."""
        gone = {int(i) for i in ids} & set(self.rows)
        if not gone:
            return
        keep = [n for n, i in enumerate(self.ids) if i not in gone]
        self.ids = [self.ids[n] for n in keep]
        self.matrix = self.matrix[keep]
        self.rows = {i: n for n, i in enumerate(self.ids)}

    def search(self, vector: np.ndarray, k: int, allowed: Any = None) -> list[tuple[int, float]]:
        """The k nearest (id, cosine), best first, among `allowed` ids when given."""
        if not self.ids:
            return []
        sims = self.matrix @ np.asarray(vector, dtype=np.float32)
        if allowed is not None:
            mask = np.fromiter((i in allowed for i in self.ids), dtype=bool, count=len(self.ids))
            sims = np.where(mask, sims, -np.inf)
        order = np.argsort(-sims)[:k]
        return [(self.ids[n], float(sims[n])) for n in order if np.isfinite(sims[n])]

    def save(self, path: Path) -> None:
        """Write the index to `path`."""
        Path(path).write_bytes(pickle.dumps((self.dim, self.ids, self.matrix)))

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        """Read an index written by save()."""
        dim, ids, matrix = pickle.loads(Path(path).read_bytes())  # noqa: S301 - our own cache file
        index = cls(dim)
        index.ids, index.matrix = ids, matrix
        index.rows = {i: n for n, i in enumerate(ids)}
        return index


def hybrid_rank(
    keyword_hits: Sequence[tuple[int, float]], vector_hits: Sequence[tuple[int, float]], k: int
) -> list[tuple[int, float]]:
    """Reciprocal rank fusion (k0 = 60) of two ranked lists of (id, score)."""
    fused: Counter[int] = Counter()
    for hits in (keyword_hits, vector_hits):
        for rank, (key, _) in enumerate(hits, start=1):
            fused[key] += 1.0 / (60 + rank)
    return sorted(fused.items(), key=lambda x: (-x[1], x[0]))[:k]


def near_duplicates(
    vectors: np.ndarray, ids: Sequence[Any], threshold: float = 0.9
) -> list[tuple[Any, Any, float]]:
    """Pairs (id, id, cosine) at or above the threshold."""
    sims = np.asarray(vectors, dtype=np.float32) @ np.asarray(vectors, dtype=np.float32).T
    a, b = np.nonzero(np.triu(sims, 1) >= threshold)
    return [(ids[i], ids[j], float(sims[i, j])) for i, j in zip(a, b, strict=True)]


def cluster(vectors: np.ndarray, min_cluster_size: int = 5) -> np.ndarray:
    """Average-linkage clusters cut at cosine distance 0.6; clusters smaller than min_cluster_size are noise."""
    from scipy.cluster.hierarchy import fcluster, linkage

    vectors = np.asarray(vectors, dtype=np.float64)
    if len(vectors) < 2:
        return -np.ones(len(vectors), dtype=int)
    raw = fcluster(linkage(vectors, method="average", metric="cosine"), t=0.6, criterion="distance")
    sizes = Counter(raw)
    keep = sorted({c for c, n in sizes.items() if n >= min_cluster_size})
    renumber = {c: n for n, c in enumerate(keep)}
    return np.array([renumber.get(c, -1) for c in raw], dtype=int)


def label_clusters(texts: Sequence[str], labels: Sequence[int], top: int = 5) -> dict[int, list[str]]:
    """Each cluster's words that are most frequent in it relative to all texts (c-TF-IDF-like)."""
    from .services import terms

    overall: Counter[str] = Counter()
    per: dict[int, Counter[str]] = {}
    for text, label in zip(texts, labels, strict=True):
        words = set(terms(text))
        overall.update(words)
        if label >= 0:
            per.setdefault(int(label), Counter()).update(words)
    n = max(len(texts), 1)
    out = {}
    for label, counts in per.items():
        scored = sorted(counts, key=lambda w: (-counts[w] * np.log(1 + n / overall[w]), w))
        out[label] = scored[:top]
    return out
