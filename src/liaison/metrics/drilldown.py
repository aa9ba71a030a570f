"""Drill-downs: the records behind each metric, read through restrict(), at most DRILL_LIMIT of them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone

from liaison.core.permissions import can, require
from liaison.engagement.models import HcpFeedback
from liaison.insights.models import Insight
from liaison.people.models import Tier
from liaison.safety.models import SafetyReport

from .dashboard import BUILDERS
from .definitions import RESOURCE, Metric
from .filters import Filters
from .insight_flow import FRESH_DAYS, HIGH_VALUE, rated_insights
from .querysets import REPORTED, follow_ups, inquiries, insights, interactions, safety_reports_for_sla
from .reach import kol_plans

if TYPE_CHECKING:
    from liaison.accounts.models import User

DRILL_LIMIT = 200


@dataclass
class Drill:
    """The records behind one metric, newest or most relevant first, at most DRILL_LIMIT of them."""

    metric: Metric
    columns: list[str]
    rows: list[tuple[list[Any], str]]  # (cells, url name + uuid for the record's page, or "")
    total: int


def drill(user: User, key: str, f: Filters) -> Drill:
    """The records a metric counts, read through restrict(); unknown keys raise KeyError (a 404)."""
    require(user, RESOURCE, "view")
    metric = BUILDERS[key](user, f)
    columns, rows, total = _DRILLS.get(key, _no_records)(user, f)
    return Drill(metric, columns, rows, total)


def _no_records(user: User, f: Filters) -> tuple[list[str], list[tuple[list[Any], str]], int]:
    return [], [], 0


def _drill_kol(user: User, f: Filters) -> tuple[list[str], list[tuple[list[Any], str]], int]:
    out: list[tuple[list[Any], Any]] = [
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


def _drill_priorities(user: User, f: Filters) -> tuple[list[str], list[tuple[list[Any], str]], int]:
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
    user: User, f: Filters, *, ratings: bool = False
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


def _drill_insight_yield(user: User, f: Filters) -> tuple[list[str], list[tuple[list[Any], str]], int]:
    return _drill_interactions(user, f, ratings=True)


def _drill_follow_ups(user: User, f: Filters) -> tuple[list[str], list[tuple[list[Any], str]], int]:
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


def _drill_inquiries(user: User, f: Filters) -> tuple[list[str], list[tuple[list[Any], str]], int]:
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


def _drill_safety(user: User, f: Filters) -> tuple[list[str], list[tuple[list[Any], str]], int]:
    # The SLA's rows (the team's reports); a report the viewer may not open is listed without its link.
    qs = safety_reports_for_sla(user, f).order_by("-day_zero")
    page = list(qs[:DRILL_LIMIT])
    openable = set(
        SafetyReport.objects.restrict(user, "view")
        .filter(pk__in=[r.pk for r in page])
        .values_list("pk", flat=True)
    )
    rows = [
        (
            [
                f"{r.day_zero:%Y-%m-%d %H:%M}",
                r.get_status_display(),
                f"{r.acknowledged_at:%Y-%m-%d %H:%M}" if r.acknowledged_at else "",
            ],
            f"/safety/{r.uuid}/" if r.pk in openable else "",
        )
        for r in page
    ]
    return ["Day 0", "Status", "Acknowledged"], rows, qs.count()


def _drill_stakeholder_feedback(user: User, f: Filters) -> tuple[list[str], list[tuple[list[Any], str]], int]:
    if not apps.is_installed("liaison.stakeholders"):
        return _no_records(user, f)
    # Deferred: stakeholders may be left out of INSTALLED_APPS, and its models cannot load then.
    from liaison.stakeholders.queries import feedback_records

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


def _drill_kol_feedback(user: User, f: Filters) -> tuple[list[str], list[tuple[list[Any], str]], int]:
    """The feedback records the KOL feedback metric counts, newest interaction first, each linked to it."""
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
