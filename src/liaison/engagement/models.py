"""Interactions with HCPs, the follow-ups they create and what the HCPs said the exchange was worth."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from liaison.accounts.models import Product, TherapeuticArea, User
from liaison.core.models import AuditedModel
from liaison.core.policies import team_scope
from liaison.people.models import HCP, Channel, ExternalPerson


class Purpose(models.TextChoices):
    SCIENTIFIC_EXCHANGE = "scientific_exchange", "Scientific exchange"
    RESPONSE_TO_INQUIRY = "response_to_inquiry", "Response to an unsolicited inquiry"
    CLINICAL_TRIAL_SUPPORT = "clinical_trial_support", "Clinical trial support"
    IIS_DISCUSSION = "iis_discussion", "Investigator-initiated study"
    ADVISORY_BOARD = "advisory_board", "Advisory board"
    INSIGHT_GATHERING = "insight_gathering", "Insight gathering"
    CONGRESS_FOLLOW_UP = "congress_follow_up", "Congress follow-up"
    EDUCATION = "education", "Medical education"


class Initiation(models.TextChoices):
    PROACTIVE = "proactive", "Proactive"
    REACTIVE = "reactive", "Reactive (HCP-initiated)"


class AEAttestation(models.TextChoices):
    NO = "no", "No adverse event or special situation was mentioned"
    YES = "yes", "Yes, an adverse event or special situation was mentioned"


class InteractionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class Interaction(AuditedModel):
    """A meeting or exchange between an MSL and one or more HCPs and/or external people (payers, pharmacists,
    patient advocates ...): at least one attendee of either kind. A payer meeting is an interaction too.

    The AE attestation is mandatory on submission; a "yes", or an AE term in the notes, raises a safety report
    whose Day 0 is `occurred_at`. A draft may lie in the future: that is a planned meeting, which the MSL logs
    (fills in and submits) once it has happened; only then is it screened, with Day 0 = the time it took place.
    """

    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="interactions")
    attendees = models.ManyToManyField(HCP, through="InteractionAttendee", related_name="interactions")
    external_attendees = models.ManyToManyField(
        ExternalPerson,
        blank=True,
        related_name="interactions",
        help_text="People who are not HCP records (payers, pharmacists, patient advocates ...)",
    )
    occurred_at = models.DateTimeField(db_index=True)
    duration_minutes = models.PositiveIntegerField(default=30)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    purpose = models.CharField(max_length=30, choices=Purpose.choices)
    therapeutic_area = models.ForeignKey(TherapeuticArea, null=True, blank=True, on_delete=models.PROTECT)
    topics = models.JSONField(default=list, blank=True)
    products = models.ManyToManyField(Product, blank=True, related_name="interactions")
    materials_shared = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    initiation = models.CharField(max_length=20, choices=Initiation.choices, default=Initiation.PROACTIVE)
    ae_attestation = models.CharField(max_length=3, choices=AEAttestation.choices, blank=True)
    status = models.CharField(
        max_length=20, choices=InteractionStatus.choices, default=InteractionStatus.SUBMITTED
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    compliance_flags = models.JSONField(
        default=list,
        blank=True,
        help_text="Promotional or off-label flags the author overrode when saving (empty when none remained)",
    )
    flag_override_reason = models.TextField(
        blank=True, help_text="Why the author saved despite the compliance flags; also on the audit event"
    )

    permission_resource: ClassVar[str] = "interaction"

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            # Covers the manager dashboard's aggregates over a period (bench/dashboard.py).
            models.Index(
                fields=["occurred_at", "status", "owner", "therapeutic_area", "channel", "initiation"],
                name="interaction_metrics_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} on {self.occurred_at:%Y-%m-%d}"

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return team_scope(queryset, user, "owner")

    @property
    def is_planned(self) -> bool:
        """A draft whose time has not come yet: a meeting planned ahead, to be logged once it took place."""
        return self.status == InteractionStatus.DRAFT and self.occurred_at > timezone.now()

    def audit_related_uuids(self) -> list[Any]:
        """Rows whose audit events belong in this interaction's changelog: its attendees."""
        return list(InteractionAttendee.objects.filter(interaction=self).values_list("uuid", flat=True))


class InteractionAttendee(AuditedModel):
    """An HCP who took part in an interaction."""

    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="attendance")
    hcp = models.ForeignKey(HCP, on_delete=models.PROTECT, related_name="attendance")

    permission_resource: ClassVar[str] = "interaction"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["interaction", "hcp"], name="unique_attendee")]

    def __str__(self) -> str:
        return f"attendee {self.hcp_id} of interaction {self.interaction_id}"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class FollowUp(AuditedModel):
    """Something promised to an HCP, with a due date and an owner."""

    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="follow_ups")
    hcp = models.ForeignKey(HCP, null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups")
    interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups"
    )
    description = models.TextField()
    due_date = models.DateField(db_index=True)
    status = models.CharField(max_length=20, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN)
    completed_at = models.DateTimeField(null=True, blank=True)

    permission_resource: ClassVar[str] = "follow_up"

    class Meta:
        ordering = ["due_date"]

    def __str__(self) -> str:
        return f"Follow-up due {self.due_date}"

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return team_scope(queryset, user, "owner")


class FeedbackSource(models.TextChoices):
    DURING_MEETING = "during_meeting", "Said during the meeting"
    AFTERWARDS = "afterwards", "Told afterwards"
    SURVEY = "survey", "Survey"


FEEDBACK_VALUES = range(1, 6)


class HcpFeedback(AuditedModel):
    """How valuable an HCP who attended an interaction found the exchange (1 to 5), as the MSL recorded it.

    The manager metric "KOL feedback" reads these. One record per (interaction, HCP): the HCP's view of one
    exchange is one fact, so recording it again (a survey answer after a remark in the meeting) updates it
    in place and the audit trail keeps the earlier value. Rows follow the interaction's team scope, so whoever
    may see the interaction may see what its attendees said about it (the matrix permitting).
    """

    interaction = models.ForeignKey(Interaction, on_delete=models.PROTECT, related_name="hcp_feedback")
    hcp = models.ForeignKey(HCP, on_delete=models.PROTECT, related_name="feedback_given")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    value = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="How valuable the HCP found the exchange: 1 = not at all, 3 = somewhat, 5 = very",
    )
    source = models.CharField(max_length=20, choices=FeedbackSource.choices)
    received_on = models.DateField(help_text="When the HCP gave the feedback")
    comment = models.TextField(blank=True)

    permission_resource: ClassVar[str] = "hcp_feedback"

    class Meta:
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["interaction", "hcp"], name="hcp_feedback_once_per_attendee"),
            models.CheckConstraint(
                condition=models.Q(value__gte=1, value__lte=5), name="hcp_feedback_value_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"feedback {self.value}/5 on {self.interaction}"

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return team_scope(queryset, user, "interaction__owner")
