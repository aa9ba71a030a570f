"""The restricted, filtered querysets every metric counts from, and the period counts metrics share."""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Count, Max, QuerySet

from liaison.core.policies import team_scope
from liaison.core.roles import Role
from liaison.engagement.models import FollowUp, FollowUpStatus, Initiation, Interaction, InteractionStatus
from liaison.insights.models import Insight, InsightStatus
from liaison.medinfo.models import MedicalInquiry
from liaison.safety.models import SafetyReport

from .filters import Filters

if TYPE_CHECKING:
    from liaison.accounts.models import User

REPORTED = (InsightStatus.SUBMITTED, InsightStatus.REVIEWED)
QS = TypeVar("QS", bound=QuerySet)


def interactions(user: User, f: Filters) -> QuerySet:
    """Submitted interactions in the period that the viewer may see, narrowed by team, territory and area."""
    qs = Interaction.objects.restrict(user, "view").filter(
        status=InteractionStatus.SUBMITTED, occurred_at__gte=f.start_at, occurred_at__lt=f.end_at
    )
    return by_owner(qs, f, "owner").filter(**({"therapeutic_area": f.area} if f.area else {}))


def by_owner(qs: QS, f: Filters, owner: str) -> QS:
    """`qs` narrowed by the team and territory filters of the user at `owner` (owner, author, reporter)."""
    if f.team:
        qs = qs.filter(**{f"{owner}__team": f.team})
    if f.territory:
        qs = qs.filter(**{f"{owner}__territory": f.territory})
    return qs


def insights(user: User, f: Filters) -> QuerySet:
    """Submitted or reviewed insights the viewer may see, by their author's team and territory and the area."""
    qs = Insight.objects.restrict(user, "view").filter(status__in=REPORTED)
    qs = by_owner(qs, f, "author")
    return qs.filter(therapeutic_area=f.area) if f.area else qs


def follow_ups(user: User, f: Filters) -> QuerySet:
    """Follow-ups due in the period (not cancelled) that the viewer may see."""
    qs = FollowUp.objects.restrict(user, "view").filter(due_date__gte=f.start, due_date__lte=f.end)
    qs = by_owner(qs.exclude(status=FollowUpStatus.CANCELLED), f, "owner")
    return qs.filter(interaction__therapeutic_area=f.area) if f.area else qs


def inquiries(user: User, f: Filters) -> QuerySet:
    """Inquiries received in the period that the viewer may see (team and territory of whoever captured it)."""
    qs = MedicalInquiry.objects.restrict(user, "view").filter(
        received_at__gte=f.start_at, received_at__lt=f.end_at
    )
    qs = by_owner(qs, f, "captured_by")
    return qs.filter(product__therapeutic_area=f.area) if f.area else qs


def safety_reports_for_sla(user: User, f: Filters) -> QuerySet:
    """The safety reports the AE SLA is counted over: the team's, not only the ones the viewer may open.

    The SLA is a team's figure, and a manager needs it without reading the reports (which only drug safety,
    oversight and each reporter may open): a manager counts the reports their team's MSLs raised, a medical lead
    and an administrator every team's. Only Day 0, the status and the acknowledgement time are read from these
    rows; the dashboard shows counts, and the drill-down links a report only where the viewer may open it.
    Anyone else counts what they may see.
    """
    if user.role in (Role.MSL_MANAGER, Role.MEDICAL_LEAD, Role.ADMIN):
        qs = team_scope(SafetyReport.objects.all(), user, "reported_by")
    else:
        qs = SafetyReport.objects.restrict(user, "view")
    qs = by_owner(qs.filter(day_zero__gte=f.start_at, day_zero__lt=f.end_at), f, "reported_by")
    return qs.filter(suspect_product__therapeutic_area=f.area) if f.area else qs


class Period:
    """What several metrics count from the same rows, read once per dashboard rather than once per metric.

    The period's interactions per area, channel and initiation are one grouped pass over the
    `interaction_metrics_idx` range: insight yield and KOL feedback read them per area, proactive share per
    channel. The metric functions take it as an optional third argument, so each one still works alone (the
    drill-down, a single metric from the API), and `dashboard()` hands the same one to all of them.
    """

    def __init__(self, user: User, f: Filters) -> None:
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
