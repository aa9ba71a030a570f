"""Restricted reads of engagement planning: progress against a plan, counted from submitted interactions in the
plan's period.

Nothing here is stored: a plan's progress is recomputed from the interactions each time, through
`Interaction.objects.restrict(user, "view")`, so a user's figures come only from interactions they may see
(for the plan's own team that is all of them). docs/engagement-planning.md defines the figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.utils import timezone

from liaison.engagement.models import Interaction, InteractionStatus
from liaison.people.models import HCP, HCPStatus, Tier

from .models import EngagementPlan, PlanKind

if TYPE_CHECKING:
    from liaison.accounts.models import User


@dataclass
class ProgressRow:
    """One line of a plan's progress: planned and done interactions, and for tiers the HCPs reached."""

    label: str
    planned: int
    done: int
    hcps: int | None = None
    reached: int | None = None

    @property
    def percent(self) -> int:
        """Done as a share of planned, in whole percent (0 when nothing was planned); may exceed 100."""
        return round(100 * self.done / self.planned) if self.planned else 0

    @property
    def bar_width(self) -> int:
        """The bar's filled width in percent, capped at 100 (the number says how far beyond)."""
        return min(100, self.percent)


@dataclass
class PlanProgress:
    """A plan's progress: the total line, the per-tier lines of a territory plan, and where the period stands."""

    plan: EngagementPlan
    total: ProgressRow
    rows: list[ProgressRow] = field(default_factory=list)
    elapsed_percent: int = 0

    @property
    def on_track(self) -> bool:
        """Done keeps pace with the share of the period that has passed."""
        return self.total.percent >= self.elapsed_percent


def _instant(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def elapsed_percent(start: dt.date, end: dt.date, today: dt.date) -> int:
    """How much of [start, end) has passed by the end of `today`, in whole percent."""
    if today < start:
        return 0
    if today >= end:
        return 100
    return round(100 * ((today - start).days + 1) / (end - start).days)


def plan_progress(plan: EngagementPlan, user: User, *, today: dt.date | None = None) -> PlanProgress:
    """Count the submitted interactions in the plan's period that the plan asks for.

    KOL plan: interactions the HCP attended. Territory plan, per tier: interactions attended by at least one
    active HCP of that tier in the territory (an interaction with two tier-1 HCPs counts once for tier 1), and
    the number of those HCPs reached at least once out of all of them.
    """
    today = today or timezone.localdate()
    start, end = plan.period_bounds()
    interactions = Interaction.objects.restrict(user, "view").filter(
        status=InteractionStatus.SUBMITTED, occurred_at__gte=_instant(start), occurred_at__lt=_instant(end)
    )
    elapsed = elapsed_percent(start, end, today)
    if plan.kind == PlanKind.KOL:
        assert plan.hcp_id is not None  # the plan_kind check constraint: a KOL plan names its HCP
        done = interactions.filter(attendance__hcp_id=plan.hcp_id).distinct().count()
        planned = (plan.planned_per_quarter or 0) * plan.quarters
        total = ProgressRow(label=plan.subject_label, planned=planned, done=done)
        return PlanProgress(plan=plan, total=total, elapsed_percent=elapsed)

    rows = []
    labels = dict(Tier.choices)
    assert plan.territory_id is not None  # the same constraint: a territory plan names its territory
    people = HCP.objects.restrict(user, "view").filter(
        territory_id=plan.territory_id, status=HCPStatus.ACTIVE
    )
    for tier, per_quarter in sorted(plan.tier_targets.items()):
        tiered = people.filter(tier=int(tier))
        in_tier = interactions.filter(attendance__hcp__in=tiered)
        done = in_tier.distinct().count()
        reach = tiered.aggregate(
            hcps=Count("pk", distinct=True),
            reached=Count(
                "attendance__hcp",
                distinct=True,
                filter=Q(attendance__interaction__in=interactions.values("pk")),
            ),
        )
        rows.append(
            ProgressRow(
                label=labels.get(int(tier), f"Tier {tier}"),
                planned=int(per_quarter) * plan.quarters,
                done=done,
                hcps=reach["hcps"],
                reached=reach["reached"],
            )
        )
    total = ProgressRow(
        label="All tiers",
        planned=sum(r.planned for r in rows),
        done=sum(r.done for r in rows),
        hcps=sum(r.hcps or 0 for r in rows),
        reached=sum(r.reached or 0 for r in rows),
    )
    return PlanProgress(plan=plan, total=total, rows=rows, elapsed_percent=elapsed)


# The home page shows at most this many of the user's current plans.
HOME_PLANS = 5


def current_plans_progress(user: User, *, today: dt.date | None = None) -> list[PlanProgress]:
    """The user's own plans whose period includes today (quarter plans first), with progress, for the home page."""
    today = today or timezone.localdate()
    quarter = (today.month - 1) // 3 + 1
    plans = (
        EngagementPlan.objects.restrict(user, "view")
        .filter(owner=user, year=today.year)
        .filter(Q(quarter__isnull=True) | Q(quarter=quarter))
        .select_related("hcp", "territory")
        .order_by("quarter", "created_at")
    )
    return [plan_progress(p, user, today=today) for p in plans[:HOME_PLANS]]
