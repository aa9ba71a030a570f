"""Vector search over unit-length embeddings, with permission filters applied before the top k is taken.

`VectorIndex` keeps every vector in one float32 matrix and answers exactly (one BLAS matrix-vector product and a
partial sort) until it holds `ann_min` vectors; from then on, when `faiss-cpu` is installed, it also keeps an
HNSW graph (faiss `IndexHNSWFlat`, inner product) and answers from it. Exact search is the default because it is always right and, on 2 cores, fast enough
up to about 200k vectors (docs/benchmarks.md); HNSW is what keeps a 1M-vector index interactive.

Filtering: the app passes the ids a user may see (an int64 array, the cheap and preferred form) or a predicate.
Results are filtered before the top k is cut, so a filter never shortens the list while enough allowed items
exist: exact search scores only the allowed rows; HNSW search over-fetches by the inverse of the allowed share
and, when that still yields fewer than k allowed hits, falls back to exact search over the allowed rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

Allowed = Callable[[int], bool] | np.ndarray | None
_FORMAT = 1


def _as_ids(ids: Iterable[int] | np.ndarray) -> np.ndarray:
    arr = np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"ids must be integers, got {arr.dtype}")
    return arr.astype(np.int64, copy=False).reshape(-1)


class VectorIndex:
    """An in-memory index from int64 ids (the app's row ids) to unit vectors, searchable by cosine similarity."""

    def __init__(
        self, dim: int = 384, *, ann_min: int = 200_000, ann: str | None = "faiss", ef_search: int = 256
    ):
        """`ann_min`: size from which the HNSW graph is used; `ann=None` keeps search exact at any size."""
        if dim < 1:
            raise ValueError("dim must be positive")
        self.dim = dim
        self.ann_min = ann_min
        self.ann = ann
        self._vectors = np.empty((0, dim), dtype=np.float32)
        self._ids = np.empty(0, dtype=np.int64)
        self._row: dict[int, int] = {}
        self.ef_search = ef_search
        # The faiss graph, built lazily. faiss HNSW cannot delete, so graph positions map to ids and a position
        # whose id was removed or re-added elsewhere is skipped at search time; too many stale ones: rebuild.
        self._graph: Any = None
        self._graph_ids: list[int] = []
        self._graph_pos: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, id_: object) -> bool:
        return isinstance(id_, int | np.integer) and int(id_) in self._row

    @property
    def ids(self) -> np.ndarray:
        """The ids held, in storage order (a copy)."""
        return self._ids.copy()

    def add(self, ids: Sequence[int] | np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace vectors; they are L2-normalised here so scores are cosines whatever the caller did."""
        ids_arr = _as_ids(ids)
        vecs = np.asarray(vectors, dtype=np.float32)
        if vecs.ndim == 1:
            vecs = vecs[None, :]
        if vecs.shape != (len(ids_arr), self.dim):
            raise ValueError(f"expected vectors of shape ({len(ids_arr)}, {self.dim}), got {vecs.shape}")
        if len(np.unique(ids_arr)) != len(ids_arr):
            raise ValueError("ids must be unique within one add()")
        if not np.isfinite(vecs).all():
            raise ValueError("vectors contain NaN or infinity")
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        if (norms == 0).any():
            raise ValueError("zero vectors cannot be searched by cosine")
        vecs = vecs / norms
        existing = [i for i in ids_arr.tolist() if i in self._row]
        if existing:
            self.remove(existing)
        start = len(self._ids)
        self._vectors = np.concatenate([self._vectors, vecs]) if start else vecs.copy()
        self._ids = np.concatenate([self._ids, ids_arr])
        self._row.update((int(i), start + n) for n, i in enumerate(ids_arr.tolist()))
        if self._graph is not None:
            self._graph_add(ids_arr, vecs)

    def remove(self, ids: Iterable[int] | np.ndarray) -> int:
        """Remove ids (unknown ones are ignored); returns how many were removed."""
        rows = [self._row.pop(int(i)) for i in _as_ids(ids).tolist() if int(i) in self._row]
        if not rows:
            return 0
        keep = np.ones(len(self._ids), dtype=bool)
        keep[rows] = False
        if self._graph is not None:
            for id_ in self._ids[~keep].tolist():
                self._graph_pos.pop(id_, None)
            if len(self._graph_pos) < 0.8 * len(self._graph_ids):
                self._graph = None  # rebuilt on the next search that needs it
        self._vectors = self._vectors[keep]
        self._ids = self._ids[keep]
        self._row = {int(i): n for n, i in enumerate(self._ids.tolist())}
        return len(rows)

    def search(self, vector: np.ndarray, k: int = 20, *, allowed: Allowed = None) -> list[tuple[int, float]]:
        """The k most similar allowed ids with their cosine similarity, best first."""
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        if query.shape != (self.dim,):
            raise ValueError(f"expected a query of dimension {self.dim}, got {query.shape}")
        norm = float(np.linalg.norm(query))
        if not np.isfinite(norm) or norm == 0:
            raise ValueError("the query vector is zero or not finite")
        query = query / norm
        if k < 1 or not len(self._ids):
            return []
        if isinstance(allowed, np.ndarray):
            if allowed.dtype == bool:
                raise TypeError("allowed must be an array of ids, not a boolean mask")
            rows = np.array(
                [self._row[i] for i in _as_ids(allowed).tolist() if i in self._row], dtype=np.int64
            )
            # A selective filter is cheaper and exact as a scan of the allowed rows than as a graph walk.
            if self._use_graph() and len(rows) > len(self._ids) // 10:
                allowed_set = set(self._ids[rows].tolist())
                hits = self._graph_search(
                    query, k, lambda i: i in allowed_set, share=len(rows) / len(self._ids)
                )
                if hits is not None:
                    return hits
            return self._exact(query, k, rows)
        if allowed is not None and not callable(allowed):
            raise TypeError("allowed must be None, an array of ids or a callable(id) -> bool")
        if self._use_graph():
            hits = self._graph_search(query, k, allowed, share=None)
            if hits is not None:
                return hits
        if allowed is None:
            return self._exact(query, k, None)
        rows = np.flatnonzero(
            np.fromiter((bool(allowed(i)) for i in self._ids.tolist()), bool, len(self._ids))
        )
        return self._exact(query, k, rows)

    def _exact(self, query: np.ndarray, k: int, rows: np.ndarray | None) -> list[tuple[int, float]]:
        vectors = self._vectors if rows is None else self._vectors[rows]
        ids = self._ids if rows is None else self._ids[rows]
        if not len(ids):
            return []
        scores = vectors @ query
        k = min(k, len(ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((ids[top], -scores[top]))]  # ties broken by id: deterministic order
        return [(int(ids[i]), float(scores[i])) for i in top]

    def _use_graph(self) -> bool:
        if self.ann is None or len(self._ids) < self.ann_min:
            return False
        if self._graph is None:
            self._build_graph()
        return self._graph is not None

    def _build_graph(self) -> None:
        try:
            import faiss
        except ImportError:  # search stays exact: correct, only slower on very large indexes
            self.ann = None
            return
        graph = faiss.IndexHNSWFlat(self.dim, 32, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = 80
        self._graph, self._graph_ids, self._graph_pos = graph, [], {}
        self._graph_add(self._ids, self._vectors)

    def _graph_add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        start = len(self._graph_ids)
        self._graph.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self._graph_ids.extend(ids.tolist())
        self._graph_pos.update((int(i), start + n) for n, i in enumerate(ids.tolist()))

    def _graph_search(
        self, query: np.ndarray, k: int, allowed: Callable[[int], bool] | None, share: float | None
    ) -> list[tuple[int, float]] | None:
        """HNSW search; None when over-fetching could not find k allowed hits (the caller then scans)."""
        import faiss

        want = min(k, len(self._ids))
        live = len(self._graph_pos) / max(len(self._graph_ids), 1)
        fetch = int(want / live) + 1 if allowed is None else int(want * 2 / (max(share or 0.5, 1e-3) * live))
        while True:
            fetch = min(fetch, len(self._graph_ids))
            # faiss's bundled stubs leave out SearchParametersHNSW, which the library has.
            params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, fetch))  # type: ignore[attr-defined]
            scores, positions = self._graph.search(query[None, :], fetch, params=params)
            hits = []
            for pos, score in zip(positions[0].tolist(), scores[0].tolist(), strict=True):
                if pos < 0:
                    continue
                id_ = self._graph_ids[pos]
                if self._graph_pos.get(id_) != pos or (allowed is not None and not allowed(id_)):
                    continue  # removed, replaced by a newer vector, or not allowed
                hits.append((id_, float(score)))
            if len(hits) >= want:
                return hits[:want]
            if fetch >= min(len(self._graph_ids), 10 * want + 1000):
                return None
            fetch *= 4

    def save(self, directory: Path) -> None:
        """Write the ids, the vectors and a small manifest; the HNSW graph is rebuilt on first use after load."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / "ids.npy", self._ids)
        np.save(directory / "vectors.npy", self._vectors)
        meta = {
            "format": _FORMAT,
            "dim": self.dim,
            "count": len(self._ids),
            "ann_min": self.ann_min,
            "ann": self.ann,
        }
        (directory / "index.json").write_text(json.dumps(meta, indent=2))

    @classmethod
    def load(cls, directory: Path) -> VectorIndex:
        """Read an index written by `save`; a missing or inconsistent file is an error, not an empty index."""
        directory = Path(directory)
        try:
            meta = json.loads((directory / "index.json").read_text())
            ids = np.load(directory / "ids.npy", allow_pickle=False)
            vectors = np.load(directory / "vectors.npy", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ValueError(f"{directory} is not a saved VectorIndex: {exc}") from exc
        if (
            meta.get("format") != _FORMAT
            or vectors.shape != (meta["count"], meta["dim"])
            or len(ids) != meta["count"]
        ):
            raise ValueError(f"{directory}: index files do not match their manifest")
        index = cls(meta["dim"], ann_min=meta["ann_min"], ann=meta["ann"])
        index._ids = ids.astype(np.int64)
        index._vectors = vectors.astype(np.float32)
        index._row = {int(i): n for n, i in enumerate(index._ids.tolist())}
        return index


def hybrid_rank(
    keyword_hits: list[tuple[int, float]], vector_hits: list[tuple[int, float]], *, k: int = 20, c: int = 60
) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of a keyword ranking and a vector ranking (Cormack, Clarke and Buettcher, 2009).

    Each list contributes 1 / (c + rank) for every id it ranks (rank 1 = best); ids are ordered by the sum.
    Only ranks matter, so BM25 or database full-text scores and cosines need no common scale; c = 60 is the
    paper's constant and damps the weight of the very first ranks. Ties are broken by id for a stable order.
    """
    fused: dict[int, float] = {}
    for hits in (keyword_hits, vector_hits):
        seen: set[int] = set()
        for rank, (id_, _score) in enumerate(hits, start=1):
            if id_ in seen:  # a list naming an id twice counts it once, at its best rank
                continue
            seen.add(id_)
            fused[id_] = fused.get(id_, 0.0) + 1.0 / (c + rank)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:k]
