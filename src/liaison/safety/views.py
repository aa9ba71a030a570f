"""Web pages for drug safety: the report queue against the SLA, and one report with its triage form.

Drug safety sees every report; other medical roles only those they raised (SafetyReport.scope). Day 0 is
shown read-only: it is when the company learned of the event and never changes.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods

from liaison.core.forms import add_action_errors
from liaison.core.permissions import can, require
from liaison.core.queries import changelog_for
from liaison.core.views import AuthenticatedRequest, get_restricted_or_404, requested_page
from liaison.engagement.models import Interaction
from liaison.engagement.views import category_label
from liaison.insights.models import Insight
from liaison.medinfo.models import MedicalInquiry

from . import actions, sla
from .detection import run_detector
from .forms import ReportFilterForm, TriageForm
from .models import EscalationLevel, ReportStatus, SafetyEscalation, SafetyOutbox, SafetyReport

if TYPE_CHECKING:
    from liaison.accounts.models import User

UNFORWARDED = (ReportStatus.NEW, ReportStatus.IN_REVIEW)
MINIMUM_CRITERIA = ("identifiable patient", "identifiable reporter", "suspect product", "adverse event")
CRITERIA_PROMPTS = {
    "identifiable patient": "Ask for the patient's initials, age or sex (no name or record number).",
    "identifiable reporter": "Who reported it? An HCP's name and contact make the case valid.",
    "suspect product": "Which of our products was the patient taking?",
    "adverse event": "What happened to the patient?",
}


def sla_hours() -> int:
    return int(settings.SAFETY_SLA_HOURS)


def _with_clock(report: SafetyReport, now: dt.datetime) -> SafetyReport:
    """Annotate a report with its age since Day 0 and where it stands against the SLA.

    The clock runs from Day 0 until drug safety acknowledges the report (its case id is stored); "at risk"
    past 75% of the SLA, "overdue" past it.
    """
    age = now - report.day_zero
    hours = age.total_seconds() / 3600
    level = sla.sla_level(report, now)
    report.age_hours = int(hours)  # type: ignore[attr-defined]
    report.age_label = f"{int(hours)} h" if hours < 48 else f"{int(hours // 24)} d {int(hours % 24)} h"  # type: ignore[attr-defined]
    report.pending = report.status in UNFORWARDED  # type: ignore[attr-defined]
    report.awaiting_ack = report.acknowledged_at is None and report.status == ReportStatus.FORWARDED  # type: ignore[attr-defined]
    report.overdue = level == EscalationLevel.OVERDUE  # type: ignore[attr-defined]
    report.due_soon = level == EscalationLevel.AT_RISK  # type: ignore[attr-defined]
    report.category_labels = [category_label(c) for c in report.categories or []]  # type: ignore[attr-defined]
    return report


def highlight_terms(text: str) -> SafeString:
    """`text`, HTML-escaped, with every AE and special-situation mention wrapped in <mark>."""
    detection = run_detector(text or "")
    if detection is None or not detection.spans:
        return mark_safe(escape(text or ""))  # noqa: S308 - escaped just above
    out: list[str] = []
    at = 0
    for span in detection.spans:
        if span.start < at:  # overlapping matches: the earlier one already covers this text
            continue
        out.append(escape(text[at : span.start]))
        if span.kind == "event":
            title = "adverse event term"
        elif span.kind == "drug":
            title = "drug"
        else:
            title = "special situation: " + category_label(span.kind)
        if span.hedged:
            title += " (negated or hypothetical)"
        out.append(f'<mark title="{escape(title)}">{escape(text[span.start : span.end])}</mark>')
        at = span.end
    out.append(escape(text[at:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece is escaped


@login_required
@require_GET
def report_list(request: AuthenticatedRequest) -> HttpResponse:
    """The safety queue: oldest unforwarded first (drug safety's default) or newest Day 0 first."""
    user = request.user
    require(user, "safety_report", "view")
    triager = can(user, "safety_report", "triage")
    form = ReportFilterForm(request.GET or None)
    sort, status = ("unforwarded" if triager else "newest"), ""
    if form.is_bound and form.is_valid():
        sort = form.cleaned_data.get("sort") or sort
        status = form.cleaned_data.get("status") or ""
    reports = SafetyReport.objects.restrict(user, "view").select_related("reported_by", "suspect_product")
    if status:
        reports = reports.filter(status=status)
    if sort == "unforwarded":
        if not status:
            # The queue holds what drug safety still owes: not yet forwarded, or forwarded and not acknowledged.
            reports = reports.filter(acknowledged_at__isnull=True).exclude(status=ReportStatus.NOT_AN_AE)
        reports = reports.order_by("day_zero", "created_at")
    else:
        reports = reports.order_by("-day_zero", "-created_at")
    page = requested_page(request, reports)
    now = timezone.now()
    for report in page.object_list:
        _with_clock(report, now)
    pending = SafetyReport.objects.restrict(user, "view").filter(status__in=UNFORWARDED)
    unacknowledged = (
        SafetyReport.objects.restrict(user, "view")
        .filter(acknowledged_at__isnull=True)
        .exclude(status=ReportStatus.NOT_AN_AE)
    )
    overdue_count = unacknowledged.filter(day_zero__lt=now - dt.timedelta(hours=sla_hours())).count()
    at_risk_count = (
        unacknowledged.filter(day_zero__lt=now - dt.timedelta(hours=0.75 * sla_hours())).count()
        - overdue_count
    )
    # Escalations are drug safety leads' notices: the latest ones on reports still open.
    escalations = (
        SafetyEscalation.objects.restrict(user, "view")
        .filter(report__in=unacknowledged)
        .select_related("report")[:10]
        if triager
        else []
    )
    return render(
        request,
        "safety/report_list.html",
        {
            "form": form,
            "page": page,
            "sort": sort,
            "sla_hours": sla_hours(),
            "triager": triager,
            "pending_count": pending.count(),
            "awaiting_ack_count": unacknowledged.filter(status=ReportStatus.FORWARDED).count(),
            "overdue_count": overdue_count,
            "at_risk_count": at_risk_count,
            "escalations": escalations,
        },
    )


def _source(user: User, report: SafetyReport) -> dict[str, Any] | None:
    """Where the report came from, with a link only if the user may open that record."""
    for model, field, label, url_name in (
        (Interaction, "interaction_id", "Interaction", "engagement:interaction_detail"),
        (MedicalInquiry, "inquiry_id", "Medical inquiry", "medinfo:inquiry_detail"),
        (Insight, "insight_id", "Insight", "insights:insight_detail"),
    ):
        pk = getattr(report, field)
        if pk is None:
            continue
        record = model.objects.restrict(user, "view").filter(pk=pk).first()
        return {"label": label, "record": record, "url_name": url_name}
    if report.source_kind:
        # A record of an app above safety (programs ...): linked by name, its page checks who may open it.
        page, resource = GENERIC_SOURCE_PAGES.get(report.source_kind, ("", ""))
        visible = bool(page and report.source_id and can(user, resource, "view"))
        url = reverse(page, args=[report.source_id]) if visible else ""
        return {"label": report.source_label or report.source_kind, "generic": True, "url": url}
    return None


# The page of each generically linked source kind (SafetyReport.source_kind), taking the record's uuid, and the
# resource a role must be able to view to be offered the link (drug safety, who cannot see events, gets the label).
GENERIC_SOURCE_PAGES = {
    "event_minutes": ("programs:event_detail", "event"),
    "session_note": ("programs:session_note", "event"),
}


@login_required
@require_http_methods(["GET", "POST"])
def report_detail(request: AuthenticatedRequest, uuid: Any) -> HttpResponse:
    """One report: Day 0, source, highlighted excerpt, minimum criteria and, for drug safety, triage."""
    user = request.user
    report = get_restricted_or_404(
        SafetyReport,
        user,
        uuid,
        queryset=SafetyReport.objects.select_related("reported_by", "suspect_product", "assigned_to"),
    )
    triager = can(user, "safety_report", "triage")
    form: TriageForm | None = None
    if request.method == "POST":
        require(user, "safety_report", "triage")
        form = TriageForm(request.POST, user=user)
        if form.is_valid():
            cd = form.cleaned_data
            forwarding = cd["status"] == ReportStatus.FORWARDED and report.status != ReportStatus.FORWARDED
            was_acknowledged = report.acknowledged_at is not None
            try:
                actions.triage_report(
                    report,
                    acting_user=user,
                    status=cd["status"],
                    note=cd.get("note") or "",
                    safety_case_id=cd.get("safety_case_id") or "",
                    **form.case_fields(),
                )
            except ValidationError as exc:
                add_action_errors(form, exc)
                # The action may have set fields on the in-memory report before refusing; show what is stored.
                report.refresh_from_db()
            else:
                missing = report.missing_minimum_criteria
                text = (
                    "Report forwarded: queued for the safety database (it counts as delivered once the "
                    "safety database acknowledges it with a case id)."
                    if forwarding and report.acknowledged_at is None
                    else "Report forwarded to the safety database."
                    if forwarding
                    else "Case id recorded: the report is acknowledged and off the SLA queue."
                    if report.acknowledged_at is not None and not was_acknowledged
                    else "Triage saved."
                )
                if forwarding and missing:
                    text += " Still missing: " + ", ".join(missing) + " (follow up; it was not held back)."
                messages.success(request, text)
                return redirect("safety:report_detail", uuid=report.uuid)
    elif triager:
        form = TriageForm(
            user=user,
            initial={
                "patient_initials": report.patient_initials,
                "patient_age": report.patient_age,
                "patient_sex": report.patient_sex,
                "reporter_name": report.reporter_name,
                "suspect_product": report.suspect_product,
                "event_description": report.event_description,
                "status": report.status if report.status != ReportStatus.NEW else ReportStatus.IN_REVIEW,
                "safety_case_id": report.safety_case_id,
            },
        )
    _with_clock(report, timezone.now())
    missing = report.missing_minimum_criteria
    tab = "changelog" if request.GET.get("tab") == "changelog" else "details"
    context: dict[str, Any] = {
        "report": report,
        "tab": tab,
        "form": form,
        "triager": triager,
        "sla_hours": sla_hours(),
        "source": _source(user, report),
        "excerpt": highlight_terms(report.excerpt),
        "criteria": [(c, c not in missing, CRITERIA_PROMPTS[c]) for c in MINIMUM_CRITERIA],
        "missing": missing,
        "identifier_warnings": report.identifier_warnings,
        "outbox": SafetyOutbox.objects.restrict(user, "view").filter(report=report).order_by("sequence"),
        "escalations": SafetyEscalation.objects.restrict(user, "view").filter(report=report),
    }
    if tab == "changelog":
        context["events"] = changelog_for(report, user)
    return render(request, "safety/report_detail.html", context)
