"""Trends: signals per assigned listening priority (a "theme" on the pages) per month, with emerging months flagged
(the test is `liaison_text.trends`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from liaison.insights.models import Insight, InsightStatus, ListeningPriority
from liaison_text import trends as text_trends

from .duplicates import signal_groups
from .priority_matching import assigned_priorities

if TYPE_CHECKING:
    from liaison.accounts.models import User


def observed_at(insight: Insight) -> Any:
    """When the field heard it: the interaction's time, else when it was submitted, else created."""
    if insight.interaction_id and insight.interaction is not None:
        return insight.interaction.occurred_at
    return insight.submitted_at or insight.created_at


@dataclass
class PriorityTrend:
    """One assigned priority's (or one area's unmatched) monthly signal counts and the months where it emerged."""

    key: str
    label: str
    area: str
    points: list[text_trends.MonthPoint]

    @property
    def total(self) -> int:
        return sum(p.count for p in self.points)

    @property
    def emerging(self) -> list[str]:
        return [p.month for p in self.points if p.emerging]


@dataclass
class TrendTable:
    """The trends page and API: the months, one row per theme, and the insight/signal totals behind them."""

    months: list[str]
    rows: list[PriorityTrend] = field(default_factory=list)
    insights: int = 0
    signals: int = 0


def trend_table(user: User, *, area_id: int | None = None, months: int = 12, today: Any = None) -> TrendTable:
    """Signals per theme per month over the last `months` months, from the insights the user may see.

    A signal is a group of linked near-duplicates (counted once, in the month its first insight was heard).
    """
    today = today or timezone.localdate()
    last = text_trends.month_key(today)
    year, month = today.year, today.month - (months - 1)
    while month <= 0:
        year, month = year - 1, month + 12
    month_list = text_trends.month_range(f"{year:04d}-{month:02d}", last)
    qs = (
        Insight.objects.restrict(user, "view")
        .exclude(status=InsightStatus.DRAFT)
        .select_related("interaction", "therapeutic_area")
    )
    if area_id is not None:
        qs = qs.filter(therapeutic_area_id=area_id)
    insights = list(qs)
    assigned = assigned_priorities(insights)
    groups = signal_groups(user, [i.pk for i in insights])
    first: dict[int, Insight] = {}
    for insight in sorted(insights, key=observed_at):
        first.setdefault(groups[insight.pk], insight)
    names = dict(ListeningPriority._base_manager.values_list("pk", "title"))
    items, labels = [], {}
    for root, insight in first.items():
        t = assigned[root] if root in assigned else assigned[insight.pk]
        key = f"p{t.priority_id}" if t.priority_id else f"u{insight.therapeutic_area_id}"
        labels[key] = (
            names.get(t.priority_id, "?") if t.priority_id else "Unmatched (nobody asked)",
            insight.therapeutic_area.name,
        )
        items.append((key, observed_at(insight)))
    counts = text_trends.monthly_counts(items, month_list)
    rows = [
        PriorityTrend(k, labels[k][0], labels[k][1], text_trends.detect(c, month_list))
        for k, c in counts.items()
    ]
    rows.sort(key=lambda r: (not r.emerging, r.area, -r.total))
    return TrendTable(month_list, rows, insights=len(insights), signals=len(first))
