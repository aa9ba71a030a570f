"""Author disambiguation benchmark: identity resolution against a public gold standard of PubMed author pairs.

Gold standard: Vishnyakova, Rodriguez-Esteban, Rinaldi, "A new approach and gold standard toward author
disambiguation in MEDLINE", JAMIA 2019 (doi:10.1093/jamia/ocz028), training part: 1,500 pairs of author
instances labelled same person YES/NO, with the efetch XML of every article. Evaluation only: it is read from
../shared/data/author_disambiguation and never copied into the repository.

What it does:
1. Reads the pairs (';'-separated, UTF-8, CRLF), counts the rows without a label, and loads every article.
   Files that are not articles (empty, an HTML error page, an eFetchResult error) are counted and named.
2. Finds each pair's two author instances in their articles (surname and initials; the CSV carries mangled
   non-ASCII letters, "Pioru?ska", so the surname match is fuzzy).
3. Cross-validation (5 folds grouped by name block, so that no name is in training and test at once): fits
   the logistic weights on four folds, runs `resolve_instances` over ALL the articles together with those
   weights, and predicts a held-out pair "same person" iff both instances got the same person_id. The
   out-of-fold precision, recall and F1 are the headline figures.
4. Also reports the shipped weights and the baseline "same normalised surname + first initial => same
   person", with timings.

The shipped weights and threshold are no longer chosen here: bench/author_nested.py fits them on development
parts of these pairs and of an ORCID silver standard and scores locked test parts (docs/benchmarks.md). This
script remains the quick gold-only check at the shipped threshold; the shipped weights saw 70% of these pairs.

Run: `python bench/author_disambiguation.py` (prints the table), `--fit` also prints gold-only weights.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import math
import sys
import tarfile
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from liaison_pipelines.inputs import SkippedInput  # noqa: E402
from liaison_pipelines.records import Article  # noqa: E402
from liaison_pipelines.resolve.authors import (  # noqa: E402
    DEFAULT_MODEL,
    DEFAULT_THRESHOLD,
    FEATURES,
    HAND_SET,
    Instance,
    PairModel,
    build_instances,
    pair_features,
    resolve_instances,
)
from liaison_pipelines.resolve.names import fold, normalise_surname, parse_given_name  # noqa: E402
from liaison_pipelines.sources.pubmed import iter_articles  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "author_disambiguation"
FOLDS = 5
L2 = 1.0  # ridge penalty of the logistic fit, per weight on standardised features (intercept not penalised)


@dataclass(frozen=True, slots=True)
class Pair:
    pmid1: str
    last1: str
    initials1: str
    pmid2: str
    last2: str
    initials2: str
    same: bool


@dataclass
class Corpus:
    pairs: list[Pair]
    unusable_rows: int  # rows without a YES/NO label
    unusable_without_pmid2: int  # of those, rows with no second PMID at all
    articles: list[Article]
    skipped_files: dict[str, str]  # file name -> reason
    load_seconds: float


def read_pairs(path: Path) -> tuple[list[Pair], int, int]:
    """Labelled pairs, the number of unlabelled rows and how many of those lack a second PMID."""
    pairs: list[Pair] = []
    unusable = no_pmid2 = 0
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter=";")
        next(reader)
        for row in reader:
            label = row[8].strip().upper() if len(row) > 8 else ""
            if label not in ("YES", "NO") or not row[4].strip():
                unusable += 1
                no_pmid2 += not row[4].strip()
                continue
            pairs.append(Pair(row[0].strip(), row[1], row[2], row[4].strip(), row[5], row[6], label == "YES"))
    return pairs, unusable, no_pmid2


def load_articles(directory: Path) -> tuple[list[Article], dict[str, str]]:
    """Every article of the gold standard through the PubMed parser; broken files counted with reasons."""
    articles: list[Article] = []
    skipped: dict[str, str] = {}
    for path in sorted(directory.glob("*.xml")):
        try:
            found = list(iter_articles(path))
        except SkippedInput as exc:
            skipped[path.name] = exc.reason
            continue
        if not found:
            skipped[path.name] = "no PubmedArticle in the file (an eFetchResult error?)"
        articles.extend(found)
    return articles, skipped


def load_corpus(data: Path = DATA) -> Corpus:
    """Pairs and articles of the gold standard (the archive is unpacked into a temporary directory)."""
    started = time.perf_counter()
    pairs, unusable, no_pmid2 = read_pairs(data / "1500_pairs_train.csv")
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(data / "articles_train_pairs.tar.gz") as tar:
            tar.extractall(tmp, filter="data")
        articles, skipped = load_articles(Path(tmp) / "articles")
    return Corpus(pairs, unusable, no_pmid2, articles, skipped, time.perf_counter() - started)


# ---------------------------------------------------------------------------------------------------------
# Finding the pair's instances.
# ---------------------------------------------------------------------------------------------------------


def _loose(name: str) -> str:
    return "".join(ch for ch in fold(name) if ch.isalpha() or ch in "?\ufffd")


def find_instance(
    by_article: dict[str, list[Instance]], pmid: str, last: str, initials: str
) -> Instance | None:
    """The author instance of `pmid` that the CSV names (last name + initials), or None."""
    best: tuple[float, ...] | None = None
    found = None
    want_initials = "".join(parse_given_name("", initials).initials)
    for inst in by_article.get(pmid, []):
        ratio = difflib.SequenceMatcher(None, _loose(last), _loose(inst.last_name)).ratio()
        if ratio < 0.75:
            continue
        score = (
            float(normalise_surname(last) == inst.surname_key),
            float(inst.given.initials == want_initials),
            float(inst.given.first_initial == want_initials[:1]),
            ratio,
        )
        if best is None or score > best:
            best, found = score, inst
    return found


# ---------------------------------------------------------------------------------------------------------
# A small logistic regression (Newton's method with a ridge penalty), pure Python: 19 features, 1.5k rows.
# ---------------------------------------------------------------------------------------------------------


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    n = len(vector)
    a = [row[:] + [vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(n):
            if r != col and a[r][col]:
                factor = a[r][col] / a[col][col]
                a[r] = [x - factor * y for x, y in zip(a[r], a[col], strict=True)]
    return [a[i][n] / a[i][i] for i in range(n)]


def fit_logistic(rows: Sequence[dict[str, float]], labels: Sequence[bool], l2: float = L2) -> PairModel:
    """Fit intercept and FEATURES weights by maximum penalised likelihood.

    The features are standardised (training mean and standard deviation) before the fit, so that one ridge
    penalty treats a cosine in [0, 1] and a year gap in decades alike; the weights are then converted back
    to the raw scale, so the shipped PairModel scores raw features. Hand-set evidence enters as an offset.
    """
    names = [name for name in FEATURES if name not in HAND_SET]
    n = max(len(rows), 1)
    means = [sum(row[name] for row in rows) / n for name in names]
    sds = [
        math.sqrt(sum((row[name] - mu) ** 2 for row in rows) / n) or 1.0
        for name, mu in zip(names, means, strict=True)
    ]
    xs = [
        [1.0] + [(row[name] - mu) / sd for name, mu, sd in zip(names, means, sds, strict=True)]
        for row in rows
    ]
    offsets = [sum(weight * row.get(name, 0.0) for name, weight in HAND_SET.items()) for row in rows]
    ys = [1.0 if y else 0.0 for y in labels]
    k = len(names) + 1
    beta = [0.0] * k
    for _ in range(50):
        grad = [0.0] * k
        hess = [[0.0] * k for _ in range(k)]
        for x, y, offset in zip(xs, ys, offsets, strict=True):
            z = offset + sum(b * v for b, v in zip(beta, x, strict=True))
            p = 1.0 / (1.0 + math.exp(-max(-35.0, min(35.0, z))))
            w = p * (1 - p)
            for i in range(k):
                if x[i]:
                    grad[i] += (y - p) * x[i]
                    for j in range(k):
                        if x[j]:
                            hess[i][j] += w * x[i] * x[j]
        for i in range(1, k):
            grad[i] -= l2 * beta[i]
            hess[i][i] += l2
        hess[0][0] += 1e-9
        step = _solve(hess, grad)
        beta = [b + s for b, s in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-8:
            break
    raw = [b / sd for b, sd in zip(beta[1:], sds, strict=True)]
    intercept = beta[0] - sum(w * mu for w, mu in zip(raw, means, strict=True))
    fitted = {name: round(w, 4) for name, w in zip(names, raw, strict=True)}
    return PairModel(round(intercept, 4), fitted | HAND_SET)


# ---------------------------------------------------------------------------------------------------------
# Evaluation.
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, predicted: bool, actual: bool) -> None:
        if predicted and actual:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif actual:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Result:
    corpus: Corpus
    evaluated: int
    not_found: list[tuple[Pair, str]]  # pairs whose instances could not be found, with why
    cross_validated: Scores
    shipped: Scores
    baseline: Scores
    timings: dict[str, float]
    fitted: PairModel


def _fold_of(instance: Instance) -> int:
    return zlib.crc32(instance.block.encode("utf-8")) % FOLDS


def evaluate(corpus: Corpus | None = None, *, threshold: float = DEFAULT_THRESHOLD) -> Result:
    """Run the whole evaluation (see the module docstring); `corpus` defaults to the shared gold standard."""
    corpus = corpus or load_corpus()
    timings = {"load (unpack + parse)": corpus.load_seconds}
    started = time.perf_counter()
    instances = build_instances(corpus.articles)
    timings["build instances"] = time.perf_counter() - started
    by_article: dict[str, list[Instance]] = {}
    for inst in instances:
        by_article.setdefault(inst.pmid, []).append(inst)
    matched: list[tuple[Pair, Instance, Instance]] = []
    not_found: list[tuple[Pair, str]] = []
    for pair in corpus.pairs:
        a = find_instance(by_article, pair.pmid1, pair.last1, pair.initials1)
        b = find_instance(by_article, pair.pmid2, pair.last2, pair.initials2)
        if a is None or b is None:
            side = pair.pmid1 if a is None else pair.pmid2
            why = "article missing or broken" if side not in by_article else "author not found in article"
            not_found.append((pair, f"{side}: {why}"))
        else:
            matched.append((pair, a, b))

    # Pairs in different blocks are never compared at run time, so they do not train the model either.
    trainable = [(p, a, b, pair_features(a, b)) for p, a, b in matched if a.block == b.block]
    cv = Scores()
    started = time.perf_counter()
    for k in range(FOLDS):
        train = [(f, p.same) for p, a, _, f in trainable if _fold_of(a) != k]
        model = fit_logistic([f for f, _ in train], [y for _, y in train])
        person = _person_of(resolve_instances(instances, model=model, threshold=threshold))
        for pair, a, b in matched:
            if _fold_of(a) == k:
                cv.add(person[(a.pmid, a.position)] == person[(b.pmid, b.position)], pair.same)
    timings[f"{FOLDS}-fold cross-validation (fit + resolve, x{FOLDS})"] = time.perf_counter() - started

    fitted = fit_logistic([f for *_, f in trainable], [p.same for p, *_ in trainable])
    started = time.perf_counter()
    person = _person_of(resolve_instances(instances, model=DEFAULT_MODEL, threshold=threshold))
    timings[f"resolve {len(instances)} author instances (shipped weights)"] = time.perf_counter() - started
    shipped, baseline = Scores(), Scores()
    for pair, a, b in matched:
        shipped.add(person[(a.pmid, a.position)] == person[(b.pmid, b.position)], pair.same)
        baseline.add(a.block == b.block, pair.same)
    return Result(corpus, len(matched), not_found, cv, shipped, baseline, timings, fitted)


def _person_of(assignments: Sequence[object]) -> dict[tuple[str, int], str]:
    return {(a.pmid, a.author_position): a.person_id for a in assignments}  # type: ignore[attr-defined]


def report(result: Result) -> Iterator[str]:
    """The lines of the printed report (a Markdown table plus notes)."""
    c = result.corpus
    yield f"pairs in file: {len(c.pairs) + c.unusable_rows}; unusable rows (no YES/NO label): {c.unusable_rows}"
    yield f"  of which without a second PMID: {c.unusable_without_pmid2}"
    yield f"labelled pairs: {len(c.pairs)} ({sum(p.same for p in c.pairs)} YES, {sum(not p.same for p in c.pairs)} NO)"
    yield f"articles parsed: {len(c.articles)}; files skipped: {len(c.skipped_files)}"
    for reason, n in sorted(Counter(c.skipped_files.values()).items()):
        yield f"  {n} x {reason}"
    yield f"pairs evaluated: {result.evaluated}; not evaluable: {len(result.not_found)}"
    for reason, n in sorted(Counter(why.split(": ", 1)[1] for _, why in result.not_found).items()):
        yield f"  {n} x {reason}"
    yield ""
    yield "| method | precision | recall | F1 |"
    yield "|---|---|---|---|"
    rows = [
        ("resolve_authors, 5-fold cross-validated weights (headline)", result.cross_validated),
        (
            "resolve_authors, shipped weights (fitted on the 70% dev part of these pairs + silver)",
            result.shipped,
        ),
        ("baseline: same normalised surname + first initial", result.baseline),
    ]
    for name, s in rows:
        yield f"| {name} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} |"
    yield ""
    for name, seconds in result.timings.items():
        yield f"{name}: {seconds:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true", help="print the weights fitted on all pairs")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"gold standard not found at {DATA} (evaluation-only data, read from ../shared)")
    result = evaluate(threshold=args.threshold)
    for line in report(result):
        print(line)
    if args.fit:
        print(f"\nINTERCEPT = {result.fitted.intercept}")
        print("WEIGHTS: dict[str, float] = {")
        for name in FEATURES:
            if name not in HAND_SET:
                print(f'    "{name}": {result.fitted.weights[name]},')
        print("} | HAND_SET")


if __name__ == "__main__":
    main()
