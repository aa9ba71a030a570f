"""The home page: each role's worklist, composed from the apps (so it lives in the assembly, above them).

Every role lands on a home for its own work (docs/roles.md, "Each role's home"): the MSL their follow-ups, plans,
meetings and drafts; managers and medical leads the review queue, their team's KOL coverage, overdue follow-ups
and AE SLA; drug safety the safety queue; medical information the inquiry queue; compliance the overridden flags
and the audit trail; auditors the audit trail; administrators users, system health and the audit trail.

`ROLE_HOMES` names the panels of each role, in order; each panel is built by one function that returns the
panel's data (with the partial under core/home/ that draws it) or None when the user may not see it. Every figure
comes from `restrict()` or from query functions that use it, so a commercial user's home holds nothing medical,
not even a count: their home is the shortcuts to the directory and the hand-off of a medical request.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_tasks_db.models import DBTaskResult

from liaison.accounts.models import User
from liaison.compliance.flag_views import SUMMARY_DAYS, overrides_by_author
from liaison.core.models import AuditEvent, WorkerHeartbeat
from liaison.core.permissions import can
from liaison.core.roles import Role
from liaison.core.validation import error_messages
from liaison.core.views import AuthenticatedRequest, get_restricted_or_404
from liaison.core.worker import lease_seconds
from liaison.engagement.actions import update_follow_up
from liaison.engagement.models import FollowUp, FollowUpStatus, Interaction, InteractionStatus
from liaison.insights.models import Insight, InsightStatus
from liaison.medinfo.models import InquiryStatus, MedicalInquiry
from liaison.metrics.filters import parse_filters
from liaison.metrics.reach import kol_plans
from liaison.metrics.timeliness import ae_sla
from liaison.people.models import Tier
from liaison.planning.queries import current_plans_progress
from liaison.safety.models import ReportStatus, SafetyReport
from liaison.safety.sla import sla_level

if TYPE_CHECKING:
    from liaison.metrics.filters import Filters

# Follow-ups due within this many days count as "due" on the home page.
DUE_SOON_DAYS = 7
# The home panel lists at most this many; the follow-up list has the rest.
HOME_FOLLOW_UPS = 10
# Queue panels (review, safety, inquiries, overdue follow-ups) list at most this many, oldest first.
HOME_QUEUE_ITEMS = 8
# KOLs not seen in the coverage period that the coverage panel names (highest tier first).
HOME_UNSEEN_KOLS = 5
# Recent audit events on the oversight homes.
HOME_AUDIT_EVENTS = 8

Panel = dict[str, Any]
PanelBuilder = Callable[[User, dt.date], "Panel | None"]


def _panel(name: str, **data: Any) -> Panel:
    """A panel drawn by core/home/_<name>.html; `wide` panels span the page above the grid."""
    return {"template": f"core/home/_{name}.html", "name": name, "wide": False, **data}


def _age(delta: dt.timedelta) -> str:
    """A queue item's age as people read it: minutes, hours under two days, else days and hours."""
    hours = int(delta.total_seconds() // 3600)
    if hours < 1:
        return f"{max(0, int(delta.total_seconds() // 60))} min"
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} d {hours % 24} h"


def _stat(label: str, count: int, url_name: str, query: str = "", tone: str = "") -> dict[str, Any]:
    return {"label": label, "count": count, "href": reverse(url_name) + query, "tone": tone}


# --- the MSL's own work ------------------------------------------------------------------------------------------


def my_follow_ups(user: User, today: dt.date, *, keep_empty: bool = True) -> Panel | None:
    """My open follow-ups due within a week (overdue included), soonest first."""
    if not can(user, "follow_up", "view"):
        return None
    due = FollowUp.objects.restrict(user, "view").filter(
        owner=user, status=FollowUpStatus.OPEN, due_date__lte=today + dt.timedelta(days=DUE_SOON_DAYS)
    )
    items = list(due.select_related("hcp").order_by("due_date")[:HOME_FOLLOW_UPS])
    if not items and not keep_empty:
        return None
    # Say how many more are due than the panel shows, so that a long backlog is not hidden by the cut.
    more = max(0, due.count() - HOME_FOLLOW_UPS) if len(items) == HOME_FOLLOW_UPS else 0
    return _panel("follow_ups", items=items, more=more, can_complete=can(user, "follow_up", "change"))


def plan_progress(user: User, today: dt.date) -> Panel | None:
    if not can(user, "engagement_plan", "view"):
        return None
    return _panel("plan_progress", items=current_plans_progress(user, today=today))


def _my_interactions(user: User) -> Any:
    return Interaction.objects.restrict(user, "view").filter(owner=user).prefetch_related("attendees")


def recent_interactions(user: User, today: dt.date) -> Panel | None:
    if not can(user, "interaction", "view"):
        return None
    return _panel(
        "recent_interactions",
        items=list(_my_interactions(user).filter(status=InteractionStatus.SUBMITTED)[:8]),
    )


def planned_meetings(user: User, today: dt.date) -> Panel | None:
    """Planned meetings are drafts dated in the future (engagement.models.Interaction.is_planned); shown if any."""
    if not can(user, "interaction", "view"):
        return None
    items = list(
        _my_interactions(user)
        .filter(status=InteractionStatus.DRAFT, occurred_at__gt=timezone.now())
        .prefetch_related("external_attendees")
        .order_by("occurred_at")[:10]
    )
    return _panel("planned_meetings", items=items) if items else None


def my_drafts(user: User, today: dt.date, *, keep_empty: bool = True) -> Panel | None:
    """Interactions and insights I started and have not submitted."""
    interactions: list[Interaction] = []
    insights: list[Insight] = []
    if can(user, "interaction", "view"):
        interactions = list(
            _my_interactions(user)
            .filter(status=InteractionStatus.DRAFT, occurred_at__lte=timezone.now())
            .prefetch_related("external_attendees")[:10]
        )
    if can(user, "insight", "view"):
        insights = list(
            Insight.objects.restrict(user, "view")
            .filter(author=user, status=InsightStatus.DRAFT)
            .select_related("hcp", "therapeutic_area")[:10]
        )
    if not can(user, "interaction", "view") and not can(user, "insight", "view"):
        return None
    if not (interactions or insights) and not keep_empty:
        return None
    return _panel("drafts", interactions=interactions, insights=insights)


# --- managers and medical leads: the team ---------------------------------------------------------------------------


def _team_filters(user: User) -> Filters:
    """The metrics' default filters: the last 90 days in the user's own area (a manager's rows are their team's)."""
    return parse_filters(user, {})


def review_queue(user: User, today: dt.date) -> Panel | None:
    """Submitted insights waiting for my review, oldest first (the queue of insights:insight_review)."""
    if not can(user, "insight", "review"):
        return None
    queue = (
        Insight.objects.restrict(user, "review").filter(status=InsightStatus.SUBMITTED).exclude(author=user)
    )
    items = list(
        queue.select_related("author", "therapeutic_area", "hcp").order_by("submitted_at", "created_at")[
            :HOME_QUEUE_ITEMS
        ]
    )
    total = queue.count() if len(items) == HOME_QUEUE_ITEMS else len(items)
    now = timezone.now()
    for insight in items:
        insight.waiting = _age(now - (insight.submitted_at or insight.created_at))  # type: ignore[attr-defined]
    return _panel("review_queue", items=items, total=total)


def team_coverage(user: User, today: dt.date) -> Panel | None:
    """Tiered KOLs seen (at least one submitted interaction) in the last 90 days vs not, per tier.

    Counted by `metrics.reach.kol_plans`, the query behind the dashboard's KOL coverage: the KOLs the user may see in
    their own area, the visits of the interactions they may see (a manager's team's). "At plan" is the dashboard's
    figure: visits made reach the planned visits.
    """
    if not can(user, "metrics", "view"):
        return None
    f = _team_filters(user)
    plans = kol_plans(user, f, extra=("uuid", "first_name", "last_name"))
    per_tier: dict[int, list[int]] = {}
    unseen: list[tuple[int, str, Any]] = []
    for k in plans:
        row = per_tier.setdefault(k.tier, [0, 0, 0])
        row[0] += 1
        row[1] += k.made > 0
        row[2] += k.at_plan
        if not k.made:
            hcp_uuid, first, last = k.extra
            unseen.append((k.tier, f"{first} {last}".strip(), hcp_uuid))
    rows = [
        {
            "tier": Tier(tier).label,
            "kols": n,
            "seen": seen,
            "not_seen": n - seen,
            "at_plan": at_plan,
            "share": round(100 * seen / n) if n else 0,
        }
        for tier, (n, seen, at_plan) in sorted(per_tier.items())
    ]
    unseen.sort(key=lambda u: (u[0], u[1]))
    return _panel(
        "team_coverage",
        rows=rows,
        kols=sum(r["kols"] for r in rows),
        seen=sum(r["seen"] for r in rows),
        unseen=[{"name": name, "uuid": u, "tier": tier} for tier, name, u in unseen[:HOME_UNSEEN_KOLS]],
        unseen_more=max(0, len(unseen) - HOME_UNSEEN_KOLS),
        area=f.area,
        start=f.start,
        query=f"?start={f.start.isoformat()}&end={f.end.isoformat()}",
    )


def team_overdue(user: User, today: dt.date) -> Panel | None:
    """Open follow-ups past their due date that the user may see (a manager's team's; a lead's every team's)."""
    if not can(user, "follow_up", "view"):
        return None
    overdue = FollowUp.objects.restrict(user, "view").filter(status=FollowUpStatus.OPEN, due_date__lt=today)
    items = list(overdue.select_related("owner", "hcp").order_by("due_date", "created_at")[:HOME_QUEUE_ITEMS])
    total = overdue.count() if len(items) == HOME_QUEUE_ITEMS else len(items)
    owners = Counter(f.owner.get_full_name() or f.owner.username for f in items)
    return _panel("team_overdue", items=items, total=total, owners=owners.most_common())


def team_ae_sla(user: User, today: dt.date) -> Panel | None:
    """The dashboard's AE SLA over the last 90 days, every area: the team's figures, not the reports
    (metrics.querysets.safety_reports_for_sla)."""
    if not can(user, "metrics", "view"):
        return None
    # Every area: a report raised from an attestation often names no product yet, and the area filter reads the
    # product's area, so the team's own report would drop out of its own SLA.
    metric = ae_sla(user, parse_filters(user, {"area": ""}))
    return _panel("ae_sla", metric=metric, sla_hours=int(settings.SAFETY_SLA_HOURS))


# --- the queue owners -----------------------------------------------------------------------------------------------


def safety_queue(user: User, today: dt.date) -> Panel | None:
    """Reports whose SLA clock runs (not acknowledged, not closed as "not an AE"), oldest Day 0 first."""
    if not can(user, "safety_report", "view"):
        return None
    now = timezone.now()
    sla = dt.timedelta(hours=float(settings.SAFETY_SLA_HOURS))
    open_reports = (
        SafetyReport.objects.restrict(user, "view")
        .filter(acknowledged_at__isnull=True)
        .exclude(status=ReportStatus.NOT_AN_AE)
    )
    counts = open_reports.aggregate(
        open=Count("id"),
        new=Count("id", filter=Q(status=ReportStatus.NEW)),
        overdue=Count("id", filter=Q(day_zero__lt=now - sla)),
        at_risk=Count("id", filter=Q(day_zero__lt=now - 0.75 * sla, day_zero__gte=now - sla)),
        awaiting_ack=Count("id", filter=Q(status=ReportStatus.FORWARDED)),
    )
    items = list(
        open_reports.select_related("suspect_product", "reported_by").order_by("day_zero", "created_at")[
            :HOME_QUEUE_ITEMS
        ]
    )
    for report in items:
        report.age_label = _age(now - report.day_zero)  # type: ignore[attr-defined]
        report.level = sla_level(report, now)  # type: ignore[attr-defined]
    stats = [
        _stat("Safety reports open", counts["open"], "safety:report_list", "?sort=unforwarded"),
        _stat("Safety reports new", counts["new"], "safety:report_list", "?status=new"),
        _stat("Past SLA", counts["overdue"], "safety:report_list", "?sort=unforwarded", "danger"),
        _stat("At risk (75% of SLA)", counts["at_risk"], "safety:report_list", "?sort=unforwarded", "warn"),
        _stat("Awaiting acknowledgement", counts["awaiting_ack"], "safety:report_list", "?status=forwarded"),
    ]
    return _panel(
        "safety_queue",
        wide=True,
        items=items,
        stats=stats,
        total=counts["open"],
        sla_hours=int(settings.SAFETY_SLA_HOURS),
    )


def inquiry_queue(user: User, today: dt.date) -> Panel | None:
    """Open and in-progress inquiries, oldest first, each with its due time (received + INQUIRY_SLA_HOURS)."""
    if not can(user, "inquiry", "view"):
        return None
    now = timezone.now()
    sla = dt.timedelta(hours=int(settings.INQUIRY_SLA_HOURS))
    open_inquiries = MedicalInquiry.objects.restrict(user, "view").filter(
        status__in=[InquiryStatus.OPEN, InquiryStatus.IN_PROGRESS]
    )
    counts = open_inquiries.aggregate(
        open=Count("id"),
        overdue=Count("id", filter=Q(received_at__lt=now - sla)),
        due_today=Count(
            "id", filter=Q(received_at__gte=now - sla, received_at__lt=now - sla + dt.timedelta(days=1))
        ),
        unassigned=Count("id", filter=Q(assigned_to__isnull=True)),
        mine=Count("id", filter=Q(assigned_to=user)),
    )
    items = list(
        open_inquiries.select_related("product", "assigned_to", "requester_hcp").order_by("received_at")[
            :HOME_QUEUE_ITEMS
        ]
    )
    for inquiry in items:
        inquiry.due_at = inquiry.received_at + sla  # type: ignore[attr-defined]
        inquiry.age_label = _age(now - inquiry.received_at)  # type: ignore[attr-defined]
        inquiry.overdue = inquiry.due_at < now  # type: ignore[attr-defined]
    stats = [
        _stat("Inquiries open", counts["open"], "medinfo:inquiry_list"),
        _stat("Past SLA", counts["overdue"], "medinfo:inquiry_list", "", "danger"),
        _stat("Due in the next 24 h", counts["due_today"], "medinfo:inquiry_list", "", "warn"),
        _stat("Unassigned", counts["unassigned"], "medinfo:inquiry_list", "?assignee=none"),
        _stat("Assigned to me", counts["mine"], "medinfo:inquiry_list", "?assignee=me"),
    ]
    return _panel(
        "inquiry_queue",
        wide=True,
        items=items,
        stats=stats,
        total=counts["open"],
        sla_hours=int(settings.INQUIRY_SLA_HOURS),
    )


# --- oversight ------------------------------------------------------------------------------------------------------


def flags_summary(user: User, today: dt.date) -> Panel | None:
    """Compliance flags overridden in the last 30 days, per author (compliance.flag_views)."""
    if not can(user, "audit_event", "view"):
        return None
    by_author = overrides_by_author(user, days=SUMMARY_DAYS)
    since = today - dt.timedelta(days=SUMMARY_DAYS)
    return _panel(
        "flags_summary",
        by_author=by_author,
        total=sum(n for _, n in by_author),
        days=SUMMARY_DAYS,
        since=since,
    )


def audit_activity(user: User, today: dt.date) -> Panel | None:
    """The latest audit events, when the trail was last verified and how, and the button that verifies it."""
    if not can(user, "audit_event", "view"):
        return None
    events = AuditEvent.objects.restrict(user, "view")
    recent = list(events.order_by("-seq")[:HOME_AUDIT_EVENTS])
    last_verified = events.filter(event_type="audit.verified").order_by("-seq").first()
    verified_ok = None
    if last_verified is not None:
        verified_ok = ((last_verified.changes or {}).get("ok") or [None, None])[1]
    return _panel(
        "audit_activity",
        recent=recent,
        last_verified=last_verified,
        verified_ok=verified_ok,
        can_verify=can(user, "audit_event", "verify"),
    )


def users_summary(user: User, today: dt.date) -> Panel | None:
    """Active users per role, and who has not signed in yet (the user list has the rest)."""
    if not can(user, "user", "add"):
        return None
    users = User.objects.restrict(user, "view")
    per_role = dict(users.filter(is_active=True).order_by().values_list("role").annotate(n=Count("id")))
    counts = users.aggregate(
        active=Count("id", filter=Q(is_active=True)),
        inactive=Count("id", filter=Q(is_active=False)),
        never=Count("id", filter=Q(is_active=True, last_login__isnull=True)),
    )
    rows = [(label, per_role[value]) for value, label in Role.choices if per_role.get(value)]
    return _panel("users_summary", rows=rows, **counts)


def system_health(user: User, today: dt.date) -> Panel | None:
    """Live workers and the job queue: bookkeeping, no medical content, shown to administrators only."""
    if not can(user, "user", "add"):
        return None
    now = timezone.now()
    workers = WorkerHeartbeat.objects.filter(beat_at__gte=now - dt.timedelta(seconds=lease_seconds())).count()
    jobs = dict(DBTaskResult.objects.order_by().values_list("status").annotate(n=Count("id")))
    return _panel(
        "system_health",
        workers=workers,
        ready=jobs.get("READY", 0),
        running=jobs.get("RUNNING", 0),
        failed=jobs.get("FAILED", 0),
    )


# --- each role's home -------------------------------------------------------------------------------------------------

_TEAM: tuple[PanelBuilder, ...] = (
    review_queue,
    team_coverage,
    team_overdue,
    team_ae_sla,
    partial(my_follow_ups, keep_empty=False),
    partial(my_drafts, keep_empty=False),
)
ROLE_HOMES: dict[str, tuple[PanelBuilder, ...]] = {
    Role.MSL: (my_follow_ups, plan_progress, recent_interactions, planned_meetings, my_drafts),
    Role.MSL_MANAGER: _TEAM,
    Role.MEDICAL_LEAD: _TEAM,
    Role.DRUG_SAFETY: (safety_queue,),
    Role.MEDICAL_INFORMATION: (inquiry_queue, partial(my_follow_ups, keep_empty=False)),
    Role.COMPLIANCE: (flags_summary, audit_activity),
    Role.AUDITOR: (audit_activity,),
    Role.ADMIN: (users_summary, system_health, audit_activity),
    # Commercial: nothing medical, so no panel at all; the shortcuts below are their home.
    Role.COMMERCIAL: (),
}


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """The signed-in user's home: their role's panels, then shortcuts to the pages the role starts from."""
    user = request.user
    today = timezone.localdate()
    panels = [p for build in ROLE_HOMES.get(user.role, ()) if (p := build(user, today)) is not None]
    context: dict[str, Any] = {
        "today": today,
        "wide_panels": [p for p in panels if p["wide"]],
        "panels": [p for p in panels if not p["wide"]],
        "can_log_interaction": can(user, "interaction", "add"),
        "shortcuts": _shortcuts(user),
    }
    return render(request, "core/home.html", context)


def _shortcuts(user: User) -> list[tuple[str, str, str]]:
    """(label, url name, description) of the pages this role starts its day from."""
    items = [
        ("HCP directory", "people:hcp_list", "Find a healthcare professional by name, NPI, ORCID or city.")
    ]
    if can(user, "interaction", "add"):
        items.append(
            (
                "Log an interaction",
                "engagement:interaction_new",
                "Record a meeting, its insights and follow-ups.",
            )
        )
    if can(user, "inquiry", "add") and not can(user, "inquiry", "view"):
        items.append(
            (
                "Route a medical request",
                "medinfo:inquiry_new",
                "Pass an unsolicited medical question to medical information. You will not see the answer.",
            )
        )
    if can(user, "insight", "review"):
        items.append(
            ("Review insights", "insights:insight_review", "Submitted insights of your scope, oldest first.")
        )
    if can(user, "metrics", "view"):
        items.append(
            ("Impact metrics", "metrics:dashboard", "Coverage, timeliness and insight flow, with exports.")
        )
    if can(user, "audit_event", "view"):
        items.append(
            ("Audit log", "compliance:audit_list", "Every change, with old and new values and the reason.")
        )
        items.append(
            (
                "Compliance flags",
                "compliance:flags_queue",
                "Flags saved past with a reason, by MSL and period; exportable.",
            )
        )
    if can(user, "user", "add") or can(user, "listening_priority", "add"):
        items.append(
            (
                "Administration",
                "accounts:admin_home",
                "Users, therapeutic areas, products, listening priorities.",
            )
        )
    return items


@login_required
@require_POST
def follow_up_done(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """Mark one of my follow-ups done (htmx: returns the replacement list item; plain POST: back home)."""
    follow_up = get_restricted_or_404(FollowUp, request.user, uuid, "change")
    error = ""
    try:
        update_follow_up(follow_up, acting_user=request.user, status="done")
    except ValidationError as exc:
        error = "; ".join(m for ms in error_messages(exc).values() for m in ms)
    if not request.htmx:
        if error:
            messages.error(request, f"The follow-up was not changed: {error}")
        else:
            messages.success(request, "Follow-up marked done.")
        return redirect("home")
    return render(
        request,
        "core/_follow_up_item.html",
        {
            "f": follow_up,
            "done": not error,
            "error": error,
            "today": timezone.localdate(),
            "can_complete_follow_ups": True,
        },
    )
