"""The home page: a worklist composed from the apps (so it lives in the assembly, above them).

The home page is a personal worklist: follow-ups that are due, recent interactions, drafts, and for the queue
owners (medical information, drug safety) the size of their queue. Every figure comes from `restrict()`, so a
commercial user's home holds nothing medical, not even a count.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from liaison.core.permissions import can
from liaison.core.validation import error_messages
from liaison.core.views import AuthenticatedRequest, get_restricted_or_404
from liaison.engagement.actions import update_follow_up
from liaison.engagement.models import FollowUp, FollowUpStatus, Interaction, InteractionStatus
from liaison.insights.models import Insight, InsightStatus
from liaison.medinfo.models import InquiryStatus, MedicalInquiry
from liaison.planning.queries import current_plans_progress
from liaison.safety.models import SafetyReport

if TYPE_CHECKING:
    from liaison.accounts.models import User

# Follow-ups due within this many days count as "due" on the home page.
DUE_SOON_DAYS = 7
# The home panel lists at most this many; the follow-up list has the rest.
HOME_FOLLOW_UPS = 10


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """The signed-in user's worklist; each panel appears only for roles that may see what it lists."""
    user = request.user
    today = timezone.localdate()
    context: dict[str, Any] = {"today": today, "panels": False}

    if can(user, "follow_up", "view"):
        due = FollowUp.objects.restrict(user, "view").filter(
            owner=user, status=FollowUpStatus.OPEN, due_date__lte=today + dt.timedelta(days=DUE_SOON_DAYS)
        )
        context["follow_ups"] = list(due.select_related("hcp").order_by("due_date")[:HOME_FOLLOW_UPS])
        # Say how many more are due than the panel shows, so that a long backlog is not hidden by the cut.
        context["follow_ups_more"] = (
            max(0, due.count() - HOME_FOLLOW_UPS) if len(context["follow_ups"]) == HOME_FOLLOW_UPS else 0
        )
        context["can_complete_follow_ups"] = can(user, "follow_up", "change")
        context["panels"] = True

    if can(user, "engagement_plan", "view"):
        context["plan_progress"] = current_plans_progress(user, today=today)
        context["panels"] = True

    if can(user, "interaction", "view"):
        mine = Interaction.objects.restrict(user, "view").filter(owner=user).prefetch_related("attendees")
        context["recent_interactions"] = list(mine.filter(status=InteractionStatus.SUBMITTED)[:8])
        drafts = mine.filter(status=InteractionStatus.DRAFT).prefetch_related("external_attendees")
        # Planned meetings are drafts dated in the future (engagement.models.Interaction.is_planned).
        context["planned_interactions"] = list(
            drafts.filter(occurred_at__gt=timezone.now()).order_by("occurred_at")[:10]
        )
        context["draft_interactions"] = list(drafts.filter(occurred_at__lte=timezone.now())[:10])
        context["panels"] = True

    if can(user, "insight", "view"):
        context["draft_insights"] = list(
            Insight.objects.restrict(user, "view")
            .filter(author=user, status=InsightStatus.DRAFT)
            .select_related("hcp", "therapeutic_area")[:10]
        )
        context["panels"] = True

    queues = []
    if user.role == "medical_information" and can(user, "inquiry", "view"):
        open_count = (
            MedicalInquiry.objects.restrict(user, "view")
            .filter(status__in=[InquiryStatus.OPEN, InquiryStatus.IN_PROGRESS])
            .count()
        )
        queues.append(
            {
                "label": "Inquiries open",
                "count": open_count,
                "url_name": "medinfo:inquiry_list",
                "query": "?status=open",
            }
        )
    if user.role == "drug_safety" and can(user, "safety_report", "view"):
        new_count = SafetyReport.objects.restrict(user, "view").filter(status="new").count()
        queues.append(
            {
                "label": "Safety reports new",
                "count": new_count,
                "url_name": "safety:report_list",
                "query": "?status=new",
            }
        )
    context["queues"] = queues
    context["can_log_interaction"] = can(user, "interaction", "add")
    context["shortcuts"] = _shortcuts(user)
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
    if can(user, "audit_event", "view"):
        items.append(
            ("Audit log", "compliance:audit_list", "Every change, with old and new values and the reason.")
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
