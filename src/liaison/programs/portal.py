"""The participant portal of asynchronous advisory boards, without writes: links and codes, what an advisor may
see, progress and time spent, and the e-mails. The writes are in programs/actions.py; the pages in
programs/portal_views.py (advisors) and programs/board_views.py (moderators). docs/programs.md explains it.

Security model: a link carries a random token of which only the SHA-256 is stored; it works once (a mail scanner's
GET does not use it: the page asks for a click), expires after LINK_LIFETIME, and a new link replaces the old.
The optional second factor is a six-digit code e-mailed at sign-in (hashed, CODE_LIFETIME, CODE_TRIES tries).
The advisor's user holds the role `advisor`, whose one resource is "advisory_portal"; the gate middleware
(programs/portal_gate.py) answers every other page and API call 403.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db.models import QuerySet

from liaison.accounts.models import User, hash_token
from liaison.core.permissions import can
from liaison.core.validation import clean_text

from .models import BoardPost, BoardQuestion, Event, EventKind, PortalAccess, PortalVisit, StaffRole

LINK_LIFETIME = dt.timedelta(days=14)
CODE_LIFETIME = dt.timedelta(minutes=10)
CODE_TRIES = 5
CONFIDENTIALITY_VERSION = "2026-12"
CONFIDENTIALITY_TEXT = (
    "The questions and materials of this advisory board are confidential information of the company. You agree "
    "not to disclose them, and not to share confidential information of third parties or any patient-identifying "
    "information in your answers. Your answers, your name and the time you spend are recorded for this board, "
    "seen by the company's medical staff running it and by the other advisors of the same board, and kept as the "
    "board's records. Report any adverse event you mention to the moderator; it will be forwarded to drug safety."
)


class LinkRefused(Exception):
    """A portal link that cannot be used: unknown (404) or used or expired (410)."""

    def __init__(self, status: int, reason: str) -> None:
        self.status, self.reason = status, reason
        super().__init__(reason)


def may_moderate(event: Event, user: User) -> bool:
    """Whether `user` runs this board: an advisory board they may change, as its owner or as organiser, chair or
    moderator on its staff."""
    if event.kind != EventKind.ADVISORY_BOARD or not can(user, "event", "change"):
        return False
    if not Event.objects.restrict(user, "change").filter(pk=event.pk).exists():
        return False
    roles = (StaffRole.ORGANISER, StaffRole.CHAIR, StaffRole.MODERATOR)
    return event.owner_id == user.pk or event.staff.filter(user=user, role__in=roles).exists()


def clean_email(value: object) -> str:
    """An e-mail address, or ValidationError."""
    email = clean_text(value, "email", required=True, max_length=254)
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": "must be an e-mail address"}) from exc
    return email


def code_refusal(access: PortalAccess, user: User, now: dt.datetime) -> str:
    """Why the advisor may not try a code now ("" when they may)."""
    if access.user_id != user.pk or not access.code_hash:
        return "ask for a new code"
    if access.code_tries >= CODE_TRIES or access.code_expires_at is None or access.code_expires_at <= now:
        return "this code has expired or was tried too often; ask for a new one"
    return ""


def new_secret() -> tuple[str, str]:
    """A fresh link token and its hash."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_token(raw)


def new_code() -> tuple[str, str]:
    """A fresh six-digit code and its hash."""
    raw = f"{secrets.randbelow(10**6):06d}"
    return raw, hash_token(raw)


def usable_access(raw: str, now: dt.datetime) -> PortalAccess:
    """The access a link token opens, or LinkRefused: 404 for an unknown token, 410 for a used or expired one."""
    access = (
        PortalAccess.objects.select_related("participant__event", "user")
        .filter(token_hash=hash_token(raw))
        .first()
        if raw
        else None
    )
    if access is None:
        raise LinkRefused(404, "This link is not valid.")
    if access.used_at is not None:
        raise LinkRefused(410, "This link has already been used.")
    if access.expires_at <= now:
        raise LinkRefused(410, "This link has expired.")
    if not access.user.is_active:
        raise LinkRefused(410, "This invitation has been withdrawn.")
    return access


def accesses_of(user: User) -> QuerySet[PortalAccess]:
    """The advisor's own accesses (one per board they were invited to); none for anyone else, so no other role
    reaches a board through the portal ("advisory_portal" view is the advisor's only permission)."""
    if not can(user, "advisory_portal", "view"):
        return PortalAccess.objects.none()
    return PortalAccess.objects.select_related("participant__event").filter(user=user)


def visible_questions(event: Event, now: dt.datetime) -> list[BoardQuestion]:
    """The board's questions an advisor sees at `now`: opened ones."""
    return [q for q in event.board_questions.all() if q.is_visible(now)]


def time_spent(visits: list[PortalVisit]) -> dt.timedelta:
    """The sum of the visits (each from its first view to its last heartbeat; gaps between visits not counted)."""
    return sum((v.duration for v in visits), dt.timedelta())


@dataclass
class Progress:
    access: PortalAccess
    answered: int
    open: int
    spent: dt.timedelta
    last_visit: dt.datetime | None

    @property
    def minutes(self) -> int:
        return int(self.spent.total_seconds() // 60)


def progress_of(access: PortalAccess, questions: list[BoardQuestion]) -> Progress:
    """Questions the advisor answered (posted to at least once) and those still open to them, time spent."""
    answered = set(
        BoardPost.objects.filter(participant=access.participant, question__in=questions).values_list(
            "question_id", flat=True
        )
    )
    visits = list(access.visits.all())
    return Progress(
        access=access,
        answered=len(answered),
        open=len([q for q in questions if q.pk not in answered]),
        spent=time_spent(visits),
        last_visit=max((v.last_seen for v in visits), default=None),
    )


def board_progress(event: Event, now: dt.datetime) -> list[Progress]:
    """Per advisor of the board: answered and open questions, time spent, last visit."""
    questions = visible_questions(event, now)
    accesses = PortalAccess.objects.filter(participant__event=event).select_related(
        "participant__hcp", "participant__external_person", "user"
    )
    return [progress_of(a, questions) for a in accesses]


def send_invitation(access: PortalAccess, link: str) -> None:
    """E-mail the advisor their link (the only place the raw token goes)."""
    event = access.participant.event
    body = (
        f"Dear {access.participant.name},\n\n"
        f'You are invited to take part in the asynchronous advisory board "{event.title}".\n'
        f"Open your personal link to join (it works once and expires in {LINK_LIFETIME.days} days):\n\n"
        f"{link}\n\n"
        "Do not forward this e-mail: the link signs you in.\n"
    )
    send_mail(f"Advisory board: {event.title}", body, settings.DEFAULT_FROM_EMAIL, [access.user.email])


def send_code(access: PortalAccess, code: str) -> None:
    """E-mail the six-digit sign-in code."""
    body = f"Your sign-in code for the advisory board is {code}. It is valid for 10 minutes.\n"
    send_mail("Your advisory board sign-in code", body, settings.DEFAULT_FROM_EMAIL, [access.user.email])
