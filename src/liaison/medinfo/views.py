"""Web pages for unsolicited medical inquiries: the medical information queue, capture and one inquiry.

Capture is open to commercial users as a one-way hand-off: after routing they see a confirmation that holds
nothing of the inquiry, and the queue and detail pages answer 403 to them (they hold no `view`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from liaison.core.forms import add_action_errors, now_local
from liaison.core.permissions import can, require
from liaison.core.queries import changelog_for, visible_related
from liaison.core.views import AuthenticatedRequest, get_restricted_or_404, requested_page
from liaison.engagement.views import ae_summary
from liaison.people.views import hcp_autocomplete_url

from . import actions
from .forms import AnswerForm, AssignForm, CloseForm, InquiryFilterForm, InquiryForm, TriageForm
from .models import InquiryStatus, MedicalInquiry

if TYPE_CHECKING:
    from liaison.accounts.models import User

# Internal target for a first answer; not a setting yet, so overridable only from settings if someone adds it.
OPEN_STATES = (InquiryStatus.OPEN, InquiryStatus.IN_PROGRESS)


def inquiry_sla_hours() -> int:
    return int(settings.INQUIRY_SLA_HOURS)


def _with_age(inquiry: MedicalInquiry, now: dt.datetime, sla_hours: int) -> MedicalInquiry:
    """Annotate an inquiry with its age and whether it is past the SLA (only open ones can be)."""
    age = now - inquiry.received_at
    inquiry.age_hours = int(age.total_seconds() // 3600)  # type: ignore[attr-defined]
    inquiry.age_label = _duration(age)  # type: ignore[attr-defined]
    inquiry.overdue = inquiry.status in OPEN_STATES and age > dt.timedelta(hours=sla_hours)  # type: ignore[attr-defined]
    return inquiry


def _duration(delta: dt.timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours < 1:
        return f"{max(0, int(delta.total_seconds() // 60))} min"
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} d {hours % 24} h"


@login_required
@require_GET
def inquiry_list(request: AuthenticatedRequest) -> HttpResponse:
    """The inquiry queue: open work first, oldest first, with each inquiry's age against the SLA."""
    user = request.user
    require(user, "inquiry", "view")
    form = InquiryFilterForm(request.GET or None, user=user)
    inquiries = MedicalInquiry.objects.restrict(user, "view").select_related(
        "product", "assigned_to", "requester_hcp"
    )
    status = ""
    if form.is_bound and form.is_valid():
        cd = form.cleaned_data
        status = cd.get("status") or ""
        if cd.get("product"):
            inquiries = inquiries.filter(product=cd["product"])
        assignee = cd.get("assignee")
        if assignee == "me":
            inquiries = inquiries.filter(assigned_to=user)
        elif assignee == "none":
            inquiries = inquiries.filter(assigned_to__isnull=True)
        elif assignee:
            inquiries = inquiries.filter(assigned_to__uuid=assignee)
    if status == "":
        inquiries = inquiries.filter(status__in=OPEN_STATES)
    elif status != "all":
        inquiries = inquiries.filter(status=status)
    inquiries = inquiries.annotate(
        open_first=Case(
            When(status__in=OPEN_STATES, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("open_first", "received_at")
    page = requested_page(request, inquiries)
    now, sla = timezone.now(), inquiry_sla_hours()
    for inquiry in page.object_list:
        _with_age(inquiry, now, sla)
    return render(
        request,
        "medinfo/inquiry_list.html",
        {
            "form": form,
            "page": page,
            "sla_hours": sla,
            "can_add": can(user, "inquiry", "add"),
            "filtered": bool(request.GET.dict().keys() - {"page"}),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def inquiry_new(request: AuthenticatedRequest) -> HttpResponse:
    """Capture an unsolicited request and route it to medical information."""
    user = request.user
    require(user, "inquiry", "add")
    if request.method == "POST":
        form = InquiryForm(request.POST, user=user)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                inquiry = actions.capture_inquiry(
                    acting_user=user,
                    question=cd["question"],
                    channel=cd["channel"],
                    unsolicited_attested=bool(cd.get("unsolicited_attested")),
                    requester_hcp=cd.get("requester_hcp"),
                    requester_name=cd.get("requester_name") or "",
                    requester_contact=cd.get("requester_contact") or "",
                    product=cd.get("product"),
                    off_label=bool(cd.get("off_label")),
                    received_at=cd.get("received_at"),
                )
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                # Only a user who may read this very inquiry goes to it; everyone else (commercial) gets the
                # content-free confirmation and can never come back to it.
                if MedicalInquiry.objects.restrict(user, "view").filter(pk=inquiry.pk).exists():
                    messages.success(
                        request, "Inquiry routed to medical information." + _safety_notice(user, inquiry)
                    )
                    return redirect("medinfo:inquiry_detail", uuid=inquiry.uuid)
                return redirect("medinfo:inquiry_routed")
    else:
        form = InquiryForm(initial={"received_at": now_local()}, user=user)
    is_medical = can(user, "inquiry", "view")
    return render(
        request,
        "medinfo/inquiry_form.html",
        {
            "form": form,
            "attendees": form.selected_hcps(),
            "autocomplete_url": hcp_autocomplete_url(),
            "ae_question": ae_summary(form.data.get("question", ""))
            if form.is_bound and is_medical
            else None,
            "is_medical": is_medical,
        },
    )


@login_required
@require_GET
def inquiry_routed(request: AuthenticatedRequest) -> HttpResponse:
    """Confirmation after routing: deliberately says nothing about the inquiry itself."""
    require(request.user, "inquiry", "add")
    return render(request, "medinfo/inquiry_routed.html")


def _safety_notice(user: User, inquiry: MedicalInquiry) -> str:
    if not can(user, "safety_report", "view"):
        return ""
    reports = list(visible_related(inquiry, "safety_reports", user))
    if not reports:
        return ""
    return " Drug safety has been notified: report " + ", ".join(str(r.uuid)[:8] for r in reports) + "."


@login_required
@require_http_methods(["GET", "POST"])
def inquiry_detail(request: AuthenticatedRequest, uuid: Any) -> HttpResponse:
    """One inquiry: the verbatim question, requester, status; assign, answer and close for medical information."""
    user = request.user
    inquiry = get_restricted_or_404(
        MedicalInquiry,
        user,
        uuid,
        queryset=MedicalInquiry.objects.select_related(
            "product", "assigned_to", "requester_hcp", "captured_by"
        ),
    )
    can_change, can_answer = can(user, "inquiry", "change"), can(user, "inquiry", "answer")
    assign_form = AssignForm(initial={"assignee": inquiry.assigned_to}) if can_change else None
    answer_form = AnswerForm() if can_answer else None
    close_form = CloseForm() if can_change else None
    triage_form = TriageForm.for_inquiry(inquiry) if can_change else None
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "assign" and can_change:
                assign_form = AssignForm(request.POST)
                if assign_form.is_valid():
                    actions.assign_inquiry(
                        inquiry, acting_user=user, assignee=assign_form.cleaned_data["assignee"]
                    )
                    messages.success(request, f"Assigned to {inquiry.assigned_to.display_name}.")
                    return redirect("medinfo:inquiry_detail", uuid=inquiry.uuid)
            elif op == "answer" and can_answer:
                answer_form = AnswerForm(request.POST)
                if answer_form.is_valid():
                    actions.answer_inquiry(
                        inquiry, acting_user=user, answer=answer_form.cleaned_data["answer"]
                    )
                    messages.success(request, "Answer recorded. The inquiry is answered.")
                    return redirect("medinfo:inquiry_detail", uuid=inquiry.uuid)
            elif op == "triage" and can_change:
                triage_form = TriageForm(request.POST)
                if triage_form.is_valid():
                    actions.triage_inquiry(
                        inquiry,
                        acting_user=user,
                        question_type=triage_form.cleaned_data["question_type"],
                        drug=triage_form.cleaned_data.get("drug") or "",
                    )
                    messages.success(request, "Question type and drug saved.")
                    return redirect("medinfo:inquiry_detail", uuid=inquiry.uuid)
            elif op == "close" and can_change:
                close_form = CloseForm(request.POST)
                if close_form.is_valid():
                    actions.close_inquiry(inquiry, acting_user=user, reason=close_form.cleaned_data["reason"])
                    messages.success(request, "Inquiry closed.")
                    return redirect("medinfo:inquiry_detail", uuid=inquiry.uuid)
            else:
                require(user, "inquiry", "answer" if op == "answer" else "change")
                messages.error(request, "Choose assign, triage, answer or close.")
        except ValidationError as exc:
            target = {
                "assign": assign_form,
                "answer": answer_form,
                "close": close_form,
                "triage": triage_form,
            }.get(op or "")
            if target is not None:
                add_action_errors(target, exc, {"assigned_to": "assignee", "status": "__all__"})
        # Whatever failed left the stored inquiry untouched; show it as stored.
        inquiry.refresh_from_db()
    tab = "changelog" if request.GET.get("tab") == "changelog" else "details"
    context: dict[str, Any] = {
        "inquiry": _with_age(inquiry, timezone.now(), inquiry_sla_hours()),
        "tab": tab,
        "assign_form": assign_form,
        "answer_form": answer_form,
        "close_form": close_form,
        "triage_form": triage_form,
        "is_open": inquiry.status in OPEN_STATES,
        "can_view_safety": can(user, "safety_report", "view"),
        "sla_hours": inquiry_sla_hours(),
    }
    if context["can_view_safety"]:
        context["safety_reports"] = visible_related(inquiry, "safety_reports", user)
    if tab == "changelog":
        context["events"] = changelog_for(inquiry, user)
    return render(request, "medinfo/inquiry_detail.html", context)
