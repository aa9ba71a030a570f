"""Weighted PageRank on the co-author graph through the person x paper incidence matrix (docs/kol-scores.md).

The co-author graph of a large area has hundreds of millions of edges (a paper with n authors makes
n(n-1)/2); its incidence matrix has one entry per authorship. With Newman's weight 1/(n_p - 1) per shared
paper, a person's strength is their number of multi-author papers and the walk's step is two sparse products,
so PageRank runs on the incidence alone and never materialises an edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass
class PageRankResult:
    """PageRank and, for every incidence entry (person, paper), what flowed to the person through that paper."""

    pagerank: np.ndarray  # one value per person, sums to 1
    flow: np.ndarray  # aligned with the incidence entries given: d * (y_p - x_i) / (n_p - 1)
    baseline: float  # (1 - d) / N + d * dangling / N: what every person receives whatever their papers
    iterations: int
    converged: bool


def incidence_pagerank(
    person: np.ndarray,
    paper: np.ndarray,
    n_persons: int,
    *,
    damping: float = 0.85,
    max_iterations: int = 100,
    tolerance: float = 1e-10,
) -> PageRankResult:
    """PageRank of `n_persons` people from incidence entries (person[k], paper[k]) of multi-author papers.

    Entries must be distinct pairs, and every paper must have at least two of them (a single-author paper
    links nobody); persons with no entry are dangling nodes whose rank is spread evenly, as networkx does.
    Iterates `PR_i = (1-d)/N + d (sum_{p in i} (y_p - x_i)/(n_p - 1) + dangling/N)` with `x = PR/s`, `y = B^T x`
    until the L1 change is below `tolerance`. The returned pagerank is one step past the last iterate, the
    step whose per-paper terms are `flow`, so that `pagerank = baseline + sum of flows` holds exactly.
    """
    person = np.asarray(person, dtype=np.int64)
    paper = np.asarray(paper, dtype=np.int64)
    if n_persons == 0:
        return PageRankResult(np.zeros(0), np.zeros(0), 0.0, 0, True)
    n_papers = int(paper.max()) + 1 if paper.size else 0
    ones = np.ones(person.size, dtype=np.float64)
    b = sp.csr_matrix((ones, (person, paper)), shape=(n_persons, n_papers))
    bt = b.T.tocsr()
    strength = np.asarray(b.sum(axis=1)).ravel()  # s_i: multi-author papers of i
    authors = np.asarray(b.sum(axis=0)).ravel()  # n_p
    if np.any(authors[np.unique(paper)] < 2):
        raise ValueError("every paper in the incidence needs at least two distinct persons")
    inv = np.divide(1.0, authors - 1.0, out=np.zeros_like(authors), where=authors > 1)
    c = b @ inv  # sum over i's papers of 1/(n_p - 1)
    dangling_mask = strength == 0
    inv_strength = np.divide(1.0, strength, out=np.zeros_like(strength), where=strength > 0)
    d, n = damping, float(n_persons)

    def step(pr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        x = pr * inv_strength
        y = bt @ x
        base = (1.0 - d) / n + d * float(pr[dangling_mask].sum()) / n
        return base + d * (b @ (y * inv) - x * c), x, y, base

    pr = np.full(n_persons, 1.0 / n)
    iterations, converged = 0, False
    while iterations < max_iterations:
        new, *_ = step(pr)
        iterations += 1
        change = float(np.abs(new - pr).sum())
        pr = new
        if change < tolerance:
            converged = True
            break
    final, x, y, base = step(pr)
    flow = d * (y[paper] - x[person]) * inv[paper]
    return PageRankResult(final, flow, base, iterations, converged)
