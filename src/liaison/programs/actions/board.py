"""The write path of asynchronous advisory boards and their participant portal (programs/portal.py): questions,
advisor invitations with single-use links and the optional e-mailed code, the consent step, posts and the time
advisors spend. Split from the event actions (liaison.programs.actions), whose checks it uses; the rules are in
docs/programs.md.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from liaison.accounts.actions import create_user
from liaison.accounts.models import User
from liaison.core.permissions import can, require
from liaison.core.roles import Role
from liaison.core.validation import clean_text

from .. import portal
from ..models import (
    VISIT_GAP,
    BoardPost,
    BoardQuestion,
    Event,
    EventParticipant,
    ParticipantRole,
    PortalAccess,
    PortalVisit,
)
from . import _check_change, _instant, _require_open, governance

# --- asynchronous advisory boards and the participant portal (programs/portal.py) --------------------------------


def _check_moderator(event: Event, user: User) -> None:
    """The user runs this advisory board (portal.may_moderate says who)."""
    _check_change(event, user)
    if not portal.may_moderate(event, user):
        raise ValidationError({"__all__": "only the owner, organisers, chairs and moderators run the board"})


@transaction.atomic
def save_board_question(
    event: Event, question: BoardQuestion | None = None, *, acting_user: User, **data: Any
) -> BoardQuestion:
    """Add a question to the board (or change one); `opens_at`/`closes_at` optional, closing after opening."""
    _check_moderator(event, acting_user)
    q = question or BoardQuestion(event=event)
    q.title = clean_text(data.get("title"), "title", required=True, max_length=200)
    q.body = clean_text(data.get("body"), "body", max_length=5000)
    q.order = int(data.get("order") or q.order or event.board_questions.count() + 1)
    q.opens_at = _instant(data["opens_at"], "opens_at") if data.get("opens_at") else None
    q.closes_at = _instant(data["closes_at"], "closes_at") if data.get("closes_at") else None
    if q.opens_at and q.closes_at and q.closes_at <= q.opens_at:
        raise ValidationError({"closes_at": "must be after the opening"})
    q.save()
    return q


@transaction.atomic
def invite_advisor(
    participant: EventParticipant,
    *,
    acting_user: User | None,
    email: str,
    second_factor: bool = False,
    now: Any = None,
) -> tuple[PortalAccess, str]:
    """Give an advisor participant a portal link (returned raw, once, to be e-mailed): creates their advisor user
    on the first invitation; a new link replaces the previous one, which stops working. The CLI passes
    acting_user=None and acts as the audit context's actor."""
    if acting_user is not None:
        _check_moderator(participant.event, acting_user)
    _require_open(participant.event)
    governance.require_approved_assessment(participant.event, ParticipantRole.ADVISOR)
    email = portal.clean_email(email)
    now = now or timezone.now()
    raw, token_hash = portal.new_secret()
    access = PortalAccess.objects.filter(participant=participant).select_related("user").first()
    if access is None:
        person = participant.person
        # The advisor account comes with the invitation, never by hand; the moderator's right is checked above.
        user = create_user(
            username=f"advisor-{participant.uuid.hex[:12]}",
            role=Role.ADVISOR,
            first_name=person.first_name,
            last_name=person.last_name,
            email=email,
        )
        access = PortalAccess(participant=participant, user=user)
    elif access.user.email != email:
        access.user.email = email
        access.user.save(update_fields=["email"])
    access.token_hash, access.issued_at, access.expires_at = token_hash, now, now + portal.LINK_LIFETIME
    access.used_at, access.second_factor = None, bool(second_factor)
    access.save()
    return access, raw


@transaction.atomic
def use_portal_link(raw: str, *, now: Any = None) -> PortalAccess:
    """Spend a single-use link (portal.LinkRefused, and nothing written, when unknown, used or expired)."""
    now = now or timezone.now()
    access = portal.usable_access(raw, now)
    access.used_at = now
    access.save(update_fields=["used_at"])
    return access


@transaction.atomic
def issue_portal_code(access: PortalAccess, *, now: Any = None) -> str:
    """A fresh six-digit code for the second factor (returned raw, to be e-mailed); resets the tries."""
    raw, access.code_hash = portal.new_code()
    access.code_expires_at, access.code_tries = (now or timezone.now()) + portal.CODE_LIFETIME, 0
    access.save(update_fields=["code_hash", "code_expires_at", "code_tries"])
    return raw


@transaction.atomic
def check_portal_code(access: PortalAccess, *, acting_user: User, code: str, now: Any = None) -> str:
    """Try the e-mailed code: "" when accepted, else why not (wrong, expired, out of tries). Returned rather than
    raised, so that the counted try is not rolled back with the refusal."""
    require(acting_user, "advisory_portal", "view")
    if refusal := portal.code_refusal(access, acting_user, now or timezone.now()):
        return refusal
    if portal.hash_token(clean_text(code, "code", max_length=12)) != access.code_hash:
        access.code_tries += 1
        access.save(update_fields=["code_tries"])
        return f"wrong code ({portal.CODE_TRIES - access.code_tries} tries left)"
    access.code_hash, access.code_expires_at = "", None
    access.save(update_fields=["code_hash", "code_expires_at"])
    return ""


@transaction.atomic
def accept_portal_terms(
    access: PortalAccess, *, acting_user: User, version: str, now: Any = None
) -> PortalAccess:
    """Record that the advisor accepted the confidentiality and consent terms of `version`."""
    require(acting_user, "advisory_portal", "respond")
    if access.user_id != acting_user.pk:
        raise ValidationError({"__all__": "not your invitation"})
    if version != portal.CONFIDENTIALITY_VERSION:
        raise ValidationError({"version": "these terms have changed; read them again"})
    access.consent_accepted_at, access.consent_version = now or timezone.now(), version
    access.save(update_fields=["consent_accepted_at", "consent_version"])
    return access


@transaction.atomic
def post_to_board(
    question: BoardQuestion, *, acting_user: User, text: str, parent: BoardPost | None = None, now: Any = None
) -> BoardPost:
    """An advisor's answer (their own access, terms accepted, question open) or a moderator's follow-up."""
    text = clean_text(text, "text", required=True, max_length=10000)
    if parent is not None and parent.question_id != question.pk:
        raise ValidationError({"parent": "not a post of this question"})
    if can(acting_user, "advisory_portal", "respond"):
        access = PortalAccess.objects.filter(
            user=acting_user, participant__event_id=question.event_id
        ).first()
        if access is None or access.consent_accepted_at is None:
            raise ValidationError({"__all__": "accept the terms of this board first"})
        if not question.is_open(now or timezone.now()):
            raise ValidationError({"text": "this question is not open"})
        return BoardPost.objects.create(
            question=question, participant=access.participant, parent=parent, text=text
        )
    _check_moderator(question.event, acting_user)
    return BoardPost.objects.create(question=question, staff_author=acting_user, parent=parent, text=text)


@transaction.atomic
def note_portal_visit(access: PortalAccess, *, acting_user: User, now: Any = None) -> PortalVisit:
    """A page view or heartbeat: extends the current visit, or starts one after a gap over VISIT_GAP."""
    require(acting_user, "advisory_portal", "view")
    if access.user_id != acting_user.pk:
        raise ValidationError({"__all__": "not your invitation"})
    now = now or timezone.now()
    visit = access.visits.order_by("-last_seen").first()
    if visit is None or now - visit.last_seen > VISIT_GAP or now < visit.last_seen:
        return PortalVisit.objects.create(access=access, started_at=now, last_seen=now)
    visit.last_seen = now
    visit.save(update_fields=["last_seen"])
    return visit
