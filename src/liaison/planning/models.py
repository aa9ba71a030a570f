"""Engagement plans, HCPs' documented standing interests, and the reminders those interests raised.

docs/engagement-planning.md explains how progress is counted and when a standing interest raises a reminder.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.db import models

from liaison.accounts.models import Product, Territory, User
from liaison.core.models import AuditedModel
from liaison.core.policies import team_scope
from liaison.insights.models import ListeningPriority
from liaison.people.models import HCP

# A standing interest holds for a year from its last confirmation, then must be renewed with the HCP.
INTEREST_VALIDITY = dt.timedelta(days=365)


class PlanKind(models.TextChoices):
    KOL = "kol", "KOL plan (one HCP)"
    TERRITORY = "territory", "Territory plan"


class EngagementPlan(AuditedModel):
    """What an MSL (or a team) means to achieve with one KOL or across one territory in a year or a quarter.

    Targets are interactions per quarter: a KOL plan holds one number (`planned_per_quarter`), a territory plan
    one number per tier (`tier_targets`, {"1": 6, "2": 4}). Progress is never stored: it is counted from the
    submitted interactions in the period (planning/queries.py), so it cannot drift from the record.
    """

    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="engagement_plans")
    kind = models.CharField(max_length=20, choices=PlanKind.choices)
    hcp = models.ForeignKey(
        HCP, null=True, blank=True, on_delete=models.PROTECT, related_name="engagement_plans"
    )
    territory = models.ForeignKey(
        Territory, null=True, blank=True, on_delete=models.PROTECT, related_name="engagement_plans"
    )
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1-4; empty for a plan over the whole year"
    )
    objectives = models.JSONField(default=list, blank=True)
    planned_per_quarter = models.PositiveIntegerField(
        null=True, blank=True, help_text="KOL plans: interactions planned per quarter"
    )
    tier_targets = models.JSONField(
        default=dict, blank=True, help_text='Territory plans: interactions per quarter by tier, {"1": 6}'
    )
    listening_priorities = models.ManyToManyField(
        ListeningPriority, blank=True, related_name="engagement_plans"
    )

    permission_resource: ClassVar[str] = "engagement_plan"

    class Meta:
        ordering = ["-year", "-quarter", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="kol", hcp__isnull=False, territory__isnull=True)
                | models.Q(kind="territory", territory__isnull=False, hcp__isnull=True),
                name="planning_plan_subject_matches_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(quarter__isnull=True) | models.Q(quarter__gte=1, quarter__lte=4),
                name="planning_plan_quarter_1_to_4",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_label} · {self.period_label}"

    @property
    def subject_label(self) -> str:
        """Whom the plan is about: the HCP's name or the territory's."""
        if self.kind == PlanKind.KOL and self.hcp is not None:
            return self.hcp.full_name
        return str(self.territory) if self.territory is not None else "—"

    @property
    def period_label(self) -> str:
        return f"{self.year} Q{self.quarter}" if self.quarter else str(self.year)

    @property
    def quarters(self) -> int:
        """How many quarters the period spans: the per-quarter targets are multiplied by this."""
        return 1 if self.quarter else 4

    def period_bounds(self) -> tuple[dt.date, dt.date]:
        """[start, end) of the plan's period as dates."""
        first_month = 3 * (self.quarter - 1) + 1 if self.quarter else 1
        start = dt.date(self.year, first_month, 1)
        if self.quarter and self.quarter < 4:
            end = dt.date(self.year, first_month + 3, 1)
        else:
            end = dt.date(self.year + 1, 1, 1)
        return start, end

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return team_scope(queryset, user, "owner")


class InterestStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn"


class StandingInterest(AuditedModel):
    """An HCP's documented request to be kept informed on a topic, recorded by an MSL.

    It is what allows proactive follow-up on that topic, so it lapses a year after it was last confirmed
    (`expires_on`) unless renewed with the HCP; an expired interest raises no reminders. Matching uses the
    MeSH terms when given (descriptor names or ids) and the topic's words otherwise (docs/engagement-planning.md).
    """

    hcp = models.ForeignKey(HCP, on_delete=models.PROTECT, related_name="standing_interests")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="standing_interests")
    topic = models.CharField(max_length=300)
    mesh_terms = models.JSONField(default=list, blank=True, help_text="MeSH descriptor names or ids (D...)")
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="standing_interests"
    )
    recorded_on = models.DateField(help_text="When the HCP asked")
    renewed_on = models.DateField(null=True, blank=True, help_text="When the HCP last confirmed it")
    expires_on = models.DateField(db_index=True)
    withdrawn_on = models.DateField(null=True, blank=True)

    permission_resource: ClassVar[str] = "standing_interest"

    class Meta:
        ordering = ["expires_on", "topic"]

    def __str__(self) -> str:
        return f"{self.topic} ({self.hcp.full_name})"

    def status_on(self, day: dt.date) -> str:
        """Active, expired (past `expires_on`) or withdrawn, as of `day`."""
        if self.withdrawn_on is not None:
            return InterestStatus.WITHDRAWN
        return InterestStatus.EXPIRED if day > self.expires_on else InterestStatus.ACTIVE

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return team_scope(queryset, user, "recorded_by")


class InterestReminder(AuditedModel):
    """A follow-up raised because new evidence matched a standing interest; one per interest and record.

    The unique (interest, source, source_key) pair is what makes the reminder job idempotent: a second run finds
    the pair and raises nothing.
    """

    interest = models.ForeignKey(StandingInterest, on_delete=models.PROTECT, related_name="reminders")
    follow_up = models.OneToOneField(
        "engagement.FollowUp", on_delete=models.PROTECT, related_name="interest_reminder"
    )
    source = models.CharField(max_length=20, help_text='Kind of record that matched, e.g. "publication"')
    source_key = models.CharField(max_length=64, help_text="Its identifier, e.g. the PMID")
    source_title = models.TextField(blank=True)
    matched_on = models.JSONField(default=list, blank=True, help_text="The terms or words that matched")

    permission_resource: ClassVar[str] = "standing_interest"

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["interest", "source", "source_key"], name="planning_reminder_once_per_record"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.source_key} for {self.interest_id}"

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return team_scope(queryset, user, "interest__recorded_by")
