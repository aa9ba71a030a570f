"""Group embedded field texts into clusters, and name each cluster by its most distinctive words.

`cluster` uses HDBSCAN (scikit-learn): it finds the number of clusters itself, and leaves texts that belong to
no dense group as noise (-1) instead of forcing them into a cluster, which is what a reviewer of field insights
wants. HDBSCAN's cost grows faster than linearly and its neighbour trees help little in 384 dimensions (20k
vectors took 7 minutes on 2 cores), so it runs on a 32-dimensional PCA projection, and beyond `sample_size`
texts on a random sample; every other text joins the nearest cluster centroid when close enough (else noise).
That costs clusters too small to show up in the sample; figures in docs/benchmarks.md.

`label_clusters` is class-based TF-IDF (c-TF-IDF, as in BERTopic): each cluster's texts are one document, and a
word scores high when it is frequent in that cluster and rare across clusters.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"[a-z][a-z0-9\-]{2,}")


def _unit(vectors: np.ndarray) -> np.ndarray:
    vecs = np.asarray(vectors, dtype=np.float32)
    if vecs.ndim != 2:
        raise ValueError(f"expected a 2-D array of vectors, got shape {vecs.shape}")
    if not np.isfinite(vecs).all():
        raise ValueError("vectors contain NaN or infinity")
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs / np.where(norms == 0, 1.0, norms)


def cluster(
    vectors: np.ndarray,
    *,
    min_cluster_size: int = 5,
    min_samples: int | None = None,
    sample_size: int = 5_000,
    pca_dims: int = 32,
    assign_threshold: float = 0.5,
    seed: int = 0,
) -> np.ndarray:
    """Cluster labels (0..n_clusters-1), one per vector; -1 marks noise.

    Euclidean distance on unit vectors orders pairs exactly as cosine does, so HDBSCAN runs on the normalised
    vectors (projected to `pca_dims` by PCA; 0 keeps all dimensions). `assign_threshold` is the cosine to a centroid that a
    text outside the sample needs to join that cluster.
    """
    from sklearn.cluster import HDBSCAN
    from sklearn.decomposition import PCA

    if min_cluster_size < 2:
        raise ValueError("min_cluster_size must be at least 2")
    vecs = _unit(vectors)
    n = len(vecs)
    if n < min_cluster_size:
        return np.full(n, -1, dtype=np.int64)
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(n, sample_size, replace=False)) if n > sample_size else np.arange(n)
    model = HDBSCAN(min_cluster_size=min_cluster_size, min_samples=min_samples, metric="euclidean", copy=True)
    points = vecs[sample]
    if pca_dims and points.shape[1] > pca_dims and len(points) > pca_dims:
        points = PCA(n_components=pca_dims, random_state=seed).fit_transform(points)
    sample_labels = model.fit_predict(points).astype(np.int64)
    if sample_labels.max() < 0:
        # HDBSCAN never calls the whole input one cluster unless asked; a handful of texts that all say the same
        # thing (common in one area's unmatched insights) is exactly such a cluster. Allow it, then keep only the
        # members close to its centroid, so that unrelated texts stay noise.
        single = HDBSCAN(
            min_cluster_size=min_cluster_size, min_samples=min_samples, allow_single_cluster=True, copy=True
        ).fit_predict(points)
        members = np.flatnonzero(single >= 0)
        if len(members) >= min_cluster_size:
            # A member stays when its mean cosine to the other members reaches assign_threshold.
            member_vecs = vecs[sample][members]
            sims = member_vecs @ member_vecs.T
            mean_to_others = (sims.sum(axis=1) - 1.0) / (len(members) - 1)
            close = members[mean_to_others >= assign_threshold]
            if len(close) >= min_cluster_size:
                sample_labels[close] = 0
    labels = np.full(n, -1, dtype=np.int64)
    labels[sample] = sample_labels
    n_clusters = int(sample_labels.max()) + 1
    if n_clusters == 0 or len(sample) == n:
        return labels
    centroids = _unit(np.stack([vecs[sample][sample_labels == c].mean(axis=0) for c in range(n_clusters)]))
    rest = np.setdiff1d(np.arange(n), sample, assume_unique=True)
    for start in range(0, len(rest), 8192):
        chunk = rest[start : start + 8192]
        sims = vecs[chunk] @ centroids.T
        best = sims.argmax(axis=1)
        labels[chunk] = np.where(sims[np.arange(len(chunk)), best] >= assign_threshold, best, -1)
    return labels


def label_clusters(
    texts: Sequence[str], labels: Sequence[int] | np.ndarray, top_n: int = 5
) -> dict[int, list[str]]:
    """The top_n most distinctive words of each cluster (noise, -1, is not labelled), by c-TF-IDF.

    score(word, cluster) = tf(word, cluster) / words in cluster * log(1 + mean words per cluster / tf(word, all)).
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    label_arr = np.asarray(labels).reshape(-1)
    if len(label_arr) != len(texts):
        raise ValueError(f"one label per text needed: {len(label_arr)} labels for {len(texts)} texts")
    counts: dict[int, Counter[str]] = {}
    for text, label in zip(texts, label_arr.tolist(), strict=True):
        if label < 0:
            continue
        words = (w for w in _WORD.findall(text.lower()) if w not in ENGLISH_STOP_WORDS)
        counts.setdefault(int(label), Counter()).update(words)
    if not counts:
        return {}
    total: Counter[str] = Counter()
    for c in counts.values():
        total.update(c)
    mean_words = sum(total.values()) / len(counts)
    result: dict[int, list[str]] = {}
    for label, c in sorted(counts.items()):
        size = sum(c.values()) or 1
        scored = sorted(c, key=lambda w: (-(c[w] / size) * np.log(1 + mean_words / total[w]), w))
        result[label] = scored[:top_n]
    return result
