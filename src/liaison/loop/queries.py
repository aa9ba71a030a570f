"""Restricted reads of the insight-to-action loop: the report (how many reviewed insights fed an action, and
how fast, per area and team) and the insights a new theme is seeded with.

Definitions (docs/insight-to-action.md holds the same text):

- *reviewed insights*: insights the reader may see with status "reviewed", submitted inside the period;
- an insight *fed an action* when it belongs to a theme with at least one action that was not cancelled;
- *insight-to-action rate* = insights that fed an action / reviewed insights;
- *days to action*: from the insight's submission to the creation of the first (not cancelled) action of any
  theme it belongs to; an insight added to a theme after its action was created counts 0 days;
- *days to outcome*: from submission to the first action of its themes closed as done; median over the insights
  that have one.

Everything is read through `restrict()`, so a manager's report covers their team's insights and a medical
lead's every team's. Counts are computed in Python over at most the reader's visible reviewed insights: fine
for the tens of thousands a field force produces in a year.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models.functions import Coalesce
from django.utils import timezone

from liaison.core.permissions import require
from liaison.insights.models import Insight, InsightStatus

from .models import ActionStatus, InsightAction

if TYPE_CHECKING:
    from liaison.accounts.models import User

DEFINITIONS = {
    "reviewed": "Insights you may see with status reviewed, submitted in the period.",
    "fed_action": "Reviewed insights in a theme with at least one action that was not cancelled.",
    "rate": "Insights that fed an action divided by reviewed insights.",
    "median_days_to_action": (
        "Median days from an insight's submission to the first action created on any of its themes "
        "(0 when the insight joined a theme that already had an action)."
    ),
    "median_days_to_outcome": (
        "Median days from an insight's submission to the first action of its themes closed as done, over the "
        "insights that have one."
    ),
}
NO_TEAM = "No team"


@dataclass
class ReportRow:
    """One group (a therapeutic area or a team) of the report."""

    label: str
    reviewed: int = 0
    fed_action: int = 0
    days_to_action: list[float] = field(default_factory=list)
    days_to_outcome: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.fed_action / self.reviewed if self.reviewed else None

    @property
    def median_days_to_action(self) -> float | None:
        return round(statistics.median(self.days_to_action), 1) if self.days_to_action else None

    @property
    def median_days_to_outcome(self) -> float | None:
        return round(statistics.median(self.days_to_outcome), 1) if self.days_to_outcome else None

    @property
    def outcomes(self) -> int:
        return len(self.days_to_outcome)

    def as_dict(self) -> dict[str, Any]:
        """The row as the API and the CSV give it."""
        return {
            "label": self.label,
            "reviewed": self.reviewed,
            "fed_action": self.fed_action,
            "rate": None if self.rate is None else round(self.rate, 4),
            "with_outcome": self.outcomes,
            "median_days_to_action": self.median_days_to_action,
            "median_days_to_outcome": self.median_days_to_outcome,
        }


@dataclass
class LoopReport:
    """The report: one row per area, one per team, and the total."""

    since: dt.date | None
    until: dt.date | None
    by_area: list[ReportRow]
    by_team: list[ReportRow]
    total: ReportRow


def _days(start: dt.datetime, end: dt.datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 86400)


def _midnight(day: dt.date) -> dt.datetime:
    """The start of `day` in the current time zone (the zone `__date` lookups read dates in)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def build_loop_report(
    user: User, *, since: dt.date | None = None, until: dt.date | None = None
) -> LoopReport:
    """Insight-to-action rate and latency over the insights `user` may see, submitted between since and until
    (inclusive dates, either open)."""
    require(user, "insight", "view")
    require(user, "insight_action", "view")
    insights = Insight.objects.restrict(user, "view").filter(status=InsightStatus.REVIEWED)
    # Bounds as times at local midnight rather than `submitted_at__date`: the date cast hides the column from
    # its index, which turned a quarter's report over a million interactions into a scan of every insight.
    if since is not None:
        insights = insights.filter(submitted_at__gte=_midnight(since))
    if until is not None:
        insights = insights.filter(submitted_at__lt=_midnight(until + dt.timedelta(days=1)))
    # Times are read only for the insights that fed an action (converting every row's datetimes cost more
    # than the query), and the actions are matched to the insights by a subquery, not a list of their ids.
    rows = list(insights.order_by().values_list("pk", "therapeutic_area__name", "author__team__name"))
    wanted = {pk for pk, *_ in rows}
    start_at: dict[int, dt.datetime] = {}
    first_action: dict[int, dt.datetime] = {}
    first_done: dict[int, dt.datetime] = {}
    actions = (
        InsightAction.objects.restrict(user, "view")
        .exclude(status=ActionStatus.CANCELLED)
        .filter(theme__insights__in=insights.values("pk"))
        .values_list(
            "theme__insights",
            Coalesce("theme__insights__submitted_at", "theme__insights__created_at"),
            "created_at",
            "status",
            "completed_at",
        )
    )
    for insight_pk, start, created_at, status, completed_at in actions:
        if insight_pk not in wanted:
            continue
        start_at[insight_pk] = start
        if insight_pk not in first_action or created_at < first_action[insight_pk]:
            first_action[insight_pk] = created_at
        done = status == ActionStatus.DONE and completed_at is not None
        if done and (insight_pk not in first_done or completed_at < first_done[insight_pk]):
            first_done[insight_pk] = completed_at
    by_area: dict[str, ReportRow] = {}
    by_team: dict[str, ReportRow] = {}
    total = ReportRow("All")
    for pk, area, team in rows:
        groups = (
            total,
            by_area.setdefault(area, ReportRow(area)),
            by_team.setdefault(team or NO_TEAM, ReportRow(team or NO_TEAM)),
        )
        for row in groups:
            row.reviewed += 1
            if pk in first_action:
                row.fed_action += 1
                row.days_to_action.append(_days(start_at[pk], first_action[pk]))
            if pk in first_done:
                row.days_to_outcome.append(_days(start_at[pk], first_done[pk]))
    return LoopReport(
        since=since,
        until=until,
        by_area=sorted(by_area.values(), key=lambda r: r.label),
        by_team=sorted(by_team.values(), key=lambda r: r.label),
        total=total,
    )


def seed_insights(user: User, *, priority: Any = None, cluster: Any = None) -> list[Insight]:
    """Insights to start a theme with: the submitted or reviewed ones the reviewer may see that answer a
    listening priority (the author's or the reviewer's choice) or fall in an intel cluster of the unmatched."""
    qs = Insight.objects.restrict(user, "view").exclude(status=InsightStatus.DRAFT)
    if priority is not None:
        return list(qs.filter(listening_priority=priority))
    if cluster is not None:
        return list(qs.filter(intel_cluster__cluster=cluster))
    return []
