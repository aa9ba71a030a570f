"""Reach metrics: coverage of tiered KOLs against their plans, and proactive vs reactive interactions."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from django.db.models import Count, QuerySet

from liaison.engagement.models import InteractionAttendee
from liaison.people.models import HCP, Channel, HCPStatus, Tier
from liaison.planning.models import EngagementPlan, PlanKind

from .definitions import Metric, build_metric, percent, ratio
from .filters import Filters
from .querysets import Period, by_owner, interactions

if TYPE_CHECKING:
    from liaison.accounts.models import User

# Planned visits per tiered KOL per quarter when no engagement plan exists (docs/metrics.md).
DEFAULT_VISITS_PER_QUARTER = {1: 3, 2: 2, 3: 1, 4: 1}
DAYS_PER_QUARTER = 91
# Where a tiered KOL's planned visits came from, in the order they are looked for (docs/metrics.md).
PLAN_KOL, PLAN_TERRITORY, PLAN_DEFAULT = "KOL plan", "territory plan", "default plan"


def tiered_hcps(user: User, f: Filters) -> QuerySet:
    """Active HCPs with a tier that the viewer may see, in the area when one is chosen.

    Inactive and merged records are left out: a merged record's survivor is the KOL, and an inactive one is no
    longer engaged (nor counted among the peers a territory plan's target is shared by).
    """
    qs = HCP.objects.restrict(user, "view").filter(tier__isnull=False, status=HCPStatus.ACTIVE)
    return qs.filter(therapeutic_areas=f.area) if f.area else qs


def planned_visits(tier: int, days: int) -> int:
    """Visits the default plan asks of one KOL of `tier` over `days` (per-quarter plan scaled, rounded up)."""
    return max(1, math.ceil(DEFAULT_VISITS_PER_QUARTER[tier] * days / DAYS_PER_QUARTER))


def visits_per_hcp(user: User, f: Filters) -> dict[int, int]:
    """Submitted, visible interactions per attending HCP in the period: one grouped query."""
    rows = (
        InteractionAttendee.objects.filter(interaction__in=interactions(user, f))
        .values("hcp_id")
        .annotate(n=Count("id"))
        .values_list("hcp_id", "n")
    )
    return dict(rows)


def engagement_plans(user: User, f: Filters) -> QuerySet:
    """Engagement plans the viewer may see whose year meets the period, narrowed by the owner's team/territory.

    Plans are read like the visits they are compared with: a manager counts their team's visits, so their team's
    plans set the target; a plan another team made for the same KOL is that team's commitment, not this one's.
    """
    qs = EngagementPlan.objects.restrict(user, "view").filter(year__gte=f.start.year, year__lte=f.end.year)
    return by_owner(qs, f, "owner")


def _period_share(f: Filters) -> Any:
    """A function (year, quarter) -> the share of that plan period's days inside `f`, times its quarters: how
    many quarters' worth of a per-quarter target the period asks. Cached: plans share a handful of periods."""
    cache: dict[tuple[int, int | None], Fraction] = {}

    def share(year: int, quarter: int | None) -> Fraction:
        if (year, quarter) not in cache:
            period = EngagementPlan(year=year, quarter=quarter)
            start, end = period.period_bounds()
            days = max(0, (min(end, f.end + dt.timedelta(days=1)) - max(start, f.start)).days)
            cache[year, quarter] = Fraction(days, (end - start).days) * period.quarters
        return cache[year, quarter]

    return share


@dataclass(frozen=True)
class KolPlan:
    """One tiered KOL in the period: planned visits, where that plan came from, and the visits made."""

    hcp_id: int
    tier: int
    planned: int
    source: str
    made: int
    extra: tuple[Any, ...] = ()

    @property
    def at_plan(self) -> bool:
        return self.made >= self.planned


def kol_plans(user: User, f: Filters, extra: tuple[str, ...] = ()) -> list[KolPlan]:
    """Planned and made visits for every tiered HCP the viewer may see; `extra` names more HCP fields to read.

    The plan comes from the viewer's visible KOL plans for the HCP, else from its territory's plans for its tier
    (a fair share: the tier's target over the territory's active HCPs of that tier), else from the default plan.
    A plan counts in proportion to the share of its days that fall in the period (its per-quarter target times
    its quarters, spread evenly over its days), overlapping plans add up, and the sum is rounded up, so a
    quarter plan that the period covers exactly asks exactly its target. Four queries, none per HCP: the tiered
    HCPs, the plans, the territory counts (one grouped query) and the visits (one grouped query).
    """
    hcps = list(tiered_hcps(user, f).values_list("pk", "tier", "territory_id", *extra))
    kol: dict[int, Fraction] = {}
    territory: dict[tuple[int, int], Fraction] = {}
    period_share = _period_share(f)
    fields = ("kind", "hcp_id", "territory_id", "year", "quarter", "planned_per_quarter", "tier_targets")
    for kind, hcp_id, territory_id, year, quarter, per_quarter, targets in (
        engagement_plans(user, f).order_by().values_list(*fields)
    ):
        share = period_share(year, quarter)
        if not share:
            continue
        if kind == PlanKind.KOL and per_quarter is not None:
            kol[hcp_id] = kol.get(hcp_id, Fraction(0)) + per_quarter * share
        elif kind == PlanKind.TERRITORY:
            for tier, target in (targets or {}).items():
                key = (territory_id, int(tier))
                territory[key] = territory.get(key, Fraction(0)) + int(target) * share
    # (territory, tier): active HCPs; the query leaves out HCPs without a tier.
    peers: dict[tuple[int, int | None], int] = {}
    if territory:
        peers = {
            (t, tier): n
            for t, tier, n in HCP.objects.restrict(user, "view")
            .filter(status=HCPStatus.ACTIVE, territory_id__in={t for t, _ in territory}, tier__isnull=False)
            .values("territory_id", "tier")
            .annotate(n=Count("id"))
            .values_list("territory_id", "tier", "n")
        }
    # Rounded once per KOL plan subject and per territory and tier, not once per HCP.
    kol_planned = {pk: math.ceil(planned) for pk, planned in kol.items()}
    fair_share = {key: math.ceil(target / max(1, peers.get(key, 0))) for key, target in territory.items()}
    visits = visits_per_hcp(user, f)
    out = []
    for pk, tier, territory_id, *more in hcps:
        if pk in kol_planned:
            planned, source = kol_planned[pk], PLAN_KOL
        elif (territory_id, tier) in fair_share:
            planned, source = fair_share[territory_id, tier], PLAN_TERRITORY
        else:
            planned, source = planned_visits(tier, f.days), PLAN_DEFAULT
        out.append(KolPlan(pk, tier, planned, source, visits.get(pk, 0), tuple(more)))
    return out


def kol_coverage(user: User, f: Filters, period: Period | None = None) -> Metric:
    per_tier: dict[int, list[int]] = defaultdict(lambda: [0] * 7)  # kols, planned, made, at plan, 3 sources
    column = {PLAN_KOL: 4, PLAN_TERRITORY: 5, PLAN_DEFAULT: 6}
    for k in kol_plans(user, f):
        row = per_tier[k.tier]
        row[0] += 1
        row[1] += k.planned
        row[2] += k.made
        row[3] += k.at_plan
        row[column[k.source]] += 1
    rows, bars, kols, covered, sources = [], [], 0, 0, [0, 0, 0]
    for tier in sorted(per_tier):
        n, plan, made, met, *by_source = per_tier[tier]
        kols, covered = kols + n, covered + met
        sources = [a + b for a, b in zip(sources, by_source, strict=True)]
        label = Tier(tier).label
        rows.append([label, n, plan, made, met, percent(met, n), *by_source])
        bars.append((label, ratio(met, n), f"{met} of {n}"))
    return build_metric(
        "kol_coverage",
        f"{percent(covered, kols)} of {kols} tiered KOLs at plan (plans: {sources[0]} from KOL plans, "
        f"{sources[1]} from territory plans, {sources[2]} default)",
        [
            "Tier",
            "Tiered KOLs",
            "Planned visits",
            "Visits made",
            "KOLs at plan",
            "Coverage",
            "Plan from KOL plans",
            "Plan from territory plans",
            "Default plan",
        ],
        rows,
        bars,
    )


def proactive_share(user: User, f: Filters, period: Period | None = None) -> Metric:
    per_channel = (period or Period(user, f)).per_channel
    rows, bars, pro, total = [], [], 0, 0
    for r in per_channel:
        n = r["proactive"] + r["reactive"]
        pro, total = pro + r["proactive"], total + n
        label = Channel(r["channel"]).label if r["channel"] in Channel.values else r["channel"]
        rows.append([label, r["proactive"], r["reactive"], percent(r["proactive"], n)])
        bars.append((label, ratio(r["proactive"], n), f"{percent(r['proactive'], n)} proactive"))
    return build_metric(
        "proactive_share",
        f"{percent(pro, total)} proactive ({pro} of {total} interactions)",
        ["Channel", "Proactive", "Reactive", "Proactive share"],
        rows,
        bars,
    )
