"""Identity resolution of PubMed authors: which author instances on which articles are the same person.

The method, in four steps (docs/pipelines.md, "Identity resolution", says the same for users):

1. Blocking. Only instances with the same normalised surname and first initial are compared
   (`names.block_key`), so the work is quadratic in the size of a block, not of the input.
2. Pairwise evidence. For two instances in a block, `pair_features` measures: fore-name agreement (equal,
   nickname, prefix, initial-only, conflict), middle initials, the exact surname spelling, e-mail, the
   similarity of affiliations (TF-IDF cosine over institution tokens), the countries of the affiliations
   (`places.countries`: same, different or unknown), shared co-authors (surname + first initial), MeSH and
   title-word overlap (TF-IDF cosine), same journal, shared grant, the year gap (log and linear), and two
   bare initials on articles from before 2002, when PubMed recorded no full fore names.
3. Probability. A logistic model turns the features into a same-person probability; its weights are the
   constant table `WEIGHTS`, fitted on the development part of the public gold standard of Vishnyakova et
   al. (JAMIA 2019) plus an ORCID silver standard (`silver.py`) by bench/author_nested.py (ridge on
   standardised features, converted back to raw-scale weights) and pasted here, so nothing is loaded at run
   time. ORCID overrides the
   model: equal ORCIDs mean the same person (probability 1), different ORCIDs different people (0, and a
   cannot-link constraint in clustering). A known suffix conflict (Jr versus Sr) adds a hand-set penalty.
4. Clustering. Agglomerative clustering with average linkage over the probabilities, stopping when the best
   average falls below `threshold` (0.75: merging two KOLs misleads every score, splitting one costs less),
   never merging two clusters that hold different ORCIDs or two authors of one article (two co-authors
   with the same surname and initial, "Shen Di" and "Shen Daguang", share everything else and were merged).

Confidence of an assignment: for an instance in a cluster of two or more, the mean probability that it is
the same person as each other member; for a singleton, one minus the highest probability that it is any
other instance of its block (1.0 when it is alone in its block). person_id: "P" + 16 hex digits of SHA-1 over the cluster's ORCID when it has
exactly one, else over its earliest instance (smallest PMID, then position), so the same input always gives
the same ids.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from ..outputs import ParquetSink
from ..records import Article, Author
from .names import (
    FirstName,
    GivenName,
    Middle,
    coauthor_key,
    compare_first,
    compare_middle,
    fold,
    normalise_surname,
    parse_given_name,
)
from .places import countries

# ---------------------------------------------------------------------------------------------------------
# The model. Fitted by `python bench/author_nested.py` (logistic regression, ridge penalty 1.0 on standardised
# features, weights converted back to the raw feature scale so that scoring needs no scaler) on the
# development parts only: 1,050 gold pairs (Vishnyakova et al.) and 2,299 ORCID silver pairs weighted 0.25
# each (silver pairs are easy and many; a full weight drowned the gold pairs' precision). The training data,
# the silver weight and the threshold were chosen by inner cross-validation folds for precision >= 0.96 on
# both sources; docs/benchmarks.md has the nested and locked-test figures. The silver pairs come from the
# Alzheimer's literature, where almost every pair shares MeSH headings and journals: that is why the MeSH
# cosine weighs much less than before (0.7, was 10.6) and a same journal counts against (the title cosine
# and the journal-title cosine still count for). Pairs of one article are left out of the fit: the resolver
# never asks the model about them (see `pair_probability`).
# ---------------------------------------------------------------------------------------------------------

FEATURES: tuple[str, ...] = (
    "first_equal",
    "first_nickname",
    "first_prefix",
    "first_conflict",
    "first_both_initials",
    "middle_equal",
    "middle_prefix",
    "middle_conflict",
    "surname_spelled_differently",
    "email_equal",
    "affiliation_cosine",
    "affiliation_missing",
    "coauthors_shared",
    "mesh_cosine",
    "title_cosine",
    "journal_equal",
    "grant_shared",
    "year_gap",
    "year_missing",
    "surname_commonness",
    "block_commonness",
    "first_equal_x_commonness",
    "journal_cosine",
    "team_affiliation_cosine",
    "language_equal",
    "country_equal",
    "country_conflict",
    "year_gap_decades",
    "coauthors_any",
    "both_initials_pre_2002",
)

# Evidence the training pairs show too rarely to fit (their middle initials always agree, no two share an
# e-mail, no conflicting first name is a YES): hand-set from what the evidence means and kept out of the fit.
# Conflicting names are strong negative evidence, a shared e-mail strong positive; nickname ~ first_equal.
HAND_SET: dict[str, float] = {
    "first_conflict": -4.0,
    "middle_conflict": -6.0,
    "email_equal": 3.0,
    "first_nickname": 1.4,
}

INTERCEPT = 0.109
WEIGHTS: dict[str, float] = {
    "first_equal": 1.7027,
    "first_prefix": -2.8095,
    "first_both_initials": 0.6371,
    "middle_equal": 1.5024,
    "middle_prefix": 1.2433,
    "surname_spelled_differently": 1.4174,
    "affiliation_cosine": 3.9754,
    "affiliation_missing": 1.3278,
    "coauthors_shared": -0.7821,
    "mesh_cosine": 0.6988,
    "title_cosine": 11.3116,
    "journal_equal": -1.5137,
    "grant_shared": 1.2988,
    "year_gap": 0.653,
    "year_missing": 0.0,
    "surname_commonness": -1.3952,
    "block_commonness": -0.0756,
    "first_equal_x_commonness": 0.2715,
    "journal_cosine": 3.6506,
    "team_affiliation_cosine": 3.7802,
    "language_equal": -0.0844,
    "country_equal": -0.604,
    "country_conflict": -1.2407,
    "year_gap_decades": -0.8695,
    "coauthors_any": 2.3351,
    "both_initials_pre_2002": 0.6183,
} | HAND_SET

SUFFIX_CONFLICT_PENALTY = -4.0  # hand-set: "Jr" and "Sr" on the same name are usually father and son
# Chosen with the weights by cross-validation on the development parts: the threshold with the best F1 (the
# worse of gold and silver) among those keeping precision >= 0.96 on both. At 0.5 the old model's
# precision was 0.943 out of sample on gold pairs (and 0.838 on the unseen gold test pairs).
DEFAULT_THRESHOLD = 0.75
# PubMed records initials only before 2002 (full fore names from then on): two bare initials on older
# articles are what the era gives, not a sign that a journal or an author withheld the name.
FULL_NAMES_SINCE = 2002
MIN_COMMONNESS_BASE = 50_000
MAX_BLOCK = 3000  # larger blocks are split by spelled-out first name to stay tractable (see `_sub_blocks`)


@dataclass(frozen=True, slots=True)
class PairModel:
    """Logistic same-person model: intercept plus one weight per feature name in FEATURES."""

    intercept: float
    weights: dict[str, float]

    def probability(self, features: dict[str, float]) -> float:
        z = self.intercept + sum(self.weights.get(name, 0.0) * value for name, value in features.items())
        return 1.0 / (1.0 + math.exp(-max(-35.0, min(35.0, z))))


DEFAULT_MODEL = PairModel(INTERCEPT, WEIGHTS)


@dataclass(frozen=True, slots=True)
class Assignment:
    """One author instance assigned to a person (a row of authorships.parquet)."""

    pmid: str
    author_position: int  # 1-based, as in the article's author list
    last_name: str
    fore_name: str
    initials: str
    person_id: str
    confidence: float


# ---------------------------------------------------------------------------------------------------------
# Instances: an author instance with everything the pairwise comparison needs, prepared once.
# ---------------------------------------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_TOKEN = re.compile(r"[a-z][a-z0-9]+")
# Words that carry no identity in a title or an affiliation. Generic institution words ("university") still
# say something, and IDF weights them down anyway.
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "into",
        "that",
        "this",
        "are",
        "was",
        "were",
        "its",
        "their",
        "our",
        "using",
        "use",
        "used",
        "between",
        "among",
        "after",
        "before",
        "during",
        "under",
        "over",
        "than",
        "via",
        "not",
        "but",
        "all",
        "any",
        "can",
        "may",
        "has",
        "have",
        "had",
        "been",
        "who",
        "which",
        "when",
        "where",
        "what",
        "department",
        "dept",
        "division",
        "unit",
        "section",
        "faculty",
        "school",
        "college",
        "laboratory",
        "lab",
        "service",
        "services",
        "centre",
        "center",
        "institute",
        "program",
        "programme",
        "street",
        "road",
        "avenue",
        "box",
        "building",
        "floor",
        "suite",
        "usa",
        "email",
        "electronic",
        "address",
    ]
)


@dataclass(slots=True)
class _ArticleContext:
    pmid_key: tuple[int, str]
    journal: str
    year: int | None
    mesh: dict[str, float]
    title: dict[str, float]
    grants: frozenset[str]
    journal_words: dict[str, float]
    team_affiliation: dict[str, float]  # every affiliation on the article: where the team works
    language: str
    coauthor_keys: frozenset[str]  # surname + first initial of every person author
    countries: frozenset[str]  # every country named in the article's affiliations (`places.countries`)


@dataclass(slots=True)
class Instance:
    """An author instance prepared for comparison; built by `build_instances`."""

    pmid: str
    position: int
    last_name: str
    fore_name: str
    initials: str
    suffix: str
    given: GivenName
    surname_key: str
    surname_exact: str
    block: str
    orcid: str
    emails: frozenset[str]
    affiliation: dict[str, float]
    article: _ArticleContext
    surname_commonness: float = 0.0  # log(1 + 100,000 x share of the input's instances with this surname)
    block_commonness: float = 0.0  # the same for surname + first initial
    # Countries of the author's own affiliations, else of the whole team's (older records give an affiliation
    # for the first author only, and a team is usually in one or two countries).
    countries: frozenset[str] = frozenset()

    @property
    def sort_key(self) -> tuple[int, str, int]:
        return (*self.article.pmid_key, self.position)


def _pmid_key(pmid: str) -> tuple[int, str]:
    return (int(pmid), pmid) if pmid.isdigit() else (1 << 62, pmid)


def _tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(fold(_EMAIL.sub(" ", text))) if t not in _STOP]


def _text_terms(article: Article) -> Counter[str]:
    """Words of the title and abstract plus whole keywords: what the article is about, in its own words."""
    return Counter(_tokens(f"{article.title} {article.abstract}")) + Counter(
        fold(k) for k in article.keywords
    )


def _normalise_orcid(raw: str) -> str:
    digits = re.sub(r"[^0-9Xx]", "", raw.rsplit("/", 1)[-1]).upper()
    return digits if len(digits) == 16 else ""


def _tfidf(counts: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    vec = {t: n * idf.get(t, 0.0) for t, n in counts.items()}
    norm = math.sqrt(sum(v * v for v in vec.values()))
    return {t: v / norm for t, v in vec.items()} if norm else {}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


def _idf(doc_freq: Counter[str], n_docs: int) -> dict[str, float]:
    return {t: math.log((1 + n_docs) / (1 + df)) + 1.0 for t, df in doc_freq.items()}


def build_instances(articles: Iterable[Article]) -> list[Instance]:
    """Turn articles into comparable author instances (persons only: collective names are skipped).

    Two passes over the materialised articles: the first counts document frequencies for the TF-IDF
    vectors (MeSH, title words, affiliation tokens), the second builds the instances.
    """
    kept: list[Article] = []
    mesh_df: Counter[str] = Counter()
    title_df: Counter[str] = Counter()
    affil_df: Counter[str] = Counter()
    journal_df: Counter[str] = Counter()
    n_affil = 0
    for article in articles:
        if article.deleted or not any(a.is_person for a in article.authors):
            continue
        kept.append(article)
        mesh_df.update({m.descriptor_ui or m.descriptor for m in article.mesh})
        title_df.update(set(_text_terms(article)))
        journal_df.update(set(_tokens(article.journal)))
        for author in article.authors:
            if author.affiliations:
                n_affil += 1
                affil_df.update(set(_tokens(" ".join(author.affiliations))))
    mesh_idf, title_idf = _idf(mesh_df, len(kept)), _idf(title_df, len(kept))
    affil_idf = _idf(affil_df, n_affil)
    journal_idf = _idf(journal_df, len(kept))

    instances: list[Instance] = []
    for article in kept:
        people = [a for a in article.authors if a.is_person]
        keys = frozenset(coauthor_key(a.last_name, a.fore_name, a.initials) for a in people)
        context = _ArticleContext(
            pmid_key=_pmid_key(article.pmid),
            journal=fold(article.journal or article.journal_iso or article.issn).strip(),
            year=article.year,
            mesh=_tfidf(Counter({m.descriptor_ui or m.descriptor for m in article.mesh}), mesh_idf),
            title=_tfidf(_text_terms(article), title_idf),
            grants=frozenset(
                re.sub(r"[^A-Z0-9]", "", g.grant_id.upper()) for g in article.grants if g.grant_id
            ),
            coauthor_keys=keys,
            journal_words=_tfidf(Counter(_tokens(article.journal)), journal_idf),
            team_affiliation=_tfidf(
                Counter(_tokens(" ".join(aff for a in article.authors for aff in a.affiliations))), affil_idf
            ),
            language=article.language,
            countries=frozenset().union(*(countries(aff) for a in article.authors for aff in a.affiliations)),
        )
        for author in people:
            instances.append(_instance(article, author, context, affil_idf))
    # How common a name is decides how much a name match is worth: two "Polkinghorn B" are probably one
    # person, two "Wang J" probably not. Shares (not counts) keep the scale the same for any input size.
    surnames = Counter(i.surname_key for i in instances)
    blocks = Counter(i.block for i in instances)
    # Against at least MIN_COMMONNESS_BASE instances: in a handful of articles every name would look common.
    scale = 100_000 / max(MIN_COMMONNESS_BASE, len(instances))
    for inst in instances:
        inst.surname_commonness = math.log1p(scale * surnames[inst.surname_key])
        inst.block_commonness = math.log1p(scale * blocks[inst.block])
    instances.sort(key=lambda i: i.sort_key)
    return instances


def _instance(
    article: Article, author: Author, context: _ArticleContext, affil_idf: dict[str, float]
) -> Instance:
    given = parse_given_name(author.fore_name, author.initials)
    surname_key = normalise_surname(author.last_name)
    own_key = f"{surname_key} {given.first_initial}"
    affiliation_text = " ".join(author.affiliations)
    emails = {e.lower().rstrip(".") for e in author.emails} | {
        e.lower().rstrip(".") for e in _EMAIL.findall(affiliation_text)
    }
    own_countries = frozenset().union(*(countries(aff) for aff in author.affiliations))
    return Instance(
        pmid=article.pmid,
        position=author.position,
        last_name=author.last_name,
        fore_name=author.fore_name,
        initials=author.initials,
        suffix=fold(author.suffix).strip(". "),
        given=given,
        surname_key=surname_key,
        surname_exact=fold(author.last_name).strip(),
        block=own_key,
        orcid=_normalise_orcid(author.orcid),
        emails=frozenset(emails),
        affiliation=_tfidf(Counter(_tokens(affiliation_text)), affil_idf),
        article=context,
        countries=own_countries or context.countries,
    )


# ---------------------------------------------------------------------------------------------------------
# Pairwise evidence.
# ---------------------------------------------------------------------------------------------------------


def pair_features(a: Instance, b: Instance) -> dict[str, float]:
    """The evidence that two instances of one block are the same person, as named numeric features."""
    first = compare_first(a.given, b.given)
    middle = compare_middle(a.given, b.given)
    f: dict[str, float] = dict.fromkeys(FEATURES, 0.0)
    f["first_equal"] = float(first is FirstName.EQUAL)
    f["first_nickname"] = float(first is FirstName.NICKNAME)
    f["first_prefix"] = float(first is FirstName.PREFIX)
    f["first_conflict"] = float(first is FirstName.CONFLICT)
    f["first_both_initials"] = float(first is FirstName.INITIAL and not a.given.first and not b.given.first)
    f["middle_equal"] = float(middle is Middle.EQUAL)
    f["middle_prefix"] = float(middle is Middle.PREFIX)
    f["middle_conflict"] = float(middle is Middle.CONFLICT)
    f["surname_spelled_differently"] = float(a.surname_exact != b.surname_exact)
    f["email_equal"] = float(bool(a.emails & b.emails))
    if a.affiliation and b.affiliation:
        f["affiliation_cosine"] = _cosine(a.affiliation, b.affiliation)
    else:
        f["affiliation_missing"] = 1.0
    # Both instances share the block key, which is in both key sets: it is not a shared co-author.
    shared = len(a.article.coauthor_keys & b.article.coauthor_keys) - 1
    f["coauthors_shared"] = math.log1p(shared)
    f["coauthors_any"] = float(shared > 0)  # the first shared co-author says most; more add little
    f["mesh_cosine"] = _cosine(a.article.mesh, b.article.mesh)
    f["title_cosine"] = _cosine(a.article.title, b.article.title)
    f["journal_equal"] = float(bool(a.article.journal) and a.article.journal == b.article.journal)
    f["grant_shared"] = float(bool(a.article.grants & b.article.grants))
    if a.article.year is not None and b.article.year is not None:
        gap = abs(a.article.year - b.article.year)
        # Both shapes: the log says a few years matter most, the linear term that careers end.
        f["year_gap"] = math.log1p(gap)
        f["year_gap_decades"] = gap / 10
        f["both_initials_pre_2002"] = f["first_both_initials"] * float(
            max(a.article.year, b.article.year) < FULL_NAMES_SINCE
        )
    else:
        f["year_missing"] = 1.0
    f["surname_commonness"] = a.surname_commonness  # equal for both: same surname key
    f["block_commonness"] = a.block_commonness
    f["first_equal_x_commonness"] = f["first_equal"] * a.surname_commonness
    f["journal_cosine"] = _cosine(a.article.journal_words, b.article.journal_words)
    f["team_affiliation_cosine"] = _cosine(a.article.team_affiliation, b.article.team_affiliation)
    f["language_equal"] = float(bool(a.article.language) and a.article.language == b.article.language)
    if a.countries and b.countries:
        same_country = bool(a.countries & b.countries)
        f["country_equal"] = float(same_country)
        f["country_conflict"] = float(not same_country)
    return f


def pair_probability(a: Instance, b: Instance, model: PairModel = DEFAULT_MODEL) -> float:
    """Same-person probability of two instances: ORCID decides when both have one, else the model.

    Two authors of one article are two people (probability 0): PubMed lists a person once per article.
    """
    if a.pmid == b.pmid:
        return 0.0
    if a.orcid and b.orcid:
        return 1.0 if a.orcid == b.orcid else 0.0
    p = model.probability(pair_features(a, b))
    if a.suffix and b.suffix and a.suffix != b.suffix:
        p = 1.0 / (1.0 + math.exp(-(math.log(p / (1 - p)) + SUFFIX_CONFLICT_PENALTY))) if 0 < p < 1 else p
    return p


# ---------------------------------------------------------------------------------------------------------
# Clustering.
# ---------------------------------------------------------------------------------------------------------


def _sub_blocks(block: list[Instance], max_block: int) -> list[list[Instance]]:
    """Split an oversized block ("wang j") by spelled-out first name so that each part stays tractable.

    Instances with only initials form their own part; they are the ones whose identity is least certain
    anyway, and the split costs some recall on them.
    """
    if len(block) <= max_block:
        return [block]
    parts: dict[str, list[Instance]] = defaultdict(list)
    for inst in block:
        parts[inst.given.full or inst.given.first or ""].append(inst)
    return [parts[k] for k in sorted(parts)]


def _cluster_block(
    block: Sequence[Instance], model: PairModel, threshold: float
) -> tuple[list[list[int]], list[list[float]]]:
    """Average-linkage clustering of one block; returns clusters (indices) and the probability matrix."""
    n = len(block)
    prob = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            prob[i][j] = prob[j][i] = pair_probability(block[i], block[j], model)
    return agglomerate(
        prob, [inst.orcid for inst in block], threshold, articles_of=[i.pmid for i in block]
    ), prob


def agglomerate(
    prob: Sequence[Sequence[float]],
    orcids_of: Sequence[str],
    threshold: float,
    floor: float = 0.0,
    articles_of: Sequence[str] | None = None,
) -> list[list[int]]:
    """Average-linkage clustering of a symmetric probability matrix (indices 0..n-1) with cannot-links.

    Merges the pair of clusters with the highest average cross probability while it is at least `threshold`;
    two clusters holding different ORCIDs are never merged, nor two clusters that hold instances of one
    article (`articles_of`: an author list names a person once), nor two clusters with any cross pair below
    `floor` (strong evidence against one pair is not outvoted by the others; tried by the benchmark, no gain,
    so the resolver leaves it at 0). Public so that a benchmark can cluster probabilities it computed itself
    (a candidate model) exactly as the resolver does.
    """
    n = len(prob)
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    orcids: dict[int, frozenset[str]] = {i: frozenset({orcids_of[i]} - {""}) for i in range(n)}
    papers: dict[int, frozenset[str]] = {
        i: frozenset({articles_of[i]} if articles_of is not None else ()) for i in range(n)
    }
    # link[c][d]: summed probability over all cross pairs of clusters c and d.
    link: dict[int, dict[int, float]] = {i: {j: prob[i][j] for j in range(n) if j != i} for i in range(n)}
    # low[c][d]: the lowest probability over the cross pairs (only kept when a floor is set).
    low: dict[int, dict[int, float]] = (
        {i: {j: prob[i][j] for j in range(n) if j != i} for i in range(n)} if floor > 0 else {}
    )
    heap = [
        (-prob[i][j], i, j)
        for i in range(n)
        for j in range(i + 1, n)
        if prob[i][j] >= threshold and prob[i][j] >= floor
    ]
    heapq.heapify(heap)
    next_id = n
    while heap:
        neg, c, d = heapq.heappop(heap)
        if c not in members or d not in members:
            continue  # stale entry: one side was merged already
        if orcids[c] and orcids[d] and orcids[c] != orcids[d]:
            continue  # cannot-link: two different ORCIDs are two people
        if papers[c] & papers[d]:
            continue  # cannot-link: two authors of one article are two people
        k = next_id
        next_id += 1
        members[k] = members.pop(c) + members.pop(d)
        orcids[k] = orcids.pop(c) | orcids.pop(d)
        papers[k] = papers.pop(c) | papers.pop(d)
        link_c, link_d = link.pop(c), link.pop(d)
        link[k] = {}
        low_c, low_d = (low.pop(c), low.pop(d)) if low else ({}, {})
        if low:
            low[k] = {}
        for m in members:
            if m == k:
                continue
            total = link_c.get(m, 0.0) + link_d.get(m, 0.0)
            link[m].pop(c, None)
            link[m].pop(d, None)
            link[m][k] = link[k][m] = total
            lowest = 1.0
            if low:
                lowest = min(low_c.get(m, 1.0), low_d.get(m, 1.0))
                low[m].pop(c, None)
                low[m].pop(d, None)
                low[m][k] = low[k][m] = lowest
            average = total / (len(members[k]) * len(members[m]))
            if average >= threshold and lowest >= floor:
                heapq.heappush(heap, (-average, min(k, m), max(k, m)))
    return [sorted(m) for m in members.values()]


def _person_id(cluster: Sequence[Instance]) -> str:
    orcids = {i.orcid for i in cluster} - {""}
    if len(orcids) == 1:
        basis = "orcid:" + orcids.pop()
    else:
        first = min(cluster, key=lambda i: i.sort_key)
        basis = f"pubmed:{first.pmid}:{first.position}"
    return "P" + hashlib.sha1(basis.encode("utf-8")).hexdigest()[:16]


def resolve_instances(
    instances: Sequence[Instance],
    *,
    model: PairModel = DEFAULT_MODEL,
    threshold: float = DEFAULT_THRESHOLD,
    max_block: int = MAX_BLOCK,
) -> list[Assignment]:
    """Cluster prepared instances into persons (see the module docstring for the method)."""
    blocks: dict[str, list[Instance]] = defaultdict(list)
    for inst in instances:
        blocks[inst.block].append(inst)
    out: list[Assignment] = []
    for key in sorted(blocks):
        for block in _sub_blocks(sorted(blocks[key], key=lambda i: i.sort_key), max_block):
            clusters, prob = _cluster_block(block, model, threshold)
            for cluster in clusters:
                people = [block[i] for i in cluster]
                person_id = _person_id(people)
                for i in cluster:
                    out.append(_assignment(block[i], person_id, _confidence(i, cluster, prob, block)))
    out.sort(key=lambda a: (*_pmid_key(a.pmid), a.author_position))
    return out


def _confidence(i: int, cluster: list[int], prob: list[list[float]], block: Sequence[Instance]) -> float:
    if len(cluster) > 1:
        return sum(prob[i][j] for j in cluster if j != i) / (len(cluster) - 1)
    others = [prob[i][j] for j in range(len(block)) if j != i]
    return 1.0 - max(others) if others else 1.0


def _assignment(inst: Instance, person_id: str, confidence: float) -> Assignment:
    return Assignment(
        pmid=inst.pmid,
        author_position=inst.position,
        last_name=inst.last_name,
        fore_name=inst.fore_name,
        initials=inst.initials,
        person_id=person_id,
        confidence=round(confidence, 4),
    )


def resolve_authors(
    articles: Iterable[Article], *, model: PairModel = DEFAULT_MODEL, threshold: float = DEFAULT_THRESHOLD
) -> list[Assignment]:
    """Cluster the author instances of `articles` into persons, one Assignment per person author instance.

    Deterministic: the same articles give the same person ids and confidences, whatever their order.
    """
    return resolve_instances(build_instances(articles), model=model, threshold=threshold)


# ---------------------------------------------------------------------------------------------------------
# Output.
# ---------------------------------------------------------------------------------------------------------

AUTHORSHIPS_SCHEMA = pa.schema(
    [
        pa.field("pmid", pa.int64(), nullable=False),
        pa.field("author_position", pa.int32(), nullable=False),
        pa.field("last_name", pa.string(), nullable=False),
        pa.field("fore_name", pa.string(), nullable=False),
        pa.field("initials", pa.string(), nullable=False),
        pa.field("person_id", pa.string(), nullable=False),
        pa.field("confidence", pa.float64(), nullable=False),
    ]
)


def write_authorships(assignments: Iterable[Assignment], path: Path | str) -> int:
    """Write assignments to `path` (authorships.parquet, schema AUTHORSHIPS_SCHEMA); returns rows written."""
    with ParquetSink(path, AUTHORSHIPS_SCHEMA) as sink:
        for a in assignments:
            sink.write(
                {
                    "pmid": int(a.pmid),
                    "author_position": a.author_position,
                    "last_name": a.last_name,
                    "fore_name": a.fore_name,
                    "initials": a.initials,
                    "person_id": a.person_id,
                    "confidence": a.confidence,
                }
            )
    return sink.rows
