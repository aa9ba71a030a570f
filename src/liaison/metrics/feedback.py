"""Feedback metrics: what HCPs said of the period's interactions, and stakeholders of their digests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps
from django.db.models import Avg, Count, Q

from liaison.engagement.models import HcpFeedback

from .definitions import Metric, build_metric, percent, ratio
from .filters import Filters
from .querysets import Period, interactions

if TYPE_CHECKING:
    from liaison.accounts.models import User

FEEDBACK_VALUES = (1, 2, 3, 4, 5)


def kol_feedback(user: User, f: Filters, period: Period | None = None) -> Metric:
    """Feedback on the period's interactions per area: the interactions per area (shared with other metrics) and
    one grouped query for the feedback (distinct interactions, records, mean and the count of each value),
    summed over the few areas."""
    period = period or Period(user, f)
    per_area = period.per_area
    # Read from the period's interactions to their feedback (both restricted), so SQLite walks the period's
    # index range (which holds the area) rather than listing the interactions first and fetching each again.
    found = (
        interactions(user, f)
        .filter(hcp_feedback__in=HcpFeedback.objects.restrict(user, "view"))
        .values("therapeutic_area_id")
        .annotate(
            with_feedback=Count("pk", distinct=True),
            records=Count("hcp_feedback"),
            mean=Avg("hcp_feedback__value"),
            **{f"v{v}": Count("hcp_feedback", filter=Q(hcp_feedback__value=v)) for v in FEEDBACK_VALUES},
        )
        .order_by()
    )
    got = {period.area_name[r.pop("therapeutic_area_id")]: r for r in found}
    empty = {"with_feedback": 0, "records": 0, "mean": None, **{f"v{v}": 0 for v in FEEDBACK_VALUES}}
    rows, bars = [], []
    totals = {"n": 0, "with_feedback": 0, "records": 0, **{f"v{v}": 0 for v in FEEDBACK_VALUES}}
    for area in sorted(per_area, key=lambda a: (a is None, a or "")):
        g = got.get(area, empty)
        n = per_area[area]
        for k in totals:
            totals[k] += n if k == "n" else g[k]
        label = area or "No area"
        mean = f"{g['mean']:.1f}" if g["records"] else "—"
        rows.append(
            [label, n, g["with_feedback"], percent(g["with_feedback"], n), g["records"], mean]
            + [g[f"v{v}"] for v in FEEDBACK_VALUES]
        )
        text = f"mean {mean} of 5 ({g['records']} feedback)" if g["records"] else "no feedback"
        bars.append((label, (g["mean"] or 0) / 5, text))
    records = totals["records"]
    overall = sum(v * totals[f"v{v}"] for v in FEEDBACK_VALUES) / records if records else None
    if rows:
        rows.append(
            [
                "All areas",
                totals["n"],
                totals["with_feedback"],
                percent(totals["with_feedback"], totals["n"]),
                records,
                f"{overall:.1f}" if overall is not None else "—",
            ]
            + [totals[f"v{v}"] for v in FEEDBACK_VALUES]
        )
    if overall is not None:
        headline = (
            f"mean {overall:.1f} of 5 from {records} feedback on "
            f"{percent(totals['with_feedback'], totals['n'])} of interactions "
            f"({totals['with_feedback']} of {totals['n']})"
        )
    else:
        n = totals["n"]
        headline = f"No KOL feedback recorded in the period ({n} interaction{'' if n == 1 else 's'})"
    return build_metric(
        "kol_feedback",
        headline,
        ["Area", "Interactions", "With feedback", "Share", "Feedback records", "Mean value"]
        + [f"Value {v}" for v in FEEDBACK_VALUES],
        rows,
        bars,
    )


def stakeholder_feedback(user: User, f: Filters, period: Period | None = None) -> Metric:
    if not apps.is_installed("liaison.stakeholders"):
        return build_metric("stakeholder_feedback", "Not installed", ["Note"], [], [], available=False)
    # Deferred: stakeholders may be left out of INSTALLED_APPS, and its models cannot load then.
    from liaison.stakeholders.queries import feedback_counts

    per_function = feedback_counts(user, start=f.start_at, end=f.end_at)
    rows, bars, used, total = [], [], 0, 0
    for label, (n_used, n_not) in per_function.items():
        n = n_used + n_not
        used, total = used + n_used, total + n
        rows.append([label, n_used, n_not, percent(n_used, n)])
        bars.append((label, ratio(n_used, n), f"{n_used} of {n} used"))
    return build_metric(
        "stakeholder_feedback",
        f"{percent(used, total)} of {total} digest feedback said 'used'",
        ["Function", "Used", "Not relevant", "Share used"],
        rows,
        bars,
    )
