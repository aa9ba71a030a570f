"""Pages of the insight-to-action loop (mounted at /loop/): themes and actions, one theme, one action, the inbox,
the report, and the rating panel that the insight review card and the insight page load.

Reads go through `restrict()`; writes through `loop.actions`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liaison.core.exports import csv_response
from liaison.core.forms import add_action_errors
from liaison.core.permissions import can, require
from liaison.core.validation import error_messages
from liaison.core.views import AuthenticatedRequest, get_restricted_or_404
from liaison.insights.models import Insight, InsightStatus

from . import actions
from .forms import ActionForm, CompleteForm, PeriodForm, RatingForm, ThemeForm
from .models import ActionStatus, InsightAction, InsightRating, Notification, Theme
from .queries import DEFINITIONS, ReportRow, build_loop_report, seed_insights

if TYPE_CHECKING:
    from liaison.accounts.models import User


@login_required
@require_http_methods(["GET", "POST"])
def loop_home(request: AuthenticatedRequest) -> HttpResponse:
    """Themes and actions the user may see; reviewers create a theme here (optionally seeded)."""
    user = request.user
    require(user, "insight_theme", "view")
    can_add = can(user, "insight_theme", "add")
    form = ThemeForm(request.POST or None, user=user) if can_add else None
    if request.method == "POST":
        require(user, "insight_theme", "add")
        assert form is not None
        if form.is_valid():
            cd = form.cleaned_data
            priority, cluster = cd.get("listening_priority"), cd.get("cluster")
            seed = f"listening priority: {priority}" if priority else f"cluster: {cluster}" if cluster else ""
            try:
                theme = actions.create_theme(
                    acting_user=user,
                    name=cd["name"],
                    therapeutic_area=cd["therapeutic_area"],
                    description=cd["description"],
                    listening_priority=priority,
                    insights=seed_insights(user, priority=priority, cluster=cluster),
                    seed=seed,
                )
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, f"Theme created with {theme.insights.count()} insight(s).")
                return redirect("loop:theme_detail", uuid=theme.uuid)
    themes = Theme.objects.restrict(user, "view").select_related("therapeutic_area", "listening_priority")
    open_actions = (
        InsightAction.objects.restrict(user, "view")
        .exclude(status__in=[ActionStatus.DONE, ActionStatus.CANCELLED])
        .select_related("theme", "owner_user")
    )
    closed = (
        InsightAction.objects.restrict(user, "view")
        .filter(status__in=[ActionStatus.DONE, ActionStatus.CANCELLED])
        .select_related("theme", "owner_user")
        .order_by("-completed_at")[:20]
    )
    return render(
        request,
        "loop/home.html",
        {"themes": themes[:100], "open_actions": open_actions[:100], "closed_actions": closed, "form": form},
    )


def _theme_insights(user: User, theme: Theme) -> tuple[list[Insight], int]:
    """The theme's insights the user may see, and how many others it holds (other teams')."""
    visible = list(
        Insight.objects.restrict(user, "view")
        .filter(loop_themes=theme)
        .select_related("author", "listening_priority")
    )
    return visible, theme.insights.count() - len(visible)


@login_required
@require_http_methods(["GET", "POST"])
def theme_detail(request: AuthenticatedRequest, uuid: Any) -> HttpResponse:
    """One theme: its insights, its actions; reviewers add or remove insights and create actions."""
    user = request.user
    theme = get_restricted_or_404(
        Theme, user, uuid, queryset=Theme.objects.select_related("therapeutic_area", "created_by")
    )
    can_change = can(user, "insight_theme", "change")
    can_act = can(user, "insight_action", "add")
    action_form = ActionForm(request.POST if request.POST.get("form") == "action" else None, user=user)
    if request.method == "POST":
        which = request.POST.get("form")
        if which == "action":
            require(user, "insight_action", "add")
            if action_form.is_valid():
                cd = action_form.cleaned_data
                try:
                    action = actions.create_action(
                        theme,
                        acting_user=user,
                        title=cd["title"],
                        description=cd["description"],
                        owner_user=cd.get("owner_user"),
                        owner_function=cd["owner_function"],
                        due_date=cd["due_date"],
                    )
                except ValidationError as exc:
                    add_action_errors(action_form, exc)
                else:
                    messages.success(request, "Action created; the MSLs whose insights fed it were notified.")
                    return redirect("loop:action_detail", uuid=action.uuid)
        elif which in ("add", "remove"):
            require(user, "insight_theme", "change")
            picked = Insight.objects.restrict(user, "view").filter(
                uuid__in=[u for u in request.POST.getlist("insight") if len(u) == 36][:200]
            )
            try:
                actions.update_theme(
                    theme,
                    acting_user=user,
                    **{which: list(picked)},  # type: ignore[arg-type]
                )
            except ValidationError as exc:
                for text in error_messages(exc).values():
                    messages.error(request, "; ".join(text))
            else:
                messages.success(request, "Theme updated.")
            return redirect("loop:theme_detail", uuid=theme.uuid)
    insights, hidden = _theme_insights(user, theme)
    candidates: list[Insight] = []
    if can_change:
        candidates = list(
            Insight.objects.restrict(user, "view")
            .filter(therapeutic_area=theme.therapeutic_area)
            .exclude(status=InsightStatus.DRAFT)
            .exclude(loop_themes=theme)
            .select_related("author")[:30]
        )
    return render(
        request,
        "loop/theme_detail.html",
        {
            "theme": theme,
            "insights": insights,
            "hidden": hidden,
            "candidates": candidates,
            "actions": InsightAction.objects.restrict(user, "view")
            .filter(theme=theme)
            .select_related("owner_user"),
            "can_change": can_change,
            "can_act": can_act,
            "action_form": action_form,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def action_detail(request: AuthenticatedRequest, uuid: Any) -> HttpResponse:
    """One action; reviewers edit it while open and close it with the outcome."""
    user = request.user
    action = get_restricted_or_404(
        InsightAction,
        user,
        uuid,
        queryset=InsightAction.objects.select_related("theme", "owner_user", "created_by"),
    )
    can_change = not action.is_closed and can(user, "insight_action", "change")
    initial = {
        "title": action.title,
        "description": action.description,
        "owner_user": action.owner_user,
        "owner_function": action.owner_function,
        "due_date": action.due_date,
        "status": action.status,
    }
    which = request.POST.get("form")
    edit_form = ActionForm(request.POST if which == "edit" else None, user=user, initial=initial)
    complete_form = CompleteForm(request.POST if which == "complete" else None)
    if request.method == "POST":
        require(user, "insight_action", "change")
        try:
            if which == "edit" and edit_form.is_valid():
                cd = edit_form.cleaned_data
                actions.update_action(
                    action,
                    acting_user=user,
                    title=cd["title"],
                    description=cd["description"],
                    due_date=cd["due_date"],
                    status=cd.get("status") or None,
                    owner_user=cd.get("owner_user"),
                    owner_function=cd["owner_function"],
                )
                messages.success(request, "Action updated.")
                return redirect("loop:action_detail", uuid=action.uuid)
            if which == "complete" and complete_form.is_valid():
                cd = complete_form.cleaned_data
                actions.complete_action(action, acting_user=user, outcome=cd["outcome"], status=cd["status"])
                messages.success(request, "Outcome recorded; the contributing MSLs were notified.")
                return redirect("loop:action_detail", uuid=action.uuid)
        except ValidationError as exc:
            add_action_errors(edit_form if which == "edit" else complete_form, exc)
    insights, hidden = _theme_insights(user, action.theme)
    return render(
        request,
        "loop/action_detail.html",
        {
            "action": action,
            "insights": insights,
            "hidden": hidden,
            "can_change": can_change,
            "edit_form": edit_form,
            "complete_form": complete_form,
        },
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    """The user's notifications, unread first."""
    user = request.user
    require(user, "notification", "view")
    rows = Notification.objects.restrict(user, "view").order_by("read_at", "-created_at")[:200]
    return render(request, "loop/inbox.html", {"notifications": rows})


@login_required
@require_POST
def notification_read(request: AuthenticatedRequest, uuid: Any) -> HttpResponse:
    """Mark one notification read, then follow its link (or return to the inbox)."""
    user = request.user
    note = get_restricted_or_404(Notification, user, uuid, "change")
    actions.mark_read(note, acting_user=user)
    if request.POST.get("next") == "link" and note.link.startswith("/"):
        return redirect(note.link)
    return redirect("loop:inbox")


@login_required
@require_POST
def notifications_read_all(request: AuthenticatedRequest) -> HttpResponse:
    """Mark all of one's notifications read."""
    count = actions.mark_all_read(acting_user=request.user)
    messages.success(request, f"{count} notification(s) marked read.")
    return redirect("loop:inbox")


def rate_chart(rows: list[ReportRow], width: int = 640) -> dict[str, Any]:
    """Horizontal bars of the rate per group, as SVG geometry; the template draws it and the table below it
    carries the same numbers."""
    left, bar, gap = 180, 18, 8
    plot = width - left - 60
    bars = []
    for i, row in enumerate(rows):
        rate = row.rate or 0.0
        y = 10 + i * (bar + gap)
        bars.append(
            {
                "label": row.label,
                "y": y,
                "text_y": y + bar - 4,
                "width": round(plot * rate, 1),
                "value_x": left + round(plot * rate, 1) + 6,
                "value": "—" if row.rate is None else f"{rate:.0%}",
            }
        )
    return {"width": width, "height": 20 + len(rows) * (bar + gap), "left": left, "bar": bar, "bars": bars}


def _report_context(request: AuthenticatedRequest) -> dict[str, Any]:
    form = PeriodForm(request.GET or None)
    period: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        period = {k: v for k, v in form.cleaned_data.items() if v}
    report = build_loop_report(request.user, **period)
    return {
        "form": form,
        "report": report,
        "definitions": DEFINITIONS,
        "area_chart": rate_chart(report.by_area),
        "team_chart": rate_chart(report.by_team),
    }


@login_required
@require_GET
def report(request: AuthenticatedRequest) -> HttpResponse:
    """Insight-to-action rate and latency per therapeutic area and team, with definitions, charts and tables."""
    require(request.user, "insight_action", "view")
    return render(request, "loop/report.html", _report_context(request))


@login_required
@require_GET
def report_csv(request: AuthenticatedRequest) -> HttpResponse:
    """The report's tables as CSV (one row per area, then per team, then the total)."""
    require(request.user, "insight_action", "view")
    report = _report_context(request)["report"]
    response, writer = csv_response("insight-to-action.csv")
    columns = ["group", "label", "reviewed", "fed_action", "rate", "with_outcome"]
    columns += ["median_days_to_action", "median_days_to_outcome"]
    writer.writerow(columns)
    for group, rows in (("area", report.by_area), ("team", report.by_team), ("total", [report.total])):
        for row in rows:
            d = row.as_dict()
            writer.writerow([group, *(d[c] for c in columns[1:])])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def rate_panel(request: AuthenticatedRequest, uuid: Any) -> HttpResponse:
    """The ratings of one insight, with the reviewer's own rating form (loaded into the review card)."""
    user = request.user
    insight = get_restricted_or_404(Insight, user, uuid)
    if not can(user, "insight_rating", "view"):
        return HttpResponse("")
    can_rate = (
        can(user, "insight_rating", "add")
        and insight.status != InsightStatus.DRAFT
        and insight.author_id != user.pk
        and Insight.objects.restrict(user, "review").filter(pk=insight.pk).exists()
    )
    mine = InsightRating.objects.filter(insight=insight, reviewer=user).first() if can_rate else None
    initial = (
        {"specific": mine.specific, "actionable": mine.actionable, "new": "yes" if mine.new else "no"}
        if mine
        else {}
    )
    form = RatingForm(request.POST or None, initial=initial, prefix=f"rate-{str(insight.uuid)[:8]}")
    saved = False
    status = 200
    if request.method == "POST":
        require(user, "insight_rating", "add")
        if form.is_valid():
            try:
                actions.rate_insight(insight, acting_user=user, **form.cleaned_data)
                saved = True
            except ValidationError as exc:
                add_action_errors(form, exc)
                status = 422
        else:
            status = 422
    ratings = InsightRating.objects.restrict(user, "view").filter(insight=insight).select_related("reviewer")
    context = {"insight": insight, "ratings": ratings, "form": form, "can_rate": can_rate, "saved": saved}
    if request.method == "POST" and not request.htmx and saved:
        messages.success(request, "Rating saved.")
        return redirect("insights:insight_detail", uuid=insight.uuid)
    return render(request, "loop/_rate_panel.html", context, status=status)
