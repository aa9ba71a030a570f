"""Impact metrics for managers, aggregated in SQL: one grouped query per metric, no per-record loop.

Every figure is counted from querysets read through `restrict()`, so a manager's dashboard counts what the
manager may see (their team's interactions, insights and follow-ups) and the firewall holds by construction:
the resource `"metrics"` (core/permissions.py) is granted to msl_manager, medical_lead and admin only, and no
metric touches prescribing or sales data (there is none in Liaison). Definitions live in docs/metrics.md and
in `DEFINITIONS` below, which the pages and exports show next to each figure.

Why conditional aggregation: `Count("id", filter=Q(...))` computes every bucket of a metric in one pass over
the rows the period and filters select (the `occurred_at`, `due_date`, `received_at` and `day_zero` indexes
narrow them), which is what keeps the dashboard under a second over a million interactions (bench/dashboard.py).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, F, IntegerField, Max, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from liaison.accounts.models import Team, Territory, TherapeuticArea
from liaison.core.permissions import can, require
from liaison.engagement.models import (
    FollowUp,
    FollowUpStatus,
    Initiation,
    Interaction,
    InteractionAttendee,
    InteractionStatus,
)
from liaison.insights.models import Insight, InsightStatus, ListeningPriority
from liaison.loop.models import InsightRating
from liaison.medinfo.models import InquiryStatus, MedicalInquiry
from liaison.people.models import HCP, Channel, HCPStatus, Tier
from liaison.planning.models import EngagementPlan, PlanKind
from liaison.safety.models import SafetyReport

RESOURCE = "metrics"
# Planned visits per tiered KOL per quarter when no engagement plan exists (docs/metrics.md).
DEFAULT_VISITS_PER_QUARTER = {1: 3, 2: 2, 3: 1, 4: 1}
DAYS_PER_QUARTER = 91
# Where a tiered KOL's planned visits came from, in the order they are looked for (docs/metrics.md).
PLAN_KOL, PLAN_TERRITORY, PLAN_DEFAULT = "KOL plan", "territory plan", "default plan"
# A rated insight is high-value when its mean specific and actionable ratings both reach this and at least
# half of its reviewers judged it new.
HIGH_VALUE_SCORE = 4
FRESH_DAYS = 90  # a listening priority is covered when it has insights submitted in the last 90 days
DEFAULT_PERIOD_DAYS = 90
MAX_PERIOD_DAYS = 3 * 366
DRILL_LIMIT = 200
REPORTED = (InsightStatus.SUBMITTED, InsightStatus.REVIEWED)
ANSWERED = (InquiryStatus.ANSWERED, InquiryStatus.CLOSED)

DEFINITIONS: dict[str, tuple[str, str]] = {
    "kol_coverage": (
        "Coverage of tiered KOLs against plan",
        "Share of active tiered HCPs (tier 1 to 4) who had at least the planned number of submitted "
        "interactions in the period. The plan comes from, in order: the HCP's KOL plans; else the plans of the "
        "HCP's territory with a target for its tier, shared equally among the territory's active HCPs of that "
        "tier; else the default plan (3 visits per quarter for tier 1, 2 for tier 2, 1 for tiers 3 and 4). A "
        "plan counts for the share of its days inside the period, overlapping plans add up, and the sum is "
        "rounded up. Only engagement plans the viewer may see count (a manager: their team's), narrowed by the "
        "team and territory filters like the visits, which count interactions the viewer may see that the HCP "
        "attended.",
    ),
    "priority_coverage": (
        "Listening-priority coverage",
        "Share of active listening priorities with at least one submitted or reviewed insight in the 90 days "
        "before the end of the period.",
    ),
    "insight_yield": (
        "Insight yield and rated quality per interaction",
        "Submitted or reviewed insights linked to the period's submitted interactions, divided by those "
        "interactions, per therapeutic area and overall; 'reviewed' is the share a reviewer has already "
        "reviewed. Quality comes from the reviewers' ratings the viewer may see, each insight weighing once (the "
        "mean of its ratings): 'rated' is the share of insights with a rating; mean specific and mean actionable "
        "(1 to 5) are over rated insights; 'new' is the share of rated insights that at least half of their "
        "reviewers judged new. High-value per interaction = insights rated 4 or more on both scales and judged "
        "new, divided by the interactions; an insight not yet rated is not counted as high-value.",
    ),
    "insight_to_action": (
        "Insight-to-action rate and latency",
        "Share of the period's reviewed insights (by submission date) that fed an action (their theme has an "
        "action that was not cancelled), with the median days from submission to the first action and to its "
        "recorded outcome, per therapeutic area; computed by the insight-to-action loop's report (docs/"
        "insight-to-action.md) over the insights the reader may see. The team filter keeps that team's row.",
    ),
    "follow_up_timeliness": (
        "Follow-up timeliness",
        "Follow-ups due in the period (cancelled ones left out): done on or before the due date, done late, "
        "still open past the due date, or open and not yet due. On time = done on time / all due.",
    ),
    "inquiry_sla": (
        "Medical inquiry SLA",
        "Inquiries received in the period: answered within INQUIRY_SLA_HOURS of receipt, answered later, open "
        "past the SLA, or open within it. Performance = answered within SLA / (all but open within SLA).",
    ),
    "ae_sla": (
        "Adverse event SLA",
        "Safety reports with Day 0 in the period: acknowledged by drug safety within SAFETY_SLA_HOURS of Day 0, "
        "acknowledged later, unacknowledged past the SLA, or pending within it. Counts the reports the viewer "
        "may see (safety's row policy: a manager or medical lead sees the reports they raised).",
    ),
    "proactive_share": (
        "Proactive vs reactive interactions",
        "Submitted interactions in the period per channel, split by who initiated them: proactive (the MSL) "
        "or reactive (the HCP asked). Share = proactive / all.",
    ),
    "kol_feedback": (
        "KOL feedback",
        "How valuable HCPs said the period's submitted interactions were, where the MSL recorded it (1 = not "
        "valuable, 5 = very valuable; one record per attendee, said in the meeting, told afterwards or from a "
        "survey). Per therapeutic area: interactions, those with any feedback and their share, feedback records, "
        "the mean value and how many gave each value 1 to 5. Bars: mean value / 5. Counts interactions and "
        "feedback the viewer may see.",
    ),
    "stakeholder_feedback": (
        "Internal stakeholder feedback on digests",
        "Feedback recorded in the period on digests sent to internal stakeholders, per function: 'used' or "
        "'not relevant'. Share used = used / all feedback.",
    ),
}
ORDER = tuple(DEFINITIONS)


class InvalidFilters(ValidationError):
    """A filter value that names nothing or a period that makes no sense; pages show it, the API answers 422."""


@dataclass(frozen=True)
class Filters:
    """The period [start, end] (inclusive dates) and the optional team, territory and therapeutic area."""

    start: dt.date
    end: dt.date
    team: Team | None = None
    territory: Territory | None = None
    area: TherapeuticArea | None = None

    @property
    def start_at(self) -> dt.datetime:
        return _midnight(self.start)

    @property
    def end_at(self) -> dt.datetime:
        """Exclusive upper bound: midnight after `end`."""
        return _midnight(self.end + dt.timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def query(self) -> dict[str, str]:
        """The filters as query-string values, for links (drill-down, exports) that keep them."""
        out = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.team:
            out["team"] = str(self.team.uuid)
        if self.territory:
            out["territory"] = str(self.territory.uuid)
        if self.area:
            out["area"] = self.area.code
        return out


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def parse_filters(user: Any, values: dict[str, Any]) -> Filters:
    """Filters from query values (`start`, `end` as ISO dates; `team`, `territory` as uuids; `area` as code).

    Missing values take defaults (the last 90 days, everything); a malformed or unknown value raises
    InvalidFilters naming the field. Team, territory and area resolve through restrict() like any reference.
    """
    today = timezone.localdate()
    errors: dict[str, str] = {}

    def day(name: str, default: dt.date) -> dt.date:
        raw = values.get(name)
        if raw in (None, ""):
            return default
        if isinstance(raw, dt.date):
            return raw
        try:
            parsed = dt.date.fromisoformat(str(raw)[:10])
        except ValueError:
            errors[name] = "must be a date as YYYY-MM-DD"
            return default
        if not 1900 <= parsed.year <= 2200:
            errors[name] = "must be between the years 1900 and 2200"
            return default
        return parsed

    end = day("end", today)
    start = day("start", end - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1))
    if start > end:
        errors["start"] = "must not be after the end of the period"
    elif (end - start).days >= MAX_PERIOD_DAYS:
        errors["start"] = f"the period may span at most {MAX_PERIOD_DAYS} days"

    def ref(name: str, model: Any, key: str) -> Any:
        raw = str(values.get(name) or "").strip()
        if not raw:
            return None
        try:
            found = _reference(model, user).filter(**{key: raw}).first()
        except (ValueError, ValidationError):
            found = None
        if found is None:
            errors[name] = f"unknown {model._meta.verbose_name}: {raw[:60]}"
        return found

    team = ref("team", Team, "uuid")
    territory = ref("territory", Territory, "uuid")
    area = ref("area", TherapeuticArea, "code")
    if errors:
        raise InvalidFilters(errors)
    return Filters(start=start, end=end, team=team, territory=territory, area=area)


def _reference(model: Any, user: Any) -> QuerySet:
    """Teams and territories the metrics filter by, areas too.

    Teams and territories sit under the `user` resource, which a medical lead does not hold; their names are
    what the dashboard is filtered by, so a holder of `metrics` view reads them (names only, never members).
    Everyone else, and every area, goes through restrict().
    """
    if model in (Team, Territory) and can(user, RESOURCE, "view") and not can(user, "user", "view"):
        return model._base_manager.all()
    return model.objects.restrict(user, "view")


def filter_choices(user: Any) -> dict[str, list[Any]]:
    """Teams, territories and areas offered in the filter bar."""
    return {
        "teams": list(_reference(Team, user).order_by("name")),
        "territories": list(_reference(Territory, user).order_by("name")),
        "areas": list(_reference(TherapeuticArea, user).filter(active=True).order_by("name")),
    }


@dataclass
class Metric:
    """One metric as shown: headline, the table behind the chart, and the bars the chart draws.

    `bars` holds (label, share 0..1, text); `available` is False when the data it needs is not recorded.
    """

    key: str
    title: str
    definition: str
    headline: str
    columns: list[str]
    rows: list[list[Any]]
    bars: list[tuple[str, float, str]] = field(default_factory=list)
    available: bool = True


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "n/a"


# ---- restricted, filtered base querysets ---------------------------------------------------------------------


def interactions(user: Any, f: Filters) -> QuerySet:
    """Submitted interactions in the period that the viewer may see, narrowed by team, territory and area."""
    qs = Interaction.objects.restrict(user, "view").filter(
        status=InteractionStatus.SUBMITTED, occurred_at__gte=f.start_at, occurred_at__lt=f.end_at
    )
    return _by_owner(qs, f, "owner").filter(**({"therapeutic_area": f.area} if f.area else {}))


def _by_owner(qs: QuerySet, f: Filters, owner: str) -> QuerySet:
    if f.team:
        qs = qs.filter(**{f"{owner}__team": f.team})
    if f.territory:
        qs = qs.filter(**{f"{owner}__territory": f.territory})
    return qs


def insights(user: Any, f: Filters) -> QuerySet:
    """Submitted or reviewed insights the viewer may see, by their author's team and territory and the area."""
    qs = Insight.objects.restrict(user, "view").filter(status__in=REPORTED)
    qs = _by_owner(qs, f, "author")
    return qs.filter(therapeutic_area=f.area) if f.area else qs


def follow_ups(user: Any, f: Filters) -> QuerySet:
    """Follow-ups due in the period (not cancelled) that the viewer may see."""
    qs = FollowUp.objects.restrict(user, "view").filter(due_date__gte=f.start, due_date__lte=f.end)
    qs = _by_owner(qs.exclude(status=FollowUpStatus.CANCELLED), f, "owner")
    return qs.filter(interaction__therapeutic_area=f.area) if f.area else qs


def inquiries(user: Any, f: Filters) -> QuerySet:
    """Inquiries received in the period that the viewer may see (team and territory of whoever captured it)."""
    qs = MedicalInquiry.objects.restrict(user, "view").filter(
        received_at__gte=f.start_at, received_at__lt=f.end_at
    )
    qs = _by_owner(qs, f, "captured_by")
    return qs.filter(product__therapeutic_area=f.area) if f.area else qs


def safety_reports(user: Any, f: Filters) -> QuerySet:
    """Safety reports with Day 0 in the period that the viewer may see (team and territory of the reporter)."""
    qs = SafetyReport.objects.restrict(user, "view").filter(day_zero__gte=f.start_at, day_zero__lt=f.end_at)
    qs = _by_owner(qs, f, "reported_by")
    return qs.filter(suspect_product__therapeutic_area=f.area) if f.area else qs


class Period:
    """What several metrics count from the same rows, read once per dashboard rather than once per metric.

    The period's interactions per area, channel and initiation are one grouped pass over the
    `interaction_metrics_idx` range: insight yield and KOL feedback read them per area, proactive share per
    channel. The metric functions take it as an optional third argument, so each one still works alone (the
    drill-down, a single metric from the API), and `dashboard()` hands the same one to all of them.
    """

    def __init__(self, user: Any, f: Filters) -> None:
        self.user, self.f = user, f

    @cached_property
    def interaction_counts(self) -> list[tuple[int | None, str | None, str, str, int]]:
        """(area id, area name, channel, initiation, interactions) over the period's visible, submitted
        interactions; grouped by the area's id (names are unique), its name read along (`Max` of one value)."""
        return list(
            interactions(self.user, self.f)
            .values("therapeutic_area_id", "channel", "initiation")
            .annotate(name=Max("therapeutic_area__name"), n=Count("id"))
            .order_by()
            .values_list("therapeutic_area_id", "name", "channel", "initiation", "n")
        )

    @cached_property
    def area_name(self) -> dict[int | None, str | None]:
        """Names of the areas the period's interactions name (None: no area)."""
        return {None: None, **{pk: name for pk, name, *_ in self.interaction_counts if pk is not None}}

    @cached_property
    def area_id(self) -> dict[str | None, int | None]:
        return {name: pk for pk, name in self.area_name.items()}

    @cached_property
    def per_area(self) -> dict[str | None, int]:
        """Interactions per area name (None: no area)."""
        out: dict[str | None, int] = defaultdict(int)
        for _, name, _, _, n in self.interaction_counts:
            out[name] += n
        return dict(out)

    @cached_property
    def per_channel(self) -> list[dict[str, Any]]:
        """Proactive and reactive interactions per channel, channels in order."""
        out: dict[str, dict[str, Any]] = {}
        for _, _, channel, initiation, n in self.interaction_counts:
            row = out.setdefault(channel, {"channel": channel, "proactive": 0, "reactive": 0})
            if initiation == Initiation.PROACTIVE:
                row["proactive"] += n
            elif initiation == Initiation.REACTIVE:
                row["reactive"] += n
        return [out[c] for c in sorted(out)]


def tiered_hcps(user: Any, f: Filters) -> QuerySet:
    """Active HCPs with a tier that the viewer may see, in the area when one is chosen.

    Inactive and merged records are left out: a merged record's survivor is the KOL, and an inactive one is no
    longer engaged (nor counted among the peers a territory plan's target is shared by).
    """
    qs = HCP.objects.restrict(user, "view").filter(tier__isnull=False, status=HCPStatus.ACTIVE)
    return qs.filter(therapeutic_areas=f.area) if f.area else qs


def planned_visits(tier: int, days: int) -> int:
    """Visits the default plan asks of one KOL of `tier` over `days` (per-quarter plan scaled, rounded up)."""
    return max(1, math.ceil(DEFAULT_VISITS_PER_QUARTER[tier] * days / DAYS_PER_QUARTER))


def visits_per_hcp(user: Any, f: Filters) -> dict[int, int]:
    """Submitted, visible interactions per attending HCP in the period: one grouped query."""
    rows = (
        InteractionAttendee.objects.filter(interaction__in=interactions(user, f))
        .values("hcp_id")
        .annotate(n=Count("id"))
        .values_list("hcp_id", "n")
    )
    return dict(rows)


def engagement_plans(user: Any, f: Filters) -> QuerySet:
    """Engagement plans the viewer may see whose year meets the period, narrowed by the owner's team/territory.

    Plans are read like the visits they are compared with: a manager counts their team's visits, so their team's
    plans set the target; a plan another team made for the same KOL is that team's commitment, not this one's.
    """
    qs = EngagementPlan.objects.restrict(user, "view").filter(year__gte=f.start.year, year__lte=f.end.year)
    return _by_owner(qs, f, "owner")


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


def kol_plans(user: Any, f: Filters, extra: tuple[str, ...] = ()) -> list[KolPlan]:
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
    peers: dict[tuple[int, int], int] = {}
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


# ---- the metrics ---------------------------------------------------------------------------------------------


def kol_coverage(user: Any, f: Filters, period: Period | None = None) -> Metric:
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
        rows.append([label, n, plan, made, met, _pct(met, n), *by_source])
        bars.append((label, _share(met, n), f"{met} of {n}"))
    return _metric(
        "kol_coverage",
        f"{_pct(covered, kols)} of {kols} tiered KOLs at plan (plans: {sources[0]} from KOL plans, "
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


def priority_coverage(user: Any, f: Filters, period: Period | None = None) -> Metric:
    since = f.end_at - dt.timedelta(days=FRESH_DAYS)
    fresh = dict(
        insights(user, f)
        .filter(submitted_at__gte=since, submitted_at__lt=f.end_at, listening_priority__isnull=False)
        .values("listening_priority_id")
        .annotate(n=Count("id"))
        .values_list("listening_priority_id", "n")
    )
    priorities = ListeningPriority.objects.restrict(user, "view").filter(active=True)
    if f.area:
        priorities = priorities.filter(therapeutic_area=f.area)
    rows, bars, covered = [], [], 0
    listed = list(priorities.select_related("therapeutic_area"))
    for p in listed:
        n = fresh.get(p.pk, 0)
        covered += n > 0
        rows.append([p.title, p.therapeutic_area.name, n, "yes" if n else "no"])
        bars.append((p.title, 1.0 if n else 0.0, f"{n} insight(s)"))
    top = max((r[2] for r in rows), default=0)
    bars = [(label, _share(r[2], top), text) for (label, _, text), r in zip(bars, rows, strict=True)]
    return _metric(
        "priority_coverage",
        f"{covered} of {len(listed)} priorities with fresh insights ({_pct(covered, len(listed))})",
        ["Listening priority", "Area", f"Insights, last {FRESH_DAYS} days", "Covered"],
        rows,
        bars,
    )


def rated_insights(user: Any, qs: QuerySet) -> QuerySet:
    """One row per insight of `qs`: its interaction's area (`area_id`), its status, and the means of the ratings
    the viewer may see: `specific` and `actionable` (1-5) and `new` (the share of its reviewers who judged it
    new), None when no visible rating exists.

    Aggregating these rows (QuerySet.aggregate wraps them in a subquery) weighs every rated insight the same
    however many reviewers rated it, which is what a manager means by "the mean rating of our insights". The
    area is its id, not its name: names are read once per dashboard (Period), which spares a join per insight.
    (A FilteredRelation joining the visible ratings once was tried: SQLite then walks the whole list of visible
    ratings for every insight, which is quadratic.)
    """
    return qs.values(
        "pk", "status", "interaction_id", area_id=F("interaction__therapeutic_area_id")
    ).annotate(**rating_means(user, "ratings"))


def rating_means(user: Any, ratings: str) -> dict[str, models.Avg]:
    """`r_specific`, `r_actionable` and `r_new` over the ratings at the path `ratings` that the viewer may see."""
    visible = Q(**{f"{ratings}__in": InsightRating.objects.restrict(user, "view")})
    return {
        "r_specific": models.Avg(f"{ratings}__specific", filter=visible),
        "r_actionable": models.Avg(f"{ratings}__actionable", filter=visible),
        "r_new": models.Avg(Cast(f"{ratings}__new", IntegerField()), filter=visible),
    }


# A rated insight's means reach HIGH_VALUE_SCORE on both scales and half its reviewers or more judged it new.
HIGH_VALUE = Q(r_specific__gte=HIGH_VALUE_SCORE, r_actionable__gte=HIGH_VALUE_SCORE, r_new__gte=0.5)


def _insight_figures(user: Any, f: Filters, areas: list[int | None], ratings: bool) -> dict[str, Any]:
    """Insights, reviewed, and with `ratings` the rated, mean and high-value figures, per area (by id, in the
    order of `areas`) and overall ("" keys), in one query: conditional aggregation over per-insight rows, one
    set per area.

    The per-insight rows are read from the period's interactions (restricted) to their insights (restricted
    too) and ratings, so SQLite walks the period's range of `interaction_metrics_idx`, which also holds the
    area, and looks up each interaction's insights; the other way round (insights whose interaction is `IN` the
    period's) first lists every interaction id, then fetches each insight's interaction again for its area,
    about a third slower. One row per insight and the same means as `rated_insights`.
    """
    rows = interactions(user, f).filter(
        insights__status__in=REPORTED, insights__in=Insight.objects.restrict(user, "view")
    )
    columns = {
        "pk": F("insights__pk"),
        "insight_status": F("insights__status"),
        "area_id": F("therapeutic_area_id"),
    }
    if ratings:
        rows = rows.values(**columns).annotate(**rating_means(user, "insights__ratings"))
    else:
        rows = rows.values(**columns)
    wanted: dict[str, Any] = {}
    for i, area in [("", None), *((str(i), a) for i, a in enumerate(areas))]:
        where = Q() if i == "" else Q(area_id__isnull=True) if area is None else Q(area_id=area)
        wanted[f"n{i}"] = Count("pk", filter=where)
        wanted[f"reviewed{i}"] = Count("pk", filter=where & Q(insight_status=InsightStatus.REVIEWED))
        if ratings:
            wanted[f"rated{i}"] = Count("r_specific", filter=where)
            wanted[f"specific{i}"] = models.Avg("r_specific", filter=where)
            wanted[f"actionable{i}"] = models.Avg("r_actionable", filter=where)
            wanted[f"new{i}"] = Count("pk", filter=where & Q(r_new__gte=0.5))
            wanted[f"high{i}"] = Count("pk", filter=where & HIGH_VALUE)
    return rows.aggregate(**wanted)


def _mean(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "n/a"


def insight_yield(user: Any, f: Filters, period: Period | None = None) -> Metric:
    """Yield and rated quality per area: the period's interactions per area (shared with other metrics), and one
    query for the insights and their ratings."""
    period = period or Period(user, f)
    per_area = period.per_area
    areas = sorted(per_area, key=lambda a: (a is None, a or ""))
    ratings = can(user, "insight_rating", "view")
    got = _insight_figures(user, f, [period.area_id[a] for a in areas], ratings) if areas else {}
    columns = ["Area", "Interactions", "Insights", "Insights per interaction", "Reviewed"]
    if ratings:
        columns += ["Rated", "Mean specific", "Mean actionable", "New", "High-value per interaction"]

    def row(label: str, n_int: int, i: str) -> list[Any]:
        n = got.get(f"n{i}", 0)
        cells = [label, n_int, n, f"{_share(n, n_int):.2f}", _pct(got.get(f"reviewed{i}", 0), n)]
        if ratings:
            rated = got.get(f"rated{i}", 0)
            cells += [
                _pct(rated, n),
                _mean(got.get(f"specific{i}")),
                _mean(got.get(f"actionable{i}")),
                _pct(got.get(f"new{i}", 0), rated),
                f"{_share(got.get(f'high{i}', 0), n_int):.2f}",
            ]
        return cells

    rows, bars = [], []
    for i, area in enumerate(areas):
        label, n_int = area or "No area", per_area[area]
        rows.append(row(label, n_int, str(i)))
        n_ins = got.get(f"n{i}", 0)
        bars.append((label, _share(n_ins, n_int), f"{_share(n_ins, n_int):.2f} per interaction"))
    total_i, total_n = sum(per_area.values()), got.get("n", 0)
    if len(areas) > 1:
        rows.append(row("All areas", total_i, ""))
    top = max((b[1] for b in bars), default=0) or 1
    bars = [(label, v / top, text) for label, v, text in bars]
    headline = f"{_share(total_n, total_i):.2f} insights per interaction ({total_n} from {total_i}); "
    if ratings:
        high = got.get("high", 0)
        headline += f"{_share(high, total_i):.2f} high-value per interaction ({high} rated high-value)"
    else:
        headline += "rated quality not shown: it needs view permission on insight ratings"
    return _metric("insight_yield", headline, columns, rows, bars)


def insight_to_action(user: Any, f: Filters, period: Period | None = None) -> Metric:
    """Rate and latency from the loop's own report, so the dashboard and /loop/report/ never disagree."""
    from liaison.core.permissions import can
    from liaison.loop.reports import build_loop_report

    if not (can(user, "insight", "view") and can(user, "insight_action", "view")):
        note = "Needs view permission on insights and actions"
        return _metric("insight_to_action", note, ["Note"], [[note]], [], available=False)
    report = build_loop_report(user, since=f.start, until=f.end)
    if f.team is not None:
        chosen = [r for r in report.by_team if r.label == f.team.name]
    elif f.area is not None:
        chosen = [r for r in report.by_area if r.label == f.area.name]
    else:
        chosen = report.by_area
    rows, bars = [], []
    for r in chosen:
        rate = r.rate or 0.0
        rows.append(
            [r.label, r.reviewed, r.fed_action, _pct(r.fed_action, r.reviewed), r.median_days_to_action,
             r.median_days_to_outcome]
        )  # fmt: skip
        bars.append((r.label, rate, f"{_pct(r.fed_action, r.reviewed)} fed an action"))
    reviewed = sum(r.reviewed for r in chosen)
    fed = sum(r.fed_action for r in chosen)
    latency = report.total.median_days_to_action if f.team is None and f.area is None else None
    if latency is None and len(chosen) == 1:
        latency = chosen[0].median_days_to_action
    headline = f"{_pct(fed, reviewed)} of {reviewed} reviewed insights fed an action"
    if latency is not None:
        headline += f"; median {latency} days to action"
    return _metric(
        "insight_to_action",
        headline,
        ["Group", "Reviewed", "Fed an action", "Rate", "Median days to action", "Median days to outcome"],
        rows,
        bars,
    )


def follow_up_timeliness(user: Any, f: Filters, period: Period | None = None) -> Metric:
    today = timezone.localdate()
    done = Q(status=FollowUpStatus.DONE)
    counts = follow_ups(user, f).aggregate(
        on_time=Count("id", filter=done & Q(completed_at__date__lte=F("due_date"))),
        done=Count("id", filter=done),
        overdue=Count("id", filter=Q(status=FollowUpStatus.OPEN, due_date__lt=today)),
        pending=Count("id", filter=Q(status=FollowUpStatus.OPEN, due_date__gte=today)),
    )
    # A done follow-up not on time is late: completed after the due date, or with no completion time (the date
    # comparison is then unknown, never true). Subtracting spares a second per-row date conversion.
    late = counts.pop("done") - counts["on_time"]
    counts = {
        "on_time": counts["on_time"],
        "late": late,
        "overdue": counts["overdue"],
        "pending": counts["pending"],
    }
    return _buckets(
        "follow_up_timeliness",
        counts,
        {
            "on_time": "Done on time",
            "late": "Done late",
            "overdue": "Open, overdue",
            "pending": "Open, not yet due",
        },
        "on time",
        exclude_from_base=(),
    )


def inquiry_sla(user: Any, f: Filters, period: Period | None = None) -> Metric:
    sla = dt.timedelta(hours=int(settings.INQUIRY_SLA_HOURS))
    now = timezone.now()
    answered = Q(status__in=ANSWERED)
    counts = inquiries(user, f).aggregate(
        within=Count("id", filter=answered & Q(answered_at__lte=F("received_at") + sla)),
        late=Count("id", filter=answered & (Q(answered_at__gt=F("received_at") + sla) | Q(answered_at=None))),
        overdue=Count("id", filter=~answered & Q(received_at__lt=now - sla)),
        pending=Count("id", filter=~answered & Q(received_at__gte=now - sla)),
    )
    labels = {
        "within": "Answered within SLA",
        "late": "Answered late",
        "overdue": "Open past SLA",
        "pending": "Open within SLA",
    }
    return _buckets("inquiry_sla", counts, labels, "within SLA", exclude_from_base=("pending",))


def ae_sla(user: Any, f: Filters, period: Period | None = None) -> Metric:
    sla = dt.timedelta(hours=float(settings.SAFETY_SLA_HOURS))
    now = timezone.now()
    acked = Q(acknowledged_at__isnull=False)
    counts = safety_reports(user, f).aggregate(
        within=Count("id", filter=acked & Q(acknowledged_at__lte=F("day_zero") + sla)),
        late=Count("id", filter=acked & Q(acknowledged_at__gt=F("day_zero") + sla)),
        overdue=Count("id", filter=~acked & Q(day_zero__lt=now - sla)),
        pending=Count("id", filter=~acked & Q(day_zero__gte=now - sla)),
    )
    labels = {
        "within": "Acknowledged within SLA",
        "late": "Acknowledged late",
        "overdue": "Unacknowledged past SLA",
        "pending": "Pending within SLA",
    }
    return _buckets("ae_sla", counts, labels, "within SLA", exclude_from_base=("pending",))


def _buckets(
    key: str, counts: dict[str, int], labels: dict[str, str], good: str, exclude_from_base: tuple[str, ...]
) -> Metric:
    """A metric whose rows are mutually exclusive buckets; the first bucket is the good one."""
    total = sum(counts.values())
    base = total - sum(counts[k] for k in exclude_from_base)
    first = next(iter(labels))
    rows = [[labels[k], counts[k], _pct(counts[k], total)] for k in labels]
    bars = [(labels[k], _share(counts[k], total), str(counts[k])) for k in labels]
    headline = f"{_pct(counts[first], base)} {good} ({counts[first]} of {base})"
    return _metric(key, headline, ["State", "Records", "Share"], rows, bars)


def proactive_share(user: Any, f: Filters, period: Period | None = None) -> Metric:
    per_channel = (period or Period(user, f)).per_channel
    rows, bars, pro, total = [], [], 0, 0
    for r in per_channel:
        n = r["proactive"] + r["reactive"]
        pro, total = pro + r["proactive"], total + n
        label = Channel(r["channel"]).label if r["channel"] in Channel.values else r["channel"]
        rows.append([label, r["proactive"], r["reactive"], _pct(r["proactive"], n)])
        bars.append((label, _share(r["proactive"], n), f"{_pct(r['proactive'], n)} proactive"))
    return _metric(
        "proactive_share",
        f"{_pct(pro, total)} proactive ({pro} of {total} interactions)",
        ["Channel", "Proactive", "Reactive", "Proactive share"],
        rows,
        bars,
    )


FEEDBACK_VALUES = (1, 2, 3, 4, 5)


def kol_feedback(user: Any, f: Filters, period: Period | None = None) -> Metric:
    """Feedback on the period's interactions per area: the interactions per area (shared with other metrics) and
    one grouped query for the feedback (distinct interactions, records, mean and the count of each value),
    summed over the few areas."""
    from django.db.models import Avg

    from liaison.engagement.models import HcpFeedback

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
            [label, n, g["with_feedback"], _pct(g["with_feedback"], n), g["records"], mean]
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
                _pct(totals["with_feedback"], totals["n"]),
                records,
                f"{overall:.1f}" if overall is not None else "—",
            ]
            + [totals[f"v{v}"] for v in FEEDBACK_VALUES]
        )
    if overall is not None:
        headline = (
            f"mean {overall:.1f} of 5 from {records} feedback on "
            f"{_pct(totals['with_feedback'], totals['n'])} of interactions "
            f"({totals['with_feedback']} of {totals['n']})"
        )
    else:
        n = totals["n"]
        headline = f"No KOL feedback recorded in the period ({n} interaction{'' if n == 1 else 's'})"
    return _metric(
        "kol_feedback",
        headline,
        ["Area", "Interactions", "With feedback", "Share", "Feedback records", "Mean value"]
        + [f"Value {v}" for v in FEEDBACK_VALUES],
        rows,
        bars,
    )


def stakeholder_feedback(user: Any, f: Filters, period: Period | None = None) -> Metric:
    if not apps.is_installed("liaison.stakeholders"):
        return _metric("stakeholder_feedback", "Not installed", ["Note"], [], [], available=False)
    from liaison.stakeholders.services import feedback_counts

    per_function = feedback_counts(user, start=f.start_at, end=f.end_at)
    rows, bars, used, total = [], [], 0, 0
    for label, (n_used, n_not) in per_function.items():
        n = n_used + n_not
        used, total = used + n_used, total + n
        rows.append([label, n_used, n_not, _pct(n_used, n)])
        bars.append((label, _share(n_used, n), f"{n_used} of {n} used"))
    return _metric(
        "stakeholder_feedback",
        f"{_pct(used, total)} of {total} digest feedback said 'used'",
        ["Function", "Used", "Not relevant", "Share used"],
        rows,
        bars,
    )


def _metric(
    key: str,
    headline: str,
    columns: list[str],
    rows: list[list[Any]],
    bars: list[tuple[str, float, str]],
    *,
    available: bool = True,
) -> Metric:
    title, definition = DEFINITIONS[key]
    return Metric(key, title, definition, headline, columns, rows, bars, available)


BUILDERS = {
    "kol_coverage": kol_coverage,
    "priority_coverage": priority_coverage,
    "insight_yield": insight_yield,
    "insight_to_action": insight_to_action,
    "follow_up_timeliness": follow_up_timeliness,
    "inquiry_sla": inquiry_sla,
    "ae_sla": ae_sla,
    "proactive_share": proactive_share,
    "kol_feedback": kol_feedback,
    "stakeholder_feedback": stakeholder_feedback,
}


def dashboard(user: Any, f: Filters, keys: tuple[str, ...] = ORDER) -> list[Metric]:
    """Every metric (or those named) for `f`; raises PermissionDenied for roles without `metrics` view."""
    require(user, RESOURCE, "view")
    period = Period(user, f)
    return [BUILDERS[k](user, f, period) for k in keys]


# ---- drill-down: the records behind a metric -----------------------------------------------------------------


@dataclass
class Drill:
    """The records behind one metric, newest or most relevant first, at most DRILL_LIMIT of them."""

    metric: Metric
    columns: list[str]
    rows: list[tuple[list[Any], str]]  # (cells, url name + uuid for the record's page, or "")
    total: int


def drill(user: Any, key: str, f: Filters) -> Drill:
    """The records a metric counts, read through restrict(); unknown keys raise KeyError (a 404)."""
    require(user, RESOURCE, "view")
    metric = BUILDERS[key](user, f)
    columns, rows, total = _DRILLS.get(key, _no_records)(user, f)
    return Drill(metric, columns, rows, total)


def _no_records(user: Any, f: Filters) -> tuple[list[str], list[tuple[list[Any], str]], int]:
    return [], [], 0


def _drill_kol(user: Any, f: Filters) -> tuple[list[str], list[tuple[list[Any], str]], int]:
    out = [
        (
            [
                f"{first} {last}",
                Tier(k.tier).label,
                k.planned,
                k.made,
                "yes" if k.at_plan else "no",
                k.source,
            ],
            uuid,
        )
        for k in kol_plans(user, f, ("uuid", "first_name", "last_name"))
        for uuid, first, last in [k.extra]
    ]
    out.sort(key=lambda r: (r[0][3] - r[0][2], r[0][0]))  # furthest below plan first
    rows = [(cells, f"/hcps/{uuid}/") for cells, uuid in out[:DRILL_LIMIT]]
    return ["HCP", "Tier", "Planned", "Visits", "At plan", "Plan from"], rows, len(out)


def _drill_priorities(user: Any, f: Filters) -> tuple[list[str], list[tuple[list[Any], str]], int]:
    since = f.end_at - dt.timedelta(days=FRESH_DAYS)
    qs = (
        insights(user, f)
        .filter(submitted_at__gte=since, submitted_at__lt=f.end_at, listening_priority__isnull=False)
        .select_related("listening_priority", "therapeutic_area")
        .order_by("-submitted_at")
    )
    rows = [
        (
            [i.listening_priority.title, i.therapeutic_area.name, f"{i.submitted_at:%Y-%m-%d}", i.text[:120]],
            f"/insights/{i.uuid}/",
        )
        for i in qs[:DRILL_LIMIT]
    ]
    return ["Priority", "Area", "Submitted", "Insight"], rows, qs.count()


def _drill_interactions(
    user: Any, f: Filters, *, ratings: bool = False
) -> tuple[list[str], list[tuple[list[Any], str]], int]:
    """The period's interactions, newest first; with `ratings`, each with its rated and high-value insights (the
    means of the ratings the viewer may see), at the cost of one more query over the insights shown."""
    qs = (
        interactions(user, f)
        .select_related("therapeutic_area", "owner")
        .annotate(n_insights=Count("insights", filter=Q(insights__status__in=REPORTED)))
        .order_by("-occurred_at")
    )
    page = list(qs[:DRILL_LIMIT])
    columns = ["Date", "Channel", "Initiation", "Area", "MSL", "Insights"]
    rated: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # interaction pk: rated insights, high-value
    ratings = ratings and can(user, "insight_rating", "view")
    if ratings:
        columns += ["Rated insights", "High-value insights"]
        found = Insight.objects.restrict(user, "view").filter(
            status__in=REPORTED, interaction__in=[i.pk for i in page]
        )
        for r in (
            rated_insights(user, found)
            .filter(r_specific__isnull=False)
            .annotate(high=models.Case(models.When(HIGH_VALUE, then=1), default=0))
        ):
            rated[r["interaction_id"]][0] += 1
            rated[r["interaction_id"]][1] += r["high"]
    rows = [
        (
            [
                f"{i.occurred_at:%Y-%m-%d}",
                i.get_channel_display(),
                i.get_initiation_display(),
                i.therapeutic_area.name if i.therapeutic_area else "",
                i.owner.get_full_name() or i.owner.username,
                i.n_insights,
                *(rated.get(i.pk, [0, 0]) if ratings else []),
            ],
            f"/interactions/{i.uuid}/",
        )
        for i in page
    ]
    return columns, rows, interactions(user, f).count()


def _drill_insight_yield(user: Any, f: Filters) -> tuple[list[str], list[tuple[list[Any], str]], int]:
    return _drill_interactions(user, f, ratings=True)


def _drill_follow_ups(user: Any, f: Filters) -> tuple[list[str], list[tuple[list[Any], str]], int]:
    qs = follow_ups(user, f).select_related("owner").order_by("due_date")
    rows = [
        (
            [
                f"{x.due_date:%Y-%m-%d}",
                x.get_status_display(),
                f"{x.completed_at:%Y-%m-%d}" if x.completed_at else "",
                x.owner.get_full_name() or x.owner.username,
                x.description[:100],
            ],
            "",
        )
        for x in qs[:DRILL_LIMIT]
    ]
    return ["Due", "Status", "Completed", "Owner", "Follow-up"], rows, qs.count()


def _drill_inquiries(user: Any, f: Filters) -> tuple[list[str], list[tuple[list[Any], str]], int]:
    qs = inquiries(user, f).order_by("-received_at")
    rows = [
        (
            [
                f"{q.received_at:%Y-%m-%d %H:%M}",
                q.get_status_display(),
                f"{q.answered_at:%Y-%m-%d %H:%M}" if q.answered_at else "",
                q.get_channel_display(),
            ],
            f"/inquiries/{q.uuid}/",
        )
        for q in qs[:DRILL_LIMIT]
    ]
    return ["Received", "Status", "Answered", "Channel"], rows, qs.count()


def _drill_safety(user: Any, f: Filters) -> tuple[list[str], list[tuple[list[Any], str]], int]:
    qs = safety_reports(user, f).order_by("-day_zero")
    rows = [
        (
            [
                f"{r.day_zero:%Y-%m-%d %H:%M}",
                r.get_status_display(),
                f"{r.acknowledged_at:%Y-%m-%d %H:%M}" if r.acknowledged_at else "",
            ],
            f"/safety/{r.uuid}/",
        )
        for r in qs[:DRILL_LIMIT]
    ]
    return ["Day 0", "Status", "Acknowledged"], rows, qs.count()


def _drill_stakeholder_feedback(user: Any, f: Filters) -> tuple[list[str], list[tuple[list[Any], str]], int]:
    if not apps.is_installed("liaison.stakeholders"):
        return _no_records(user, f)
    from liaison.stakeholders.services import feedback_records

    qs = feedback_records(user, start=f.start_at, end=f.end_at)
    rows = [
        (
            [
                f"{x.created_at:%Y-%m-%d}",
                x.stakeholder.name,
                x.stakeholder.get_function_display(),
                x.get_verdict_display(),
                x.comment[:120],
            ],
            f"/stakeholders/{x.stakeholder.uuid}/",
        )
        for x in qs[:DRILL_LIMIT]
    ]
    return ["Date", "Stakeholder", "Function", "Verdict", "Comment"], rows, qs.count()


def _drill_kol_feedback(user: Any, f: Filters) -> tuple[list[str], list[tuple[list[Any], str]], int]:
    """The feedback records the KOL feedback metric counts, newest interaction first, each linked to it."""
    from liaison.engagement.models import HcpFeedback

    qs = (
        HcpFeedback.objects.restrict(user, "view")
        .filter(interaction__in=interactions(user, f))
        .select_related("hcp", "interaction__therapeutic_area")
        .order_by("-interaction__occurred_at", "hcp__last_name", "pk")
    )
    rows = [
        (
            [
                x.hcp.full_name,
                f"{timezone.localtime(x.interaction.occurred_at):%Y-%m-%d}",
                x.interaction.therapeutic_area.name if x.interaction.therapeutic_area else "",
                x.value,
                x.get_source_display(),
                f"{x.received_on:%Y-%m-%d}",
                x.comment[:120],
            ],
            f"/interactions/{x.interaction.uuid}/",
        )
        for x in qs[:DRILL_LIMIT]
    ]
    return ["HCP", "Interaction", "Area", "Value", "How heard", "Received", "Comment"], rows, qs.count()


_DRILLS = {
    "kol_coverage": _drill_kol,
    "priority_coverage": _drill_priorities,
    "insight_yield": _drill_insight_yield,
    "proactive_share": _drill_interactions,
    "follow_up_timeliness": _drill_follow_ups,
    "inquiry_sla": _drill_inquiries,
    "ae_sla": _drill_safety,
    "kol_feedback": _drill_kol_feedback,
    "stakeholder_feedback": _drill_stakeholder_feedback,
}
