"""Rank new publications by relevance to an HCP's MeSH profile and by recency: the "new evidence" of a brief.

The profile is the MeSH descriptors of the HCP's own papers, each weighted TF-IDF style: how often it heads
their papers (a major topic counts 1.0, a minor one 0.6, as in the KOL publications component) times its
inverse document frequency over the publications considered, so "Lung Neoplasms" on every paper they wrote
counts for far more than a term every paper carries. Check tags (Humans, Female, Adult...) say nothing about a
topic and are left out. A candidate's relevance is the cosine between its own vector (same weights) and the
profile; its score is relevance x recency, recency halving every `half_life_years` years. The matching terms,
largest contribution first, are the reason shown to the MSL. Pure Python: no Django.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

MAJOR, MINOR = 1.0, 0.6
HALF_LIFE_YEARS = 3.0
MISSING_YEAR_AGE = 10

# MEDLINE check tags and age groups: on most papers, about no topic.
CHECK_TAGS = frozenset(
    {
        "Humans", "Animals", "Male", "Female", "Adult", "Middle Aged", "Aged", "Aged, 80 and over",
        "Young Adult", "Adolescent", "Child", "Child, Preschool", "Infant", "Infant, Newborn", "Mice", "Rats",
        "Pregnancy", "Retrospective Studies", "Prospective Studies", "Treatment Outcome", "Cohort Studies",
        "Cross-Sectional Studies", "Follow-Up Studies", "Risk Factors", "Time Factors",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Candidate:
    """A publication that may be suggested: its id, year and MeSH headings as stored ({ui, name, major})."""

    pmid: int
    year: int | None
    mesh: Sequence[Mapping[str, object]]


@dataclass(frozen=True)
class Ranked:
    """A suggested publication with its score parts and the MeSH terms that matched, best first."""

    pmid: int
    score: float
    relevance: float
    recency: float
    matched: tuple[str, ...] = field(default_factory=tuple)


def _terms(mesh: Iterable[Mapping[str, object]]) -> dict[str, tuple[str, float]]:
    """{ui: (name, weight)} for the topical headings of one paper (a heading listed twice keeps the major)."""
    out: dict[str, tuple[str, float]] = {}
    for heading in mesh or ():
        ui, name = str(heading.get("ui") or ""), str(heading.get("name") or "")
        if not ui or name in CHECK_TAGS:
            continue
        weight = MAJOR if heading.get("major") else MINOR
        if weight > out.get(ui, ("", 0.0))[1]:
            out[ui] = (name, weight)
    return out


def document_frequencies(papers: Iterable[Sequence[Mapping[str, object]]]) -> tuple[Counter[str], int]:
    """How many papers carry each descriptor, and how many papers there were."""
    df: Counter[str] = Counter()
    n = 0
    for mesh in papers:
        n += 1
        df.update(_terms(mesh).keys())
    return df, n


def idf(df: Mapping[str, int], n: int, ui: str) -> float:
    """Smoothed inverse document frequency (never 0, never infinite)."""
    return math.log((1 + n) / (1 + df.get(ui, 0))) + 1.0


def mesh_profile(
    own: Iterable[Sequence[Mapping[str, object]]], df: Mapping[str, int], n: int
) -> dict[str, tuple[str, float]]:
    """{ui: (name, weight)}: term frequency over their own papers x idf, scaled to unit length."""
    tf: dict[str, float] = {}
    names: dict[str, str] = {}
    for mesh in own:
        for ui, (name, weight) in _terms(mesh).items():
            tf[ui] = tf.get(ui, 0.0) + weight
            names[ui] = name
    vector = {ui: t * idf(df, n, ui) for ui, t in tf.items()}
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {ui: (names[ui], v / norm) for ui, v in vector.items()}


def recency(year: int | None, as_of_year: int, half_life: float = HALF_LIFE_YEARS) -> float:
    """0.5 ** (age / half-life); a missing year counts as MISSING_YEAR_AGE old, a future one as this year."""
    age = MISSING_YEAR_AGE if year is None else max(0, as_of_year - year)
    return 0.5 ** (age / half_life)


def rank(
    profile: Mapping[str, tuple[str, float]],
    candidates: Iterable[Candidate],
    df: Mapping[str, int],
    n: int,
    *,
    as_of_year: int,
    exclude: frozenset[int] = frozenset(),
    top: int = 5,
) -> list[Ranked]:
    """The `top` candidates by relevance x recency (ties: newer, then higher PMID); none without a shared term."""
    if not profile:
        return []
    ranked: list[Ranked] = []
    for cand in candidates:
        if cand.pmid in exclude:
            continue
        terms = _terms(cand.mesh)
        shared = terms.keys() & profile.keys()
        if not shared:
            continue
        vector = {ui: w * idf(df, n, ui) for ui, (_, w) in terms.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        parts = {ui: vector[ui] / norm * profile[ui][1] for ui in shared}
        relevance = sum(parts.values())
        fresh = recency(cand.year, as_of_year)
        matched = tuple(profile[ui][0] for ui in sorted(parts, key=lambda u: (-parts[u], profile[u][0])))
        ranked.append(
            Ranked(cand.pmid, round(relevance * fresh, 6), round(relevance, 6), round(fresh, 6), matched)
        )
    ranked.sort(key=lambda r: (-r.score, -(r.pmid)))
    return ranked[:top]
