"""Vector search latency and recall: exact numpy/BLAS against faiss HNSW, at 100k and 1M vectors.

`python bench/text_search.py [SIZES...]` (default 100000 1000000). Data: 2,000 real PubMed texts embedded with
the int8 model, then synthetic neighbours: each vector is a real embedding plus half of another real embedding
times a random weight, plus a little Gaussian noise, normalised. That keeps the topical structure of real text
(dense regions, a low intrinsic dimension) rather than uniform noise, where every method looks alike. Queries
come from the same generator and are not in the index. Recall@10 is against exact search; latency is one query
at a time, single-threaded for HNSW (a web request), 2 threads for BLAS; p50/p95 over 200 queries.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from text_embed import load, pubmed_texts

from liaison_text.embed import Embedder

QUERIES = 200


def synthesise(base: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        a, b = rng.integers(0, len(base), m), rng.integers(0, len(base), m)
        v = base[a] + 0.5 * rng.random((m, 1), dtype=np.float32) * base[b]
        v += 0.02 * rng.standard_normal(v.shape, dtype=np.float32)
        out[start : start + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def percentiles(lat: list[float]) -> str:
    return f"{np.percentile(lat, 50) * 1e3:.2f} | {np.percentile(lat, 95) * 1e3:.2f}"


def main() -> None:
    import faiss

    sizes = [int(s) for s in sys.argv[1:]] or [100_000, 1_000_000]
    rng = np.random.default_rng(0)
    base = Embedder(Path(tempfile.gettempdir()) / "liaison-bench-models", threads=2).encode(
        pubmed_texts(2000)
    )
    print(f"load average {load()}")
    print("\n| vectors | method | build s | p50 ms | p95 ms | recall@10 |")
    print("|---|---|---|---|---|---|")
    for n in sizes:
        data = synthesise(base, n, rng)
        queries = synthesise(base, QUERIES, rng)
        faiss.omp_set_num_threads(2)
        lat, truth = [], []
        for q in queries:
            start = time.perf_counter()
            scores = data @ q
            top = np.argpartition(-scores, 10)[:10]
            lat.append(time.perf_counter() - start)
            truth.append(set(top.tolist()))
        print(f"| {n:,} | exact (numpy BLAS, float32) | 0 | {percentiles(lat)} | 1.000 |")
        start = time.perf_counter()
        graph = faiss.IndexHNSWFlat(data.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = 80
        graph.add(data)
        build = time.perf_counter() - start
        faiss.omp_set_num_threads(1)
        for ef in (64, 128, 256):
            params = faiss.SearchParametersHNSW(efSearch=ef)
            lat, hits = [], 0
            for q, t in zip(queries, truth, strict=True):
                start = time.perf_counter()
                _, ids = graph.search(q[None, :], 10, params=params)
                lat.append(time.perf_counter() - start)
                hits += len(t & set(ids[0].tolist()))
            print(
                f"| {n:,} | faiss HNSW32, efSearch {ef} | {build:.0f} | {percentiles(lat)} | {hits / (10 * QUERIES):.3f} |"
            )
        del graph, data


if __name__ == "__main__":
    main()
