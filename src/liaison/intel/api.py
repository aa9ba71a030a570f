"""REST endpoints of insight intelligence: search, an insight's theme and signal, theme decisions, trends and
clusters. Reads go through restrict(); the one write (a theme decision) goes through intel.actions."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ninja import Query, Router, Status

from liaison.accounts.models import TherapeuticArea, User
from liaison.core.api_common import ApiRequest, resolve, responses
from liaison.core.permissions import require
from liaison.core.views import get_restricted_or_404
from liaison.insights.models import Insight, ListeningPriority

from . import actions
from .clusters import clusters_for
from .duplicates import signal_of
from .models import ThemeMatch
from .priority_matching import assigned_priorities
from .schemas import (
    ClusterRead,
    InsightThemeRead,
    SearchQuery,
    SearchResultRead,
    ThemeDecisionCreate,
    ThemeDecisionRead,
    TrendQuery,
    TrendTableRead,
)
from .search import search as search_records
from .trends import trend_table
from .views import require_search

search_router = Router(tags=["search"])
intel_router = Router(tags=["insight-intelligence"])


@search_router.get("", response=responses({200: SearchResultRead}), operation_id="search")
def search(request: ApiRequest, query: Query[SearchQuery]) -> Any:
    """Search the insights, interaction notes and inquiries you may see, by words and by meaning; best first.

    403 for roles that may see none of them (commercial), so not even a count leaks."""
    require_search(request.user)
    result = search_records(request.user, query.q, k=query.limit, kinds=[query.kind] if query.kind else None)
    return {"query": result.query, "semantic": result.semantic, "items": result.hits}


def _theme_read(user: User, insight: Insight) -> dict[str, Any]:
    matches = ThemeMatch.objects.restrict(user, "view").filter(insight=insight).select_related("priority")
    assigned = assigned_priorities([insight])[insight.pk]
    signal = signal_of(user, insight)
    priority_uuid = (
        ListeningPriority._base_manager.filter(pk=assigned.priority_id).values_list("uuid", flat=True).first()
        if assigned.priority_id
        else None
    )
    return {
        "insight": insight.uuid,
        "theme": priority_uuid,
        "source": assigned.source,
        "scores": [
            {
                "priority": m.priority.uuid,
                "title": m.priority.title,
                "score": m.score,
                "cosine": m.cosine,
                "matched": m.matched,
            }
            for m in matches.order_by("rank")
        ],
        "voices": signal.voices,
        "duplicates": [i.uuid for i in signal.insights if i.pk != insight.pk],
    }


@intel_router.get(
    "/insights/{uuid}/theme", response=responses({200: InsightThemeRead}), operation_id="intel_insight_theme"
)
def insight_theme(request: ApiRequest, uuid: UUID) -> Any:
    """An insight's theme, its score against each listening priority of its area, and its signal."""
    insight = get_restricted_or_404(Insight, request.user, uuid)
    return _theme_read(request.user, insight)


@intel_router.post(
    "/insights/{uuid}/theme", response=responses({201: ThemeDecisionRead}), operation_id="intel_decide_theme"
)
def decide_theme(request: ApiRequest, uuid: UUID, payload: ThemeDecisionCreate) -> Any:
    """Record a reviewer's theme decision (confirm, correct, or none fits); audited, and matching learns from it."""
    user = request.user
    require(user, "insight", "review")
    insight = get_restricted_or_404(Insight, user, uuid, "review")
    priority = resolve(ListeningPriority, user, payload.priority, "priority")
    feedback = actions.decide_theme(insight, acting_user=user, priority=priority, note=payload.note)
    return Status(
        201,
        {
            "uuid": feedback.uuid,
            "insight": insight.uuid,
            "priority": priority.uuid if priority else None,
            "suggested": feedback.suggested.uuid if feedback.suggested else None,
            "verdict": feedback.verdict,
            "created_at": feedback.created_at,
        },
    )


@intel_router.get("/trends", response=responses({200: TrendTableRead}), operation_id="intel_trends")
def trends(request: ApiRequest, query: Query[TrendQuery]) -> Any:
    """Signals per theme per month over the insights you may see, with emerging months flagged."""
    user = request.user
    require(user, "insight", "view")
    area = None
    if query.area:
        area = TherapeuticArea.objects.restrict(user, "view").filter(code=query.area).first()
        if area is None:
            from django.core.exceptions import ValidationError

            raise ValidationError({"area": "unknown therapeutic area code"})
    table = trend_table(user, area_id=area.pk if area else None, months=query.months)
    return {
        "months": table.months,
        "insights": table.insights,
        "signals": table.signals,
        "items": [
            {"theme": r.label, "area": r.area, "total": r.total, "emerging": r.emerging, "points": r.points}
            for r in table.rows
        ],
    }


@intel_router.get("/clusters", response=responses({200: list[ClusterRead]}), operation_id="intel_clusters")
def clusters(request: ApiRequest) -> Any:
    """Clusters of insights that match no listening priority, with the members you may see."""
    require(request.user, "insight", "view")
    return [
        {
            "area": c.cluster.therapeutic_area.name,
            "keywords": c.keywords,
            "insights": [i.uuid for i in c.insights],
        }
        for c in clusters_for(request.user)
    ]
