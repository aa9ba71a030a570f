"""The insight-to-action loop: reviewers rate insights, group them into themes, turn themes into actions with an
owner, a due date and an outcome, and the MSLs whose insights fed an action hear what became of it.

Row rules follow the insights': an MSL or manager sees a rating of an insight they may see, and a theme (and
its actions) when at least one of the theme's insights is theirs or their team's, so the MSLs whose insights
fed an action can always open it. Pages and the API list only the theme's insights the reader may see
(docs/insight-to-action.md). Notifications are personal: everyone sees only their own.
"""

from __future__ import annotations

from typing import ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from liaison.accounts.models import TherapeuticArea, User
from liaison.core.models import AuditedModel
from liaison.core.policies import team_scope
from liaison.core.roles import Role
from liaison.insights.models import Insight, ListeningPriority


def _through_insights(queryset: models.QuerySet, user: User, path: str) -> models.QuerySet:
    """MSLs and managers: rows with at least one insight of their own or their team's; others see every row."""
    if user.role not in (Role.MSL, Role.MSL_MANAGER):
        return queryset
    mine = Q(**{f"{path}__author": user})
    if user.team_id is not None:
        mine |= Q(**{f"{path}__author__team_id": user.team_id})
    return queryset.filter(pk__in=queryset.model._base_manager.filter(mine).values("pk"))


class InsightRating(AuditedModel):
    """One reviewer's rating of one insight: how specific and how actionable (1 to 5), and whether it is new.

    Scales: 1 = not at all, 3 = partly, 5 = fully; `new` is yes/no because novelty is a fact the reviewer knows
    or not (have we heard this before?), not a degree. Rating again changes the reviewer's rating in place.
    """

    insight = models.ForeignKey(Insight, on_delete=models.PROTECT, related_name="ratings")
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    specific = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    actionable = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    new = models.BooleanField()
    note = models.TextField(blank=True)

    permission_resource: ClassVar[str] = "insight_rating"

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["insight", "reviewer"], name="loop_rating_once_per_reviewer")
        ]

    def __str__(self) -> str:
        return f"rating of {self.insight}: {self.specific}/{self.actionable}/{'new' if self.new else 'known'}"

    @property
    def quality(self) -> float:
        """Mean of the two 1-5 scales; `new` stays a separate yes/no and is reported on its own."""
        return (self.specific + self.actionable) / 2

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return team_scope(queryset, user, "insight__author")


class Theme(AuditedModel):
    """A named group of insights in one therapeutic area, made by a reviewer; optionally seeded from a
    listening priority or an intel cluster (the seed is remembered so the theme can be traced back)."""

    name = models.CharField(max_length=200)
    therapeutic_area = models.ForeignKey(TherapeuticArea, on_delete=models.PROTECT, related_name="+")
    listening_priority = models.ForeignKey(
        ListeningPriority, null=True, blank=True, on_delete=models.PROTECT, related_name="loop_themes"
    )
    description = models.TextField(blank=True)
    seed = models.CharField(max_length=200, blank=True, help_text="where the first insights came from")
    insights = models.ManyToManyField(Insight, blank=True, related_name="loop_themes")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    permission_resource: ClassVar[str] = "insight_theme"

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return _through_insights(queryset, user, "insights")


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


CLOSED = (ActionStatus.DONE, ActionStatus.CANCELLED)


class InsightAction(AuditedModel):
    """What the company does about a theme: an owner (a person or an internal function), a due date, a status
    and, once closed, the outcome the contributing MSLs are told about.

    Named `InsightAction` so that it does not read as an app's `actions.py` (the write path). It was `Action`:
    its table (`loop_action`) and its audit name (object type "loop.action", events "action.*") stay as they
    were, so the audit trail written before the rename still reads and reconciles as one history.
    """

    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="actions")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner_user = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    owner_function = models.CharField(
        max_length=120, blank=True, help_text="an internal function, e.g. HEOR or Medical Education"
    )
    due_date = models.DateField()
    status = models.CharField(max_length=20, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    outcome = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    permission_resource: ClassVar[str] = "insight_action"
    audit_label: ClassVar[str] = "loop.action"

    class Meta:
        db_table = "loop_action"
        verbose_name = "action"
        ordering = ["due_date", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def owner_label(self) -> str:
        """The owner as people read it: the person's name, else the function."""
        return self.owner_user.display_name if self.owner_user is not None else self.owner_function

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return _through_insights(queryset, user, "theme__insights")


class Notification(AuditedModel):
    """An in-app message to one user (today: an action fed by their insights was created or closed)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(max_length=500)
    link = models.CharField(max_length=300, blank=True, help_text="a path inside the app")
    action = models.ForeignKey(
        InsightAction, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    read_at = models.DateTimeField(null=True, blank=True)

    permission_resource: ClassVar[str] = "notification"

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="loop_notification_unread")]

    def __str__(self) -> str:
        return self.text[:60]

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return queryset.filter(user=user)
