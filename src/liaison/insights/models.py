"""Field insights and the listening priorities they answer."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from liaison.accounts.models import Product, TherapeuticArea, User
from liaison.core.models import AuditedModel
from liaison.core.policies import team_scope
from liaison.engagement.models import Interaction
from liaison.people.models import HCP


class ListeningPriority(AuditedModel):
    """A key insight topic: a question the company wants the field to listen for, per therapeutic area."""

    therapeutic_area = models.ForeignKey(
        TherapeuticArea, on_delete=models.PROTECT, related_name="listening_priorities"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    permission_resource: ClassVar[str] = "listening_priority"

    class Meta:
        ordering = ["therapeutic_area__name", "order", "title"]
        verbose_name_plural = "listening priorities"

    def __str__(self) -> str:
        return self.title


class InsightStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    REVIEWED = "reviewed", "Reviewed"


class Insight(AuditedModel):
    """Something an MSL learned from the field that matters to the company's medical strategy."""

    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="insights")
    interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.PROTECT, related_name="insights"
    )
    hcp = models.ForeignKey(HCP, null=True, blank=True, on_delete=models.PROTECT, related_name="insights")
    therapeutic_area = models.ForeignKey(TherapeuticArea, on_delete=models.PROTECT, related_name="insights")
    listening_priority = models.ForeignKey(
        ListeningPriority, null=True, blank=True, on_delete=models.PROTECT, related_name="insights"
    )
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="insights"
    )
    text = models.TextField()
    status = models.CharField(max_length=20, choices=InsightStatus.choices, default=InsightStatus.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)  # metrics filter on it
    reviewed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    compliance_flags = models.JSONField(
        default=list,
        blank=True,
        help_text="Promotional or off-label flags the author overrode when saving (empty when none remained)",
    )
    flag_override_reason = models.TextField(
        blank=True, help_text="Why the author saved despite the compliance flags; also on the audit event"
    )
    # The only text of an insight that may leave medical: a summary a medical reviewer rewrote and released
    # (actions.release_summary). The commercial report shows this, never `text`; empty when none is released.
    released_summary = models.TextField(
        blank=True, help_text="Rewritten by a medical reviewer for audiences beyond medical; empty if none"
    )
    released_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)

    permission_resource: ClassVar[str] = "insight"

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Insight {str(self.uuid)[:8]}"

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return team_scope(queryset, user, "author")
