"""Insight intelligence pages: search (as you type), an insight's theme and signal, the theme review queue,
clusters of the unmatched, and trends.

Every record shown is read through `restrict()`. Search is open to every role that may view insights,
interactions or inquiries; commercial users may view none of them, so the search page answers them 403 and
the menu never offers it. The other pages need insight `view`; deciding a theme needs insight `review`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from liaison.accounts.models import TherapeuticArea, User
from liaison.core.permissions import PermissionDenied, can, require
from liaison.core.views import AuthenticatedRequest, get_restricted_or_404
from liaison.insights.models import Insight, InsightStatus, ListeningPriority

from . import actions
from .charts import trend_chart
from .clusters import clusters_for
from .duplicates import signal_of
from .models import ThemeMatch
from .priority_matching import CALIBRATION, assigned_priorities
from .search import search as search_records
from .search import searchable_kinds
from .trends import trend_table

KIND_LABELS = {"insight": "Insight", "interaction": "Interaction notes", "inquiry": "Medical inquiry"}


def require_search(user: User) -> None:
    """Search needs `view` on at least one of insights, interactions and inquiries (commercial has none)."""
    if not searchable_kinds(user):
        raise PermissionDenied(user, "insight", "view")


@login_required
@require_GET
def search(request: AuthenticatedRequest) -> HttpResponse:
    """Search page; htmx requests (as the user types) get only the results fragment."""
    user = request.user
    require_search(user)
    query = (request.GET.get("q") or "").strip()[:200]
    kinds = searchable_kinds(user)
    kind = request.GET.get("kind") or ""
    result = search_records(user, query, kinds=[kind] if kind in kinds else None) if query else None
    context = {
        "query": query,
        "result": result,
        "kinds": [(k, KIND_LABELS[k]) for k in kinds],
        "kind": kind if kind in kinds else "",
        "kind_labels": KIND_LABELS,
        "show_subnav": can(user, "insight", "view"),
        "perms_review": can(user, "insight", "review"),
    }
    if request.htmx:
        return render(request, "intel/_search_results.html", context)
    return render(request, "intel/search.html", context)


def _area_filter(request: HttpRequest) -> TherapeuticArea | None:
    """The therapeutic area named by `?area=<code>`, or None (all areas); an unknown code means all areas."""
    code = (request.GET.get("area") or "")[:40]
    return TherapeuticArea.objects.restrict(request.user, "view").filter(code=code).first() if code else None


@login_required
@require_http_methods(["GET", "POST"])
def insight_theme(request: AuthenticatedRequest, uuid: Any) -> HttpResponse:
    """One insight's theme scores, its signal (near-duplicates by other MSLs) and, for reviewers, the decision.

    The insight page and the review queue load this as a panel (`?panel=1` or htmx); alone it is a page.
    """
    user = request.user
    insight = get_restricted_or_404(
        Insight, user, uuid, queryset=Insight.objects.select_related("therapeutic_area", "author")
    )
    can_decide = (
        insight.status != InsightStatus.DRAFT
        and insight.author_id != user.pk
        and Insight.objects.restrict(user, "review").filter(pk=insight.pk).exists()
    )
    error = ""
    if request.method == "POST":
        if not can_decide:
            require(user, "insight", "review")
            raise PermissionDenied(user, "insight", "review")
        choice = request.POST.get("priority") or ""
        priority = None
        if choice != "none" and len(choice) == 36:
            priority = ListeningPriority.objects.restrict(user, "view").filter(uuid=choice).first()
        if choice != "none" and priority is None:
            error = "Choose a listening priority of this area, or “none fits”."
        else:
            try:
                actions.decide_theme(
                    insight, acting_user=user, priority=priority, note=request.POST.get("note") or ""
                )
            except ValidationError as exc:
                error = "; ".join(exc.messages)
            else:
                if not request.htmx:
                    messages.success(request, "Theme recorded; the area's matching learns from it.")
                    return redirect("intel:insight_theme", uuid=insight.uuid)
    context = _theme_context(user, insight)
    context.update({"can_decide": can_decide, "error": error})
    if request.htmx or request.GET.get("panel"):
        return render(request, "intel/_theme_panel.html", context)
    return render(request, "intel/insight_theme.html", context)


def _theme_context(user: User, insight: Insight) -> dict[str, Any]:
    matches = list(
        ThemeMatch.objects.restrict(user, "view")
        .filter(insight=insight)
        .select_related("priority")
        .order_by("rank")
    )
    assigned = assigned_priorities([insight])[insight.pk]
    feedback = list(insight.theme_feedback.model.objects.restrict(user, "view").filter(insight=insight)[:5])
    priorities = ListeningPriority.objects.restrict(user, "view").filter(
        therapeutic_area_id=insight.therapeutic_area_id, active=True
    )
    names = {p.pk: p for p in priorities}
    return {
        "insight": insight,
        "matches": matches,
        "theme": assigned,
        "theme_priority": names.get(assigned.priority_id) if assigned.priority_id else None,
        "feedback": feedback,
        "priorities": priorities,
        "signal": signal_of(user, insight),
        "threshold": CALIBRATION.threshold,
    }


@login_required
@require_GET
def theme_queue(request: AuthenticatedRequest) -> HttpResponse:
    """Submitted and reviewed insights in the reviewer's scope with no theme decision yet, weakest match
    first, so that reviewers spend their clicks where the model is least sure."""
    user = request.user
    require(user, "insight", "review")
    queue = (
        Insight.objects.restrict(user, "review")
        .exclude(status=InsightStatus.DRAFT)
        .exclude(author=user)
        .filter(theme_feedback__isnull=True)
        .select_related("therapeutic_area", "author")
    )
    insights = list(queue.order_by("-created_at")[:200])
    best = {
        m.insight_id: m
        for m in ThemeMatch.objects.restrict(user, "view")
        .filter(insight__in=insights, rank=1)
        .select_related("priority")
    }
    rows = sorted(
        ((i, best.get(i.pk)) for i in insights), key=lambda r: abs((r[1].score if r[1] else 0.5) - 0.5)
    )
    return render(request, "intel/theme_queue.html", {"rows": rows[:50], "total": len(insights)})


@login_required
@require_GET
def clusters(request: AuthenticatedRequest) -> HttpResponse:
    """What the field is saying that nobody asked about: clusters of unmatched insights per area."""
    user = request.user
    require(user, "insight", "view")
    area = _area_filter(request)
    return render(
        request,
        "intel/clusters.html",
        {
            "clusters": clusters_for(user, area.pk if area else None),
            "areas": TherapeuticArea.objects.restrict(user, "view"),
            "area": area,
            "perms_review": can(user, "insight", "review"),
        },
    )


@login_required
@require_GET
def trends_page(request: AuthenticatedRequest) -> HttpResponse:
    """Signals per theme per month with emerging themes marked; a server-drawn SVG chart and its table."""
    user = request.user
    require(user, "insight", "view")
    area = _area_filter(request)
    try:
        months = min(max(int(request.GET.get("months") or 12), 4), 36)
    except ValueError:
        months = 12
    table = trend_table(user, area_id=area.pk if area else None, months=months)
    return render(
        request,
        "intel/trends.html",
        {
            "table": table,
            "chart": trend_chart(table),
            "areas": TherapeuticArea.objects.restrict(user, "view"),
            "area": area,
            "months": months,
            "perms_review": can(user, "insight", "review"),
        },
    )
