"""Clustering and near-duplicate timing: `python bench/text_cluster.py [N]` (default 100000).

Data as in bench/text_search.py: real PubMed embeddings (int8 model) mixed into N synthetic neighbours.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from text_embed import load, pubmed_texts
from text_search import synthesise

from liaison_text.cluster import cluster, label_clusters
from liaison_text.duplicates import near_duplicates
from liaison_text.embed import Embedder


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    texts = pubmed_texts(2000)
    base = Embedder(Path(tempfile.gettempdir()) / "liaison-bench-models", threads=2).encode(texts)
    data = synthesise(base, n, np.random.default_rng(1))
    print(f"load average {load()}\n")
    print("| task | items | seconds | result |")
    print("|---|---|---|---|")
    start = time.perf_counter()
    labels = cluster(base, min_cluster_size=5)
    took = time.perf_counter() - start
    keywords = label_clusters(texts, labels)
    print(
        f"| cluster (HDBSCAN, all) real texts | {len(base):,} | {took:.1f} | {labels.max() + 1} clusters, "
        f"{(labels < 0).mean():.0%} noise |"
    )
    start = time.perf_counter()
    labels = cluster(data, min_cluster_size=5)
    print(
        f"| cluster (HDBSCAN on PCA-32 of a 5k sample + assignment) | {n:,} | {time.perf_counter() - start:.1f} | "
        f"{labels.max() + 1} clusters, {(labels < 0).mean():.0%} noise |"
    )
    for m in (10_000, 20_000):
        start = time.perf_counter()
        pairs = near_duplicates(data[:m], np.arange(m), threshold=0.98)
        print(
            f"| near_duplicates (threshold 0.98) | {m:,} | {time.perf_counter() - start:.1f} | {len(pairs):,} pairs |"
        )
    print("\nsample cluster keywords (real texts):")
    for label, words in list(keywords.items())[:5]:
        print(f"  {label}: {', '.join(words)}")


if __name__ == "__main__":
    main()
