"""The write path of the insight-to-action loop: rate, theme, act, close with an outcome, notify, mark read.

Every function checks the permission matrix, re-validates its input (the API, the CLI and the demo call these
directly) and writes through audited models inside the caller's audit context. Creating and closing an action
notify, in the same transaction, every MSL whose insight fed it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from liaison.accounts.models import TherapeuticArea, User
from liaison.core.permissions import can, require
from liaison.core.validation import clean_choice, clean_text
from liaison.insights.models import Insight, InsightStatus, ListeningPriority

from .models import CLOSED, ActionStatus, InsightAction, InsightRating, Notification, Theme

RATING_SCALE = range(1, 6)


def _scale(value: Any, field: str) -> int:
    """A 1-5 rating; booleans and floats are bad input, not numbers."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in RATING_SCALE:
        raise ValidationError({field: "must be a whole number from 1 to 5"})
    return value


@transaction.atomic
def rate_insight(
    insight: Insight,
    *,
    acting_user: User,
    specific: int,
    actionable: int,
    new: bool,
    note: str = "",
) -> InsightRating:
    """Rate a submitted or reviewed insight (reviewers only, never their own); rating again updates in place."""
    require(acting_user, "insight_rating", "add")
    if not Insight.objects.restrict(acting_user, "review").filter(pk=insight.pk).exists():
        raise ValidationError({"insight": "you may not rate this insight"})
    if insight.status == InsightStatus.DRAFT:
        raise ValidationError({"insight": "a draft insight cannot be rated"})
    if insight.author_id == acting_user.pk:
        raise ValidationError({"insight": "you cannot rate your own insight"})
    if not isinstance(new, bool):
        raise ValidationError({"new": "must be yes or no"})
    values = {
        "specific": _scale(specific, "specific"),
        "actionable": _scale(actionable, "actionable"),
        "new": new,
        "note": clean_text(note, "note", max_length=2000),
    }
    rating = InsightRating.objects.filter(insight=insight, reviewer=acting_user).first()
    if rating is None:
        return InsightRating.objects.create(insight=insight, reviewer=acting_user, **values)
    for field, value in values.items():
        setattr(rating, field, value)
    rating.save()
    return rating


def _themable(acting_user: User, insights: Iterable[Any], area: TherapeuticArea) -> list[Insight]:
    """Insights a reviewer may put in a theme of `area`: visible to them, submitted or reviewed, same area."""
    chosen = list(dict.fromkeys(insights))
    if not all(isinstance(i, Insight) for i in chosen):
        raise ValidationError({"insights": "unknown record"})
    visible = set(
        Insight.objects.restrict(acting_user, "view")
        .filter(pk__in=[i.pk for i in chosen])
        .values_list("pk", flat=True)
    )
    for insight in chosen:
        if insight.pk not in visible:
            raise ValidationError({"insights": f"unknown insight: {insight.uuid}"})
        if insight.status == InsightStatus.DRAFT:
            raise ValidationError({"insights": f"insight {insight.uuid} is a draft"})
        if insight.therapeutic_area_id != area.pk:
            raise ValidationError({"insights": f"insight {insight.uuid} belongs to another therapeutic area"})
    return chosen


@transaction.atomic
def create_theme(
    *,
    acting_user: User,
    name: str,
    therapeutic_area: TherapeuticArea | None,
    description: str = "",
    listening_priority: ListeningPriority | None = None,
    insights: Iterable[Insight] = (),
    seed: str = "",
) -> Theme:
    """Group insights of one area into a named theme; `seed` records where they came from (a listening
    priority, an intel cluster) so the grouping can be traced."""
    require(acting_user, "insight_theme", "add")
    if not isinstance(therapeutic_area, TherapeuticArea):
        raise ValidationError({"therapeutic_area": "a theme needs a therapeutic area"})
    if listening_priority is not None:
        if not isinstance(listening_priority, ListeningPriority):
            raise ValidationError({"listening_priority": "unknown record"})
        if listening_priority.therapeutic_area_id != therapeutic_area.pk:
            raise ValidationError({"listening_priority": "belongs to another therapeutic area"})
    members = _themable(acting_user, insights, therapeutic_area)
    theme = Theme.objects.create(
        name=clean_text(name, "name", required=True, max_length=200),
        therapeutic_area=therapeutic_area,
        listening_priority=listening_priority,
        description=clean_text(description, "description", max_length=5000),
        seed=clean_text(seed, "seed", max_length=200),
        created_by=acting_user,
    )
    if members:
        theme.insights.add(*members)
    return theme


@transaction.atomic
def update_theme(
    theme: Theme,
    *,
    acting_user: User,
    name: str | None = None,
    description: str | None = None,
    add: Iterable[Insight] = (),
    remove: Iterable[Insight] = (),
) -> Theme:
    """Rename or re-describe a theme, add insights (same rules as at creation) or remove them."""
    require(acting_user, "insight_theme", "change")
    if not Theme.objects.restrict(acting_user, "change").filter(pk=theme.pk).exists():
        raise ValidationError({"__all__": "you may not change this theme"})
    if name is not None:
        theme.name = clean_text(name, "name", required=True, max_length=200)
    if description is not None:
        theme.description = clean_text(description, "description", max_length=5000)
    theme.save()
    added = _themable(acting_user, add, theme.therapeutic_area)
    if added:
        theme.insights.add(*added)
    removed = [i for i in remove if isinstance(i, Insight)]
    if removed:
        theme.insights.remove(*removed)
    return theme


def _owner(owner_user: User | None, owner_function: str) -> tuple[User | None, str]:
    """Exactly one owner: an active user, or the name of an internal function."""
    owner_function = clean_text(owner_function, "owner_function", max_length=120)
    if owner_user is not None and not isinstance(owner_user, User):
        raise ValidationError({"owner_user": "unknown record"})
    if owner_user is not None and owner_function:
        raise ValidationError({"owner_function": "name either a person or a function, not both"})
    if owner_user is None and not owner_function:
        raise ValidationError({"owner_function": "an action needs an owner: a person or a function"})
    if owner_user is not None and not owner_user.is_active:
        raise ValidationError({"owner_user": "this user is not active"})
    return owner_user, owner_function


def _due(value: Any) -> dt.date:
    """A plain date in a plausible range (a datetime is refused: a due date has no time of day)."""
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValidationError({"due_date": "must be a date"})
    if not 2000 <= value.year <= 2200:
        raise ValidationError({"due_date": "must be between the years 2000 and 2200"})
    return value


@transaction.atomic
def create_action(
    theme: Theme,
    *,
    acting_user: User,
    title: str,
    due_date: dt.date,
    owner_user: User | None = None,
    owner_function: str = "",
    description: str = "",
) -> InsightAction:
    """Turn a theme into an action with an owner and a due date; tells the MSLs whose insights fed it."""
    require(acting_user, "insight_action", "add")
    if not Theme.objects.restrict(acting_user, "view").filter(pk=theme.pk).exists():
        raise ValidationError({"theme": "unknown theme"})
    if not theme.insights.exists():
        raise ValidationError({"theme": "add insights to the theme before acting on it"})
    owner_user, owner_function = _owner(owner_user, owner_function)
    action = InsightAction.objects.create(
        theme=theme,
        title=clean_text(title, "title", required=True, max_length=200),
        description=clean_text(description, "description", max_length=5000),
        owner_user=owner_user,
        owner_function=owner_function,
        due_date=_due(due_date),
        created_by=acting_user,
    )
    _notify(
        action,
        acting_user,
        f"Your insight fed a new action: “{action.title}” (owner {action.owner_label}, due {action.due_date}).",
    )
    return action


_UNSET: Any = object()


@transaction.atomic
def update_action(
    action: InsightAction,
    *,
    acting_user: User,
    title: str | None = None,
    description: str | None = None,
    due_date: dt.date | None = None,
    status: str | None = None,
    owner_user: User | None = _UNSET,
    owner_function: str | None = None,
) -> InsightAction:
    """Change an open action: title, description, due date, owner, or open <-> in progress.

    Closing (done or cancelled) goes through `complete_action`, which needs the outcome."""
    require(acting_user, "insight_action", "change")
    if not InsightAction.objects.restrict(acting_user, "change").filter(pk=action.pk).exists():
        raise ValidationError({"__all__": "you may not change this action"})
    if action.is_closed:
        raise ValidationError({"status": f"the action is {action.status}; it cannot change any more"})
    if title is not None:
        action.title = clean_text(title, "title", required=True, max_length=200)
    if description is not None:
        action.description = clean_text(description, "description", max_length=5000)
    if due_date is not None:
        action.due_date = _due(due_date)
    if status is not None:
        status = clean_choice(status, "status", ActionStatus.values)
        if status in CLOSED:
            raise ValidationError({"status": "close an action with its outcome (complete)"})
        action.status = status
    if owner_user is not _UNSET or owner_function is not None:
        # A new owner replaces the old one whole: naming a person clears the function and vice versa.
        new_user = None if owner_user is _UNSET else owner_user
        action.owner_user, action.owner_function = _owner(new_user, owner_function or "")
    action.save()
    return action


@transaction.atomic
def complete_action(
    action: InsightAction, *, acting_user: User, outcome: str, status: str = ActionStatus.DONE
) -> InsightAction:
    """Close an action as done (or cancelled) with the outcome, and tell the MSLs whose insights fed it."""
    require(acting_user, "insight_action", "change")
    if not InsightAction.objects.restrict(acting_user, "change").filter(pk=action.pk).exists():
        raise ValidationError({"__all__": "you may not change this action"})
    status = clean_choice(status, "status", [s.value for s in CLOSED])
    if action.is_closed:
        raise ValidationError({"status": f"the action is already {action.status}"})
    action.outcome = clean_text(outcome, "outcome", required=True, max_length=5000)
    action.status = status
    action.completed_at = timezone.now()
    action.save()
    verb = "was completed" if status == ActionStatus.DONE else "was cancelled"
    _notify(
        action, acting_user, f"The action “{action.title}” your insight fed {verb}. Outcome: {action.outcome}"
    )
    return action


def contributors(action: InsightAction) -> list[User]:
    """The active users whose insights in the action's theme fed it, who may receive notifications."""
    authors = User.objects.filter(pk__in=action.theme.insights.values("author"), is_active=True).order_by(
        "pk"
    )
    return [u for u in authors if can(u, "notification", "view")]


def _notify(action: InsightAction, acting_user: User, text: str) -> list[Notification]:
    """One notification per contributing MSL (not the person acting), linking to the action."""
    link = reverse("loop:action_detail", args=[action.uuid])
    text = text if len(text) <= 500 else text[:499] + "…"
    rows = [
        Notification(user=user, text=text, link=link, action=action)
        for user in contributors(action)
        if user.pk != acting_user.pk
    ]
    return Notification.objects.bulk_create(rows)


@transaction.atomic
def mark_read(notification: Notification, *, acting_user: User) -> Notification:
    """Mark one of one's own notifications read (reading it twice keeps the first time)."""
    require(acting_user, "notification", "change")
    if notification.user_id != acting_user.pk:
        raise ValidationError({"__all__": "not your notification"})
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save()
    return notification


@transaction.atomic
def mark_all_read(*, acting_user: User) -> int:
    """Mark every unread notification of one's own read; returns how many."""
    require(acting_user, "notification", "change")
    return Notification.objects.filter(user=acting_user, read_at__isnull=True).update(read_at=timezone.now())
