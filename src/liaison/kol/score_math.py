"""Score arithmetic for the KOL pages: what-if and change analysis of stored scores, as pure functions over
stored values (no database, no Django).

The pages call these with what a snapshot stores: each person's normalised components and evidence records.
Recomputing from the stored norms is exact (docs/kol-scores.md: `score = Σ w_c · norm_c / Σ w_c`), so a user
can try other weights without re-running the pipeline, and a test can check every figure a page shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

COMPONENTS: tuple[str, ...] = ("publications", "network", "trials", "focus", "momentum")
SWEEP_FACTORS: tuple[float, ...] = (0.5, 2.0)


@dataclass(frozen=True, slots=True)
class Ranked:
    """One person's place in a ranking recomputed from stored norms."""

    person_id: str
    rank: int
    score: float


@dataclass(frozen=True, slots=True)
class SweepRow:
    """The top-k overlap when one component's weight is multiplied by `factor`, the others kept."""

    component: str
    factor: float
    weight: float
    overlap: float


@dataclass(slots=True)
class PersonState:
    """A person in one snapshot: rank, score, the points of each component and the evidence records behind them.

    `points` are the component's contribution to the score (they add up to it); `evidence` maps a component to
    {record id: points of that record in the component's raw value}, and may be empty when not loaded.
    """

    person_id: str
    name: str
    rank: int
    score: float
    points: dict[str, float]
    evidence: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ComponentDelta:
    """How one component's points moved between two snapshots, and which records came and went."""

    component: str
    delta: float
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def sentence(self, shown: int = 3) -> str:
        """E.g. `trials +12.3: NCT01234567 new, PMID 123 gone`; records beyond `shown` are counted, not named."""
        text = f"{self.component} {self.delta:+.1f}"
        changes = [f"{record_label(r)} new" for r in self.added] + [
            f"{record_label(r)} gone" for r in self.removed
        ]
        if not changes:
            return text
        more = len(changes) - shown
        listed = ", ".join(changes[:shown]) + (f" and {more} more" if more > 0 else "")
        return f"{text}: {listed}"


@dataclass(frozen=True, slots=True)
class Move:
    """A person who rose, fell, entered or left, with the component deltas that explain it (largest first)."""

    person_id: str
    name: str
    old_rank: int | None
    new_rank: int | None
    old_score: float | None
    new_score: float | None
    deltas: tuple[ComponentDelta, ...]

    @property
    def rank_change(self) -> int | None:
        """Places gained (positive) or lost (negative); None for people who entered or left."""
        if self.old_rank is None or self.new_rank is None:
            return None
        return self.old_rank - self.new_rank

    @property
    def score_change(self) -> float:
        return (self.new_score or 0.0) - (self.old_score or 0.0)


@dataclass(frozen=True, slots=True)
class SnapshotDiff:
    """The moves between two snapshots, each list ordered by size of the move."""

    rose: list[Move]
    fell: list[Move]
    entered: list[Move]
    left: list[Move]
    unchanged: int

    def person_ids(self) -> set[str]:
        return {m.person_id for moves in (self.rose, self.fell, self.entered, self.left) for m in moves}


def record_label(record_id: str) -> str:
    """A record as people cite it: NCT ids as they are, PMIDs with their prefix."""
    return record_id if record_id.upper().startswith("NCT") else f"PMID {record_id}"


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """The weights as floats; refuses negative or non-finite ones and an all-zero set, which has no mean."""
    out: dict[str, float] = {}
    for name, value in weights.items():
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")) or number < 0:
            raise ValueError(f"weight of {name} must be a finite number of 0 or more, not {value!r}")
        out[name] = number
    if sum(out.values()) <= 0:
        raise ValueError("at least one weight must be more than 0")
    return out


def score_from_norms(norms: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """The weighted mean of the normalised components (0..100); a component missing from `norms` counts 0."""
    checked = check_weights(weights)
    total = sum(checked.values())
    return sum(w * float(norms.get(c, 0.0)) for c, w in checked.items()) / total


def component_points(norms: Mapping[str, float], weights: Mapping[str, float]) -> dict[str, float]:
    """Each component's share of the score: `w_c · norm_c / Σ w`; they add up to `score_from_norms`."""
    checked = check_weights(weights)
    total = sum(checked.values())
    return {c: w * float(norms.get(c, 0.0)) / total for c, w in checked.items()}


def rerank(people: Iterable[tuple[str, Mapping[str, float]]], weights: Mapping[str, float]) -> list[Ranked]:
    """Rank people by the score their norms give under `weights`: highest first, ties by person_id (as the
    pipeline breaks them), ranks 1-based. Scores are rounded to 9 places like the pipeline's outputs, so that
    float noise cannot reorder two people the pipeline calls equal."""
    checked = check_weights(weights)
    scored = [(round(score_from_norms(norms, checked), 9), pid) for pid, norms in people]
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [Ranked(pid, i, score) for i, (score, pid) in enumerate(scored, start=1)]


def top_overlap(before: Sequence[str], after: Sequence[str], k: int = 10) -> float:
    """Share of the first `k` of `before` that are also among the first `k` of `after` (1.0 = same people).

    With fewer than `k` people the denominator is the number there are, so a short list can still score 1.
    """
    n = min(k, len(before), len(after))
    if n == 0:
        return 1.0
    return len(set(before[:n]) & set(after[:n])) / n


def sensitivity_sweep(
    people: Sequence[tuple[str, Mapping[str, float]]],
    weights: Mapping[str, float],
    *,
    baseline: Sequence[str] | None = None,
    k: int = 10,
    factors: Sequence[float] = SWEEP_FACTORS,
) -> list[SweepRow]:
    """Halve and double each weight in turn and measure how much of the top `k` survives.

    `baseline` is the ranking compared against (person ids, best first); by default the ranking `weights` give.
    A component whose weight is 0 stays 0 when scaled, so its rows report an overlap of 1.0 honestly.
    """
    checked = check_weights(weights)
    base = list(baseline) if baseline is not None else [r.person_id for r in rerank(people, checked)]
    rows = []
    for component, weight in checked.items():
        for factor in factors:
            changed = {**checked, component: weight * factor}
            if sum(changed.values()) <= 0:
                continue
            ranking = [r.person_id for r in rerank(people, changed)]
            rows.append(SweepRow(component, factor, weight * factor, top_overlap(base, ranking, k)))
    return rows


def explain(
    old: PersonState | None, new: PersonState | None, *, min_delta: float = 0.05
) -> tuple[ComponentDelta, ...]:
    """The component deltas between a person's two states, largest first; |delta| below `min_delta` is noise.

    A component whose records changed is listed even when its points barely moved (a new trial can offset a
    lost one), because the record change is the explanation a reader looks for.
    """
    old_points = old.points if old else {}
    new_points = new.points if new else {}
    old_ev = old.evidence if old else {}
    new_ev = new.evidence if new else {}
    deltas = []
    for component in dict.fromkeys([*COMPONENTS, *old_points, *new_points]):
        delta = new_points.get(component, 0.0) - old_points.get(component, 0.0)
        before = old_ev.get(component, {})
        after = new_ev.get(component, {})
        added = tuple(sorted((r for r in after if r not in before), key=lambda r: (-abs(after[r]), r)))
        removed = tuple(sorted((r for r in before if r not in after), key=lambda r: (-abs(before[r]), r)))
        if abs(delta) >= min_delta or added or removed:
            deltas.append(ComponentDelta(component, delta, added, removed))
    deltas.sort(key=lambda d: (-abs(d.delta), d.component))
    return tuple(deltas)


def diff_snapshots(
    old: Mapping[str, PersonState], new: Mapping[str, PersonState], *, limit: int | None = None
) -> SnapshotDiff:
    """Who rose, fell, entered and left between two snapshots of an area, each move explained by component.

    Risers and fallers are ordered by places moved (then by score change); entrants by their new rank, leavers
    by their old one. `limit` keeps the first n of each list.
    """
    rose, fell = [], []
    unchanged = 0
    for pid in old.keys() & new.keys():
        a, b = old[pid], new[pid]
        move = Move(pid, b.name or a.name, a.rank, b.rank, a.score, b.score, explain(a, b))
        if b.rank < a.rank:
            rose.append(move)
        elif b.rank > a.rank:
            fell.append(move)
        else:
            unchanged += 1
    rose.sort(key=lambda m: (-(m.rank_change or 0), -m.score_change, m.person_id))
    fell.sort(key=lambda m: ((m.rank_change or 0), m.score_change, m.person_id))
    entered = sorted(
        (
            Move(p, new[p].name, None, new[p].rank, None, new[p].score, explain(None, new[p]))
            for p in new.keys() - old.keys()
        ),
        key=lambda m: (m.new_rank, m.person_id),
    )
    left = sorted(
        (
            Move(p, old[p].name, old[p].rank, None, old[p].score, None, explain(old[p], None))
            for p in old.keys() - new.keys()
        ),
        key=lambda m: (m.old_rank, m.person_id),
    )
    if limit is not None:
        rose, fell, entered, left = rose[:limit], fell[:limit], entered[:limit], left[:limit]
    return SnapshotDiff(rose, fell, entered, left, unchanged)
