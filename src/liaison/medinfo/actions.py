"""The write path for unsolicited medical inquiries."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from liaison.accounts.models import Product, User
from liaison.core.audit import record_event
from liaison.core.context import reason as audit_reason
from liaison.core.hooks import schedule_index, screen_texts
from liaison.core.permissions import require
from liaison.core.roles import Role
from liaison.core.validation import clean_choice, clean_text
from liaison.engagement.models import Interaction
from liaison.people.models import HCP, Channel

from .models import InquiryStatus, MedicalInquiry

logger = logging.getLogger("liaison.medinfo")


@transaction.atomic
def capture_inquiry(
    *,
    acting_user: User,
    question: str,
    channel: str,
    unsolicited_attested: bool,
    requester_hcp: HCP | None = None,
    requester_name: str = "",
    requester_contact: str = "",
    product: Product | None = None,
    off_label: bool = False,
    received_at: dt.datetime | None = None,
    interaction: Interaction | None = None,
) -> MedicalInquiry:
    """Capture an unsolicited request verbatim and route it to medical information.

    Anyone allowed may capture (commercial users included, as a one-way hand-off). The requester must have
    asked unprompted: the capturer attests it. The question is screened for safety with Day 0 = receipt.
    """
    require(acting_user, "inquiry", "add")
    if unsolicited_attested is not True:
        raise ValidationError({"unsolicited_attested": "confirm that the request was unsolicited"})
    question = clean_text(question, "question", required=True, max_length=10000)
    channel = clean_choice(channel, "channel", Channel.values)
    requester_name = clean_text(requester_name, "requester_name", max_length=200)
    for field, value, model in (
        ("requester_hcp", requester_hcp, HCP),
        ("product", product, Product),
        ("interaction", interaction, Interaction),
    ):
        if value is not None and not isinstance(value, model):
            raise ValidationError({field: "unknown record"})
    if received_at is not None and not isinstance(received_at, dt.datetime):
        raise ValidationError({"received_at": "must be a date and time"})
    if requester_hcp is None and not requester_name:
        raise ValidationError({"requester_name": "name the requester, or pick the HCP who asked"})
    received_at = received_at or timezone.now()
    if timezone.is_naive(received_at):
        received_at = timezone.make_aware(received_at)
    if received_at > timezone.now() + dt.timedelta(minutes=10):
        raise ValidationError({"received_at": "cannot be in the future"})
    inquiry = MedicalInquiry.objects.create(
        captured_by=acting_user,
        requester_hcp=requester_hcp,
        requester_name=requester_name,
        requester_contact=clean_text(requester_contact, "requester_contact", max_length=200),
        channel=channel,
        product=product,
        question=question,
        off_label=bool(off_label),
        unsolicited_attested=True,
        received_at=received_at,
        interaction=interaction,
        status=InquiryStatus.OPEN,
        **dict(zip(("proposed_type", "proposed_drug"), propose_triage(question), strict=True)),
    )
    record_event("medicalinquiry.routed", obj=inquiry, action="route", reason="routed to medical information")
    schedule_index("inquiry", inquiry.pk)
    screen_texts(
        {"question": question}, reporter=acting_user, day_zero=received_at, source=inquiry, product=product
    )
    return inquiry


def product_in_question(question: str) -> str:
    """The name of the company product a question names (brand or generic name), else "".

    The company's own products come first: the classifier knows public drug names, not a pipeline product's.
    """
    best = ("", -1)
    for name, generic in Product.objects.filter(active=True).values_list("name", "generic_name"):
        for candidate in (name, generic):
            if not candidate:
                continue
            hit = re.search(rf"(?<!\w){re.escape(candidate)}(?!\w)", question, flags=re.IGNORECASE)
            if hit and (best[1] < 0 or hit.start() < best[1]):
                best = (name, hit.start())
    return best[0]


def propose_triage(question: str) -> tuple[str, str]:
    """The question type and drug in focus to propose for a new inquiry.

    A failing classifier never blocks the capture of an inquiry: it logs and proposes nothing, and medical
    information triages by hand.
    """
    try:
        from liaison_text.questions import classify_question

        question_type, drug = classify_question(question)
    except Exception:
        logger.exception("question classifier failed; the inquiry is captured without a proposal")
        question_type, drug = "", ""
    return (question_type or "")[:60], (product_in_question(question) or drug or "")[:200]


def question_types() -> tuple[str, ...]:
    """The question types medical information chooses from (the MedicationQA labels)."""
    from liaison_text.questions import QUESTION_TYPES

    return tuple(QUESTION_TYPES)


@transaction.atomic
def triage_inquiry(
    inquiry: MedicalInquiry, *, acting_user: User, question_type: str, drug: str
) -> MedicalInquiry:
    """Medical information accepts or corrects the proposed question type and drug in focus.

    The audit event says whether the proposal was accepted as is or changed, so the classifier's precision can be
    read back from the trail.
    """
    require(acting_user, "inquiry", "change")
    if not MedicalInquiry.objects.restrict(acting_user, "change").filter(pk=inquiry.pk).exists():
        raise ValidationError({"__all__": "you may not change this inquiry"})
    inquiry.question_type = clean_choice(question_type, "question_type", question_types())
    inquiry.drug = clean_text(drug, "drug", max_length=200)
    accepted = (inquiry.question_type, inquiry.drug) == (inquiry.proposed_type, inquiry.proposed_drug)
    with audit_reason("triage: proposal accepted" if accepted else "triage: proposal changed"):
        inquiry.save()
    return inquiry


@transaction.atomic
def assign_inquiry(inquiry: MedicalInquiry, *, acting_user: User, assignee: User) -> MedicalInquiry:
    """Assign an inquiry to someone in medical information; an open one moves to in progress."""
    require(acting_user, "inquiry", "change")
    if not isinstance(assignee, User) or assignee.role != Role.MEDICAL_INFORMATION:
        raise ValidationError({"assigned_to": "inquiries are assigned to medical information"})
    inquiry.assigned_to = assignee
    if inquiry.status == InquiryStatus.OPEN:
        inquiry.status = InquiryStatus.IN_PROGRESS
    inquiry.save()
    return inquiry


@transaction.atomic
def answer_inquiry(inquiry: MedicalInquiry, *, acting_user: User, answer: str) -> MedicalInquiry:
    """Record the answer sent to the requester (and only to the requester)."""
    require(acting_user, "inquiry", "answer")
    if inquiry.status in (InquiryStatus.ANSWERED, InquiryStatus.CLOSED):
        raise ValidationError({"status": f"this inquiry is already {inquiry.get_status_display().lower()}"})
    inquiry.answer = clean_text(answer, "answer", required=True, max_length=20000)
    inquiry.status = InquiryStatus.ANSWERED
    inquiry.answered_at = timezone.now()
    inquiry.assigned_to = inquiry.assigned_to or acting_user
    inquiry.save()
    return inquiry


@transaction.atomic
def close_inquiry(inquiry: MedicalInquiry, *, acting_user: User, reason: str) -> MedicalInquiry:
    """Close an inquiry with a reason (recorded on the audit event)."""
    require(acting_user, "inquiry", "change")
    reason = clean_text(reason, "reason", required=True, max_length=500)
    if inquiry.status == InquiryStatus.CLOSED:
        raise ValidationError({"status": "this inquiry is already closed"})
    inquiry.status = InquiryStatus.CLOSED
    with audit_reason(reason):
        inquiry.save()
    return inquiry


def status_choice(value: Any) -> str:
    """An inquiry status from user input, or a ValidationError on `status`."""
    return clean_choice(value, "status", InquiryStatus.values)


def move_hcp_records(duplicate: HCP, survivor: HCP) -> None:
    """An HCP merge step (people/extensions.py): inquiries from `duplicate` move to `survivor` (audited)."""
    MedicalInquiry.objects.filter(requester_hcp=duplicate).update(requester_hcp=survivor)
