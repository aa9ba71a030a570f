"""Unsolicited medical information requests."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q

from liaison.accounts.models import Product, User
from liaison.core.models import AuditedModel
from liaison.core.roles import Role
from liaison.engagement.models import Interaction
from liaison.people.models import HCP, Channel


class InquiryStatus(models.TextChoices):
    OPEN = "open", "Open (routed to medical information)"
    IN_PROGRESS = "in_progress", "In progress"
    ANSWERED = "answered", "Answered"
    CLOSED = "closed", "Closed"


class MedicalInquiry(AuditedModel):
    """An unsolicited request for medical information, captured verbatim and routed to medical information.

    A commercial user may capture one (a one-way hand-off) but cannot read it afterwards: the matrix grants
    commercial `add` and no `view`.
    """

    captured_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="captured_inquiries")
    requester_hcp = models.ForeignKey(
        HCP, null=True, blank=True, on_delete=models.PROTECT, related_name="inquiries"
    )
    requester_name = models.CharField(max_length=200, blank=True)
    requester_contact = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="inquiries"
    )
    question = models.TextField(help_text="The requester's question, verbatim")
    off_label = models.BooleanField(default=False)
    unsolicited_attested = models.BooleanField(default=False)
    received_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=InquiryStatus.choices, default=InquiryStatus.OPEN)
    assigned_to = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_inquiries"
    )
    interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.PROTECT, related_name="inquiries"
    )
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # Triage: what the classifier proposed at capture, and what medical information accepted or chose.
    proposed_type = models.CharField(max_length=60, blank=True, help_text="Question type proposed at capture")
    proposed_drug = models.CharField(
        max_length=200, blank=True, help_text="Drug in focus proposed at capture"
    )
    question_type = models.CharField(
        max_length=60, blank=True, help_text="Question type confirmed by medical information"
    )
    drug = models.CharField(
        max_length=200, blank=True, help_text="Drug in focus confirmed by medical information"
    )

    permission_resource: ClassVar[str] = "inquiry"

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "medical inquiries"

    def __str__(self) -> str:
        return f"Inquiry {str(self.uuid)[:8]}"

    @property
    def requester_display(self) -> str:
        return str(self.requester_hcp) if self.requester_hcp_id else self.requester_name

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        if user.role == Role.MSL:
            return queryset.filter(Q(captured_by=user) | Q(requester_hcp__owner=user))
        return queryset
