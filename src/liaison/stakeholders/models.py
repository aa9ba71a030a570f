"""Internal stakeholders of medical affairs (R&D, HEOR, clinical operations, market access, marketing), the
digests sent to them and their feedback on what they received.

Marketing is commercial and sits behind the firewall: a stakeholder of that function only ever receives the
de-identified aggregate form of a digest (digests.py), whatever anyone sets on the record.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from liaison.accounts.models import TherapeuticArea, User
from liaison.core.models import AuditedModel
from liaison.core.roles import Role


class Function(models.TextChoices):
    RND = "rnd", "R&D"
    HEOR = "heor", "HEOR"
    CLINICAL_OPERATIONS = "clinical_operations", "Clinical operations"
    MARKET_ACCESS = "market_access", "Market access"
    MEDICAL_EDUCATION = "medical_education", "Medical education"
    PHARMACOVIGILANCE = "pharmacovigilance", "Pharmacovigilance"
    MARKETING = "marketing", "Marketing (commercial)"


# Functions behind the medical/commercial firewall: aggregate, de-identified digests only.
COMMERCIAL_FUNCTIONS = frozenset({Function.MARKETING})


class DigestChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    IN_APP = "in_app", "In the app (download)"


class Cadence(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"


CADENCE_DAYS: dict[str, int] = {Cadence.WEEKLY: 7, Cadence.MONTHLY: 30, Cadence.QUARTERLY: 91}


class DigestFormat(models.TextChoices):
    HTML = "html", "HTML e-mail"
    PDF = "pdf", "PDF attachment"
    BOTH = "both", "HTML e-mail with PDF"


class Stakeholder(AuditedModel):
    """An internal stakeholder (a person or a function's mailbox) and how they prefer to hear from medical."""

    name = models.CharField(max_length=200)
    function = models.CharField(max_length=30, choices=Function.choices)
    email = models.EmailField(blank=True)
    preferred_channel = models.CharField(
        max_length=20, choices=DigestChannel.choices, default=DigestChannel.EMAIL
    )
    cadence = models.CharField(max_length=20, choices=Cadence.choices, default=Cadence.MONTHLY)
    format = models.CharField(max_length=10, choices=DigestFormat.choices, default=DigestFormat.BOTH)
    expectations = models.TextField(blank=True, help_text="What they expect from medical, in their words")
    therapeutic_areas = models.ManyToManyField(TherapeuticArea, blank=True, related_name="stakeholders")
    owner = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="stakeholders", help_text="Who in medical sends to them"
    )
    active = models.BooleanField(default=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    permission_resource: ClassVar[str] = "stakeholder"

    class Meta:
        ordering = ["function", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_function_display()})"

    @property
    def commercial(self) -> bool:
        """Behind the firewall: receives the de-identified aggregate form only."""
        return self.function in COMMERCIAL_FUNCTIONS


class DeliveryStatus(models.TextChoices):
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class DigestForm(models.TextChoices):
    INSIGHTS = "insights", "Themes and de-identified insights"
    AGGREGATE = "aggregate", "De-identified aggregate only"


class DigestDelivery(AuditedModel):
    """One digest sent (or tried) to one stakeholder: when, to whom, by which channel, with what outcome."""

    stakeholder = models.ForeignKey(Stakeholder, on_delete=models.PROTECT, related_name="deliveries")
    sent_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(db_index=True)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    recipient = models.CharField(max_length=254)
    channel = models.CharField(max_length=20, choices=DigestChannel.choices)
    form = models.CharField(max_length=20, choices=DigestForm.choices)
    subject = models.CharField(max_length=300)
    insight_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices)
    error = models.TextField(blank=True)

    permission_resource: ClassVar[str] = "digest"

    class Meta:
        ordering = ["-sent_at"]
        verbose_name_plural = "digest deliveries"

    def __str__(self) -> str:
        return f"Digest to {self.recipient} on {self.sent_at:%Y-%m-%d}"

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        # A manager sees the digests they sent (and those to stakeholders they own); leads and oversight see all.
        if user.role == Role.MSL_MANAGER:
            return queryset.filter(models.Q(sent_by=user) | models.Q(stakeholder__owner=user))
        return queryset


class Verdict(models.TextChoices):
    USED = "used", "Used"
    NOT_RELEVANT = "not_relevant", "Not relevant"


class StakeholderFeedback(AuditedModel):
    """A stakeholder's verdict on what they received, recorded by whoever in medical heard it."""

    stakeholder = models.ForeignKey(Stakeholder, on_delete=models.PROTECT, related_name="feedback")
    delivery = models.ForeignKey(
        DigestDelivery, null=True, blank=True, on_delete=models.PROTECT, related_name="feedback"
    )
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    comment = models.TextField(blank=True)
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    permission_resource: ClassVar[str] = "stakeholder"

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "stakeholder feedback"

    def __str__(self) -> str:
        return f"{self.get_verdict_display()} from {self.stakeholder_id}"
