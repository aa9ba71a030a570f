"""REST endpoints of the insight-to-action loop; writes go through loop.actions only.

/insight-ratings, /insight-themes, /actions (create, update, complete), /notifications (list, mark read) and
/insight-action-report.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ninja import Query, Router, Status

from liaison.accounts.models import TherapeuticArea, User
from liaison.core.api_common import (
    ApiRequest,
    apply_filters,
    limit_offset_page,
    page_of,
    resolve,
    resolve_many,
    responses,
    visible,
)
from liaison.core.models import RestrictQuerySet
from liaison.core.permissions import require
from liaison.core.roles import MEDICAL_ROLES
from liaison.core.views import get_restricted_or_404
from liaison.insights.models import Insight, ListeningPriority

from . import actions
from .models import InsightAction, InsightRating, Notification, Theme
from .queries import DEFINITIONS, build_loop_report, seed_insights
from .schemas import (
    ActionComplete,
    ActionCreate,
    ActionFilters,
    ActionRead,
    ActionUpdate,
    InsightRatingCreate,
    InsightRatingFilters,
    InsightRatingRead,
    LoopReportRead,
    MarkedRead,
    NotificationFilters,
    NotificationRead,
    ReportQuery,
    ThemeCreate,
    ThemeFilters,
    ThemeRead,
    ThemeUpdate,
)

ratings_router = Router(tags=["insight-ratings"])
themes_router = Router(tags=["insight-themes"])
actions_router = Router(tags=["actions"])
notifications_router = Router(tags=["notifications"])
report_router = Router(tags=["insight-action-report"])


# ---- ratings -------------------------------------------------------------------------------------------------


@ratings_router.get(
    "", response=responses({200: page_of(InsightRatingRead)}), operation_id="insight_ratings_list"
)
def list_ratings(request: ApiRequest, filters: Query[InsightRatingFilters]) -> Any:
    """Ratings of insights you may see; filter by `insight`."""
    qs = visible(InsightRating, request.user).select_related("insight", "reviewer")
    qs = apply_filters(qs, filters, {"insight": "insight__uuid"})
    return limit_offset_page(qs, filters)


@ratings_router.post("", response=responses({201: InsightRatingRead}), operation_id="insight_ratings_create")
def rate(request: ApiRequest, payload: InsightRatingCreate) -> Any:
    """Rate an insight (specific and actionable 1-5, new yes/no); rating again replaces your rating."""
    user = request.user
    require(user, "insight_rating", "add")
    insight = resolve(Insight, user, payload.insight, "insight")
    rating = actions.rate_insight(
        insight,
        acting_user=user,
        specific=payload.specific,
        actionable=payload.actionable,
        new=payload.new,
        note=payload.note,
    )
    return Status(201, InsightRating.objects.select_related("insight", "reviewer").get(pk=rating.pk))


# ---- themes --------------------------------------------------------------------------------------------------


def _theme_out(user: User, theme: Theme) -> Theme:
    """Attach the insights the reader may see, and how many others the theme holds."""
    mine = list(
        Insight.objects.restrict(user, "view").filter(loop_themes=theme).values_list("uuid", flat=True)
    )
    theme.insights_visible = mine  # type: ignore[attr-defined]
    theme.hidden_count = theme.insights.count() - len(mine)  # type: ignore[attr-defined]
    return theme


def _themes() -> RestrictQuerySet:
    return Theme.objects.select_related("therapeutic_area", "listening_priority", "created_by")


@themes_router.get("", response=responses({200: page_of(ThemeRead)}), operation_id="insight_themes_list")
def list_themes(request: ApiRequest, filters: Query[ThemeFilters]) -> Any:
    """Themes built from insights you may see; filter by `therapeutic_area`."""
    user = request.user
    qs = visible(Theme, user, queryset=_themes())
    qs = apply_filters(qs, filters, {"therapeutic_area": "therapeutic_area__uuid"})
    page = limit_offset_page(qs, filters)
    page["items"] = [_theme_out(user, t) for t in page["items"]]
    return page


@themes_router.post("", response=responses({201: ThemeRead}), operation_id="insight_themes_create")
def create_theme(request: ApiRequest, payload: ThemeCreate) -> Any:
    """Create a theme from insights (and/or seeded from a listening priority's insights)."""
    user = request.user
    require(user, "insight_theme", "add")
    priority = resolve(ListeningPriority, user, payload.listening_priority, "listening_priority")
    chosen = resolve_many(Insight, user, payload.insights, "insights") or []
    seeded = seed_insights(user, priority=priority) if priority is not None else []
    theme = actions.create_theme(
        acting_user=user,
        name=payload.name,
        therapeutic_area=resolve(TherapeuticArea, user, payload.therapeutic_area, "therapeutic_area"),
        description=payload.description,
        listening_priority=priority,
        insights=[*chosen, *seeded],
        seed=f"listening priority: {priority}" if priority is not None else "",
    )
    return Status(201, _theme_out(user, _themes().get(pk=theme.pk)))


@themes_router.get("/{uuid}", response=responses({200: ThemeRead}), operation_id="insight_themes_read")
def read_theme(request: ApiRequest, uuid: UUID) -> Any:
    return _theme_out(request.user, get_restricted_or_404(Theme, request.user, uuid, queryset=_themes()))


@themes_router.patch("/{uuid}", response=responses({200: ThemeRead}), operation_id="insight_themes_update")
def update_theme(request: ApiRequest, uuid: UUID, payload: ThemeUpdate) -> Any:
    """Rename, re-describe, add insights to or remove insights from a theme."""
    user = request.user
    theme = get_restricted_or_404(Theme, user, uuid, "change")
    actions.update_theme(
        theme,
        acting_user=user,
        name=payload.name,
        description=payload.description,
        add=resolve_many(Insight, user, payload.add, "add") or [],
        remove=resolve_many(Insight, user, payload.remove, "remove") or [],
    )
    return _theme_out(user, _themes().get(pk=theme.pk))


# ---- actions -------------------------------------------------------------------------------------------------


def _actions() -> RestrictQuerySet:
    return InsightAction.objects.select_related("theme", "owner_user", "created_by")


def _owner(user: User, value: UUID | None) -> Any:
    """The owning colleague named by uuid: an active user of a medical role (owners are never commercial)."""
    colleagues = User.objects.filter(is_active=True, role__in=[r.value for r in MEDICAL_ROLES])
    return resolve(User, user, value, "owner_user", queryset=colleagues)


@actions_router.get("", response=responses({200: page_of(ActionRead)}), operation_id="actions_list")
def list_actions(request: ApiRequest, filters: Query[ActionFilters]) -> Any:
    """Actions on themes you may see; filter by `status`, `theme`."""
    qs = visible(InsightAction, request.user, queryset=_actions())
    qs = apply_filters(qs, filters, {"status": "status", "theme": "theme__uuid"})
    return limit_offset_page(qs, filters)


@actions_router.post("", response=responses({201: ActionRead}), operation_id="actions_create")
def create_action(request: ApiRequest, payload: ActionCreate) -> Any:
    """Turn a theme into an action; the MSLs whose insights fed it are notified."""
    user = request.user
    require(user, "insight_action", "add")
    action = actions.create_action(
        resolve(Theme, user, payload.theme, "theme"),
        acting_user=user,
        title=payload.title,
        description=payload.description,
        owner_user=_owner(user, payload.owner_user),
        owner_function=payload.owner_function,
        due_date=payload.due_date,
    )
    return Status(201, _actions().get(pk=action.pk))


@actions_router.get("/{uuid}", response=responses({200: ActionRead}), operation_id="actions_read")
def read_action(request: ApiRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(InsightAction, request.user, uuid, queryset=_actions())


@actions_router.patch("/{uuid}", response=responses({200: ActionRead}), operation_id="actions_update")
def update_action(request: ApiRequest, uuid: UUID, payload: ActionUpdate) -> Any:
    """Change an open action (title, description, owner, due date, open/in progress)."""
    user = request.user
    action = get_restricted_or_404(InsightAction, user, uuid, "change")
    owner: dict[str, Any] = {}
    if payload.owner_user is not None:
        owner["owner_user"] = _owner(user, payload.owner_user)
    if payload.owner_function is not None:
        owner["owner_function"] = payload.owner_function
    actions.update_action(
        action,
        acting_user=user,
        title=payload.title,
        description=payload.description,
        due_date=payload.due_date,
        status=payload.status,
        **owner,
    )
    return _actions().get(pk=action.pk)


@actions_router.post(
    "/{uuid}/complete", response=responses({200: ActionRead}), operation_id="actions_complete"
)
def complete_action(request: ApiRequest, uuid: UUID, payload: ActionComplete) -> Any:
    """Close an action as done or cancelled with its outcome; the contributing MSLs are notified."""
    user = request.user
    action = get_restricted_or_404(InsightAction, user, uuid, "change")
    actions.complete_action(action, acting_user=user, outcome=payload.outcome, status=payload.status)
    return _actions().get(pk=action.pk)


# ---- notifications -------------------------------------------------------------------------------------------


@notifications_router.get(
    "", response=responses({200: page_of(NotificationRead)}), operation_id="notifications_list"
)
def list_notifications(request: ApiRequest, filters: Query[NotificationFilters]) -> Any:
    """Your own notifications, newest first; `unread=true` for the unread ones only."""
    qs = visible(Notification, request.user).select_related("action")
    qs = apply_filters(qs, filters, {"unread": "read_at__isnull"})
    return limit_offset_page(qs, filters)


@notifications_router.post(
    "/read-all", response=responses({200: MarkedRead}), operation_id="notifications_read_all"
)
def read_all(request: ApiRequest) -> Any:
    """Mark all your notifications read."""
    return {"marked": actions.mark_all_read(acting_user=request.user)}


@notifications_router.post(
    "/{uuid}/read", response=responses({200: NotificationRead}), operation_id="notifications_read"
)
def read_one(request: ApiRequest, uuid: UUID) -> Any:
    """Mark one of your notifications read."""
    user = request.user
    note = get_restricted_or_404(Notification, user, uuid, "change")
    actions.mark_read(note, acting_user=user)
    return Notification.objects.select_related("action").get(pk=note.pk)


# ---- report --------------------------------------------------------------------------------------------------


@report_router.get("", response=responses({200: LoopReportRead}), operation_id="insight_action_report")
def report(request: ApiRequest, query: Query[ReportQuery]) -> Any:
    """Insight-to-action rate and latency per therapeutic area and per team (definitions included)."""
    r = build_loop_report(request.user, since=query.since, until=query.until)
    return {
        "since": r.since,
        "until": r.until,
        "definitions": DEFINITIONS,
        "by_area": [row.as_dict() for row in r.by_area],
        "by_team": [row.as_dict() for row in r.by_team],
        "total": r.total.as_dict(),
    }
