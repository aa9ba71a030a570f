"""Author disambiguation, chosen and scored apart: nested cross-validation on development parts, locked tests.

Two labelled sources:
- gold: the 1,476 evaluable training pairs of Vishnyakova et al. (JAMIA 2019), read by
  bench/author_disambiguation.py from ../shared/data/author_disambiguation (evaluation only);
- silver: pairs from ORCID iDs (`liaison_pipelines.resolve.silver`) in the 2021 oncology PubMed sample and the
  Alzheimer efetch batches of ../shared/data/pubmed_large, scored with every ORCID masked.

Each source is split by a seeded hash of the name block into a development part (70%) and a locked test part
(30%). Everything that is chosen (training data, operating threshold) is chosen by inner folds of the
development parts; the outer folds give the honest development estimate; the locked test parts are scored
once, at the end, by the model fitted on all development pairs, next to the old method in the same run.

A pair is predicted "same person" iff its two instances end in one cluster of the resolver's clustering
(`agglomerate`, average linkage, ORCID cannot-links) over their whole block, as in production: probabilities
of every pair of the block come from the candidate model, exactly as `pair_probability` computes them.

Run: `python bench/author_nested.py` (about 6 minutes on 2 cores); `--show-test-errors` lists the locked
test errors (only after the figures are final).
"""

from __future__ import annotations

import argparse
import pickle
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from author_disambiguation import Scores, find_instance, load_corpus  # noqa: E402

from liaison_pipelines.records import Article  # noqa: E402
from liaison_pipelines.resolve.authors import (  # noqa: E402
    FEATURES,
    HAND_SET,
    SUFFIX_CONFLICT_PENALTY,
    Instance,
    PairModel,
    agglomerate,
    build_instances,
    pair_features,
)
from liaison_pipelines.resolve.silver import fold_of, mask_orcids, silver_pairs, split_part  # noqa: E402
from liaison_pipelines.sources.pubmed import iter_articles  # noqa: E402

LARGE = ROOT.parent / "shared" / "data" / "pubmed_large"
ONCOLOGY = LARGE / "pubmed21n1298_oncology.xml.gz"
ALZHEIMER = LARGE / "elbert5770_alzheimer_efetch_3690.tar.gz"
OUTER, INNER = 5, 4
THRESHOLDS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9)
PRECISION_AIM = 0.96
F1_SLACK = 0.02  # a threshold may cost at most this much inner F1 against the best one to buy precision
FITTED = [name for name in FEATURES if name not in HAND_SET]


# The method before this benchmark (for comparison in the same run): weights fitted on all 1,476 gold pairs,
# threshold 0.5. Frozen here because the resolver now ships the weights chosen below.
OLD_THRESHOLD = 0.5
OLD_MODEL = PairModel(
    -0.2198,
    {
        "first_equal": 2.3209,
        "first_prefix": -2.3812,
        "first_both_initials": 0.3259,
        "middle_equal": 1.8954,
        "middle_prefix": 2.3244,
        "surname_spelled_differently": -0.2883,
        "affiliation_cosine": 5.8029,
        "affiliation_missing": 1.7454,
        "coauthors_shared": -0.9579,
        "mesh_cosine": 10.5786,
        "title_cosine": 18.2847,
        "journal_equal": -0.3741,
        "grant_shared": 1.5701,
        "year_gap": 0.7044,
        "year_missing": 0.0,
        "surname_commonness": -1.3863,
        "block_commonness": -0.5556,
        "first_equal_x_commonness": 0.1058,
        "journal_cosine": 3.0211,
        "team_affiliation_cosine": 5.5229,
        "language_equal": -0.2535,
        "country_equal": -0.8558,
        "country_conflict": -1.4128,
        "year_gap_decades": -0.8091,
        "coauthors_any": 3.1302,
        "both_initials_pre_2002": 1.2954,
    }
    | HAND_SET,
)

Key = tuple[str, int]


def _key(inst: Instance) -> Key:
    return (inst.pmid, inst.position)


@dataclass(frozen=True, slots=True)
class Labelled:
    a: Key
    b: Key
    block_a: str
    block_b: str
    same: bool
    group: str
    part: str  # "dev" or "test"
    fold: int  # outer fold (dev part only)


@dataclass
class Block:
    """All instances of one block with the features of every pair, prepared once."""

    keys: list[Key]
    orcids: list[str]
    rows: np.ndarray  # (pairs, len(FEATURES)) raw features, pairs in (i<j) order
    ij: list[tuple[int, int]]
    suffix_conflict: np.ndarray  # bool per pair


@dataclass
class Source:
    name: str
    instances: int
    pairs: list[Labelled]
    blocks: dict[str, Block]
    features: dict[tuple[Key, Key], np.ndarray] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def prepare(
    name: str, instances: Sequence[Instance], labelled: Iterable[tuple[Instance, Instance, bool, str]]
) -> Source:
    """Blocks of every labelled instance with all their pair features; pairs split into dev/test and folds."""
    by_block: dict[str, list[Instance]] = defaultdict(list)
    for inst in instances:
        by_block[inst.block].append(inst)
    pairs: list[Labelled] = []
    wanted: set[str] = set()
    for a, b, same, group in labelled:
        part = split_part(group)
        pairs.append(Labelled(_key(a), _key(b), a.block, b.block, same, group, part, fold_of(group, OUTER)))
        wanted.update((a.block, b.block))
    blocks: dict[str, Block] = {}
    features: dict[tuple[Key, Key], np.ndarray] = {}
    for block_key in sorted(wanted):
        members = sorted(by_block[block_key], key=lambda i: i.sort_key)
        ij = [(i, j) for i in range(len(members)) for j in range(i + 1, len(members))]
        rows = np.zeros((len(ij), len(FEATURES)))
        suffix = np.zeros(len(ij), dtype=bool)
        for n, (i, j) in enumerate(ij):
            a, b = members[i], members[j]
            f = pair_features(a, b)
            rows[n] = [f[name] for name in FEATURES]
            suffix[n] = bool(a.suffix and b.suffix and a.suffix != b.suffix)
            features[(_key(a), _key(b))] = features[(_key(b), _key(a))] = rows[n]
        blocks[block_key] = Block([_key(m) for m in members], [m.orcid for m in members], rows, ij, suffix)
    return Source(name, len(instances), pairs, blocks, features)


# ---------------------------------------------------------------------------------------------------------
# The model: the resolver's logistic regression (ridge on standardised features, hand-set evidence as an
# offset, converted back to raw-scale weights), fitted with numpy.
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class Spec:
    """How a candidate model is fitted: the weight of a silver pair against a gold one (0: gold only), the
    ridge penalty, and whether the name-commonness features (shares of the input's instances, so they move
    with the corpus) are left out."""

    silver_weight: float
    l2: float
    no_commonness: bool
    floor: float = 0.0  # clustering: no merge over a cross pair below this probability
    split_coauthors: bool = True  # two authors of one article: probability 0 and a cannot-link

    def __str__(self) -> str:
        data = "gold" if not self.silver_weight else f"gold + silver x{self.silver_weight:g}"
        floor = f", floor {self.floor:g}" if self.floor else ""
        coauthors = "" if self.split_coauthors else ", co-authors may merge"
        return f"{data}, ridge {self.l2:g}{', no commonness' if self.no_commonness else ''}{floor}{coauthors}"


OLD_SPEC = Spec(0.0, 1.0, False, split_coauthors=False)
# The grid of the third run. The first (no floors) also tried silver x1, ridge 10 and leaving the commonness
# features out: no inner selection chose any of them (the final selection chose ridge 10, within 0.01 of F1
# of ridge 1), so they were dropped for the time of a run; the second tried floor 0.2 too (no gain on gold,
# silver recall -0.02 to -0.04). The third splits co-authors of one article (Spec.split_coauthors), with
# one spec without it as the control.
SPECS = (
    *(Spec(w, 1.0, False, floor) for w in (0.0, 0.25, 0.5) for floor in (0.0, 0.05)),
    Spec(0.25, 1.0, False, 0.0, split_coauthors=False),
)
COMMONNESS = ("surname_commonness", "block_commonness", "first_equal_x_commonness")


def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None, spec: Spec = OLD_SPEC) -> PairModel:
    """Same estimator as `author_disambiguation.fit_logistic` (with OLD_SPEC and unit weights), vectorised,
    with per-pair weights and the choices of `spec`."""
    names = [n for n in FITTED if not (spec.no_commonness and n in COMMONNESS)]
    cols = [FEATURES.index(name) for name in names]
    w = np.ones(len(y)) if w is None else w
    hand = np.array([HAND_SET.get(name, 0.0) for name in FEATURES])
    offset = x @ hand
    raw = x[:, cols]
    mu = np.average(raw, axis=0, weights=w)
    sd = np.sqrt(np.average((raw - mu) ** 2, axis=0, weights=w))
    sd[sd == 0] = 1.0
    z = np.hstack([np.ones((len(raw), 1)), (raw - mu) / sd])
    beta = np.zeros(z.shape[1])
    # The penalty scales with the total weight, so a weight of one per pair gives the old per-pair penalty.
    penalty = np.full(z.shape[1], spec.l2 * w.sum() / len(w))
    penalty[0] = 1e-9
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(offset + z @ beta, -35, 35)))
        grad = z.T @ (w * (y - p)) - penalty * beta
        hess = (z * (w * p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    weights = beta[1:] / sd
    intercept = beta[0] - float(weights @ mu)
    fitted = dict.fromkeys(FITTED, 0.0) | {
        name: round(float(v), 4) for name, v in zip(names, weights, strict=True)
    }
    return PairModel(round(float(intercept), 4), fitted | HAND_SET)


def _vector(model: PairModel) -> np.ndarray:
    return np.array([model.weights.get(name, 0.0) for name in FEATURES])


def block_probabilities(block: Block, model: PairModel, split_coauthors: bool) -> list[list[float]]:
    """The probability matrix `pair_probability` would give for the block (ORCID and suffix rules included)."""
    n = len(block.keys)
    prob = [[0.0] * n for _ in range(n)]
    if not block.ij:
        return prob
    z = model.intercept + block.rows @ _vector(model)
    z = np.where(block.suffix_conflict, z + SUFFIX_CONFLICT_PENALTY, z)
    p = 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))
    for (i, j), value in zip(block.ij, p.tolist(), strict=True):
        oa, ob = block.orcids[i], block.orcids[j]
        if oa and ob:
            value = 1.0 if oa == ob else 0.0
        if split_coauthors and block.keys[i][0] == block.keys[j][0]:
            value = 0.0
        prob[i][j] = prob[j][i] = value
    return prob


def predict(
    source: Source,
    pairs: Sequence[Labelled],
    model: PairModel,
    thresholds: Sequence[float],
    spec: Spec,
) -> dict[float, list[bool]]:
    """Per threshold, whether each pair ends in one cluster (clustering every block the pairs touch)."""
    needed = sorted({p.block_a for p in pairs} | {p.block_b for p in pairs})
    out: dict[float, list[bool]] = {}
    probs = {b: block_probabilities(source.blocks[b], model, spec.split_coauthors) for b in needed}
    for t in thresholds:
        cluster: dict[Key, tuple[str, int]] = {}
        for b in needed:
            block = source.blocks[b]
            articles = [k[0] for k in block.keys] if spec.split_coauthors else None
            for c, members in enumerate(agglomerate(probs[b], block.orcids, t, spec.floor, articles)):
                for m in members:
                    cluster[block.keys[m]] = (b, c)
        out[t] = [cluster[p.a] == cluster[p.b] for p in pairs]
    return out


def score(pairs: Sequence[Labelled], predicted: Sequence[bool]) -> Scores:
    s = Scores()
    for p, yes in zip(pairs, predicted, strict=True):
        s.add(yes, p.same)
    return s


def training_rows(
    sources: dict[str, Source], folds: Iterable[int], spec: Spec = OLD_SPEC
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels and weights of the dev pairs in `folds` (same-block pairs only: the others are never
    compared); silver pairs weigh `spec.silver_weight` and are left out when it is 0."""
    wanted = set(folds)
    xs, ys, ws = [], [], []
    for name, src in sources.items():
        weight = 1.0 if name == "gold" else spec.silver_weight
        if not weight:
            continue
        for p in src.pairs:
            # Two authors of one article never reach the model when co-authors are split.
            if spec.split_coauthors and p.a[0] == p.b[0]:
                continue
            if p.block_a == p.block_b and p.part == "dev" and p.fold in wanted:
                xs.append(src.features[(p.a, p.b)])
                ys.append(float(p.same))
                ws.append(weight)
    return np.array(xs), np.array(ys), np.array(ws)


def fit_on(sources: dict[str, Source], folds: Iterable[int], spec: Spec) -> PairModel:
    x, y, w = training_rows(sources, folds, spec)
    return fit(x, y, w, spec)


# ---------------------------------------------------------------------------------------------------------
# Selection and nested cross-validation.
# ---------------------------------------------------------------------------------------------------------

Config = tuple[Spec, float]  # (how to fit, operating threshold)


def _add(acc: Scores, s: Scores) -> None:
    acc.tp, acc.fp, acc.fn, acc.tn = acc.tp + s.tp, acc.fp + s.fp, acc.fn + s.fn, acc.tn + s.tn


def choose(inner: dict[Config, dict[str, Scores]]) -> Config:
    """The config whose worse F1 of the two sources is best among those with precision >= PRECISION_AIM on
    both; when none reaches it, the most precise (worse precision of the two) among those whose worse F1 is
    within F1_SLACK of the best. The worse of the two sources, because unseen pairs may look like either."""

    def worst_f1(c: Config) -> float:
        return min(s.f1 for s in inner[c].values())

    def worst_precision(c: Config) -> float:
        return min(s.precision for s in inner[c].values())

    precise = [c for c in inner if worst_precision(c) >= PRECISION_AIM]
    if precise:
        return max(precise, key=lambda c: (worst_f1(c), c[1]))
    best = max(worst_f1(c) for c in inner)
    allowed = [c for c in inner if worst_f1(c) >= best - F1_SLACK]
    return max(allowed, key=lambda c: (worst_precision(c), c[1]))


def select(
    sources: dict[str, Source], folds: Sequence[int]
) -> tuple[Config, dict[Config, dict[str, Scores]]]:
    """Cross-validate every config over `folds` of the dev parts (leave one fold out) and choose one."""
    pooled: dict[Config, dict[str, Scores]] = {
        (spec, t): {n: Scores() for n in sources} for spec in SPECS for t in THRESHOLDS
    }
    for held in folds:
        for spec in SPECS:
            model = fit_on(sources, set(folds) - {held}, spec)
            for name, src in sources.items():
                test = [p for p in src.pairs if p.part == "dev" and p.fold == held]
                for t, pred in predict(src, test, model, THRESHOLDS, spec).items():
                    _add(pooled[(spec, t)][name], score(test, pred))
    return choose(pooled), pooled


def nested(sources: dict[str, Source]) -> tuple[dict[str, dict[str, Scores]], list[Config]]:
    """Outer estimate of the whole procedure (selection inside), and of the old method, on the dev parts."""
    methods = ("chosen by inner folds", "old procedure (gold fit, threshold 0.5)", "old shipped weights")
    outer = {m: {n: Scores() for n in sources} for m in methods}
    chosen: list[Config] = []
    for k in range(OUTER):
        inner_folds = [f for f in range(OUTER) if f != k]
        config, _ = select(sources, inner_folds)
        chosen.append(config)
        models = {methods[0]: fit_on(sources, inner_folds, config[0])}
        models[methods[1]] = fit_on(sources, inner_folds, OLD_SPEC)
        models[methods[2]] = OLD_MODEL
        specs = {methods[0]: config[0], methods[1]: OLD_SPEC, methods[2]: OLD_SPEC}
        thresholds = {methods[0]: config[1], methods[1]: OLD_THRESHOLD, methods[2]: OLD_THRESHOLD}
        for name, src in sources.items():
            test = [p for p in src.pairs if p.part == "dev" and p.fold == k]
            for label, model in models.items():
                t = thresholds[label]
                _add(outer[label][name], score(test, predict(src, test, model, [t], specs[label])[t]))
    return outer, chosen


# ---------------------------------------------------------------------------------------------------------
# Loading.
# ---------------------------------------------------------------------------------------------------------


def load_gold() -> Source:
    corpus = load_corpus()
    instances = build_instances(corpus.articles)
    by_article: dict[str, list[Instance]] = defaultdict(list)
    for inst in instances:
        by_article[inst.pmid].append(inst)
    labelled = []
    missing = 0
    for pair in corpus.pairs:
        a = find_instance(by_article, pair.pmid1, pair.last1, pair.initials1)
        b = find_instance(by_article, pair.pmid2, pair.last2, pair.initials2)
        if a is None or b is None:
            missing += 1
            continue
        labelled.append((a, b, pair.same, min(a.block, b.block)))
    src = prepare("gold", instances, labelled)
    src.notes.append(f"{len(labelled)} pairs evaluated ({missing} not evaluable), {len(instances)} instances")
    return src


def load_silver_articles() -> list[Article]:
    articles = list(iter_articles(ONCOLOGY))
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(ALZHEIMER) as tar:
            tar.extractall(tmp, filter="data")
        for path in sorted(Path(tmp).rglob("*.xml")):
            articles.extend(iter_articles(path))
    seen: set[str] = set()
    unique = []
    for art in articles:  # one record per PMID, should the two sets overlap
        if art.pmid not in seen:
            seen.add(art.pmid)
            unique.append(art)
    return unique


def load_silver() -> Source:
    raw = build_instances(load_silver_articles())
    pairs = silver_pairs(raw)
    masked = mask_orcids(raw)
    assert not any(i.orcid for i in masked)
    by_key = {_key(i): i for i in masked}
    labelled = [(by_key[_key(p.a)], by_key[_key(p.b)], p.same, p.group) for p in pairs]
    src = prepare("silver", masked, labelled)
    pos = sum(p.same for p in pairs)
    cross = sum(p.a.block != p.b.block for p in pairs)
    src.notes.append(
        f"{len(pairs)} pairs ({pos} same ORCID, {len(pairs) - pos} different ORCIDs in one block; "
        f"{cross} positives cross blocks), {len(raw)} instances, {len({i.orcid for i in raw} - {''})} ORCIDs"
    )
    return src


def _line(label: str, s: Scores) -> str:
    return f"| {label} | {s.tp + s.fn}/{s.fp + s.tn} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} | {s.fp} | {s.fn} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--score-locked-test", action="store_true", help="score the locked test parts (once, at the end)"
    )
    parser.add_argument(
        "--show-test-errors", action="store_true", help="list locked-test errors (at the end only)"
    )
    parser.add_argument("--cache", type=Path, help="pickle of the prepared sources (made if absent)")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.cache and args.cache.exists():
        with open(args.cache, "rb") as fh:
            sources = pickle.load(fh)
    else:
        sources = {"gold": load_gold(), "silver": load_silver()}
        if args.cache:
            with open(args.cache, "wb") as fh:
                pickle.dump(sources, fh)
    print(f"loaded and prepared in {time.perf_counter() - started:.0f} s")
    for name, src in sources.items():
        dev = [p for p in src.pairs if p.part == "dev"]
        test = [p for p in src.pairs if p.part == "test"]
        print(
            f"{name}: {'; '.join(src.notes)}; dev {len(dev)} ({sum(p.same for p in dev)} same), "
            f"locked test {len(test)} ({sum(p.same for p in test)} same)"
        )
    header = (
        "| method | pairs same/different | precision | recall | F1 | FP | FN |\n|---|---|---|---|---|---|---|"
    )

    started = time.perf_counter()
    outer, chosen = nested(sources)
    print(
        f"\nnested cross-validation ({OUTER} outer x {INNER} inner folds) in {time.perf_counter() - started:.0f} s"
    )
    print(f"configs chosen by the inner folds of each outer fold: {chosen}")
    for name in sources:
        print(f"\n(dev, nested CV) {name}\n{header}")
        for label, per in outer.items():
            print(_line(label, per[name]))

    config, pooled = select(sources, list(range(OUTER)))
    print(f"\nfinal selection on all dev folds: training {config[0]}, threshold {config[1]}")
    print(
        "| training | threshold | gold P | gold R | gold F1 | silver P | silver R | silver F1 |\n|---|---|---|---|---|---|---|---|"
    )
    for (s, t), per in sorted(pooled.items()):
        g, v = per["gold"], per["silver"]
        print(
            f"| {s} | {t} | {g.precision:.3f} | {g.recall:.3f} | {g.f1:.3f} | {v.precision:.3f} | {v.recall:.3f} | {v.f1:.3f} |"
        )
    final = fit_on(sources, range(OUTER), config[0])
    old_refit = fit_on(sources, range(OUTER), OLD_SPEC)

    if args.score_locked_test:
        score_locked(sources, config, final, old_refit, show_errors=args.show_test_errors)
    print(f"\nINTERCEPT = {final.intercept}")
    print("WEIGHTS: dict[str, float] = {")
    for name in FITTED:
        print(f'    "{name}": {final.weights[name]},')
    print("} | HAND_SET")
    print(f"DEFAULT_THRESHOLD = {config[1]}")


def score_locked(
    sources: dict[str, Source], config: Config, final: PairModel, old_refit: PairModel, *, show_errors: bool
) -> None:
    """The locked test parts, scored once with the final model and the old method side by side."""
    header = (
        "| method | pairs same/different | precision | recall | F1 | FP | FN |\n|---|---|---|---|---|---|---|"
    )
    print("\nLOCKED TEST PARTS, scored once")
    for name, src in sources.items():
        test = [p for p in src.pairs if p.part == "test"]
        print(f"\n(locked test) {name}\n{header}")
        print(
            _line(
                f"new: {config[0]} fit on dev, threshold {config[1]}",
                score(test, predict(src, test, final, [config[1]], config[0])[config[1]]),
            )
        )
        print(
            _line(
                "old procedure refit on dev (gold, 0.5)",
                score(test, predict(src, test, old_refit, [OLD_THRESHOLD], OLD_SPEC)[OLD_THRESHOLD]),
            )
        )
        print(
            _line(
                "old shipped weights, 0.5 (fitted on all gold pairs)",
                score(test, predict(src, test, OLD_MODEL, [OLD_THRESHOLD], OLD_SPEC)[OLD_THRESHOLD]),
            )
        )
        print(_line("baseline: same block", score(test, [p.block_a == p.block_b for p in test])))
        if show_errors:
            for p, yes in zip(
                test, predict(src, test, final, [config[1]], config[0])[config[1]], strict=True
            ):
                if yes != p.same:
                    print(f"  {'FP' if yes else 'FN'} {p.a} {p.b} {p.group}")


if __name__ == "__main__":
    main()
