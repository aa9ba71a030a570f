"""Volume per month of each series (in the app: a listening priority's signals) and its emerging months: a
sudden rise measured against the series' own history.

Each series has its own normal level (a broad priority hears ten signals a month, a narrow one one), so a rise is
judged against that series' trailing months, not against other series. For month t with count x_t and the mean
lambda of the HISTORY (6) months before it, we ask how surprising x_t would be if the series still produced
signals at its usual rate, i.e. under a Poisson(lambda) model:

    p = P(X >= x_t | lambda)            (upper tail)
    z = (x_t - lambda) / sqrt(lambda)   (shown alongside, the familiar "how many sigmas")

Month t is *emerging* when p < ALPHA (0.01), x_t >= MIN_COUNT (3: two signals are never a trend) and
x_t >= RATIO (2) x lambda (a rise that matters in size, not only in significance). lambda is floored at
FLOOR (0.5 a month) so a series that was silent for months does not turn its first single mention into
"infinitely surprising", and at least MIN_HISTORY (3) earlier months are needed before any month is judged.

Counts are what the caller decides to count; the app counts *signals* (near-duplicate insights from several
MSLs count once), so ten people hearing the same thing in one week is one signal, not a spike.

Pure Python (math only): no Django, no numpy needed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

HISTORY = 6
MIN_HISTORY = 3
ALPHA = 0.01
MIN_COUNT = 3
RATIO = 2.0
FLOOR = 0.5


@dataclass(frozen=True)
class MonthPoint:
    """One month of one series: its count, the baseline it was judged against and the verdict."""

    month: str
    count: int
    baseline: float | None
    z: float | None
    p_value: float | None
    emerging: bool


def poisson_upper_tail(x: int, lam: float) -> float:
    """P(X >= x) for X ~ Poisson(lam), summed in log space so large counts do not overflow."""
    if x <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    below = 0.0
    for k in range(x):
        below += math.exp(-lam + k * math.log(lam) - math.lgamma(k + 1))
    return max(0.0, min(1.0, 1.0 - below))


def detect(
    counts: Sequence[int],
    months: Sequence[str] | None = None,
    *,
    history: int = HISTORY,
    min_history: int = MIN_HISTORY,
    alpha: float = ALPHA,
    min_count: int = MIN_COUNT,
    ratio: float = RATIO,
    floor: float = FLOOR,
) -> list[MonthPoint]:
    """Judge every month of one series' monthly counts (oldest first) against its trailing history."""
    if months is None:
        months = [str(i) for i in range(len(counts))]
    if len(months) != len(counts):
        raise ValueError("counts and months differ in length")
    if any(c < 0 for c in counts):
        raise ValueError("counts cannot be negative")
    points = []
    for i, (month, count) in enumerate(zip(months, counts, strict=True)):
        past = counts[max(0, i - history) : i]
        if len(past) < min_history:
            points.append(MonthPoint(month, int(count), None, None, None, False))
            continue
        baseline = sum(past) / len(past)
        lam = max(baseline, floor)
        p = poisson_upper_tail(int(count), lam)
        z = (count - lam) / math.sqrt(lam)
        emerging = p < alpha and count >= min_count and count >= ratio * lam
        points.append(MonthPoint(month, int(count), baseline, z, p, emerging))
    return points


def month_key(when: dt.date | dt.datetime) -> str:
    """The month a date falls in, as "YYYY-MM"."""
    return f"{when.year:04d}-{when.month:02d}"


def month_range(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` inclusive ("YYYY-MM"), so that empty months count as zero."""
    year, month = (int(part) for part in first.split("-"))
    end = tuple(int(part) for part in last.split("-"))
    out = []
    while (year, month) <= end:
        out.append(f"{year:04d}-{month:02d}")
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return out


def monthly_counts(
    items: Iterable[tuple[str, dt.date | dt.datetime]], months: Sequence[str]
) -> dict[str, list[int]]:
    """{series: [count per month in `months`]} from (series, date) pairs; dates outside `months` are ignored."""
    index = {m: i for i, m in enumerate(months)}
    out: dict[str, list[int]] = {}
    for series, when in items:
        i = index.get(month_key(when))
        if i is None:
            continue
        out.setdefault(series, [0] * len(months))[i] += 1
    return out
