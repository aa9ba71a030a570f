"""The write path of stakeholders and digests: create and change stakeholders, record their feedback, send digests.

Every function checks the role matrix, validates its input again (the API, CLI and demo loader call these
directly) and writes inside the caller's audit context, so each change carries its audit event.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from liaison.accounts.models import TherapeuticArea, User
from liaison.core.permissions import can, require
from liaison.core.validation import clean_choice, clean_text

from . import digests
from .models import (
    Cadence,
    DeliveryStatus,
    DigestChannel,
    DigestDelivery,
    DigestFormat,
    Function,
    Stakeholder,
    StakeholderFeedback,
    Verdict,
)

logger = logging.getLogger("liaison.stakeholders")
SENDER_ROLES_RESOURCE = ("digest", "send")


@transaction.atomic
def save_stakeholder(
    stakeholder: Stakeholder | None,
    *,
    acting_user: User | None,
    name: str,
    function: str,
    owner: User,
    email: str = "",
    preferred_channel: str = DigestChannel.EMAIL,
    cadence: str = Cadence.MONTHLY,
    format: str = DigestFormat.BOTH,  # noqa: A002 - the field's name
    expectations: str = "",
    therapeutic_areas: Iterable[TherapeuticArea] | None = None,
    active: bool = True,
) -> Stakeholder:
    """Create or change an internal stakeholder; the owner must be someone who may send digests."""
    if acting_user is not None:
        require(acting_user, "stakeholder", "add" if stakeholder is None else "change")
    stakeholder = stakeholder or Stakeholder()
    stakeholder.name = clean_text(name, "name", required=True, max_length=200)
    stakeholder.function = clean_choice(function, "function", Function.values)
    stakeholder.preferred_channel = clean_choice(preferred_channel, "preferred_channel", DigestChannel.values)
    stakeholder.cadence = clean_choice(cadence, "cadence", Cadence.values)
    stakeholder.format = clean_choice(format, "format", DigestFormat.values)
    stakeholder.expectations = clean_text(expectations, "expectations", max_length=5000)
    stakeholder.email = clean_text(email, "email", max_length=254)
    if stakeholder.email:
        try:
            validate_email(stakeholder.email)
        except ValidationError as exc:
            raise ValidationError({"email": "is not a valid e-mail address"}) from exc
    elif stakeholder.preferred_channel == DigestChannel.EMAIL:
        raise ValidationError({"email": "is required when digests go by e-mail"})
    if owner is None or not can(owner, *SENDER_ROLES_RESOURCE):
        raise ValidationError({"owner": "must be a user who may send digests (manager, medical lead, admin)"})
    stakeholder.owner = owner
    stakeholder.active = bool(active)
    stakeholder.save()
    if therapeutic_areas is not None:
        stakeholder.therapeutic_areas.set(list(therapeutic_areas))
    return stakeholder


@transaction.atomic
def record_feedback(
    stakeholder: Stakeholder,
    *,
    acting_user: User | None,
    verdict: str,
    comment: str = "",
    delivery: DigestDelivery | None = None,
) -> StakeholderFeedback:
    """Record what a stakeholder said about what they received: "used" or "not relevant", with a comment."""
    if acting_user is not None:
        require(acting_user, "stakeholder", "feedback")
    if delivery is not None and delivery.stakeholder_id != stakeholder.pk:
        raise ValidationError({"delivery": "belongs to another stakeholder"})
    return StakeholderFeedback.objects.create(
        stakeholder=stakeholder,
        delivery=delivery,
        verdict=clean_choice(verdict, "verdict", Verdict.values),
        comment=clean_text(comment, "comment", max_length=5000),
        recorded_by=acting_user,
    )


def send_digest(
    stakeholder: Stakeholder, *, acting_user: User | None, now: dt.datetime | None = None
) -> DigestDelivery:
    """Build and send one stakeholder's digest, then log the delivery (sent or failed) for the sender to see.

    A failed e-mail is not an error of the caller's: it is logged as a failed delivery with the reason, and
    the stakeholder's `last_sent_at` does not move, so the next `liaison digests send --due` tries again.
    """
    if acting_user is not None:
        require(acting_user, *SENDER_ROLES_RESOURCE)
    if not stakeholder.active:
        raise ValidationError({"stakeholder": "is inactive"})
    now = now or timezone.now()
    digest = digests.build_digest(stakeholder, now=now)
    status, error = DeliveryStatus.SENT, ""
    channel = stakeholder.preferred_channel
    recipient = stakeholder.email if channel == DigestChannel.EMAIL else stakeholder.name
    if channel == DigestChannel.EMAIL:
        try:
            _email(digest, stakeholder)
        except Exception as exc:  # noqa: BLE001 - any transport failure is logged as a failed delivery
            logger.warning("digest to %s failed: %s", stakeholder.email, exc)
            status, error = DeliveryStatus.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
    with transaction.atomic():
        delivery = DigestDelivery.objects.create(
            stakeholder=stakeholder,
            sent_by=acting_user,
            sent_at=now,
            period_start=digest.period_start,
            period_end=digest.period_end,
            recipient=recipient,
            channel=channel,
            form=digest.form,
            subject=digest.subject[:300],
            insight_count=digest.insight_count,
            status=status,
            error=error,
        )
        if status == DeliveryStatus.SENT:
            stakeholder.last_sent_at = now
            stakeholder.save(update_fields=["last_sent_at", "updated_at"])
    return delivery


def _email(digest: digests.Digest, stakeholder: Stakeholder) -> None:
    """Send the digest by e-mail: text body, HTML alternative and PDF attachment as the format asks."""
    message = EmailMultiAlternatives(
        subject=digest.subject,
        body=digests.render_text(digest),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[stakeholder.email],
    )
    if stakeholder.format in (DigestFormat.HTML, DigestFormat.BOTH):
        message.attach_alternative(digests.render_html(digest), "text/html")
    if stakeholder.format in (DigestFormat.PDF, DigestFormat.BOTH):
        name = f"digest-{digest.period_end:%Y-%m-%d}.pdf"
        message.attach(name, digests.render_pdf(digest), "application/pdf")
    message.send(fail_silently=False)


def send_due_digests(
    *, acting_user: User | None, due_only: bool = True, now: dt.datetime | None = None
) -> list[DigestDelivery]:
    """Send every active stakeholder's digest (only those due, by cadence, when `due_only`)."""
    now = now or timezone.now()
    out = []
    for stakeholder in Stakeholder.objects.filter(active=True).select_related("owner").order_by("pk"):
        if due_only and not digests.is_due(stakeholder, now):
            continue
        out.append(send_digest(stakeholder, acting_user=acting_user, now=now))
    return out


def describe(delivery: DigestDelivery) -> dict[str, Any]:
    """A one-line summary of a delivery for the CLI."""
    return {
        "stakeholder": delivery.stakeholder.name,
        "recipient": delivery.recipient,
        "status": delivery.status,
        "insights": delivery.insight_count,
    }
