"""Adverse-event and special-situation reports for drug safety."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from liaison.accounts.models import Product, User
from liaison.core.models import AuditedModel, ImmutableField
from liaison.core.roles import Role
from liaison.engagement.models import Interaction
from liaison.insights.models import Insight
from liaison.medinfo.models import MedicalInquiry

from . import identifiers


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

    Day 0 (`day_zero`) is the interaction time (or the inquiry's receipt), set at creation and immutable. The
    source is an interaction, an inquiry or an insight, or another app's record by `source_kind`/`source_id`.
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
    # Any other screened record (event minutes, a congress session note ...): apps above safety are linked
    # generically, by kind and uuid, with a label that reads without them (as transparency's ledger does).
    source_kind = models.CharField(
        max_length=40, blank=True, help_text="The kind of record screened when not one of the links above"
    )
    source_id = models.UUIDField(null=True, blank=True, help_text="uuid of that record")
    source_label = models.CharField(max_length=300, blank=True)
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
    # What the detector said, kept so a reviewer (and an auditor) sees why the record was raised.
    detector_score = models.FloatField(null=True, blank=True)
    detector_layer = models.CharField(max_length=20, blank=True, help_text="lexicon, trained or failed")
    detector_spans = models.JSONField(default=list, blank=True)
    hedged = models.BooleanField(default=False, help_text="Every mention was negated or hypothetical")
    detector_error = models.TextField(
        blank=True, help_text="Why the detector could not screen the text (failure or time-out)"
    )
    acknowledged_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When drug safety acknowledged the forwarded report (stops the SLA clock)",
    )

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

    @property
    def identifier_warnings(self) -> list[str]:
        """Patient identifiers (names, record numbers, full birth dates) in the report's free text.

        Warnings, never blocks: drug safety must still be able to forward, and then remove them.
        """
        return identifiers.identifier_warnings(
            {
                "excerpt": self.excerpt,
                "event description": self.event_description,
                "triage note": self.triage_note,
            }
        )

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        if user.role in (Role.MSL, Role.MSL_MANAGER, Role.MEDICAL_LEAD, Role.MEDICAL_INFORMATION):
            return queryset.filter(reported_by=user)
        return queryset


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending delivery"
    SENT = "sent", "Sent, awaiting acknowledgement"
    ACKNOWLEDGED = "acknowledged", "Acknowledged by drug safety"
    FAILED = "failed", "Failed (needs an operator)"


class SafetyOutbox(AuditedModel):
    """One forwarding of a report to the safety database, written in the same transaction as the decision.

    The idempotency key (report uuid + sequence) travels with every attempt, so the receiver can drop repeats:
    a crash between sending and storing the acknowledgement leads to a resend, never to a second case.
    Audited, because the delivery attempts and the acknowledgement are the proof that a report reached drug
    safety in time.
    """

    report = models.ForeignKey(SafetyReport, on_delete=models.PROTECT, related_name="outbox")
    sequence = models.PositiveIntegerField()
    idempotency_key = models.CharField(max_length=80, unique=True)
    channel = models.CharField(max_length=20)
    payload = models.JSONField()
    status = models.CharField(
        max_length=20, choices=OutboxStatus.choices, default=OutboxStatus.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    case_id = models.CharField(max_length=60, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    permission_resource: ClassVar[str] = "safety_report"

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["report", "sequence"], name="safety_outbox_report_sequence")
        ]

    def __str__(self) -> str:
        return f"Outbox {self.idempotency_key}"

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        if user.role in (Role.MSL, Role.MSL_MANAGER, Role.MEDICAL_LEAD, Role.MEDICAL_INFORMATION):
            return queryset.filter(report__reported_by=user)
        return queryset


class EscalationLevel(models.TextChoices):
    AT_RISK = "at_risk", "At risk (75% of the SLA)"
    OVERDUE = "overdue", "Overdue (past the SLA)"


class SafetyEscalation(AuditedModel):
    """A report that reached a point of its SLA unacknowledged: the notice drug safety leads act on.

    One row per report and level, so a level is escalated once however often the check runs.
    """

    report = models.ForeignKey(SafetyReport, on_delete=models.PROTECT, related_name="escalations")
    level = models.CharField(max_length=20, choices=EscalationLevel.choices)
    hours_since_day_zero = models.FloatField()
    sla_hours = models.PositiveIntegerField()

    permission_resource: ClassVar[str] = "safety_report"

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["report", "level"], name="safety_escalation_report_level")
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()}: {self.report}"

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        if user.role in (Role.MSL, Role.MSL_MANAGER, Role.MEDICAL_LEAD, Role.MEDICAL_INFORMATION):
            return queryset.filter(report__reported_by=user)
        return queryset
