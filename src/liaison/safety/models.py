"""Adverse-event and special-situation reports for drug safety."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

from liaison.accounts.models import Product, User
from liaison.core.models import AuditedModel, ImmutableField
from liaison.core.roles import Role
from liaison.engagement.models import Interaction
from liaison.insights.models import Insight
from liaison.medinfo.models import MedicalInquiry


class ImmutableDayZero(ImmutableField):
    """Day 0 is when the company learned of the event; it never changes once set."""


class ReportTrigger(models.TextChoices):
    ATTESTATION = "attestation", "MSL attested an AE or special situation"
    DETECTOR = "detector", "Detected in free text"
    MANUAL = "manual", "Raised by hand"


class ReportStatus(models.TextChoices):
    NEW = "new", "New"
    IN_REVIEW = "in_review", "In review"
    FORWARDED = "forwarded", "Forwarded to safety database"
    NOT_AN_AE = "not_an_ae", "Reviewed: not an AE"


class Sex(models.TextChoices):
    UNKNOWN = "", "Unknown"
    FEMALE = "F", "Female"
    MALE = "M", "Male"


class SafetyReport(AuditedModel):
    """A possible adverse event or special situation captured in the field, queued for drug safety.

    Day 0 (`day_zero`) is the interaction time (or the inquiry's receipt), set at creation and immutable.
    """

    reported_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="safety_reports")
    interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.PROTECT, related_name="safety_reports"
    )
    inquiry = models.ForeignKey(
        MedicalInquiry, null=True, blank=True, on_delete=models.PROTECT, related_name="safety_reports"
    )
    insight = models.ForeignKey(
        Insight, null=True, blank=True, on_delete=models.PROTECT, related_name="safety_reports"
    )
    day_zero = models.DateTimeField(db_index=True)
    trigger = models.CharField(max_length=20, choices=ReportTrigger.choices)
    source_field = models.CharField(
        max_length=60, blank=True, help_text="The free-text field that triggered it"
    )
    excerpt = models.TextField(blank=True)
    detected_terms = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)
    suspect_product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT)
    event_description = models.TextField(blank=True)
    patient_initials = models.CharField(max_length=5, blank=True)
    patient_age = models.PositiveSmallIntegerField(null=True, blank=True)
    patient_sex = models.CharField(max_length=1, choices=Sex.choices, blank=True)
    reporter_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=ReportStatus.choices, default=ReportStatus.NEW)
    assigned_to = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    triage_note = models.TextField(blank=True)
    safety_case_id = models.CharField(max_length=60, blank=True)

    permission_resource: ClassVar[str] = "safety_report"
    # Day 0 starts the regulatory clock; AuditedModel refuses to change it through save(), update() or
    # bulk_update() alike.
    immutable_fields: ClassVar[tuple[str, ...]] = ("day_zero",)
    immutable_error: ClassVar[type[ImmutableField]] = ImmutableDayZero

    class Meta:
        ordering = ["day_zero"]

    def __str__(self) -> str:
        return f"Safety report {str(self.uuid)[:8]}"

    @property
    def missing_minimum_criteria(self) -> list[str]:
        """Which of the four minimum criteria for a valid case are still missing (they never block forwarding)."""
        missing = []
        if not (self.patient_initials or self.patient_age or self.patient_sex):
            missing.append("identifiable patient")
        if not (self.reporter_name or self.reported_by_id):
            missing.append("identifiable reporter")
        if not self.suspect_product_id:
            missing.append("suspect product")
        if not (self.event_description or self.detected_terms):
            missing.append("adverse event")
        return missing

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: Any, action: str) -> models.QuerySet:
        if user.role in (Role.MSL, Role.MSL_MANAGER, Role.MEDICAL_LEAD, Role.MEDICAL_INFORMATION):
            return queryset.filter(reported_by=user)
        return queryset
