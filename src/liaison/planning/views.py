"""Planning pages: plans with their progress, standing interests on the HCP page, the overdue follow-ups.

Reads go through restrict(); writes through planning.actions (and engagement.actions for follow-ups, which
the home page's "mark done" view already completes).
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
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liaison.core.forms import add_action_errors
from liaison.core.permissions import can, require
from liaison.core.validation import error_messages
from liaison.core.views import AuthenticatedRequest, get_restricted_or_404
from liaison.engagement.models import FollowUp, FollowUpStatus
from liaison.people.extensions import hcp_tabs
from liaison.people.models import HCP, Channel, HCPStatus

from . import actions
from .forms import InterestForm, PlanForm
from .models import EngagementPlan, InterestReminder, StandingInterest
from .queries import plan_progress

if TYPE_CHECKING:
    from liaison.accounts.models import User

# Interests that expire within this many days are flagged "renew soon" on the HCP page.
RENEW_SOON_DAYS = 30


def _plans(user: User) -> Any:
    return (
        EngagementPlan.objects.restrict(user, "view")
        .select_related("owner", "hcp", "territory")
        .prefetch_related("listening_priorities")
    )


@login_required
@require_GET
def plan_list(request: AuthenticatedRequest) -> HttpResponse:
    """Plans of a year (default this year) the user may see, each with its progress bar."""
    user = request.user
    require(user, "engagement_plan", "view")
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        year = today.year
    if not 2000 <= year <= 2100:
        year = today.year
    plans = list(_plans(user).filter(year=year)[:200])
    rows = [plan_progress(p, user, today=today) for p in plans]
    return render(
        request,
        "planning/plan_list.html",
        {
            "rows": rows,
            "year": year,
            "years": [year - 1, year, year + 1],
            "can_add": can(user, "engagement_plan", "add"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request: AuthenticatedRequest) -> HttpResponse:
    """Create a KOL or territory plan; `?hcp=<uuid>` preselects a KOL (the HCP page links here)."""
    user = request.user
    require(user, "engagement_plan", "add")
    initial: dict[str, Any] = {"kind": "kol"}
    if request.GET.get("hcp"):
        initial["hcp"] = request.GET["hcp"]
    if request.GET.get("kind") == "territory":
        initial["kind"] = "territory"
    form = PlanForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        kol = data["kind"] == "kol"
        try:
            plan = actions.create_plan(
                acting_user=user,
                kind=data["kind"],
                year=data["year"],
                quarter=data["quarter"],
                hcp=data["hcp"] if kol else None,
                territory=None if kol else data["territory"],
                objectives=data["objectives"],
                planned_per_quarter=data["planned_per_quarter"] if kol else None,
                tier_targets=None if kol else form.tier_targets(),
                listening_priorities=list(data["listening_priorities"]),
            )
        except ValidationError as exc:
            add_action_errors(form, exc, field_map={"tier_targets": "tier_1"})
        else:
            messages.success(request, f"Plan saved: {plan}.")
            return redirect("planning:plan_detail", uuid=plan.uuid)
    return render(request, "planning/plan_form.html", {"form": form})


@login_required
@require_GET
def plan_detail(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """One plan: objectives, linked priorities, and progress as bars with the table of numbers behind them."""
    user = request.user
    plan = get_restricted_or_404(EngagementPlan, user, uuid, queryset=_plans(user))
    return render(
        request,
        "planning/plan_detail.html",
        {
            "plan": plan,
            "progress": plan_progress(plan, user),
            "priorities": list(plan.listening_priorities.all()),
        },
    )


@login_required
@require_GET
def overdue(request: AuthenticatedRequest) -> HttpResponse:
    """Open follow-ups past their due date, the user's team's included (a manager's view of what slipped)."""
    user = request.user
    require(user, "follow_up", "view")
    today = timezone.localdate()
    rows = list(
        FollowUp.objects.restrict(user, "view")
        .filter(status=FollowUpStatus.OPEN, due_date__lt=today)
        .select_related("owner", "hcp")
        .order_by("due_date", "created_at")[:500]
    )
    return render(
        request,
        "planning/overdue.html",
        {
            "follow_ups": rows,
            "today": today,
            "can_complete_follow_ups": can(user, "follow_up", "change"),
        },
    )


# --- the HCP page's "Interests & plan" tab ------------------------------------------------------------------


def hcp_plan_context(user: User, hcp: HCP, *, form: InterestForm | None = None) -> dict[str, Any]:
    """What the tab shows: the HCP's standing interests (expired flagged), reminders, plans, open follow-ups."""
    today = timezone.localdate()
    interests = list(
        StandingInterest.objects.restrict(user, "view")
        .filter(hcp=hcp)
        .select_related("recorded_by", "product")
        .order_by("withdrawn_on", "-expires_on")
    )
    for interest in interests:
        # Shown by the row template beside the interest's own fields.
        status_now = interest.status_on(today)
        interest.status_now = status_now  # type: ignore[attr-defined]
        interest.renew_soon = (  # type: ignore[attr-defined]
            status_now == "active" and interest.expires_on <= today + dt.timedelta(days=RENEW_SOON_DAYS)
        )
    reminders = list(
        InterestReminder.objects.restrict(user, "view")
        .filter(interest__hcp=hcp)
        .select_related("interest", "follow_up")[:20]
    )
    plans = [plan_progress(p, user, today=today) for p in _plans(user).filter(hcp=hcp)[:8]]
    follow_ups = []
    if can(user, "follow_up", "view"):
        follow_ups = list(
            FollowUp.objects.restrict(user, "view")
            .filter(hcp=hcp, status=FollowUpStatus.OPEN)
            .select_related("hcp")
            .order_by("due_date")[:50]
        )
    return {
        "interests": interests,
        "reminders": reminders,
        "plan_rows": plans,
        "hcp_follow_ups": follow_ups,
        "today": today,
        "interest_form": form or InterestForm(),
        "can_add_interest": can(user, "standing_interest", "add") and hcp.status == HCPStatus.ACTIVE,
        "can_renew": can(user, "standing_interest", "change"),
        "can_add_plan": can(user, "engagement_plan", "add") and hcp.status == HCPStatus.ACTIVE,
        "can_complete_follow_ups": can(user, "follow_up", "change"),
    }


def _hcp(user: User, uuid: str) -> HCP:
    return get_restricted_or_404(
        HCP,
        user,
        uuid,
        queryset=HCP.objects.select_related("owner", "territory", "merged_into").prefetch_related(
            "affiliations__organization", "therapeutic_areas"
        ),
    )


def _render_tab(
    request: AuthenticatedRequest, hcp: HCP, extra: dict[str, Any], status: int = 200
) -> HttpResponse:
    """The HCP page with the plan tab open; an htmx tab click gets the tab region only."""
    user = request.user
    survivor = None
    if hcp.merged_into_id:
        survivor = HCP.objects.restrict(user, "view").filter(pk=hcp.merged_into_id).first()
    context = {
        "hcp": hcp,
        "tabs": [(t.key, t.label) for t in hcp_tabs() if t.resource is None or can(user, t.resource, "view")],
        "tab": "plan",
        "survivor": survivor,
        "affiliations": list(hcp.affiliations.all()),
        "channel_labels": [dict(Channel.choices).get(c, c) for c in hcp.preferred_channels],
        "can_change": can(user, "hcp", "change") and hcp.status != HCPStatus.MERGED,
        "can_merge": can(user, "hcp", "merge") and hcp.status != HCPStatus.MERGED,
        "can_log": can(user, "interaction", "add") and hcp.status == HCPStatus.ACTIVE,
        **extra,
    }
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request and htmx.target == "hcp-tabs":
        return render(request, "people/_hcp_tabs.html", context, status=status)
    return render(request, "people/hcp_detail.html", context, status=status)


@login_required
@require_GET
def hcp_tab(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """The HCP page with its "Interests & plan" tab open."""
    require(request.user, "standing_interest", "view")
    hcp = _hcp(request.user, uuid)
    return _render_tab(request, hcp, hcp_plan_context(request.user, hcp))


@login_required
@require_POST
def interest_new(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """Record a standing interest from the HCP page; errors re-render the tab with the form (422)."""
    user = request.user
    require(user, "standing_interest", "add")
    hcp = _hcp(user, uuid)
    form = InterestForm(request.POST, choices_for=user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.record_standing_interest(
                acting_user=user,
                hcp=hcp,
                topic=data["topic"],
                mesh_terms=data["mesh_terms"],
                product=data["product"],
                recorded_on=data["recorded_on"],
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, "Standing interest recorded; it holds for a year.")
            return redirect("planning:hcp_tab", uuid=hcp.uuid)
    return _render_tab(request, hcp, hcp_plan_context(user, hcp, form=form), status=422)


@login_required
@require_POST
def interest_renew(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """Renew an interest for a year (htmx: the replacement row; plain POST: back to the HCP tab)."""
    user = request.user
    interest = get_restricted_or_404(
        StandingInterest, user, uuid, "change", queryset=StandingInterest.objects.select_related("hcp")
    )
    error = ""
    try:
        actions.renew_standing_interest(interest, acting_user=user)
    except ValidationError as exc:
        error = "; ".join(m for ms in error_messages(exc).values() for m in ms)
    if not getattr(request, "htmx", None):
        if error:
            messages.error(request, f"The interest was not renewed: {error}")
        else:
            messages.success(request, "Standing interest renewed for a year.")
        return redirect("planning:hcp_tab", uuid=interest.hcp.uuid)
    today = timezone.localdate()
    interest.status_now = interest.status_on(today)
    return render(
        request,
        "planning/_interest_row.html",
        {"i": interest, "can_renew": True, "error": error, "renewed": not error, "today": today},
    )
