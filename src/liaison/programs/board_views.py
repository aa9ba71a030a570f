"""The moderator's side of an asynchronous advisory board (mounted at /events/<uuid>/board/): questions, advisor
invitations (the e-mailed portal link), per-advisor progress and time spent, the threads and follow-ups.

Everyone who may see the event may read the board; the owner and the organisers, chairs and moderators on its
staff run it (portal.may_moderate; programs.actions checks again on every write).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from liaison.core.permissions import require
from liaison.core.validation import error_messages
from liaison.core.views import AuthenticatedRequest, get_restricted_or_404

from . import actions, portal
from .models import BoardPost, Event, EventKind, ParticipantRole, PortalAccess


def _board(user: Any, uuid: str) -> Event:
    event: Event = get_restricted_or_404(Event, user, uuid)
    if event.kind != EventKind.ADVISORY_BOARD:
        raise Http404("only advisory boards have a board")
    return event


def _local(event: Event, value: str, name: str) -> dt.datetime | None:
    """A datetime-local input read in the event's time zone."""
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value).replace(tzinfo=event.zone)
    except ValueError as exc:
        raise ValidationError({name: "must be a date and time"}) from exc


def board_page(
    request: AuthenticatedRequest, event: Event, errors: dict[str, list[str]] | None = None, status: int = 200
) -> HttpResponse:
    now = timezone.now()
    questions = list(event.board_questions.all())
    posts = BoardPost.objects.filter(question__event=event).select_related(
        "participant__hcp", "participant__external_person", "staff_author"
    )
    invited = set(
        PortalAccess.objects.filter(participant__event=event).values_list("participant_id", flat=True)
    )
    context = {
        "event": event,
        "may_moderate": portal.may_moderate(event, request.user),
        "threads": [(q, [p for p in posts if p.question_id == q.pk]) for q in questions],
        "progress": portal.board_progress(event, now),
        "advisors": [
            (p, p.pk in invited)
            for p in event.participants.filter(role=ParticipantRole.ADVISOR).select_related(
                "hcp", "external_person"
            )
        ],
        "errors": errors or {},
    }
    return render(request, "programs/board.html", context, status=status)


@login_required
@require_GET
def board(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """The board: questions and threads, advisors' progress, and (for moderators) the forms."""
    return board_page(request, _board(request.user, uuid))


@login_required
@require_POST
def board_post(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """One of the board's forms, by its `form` field: question, invite, follow_up."""
    user = request.user
    require(user, "event", "change")
    event = _board(user, uuid)
    data = request.POST
    form = data.get("form", "")
    try:
        if form == "question":
            editing = data.get("question", "")
            actions.board.save_board_question(
                event,
                get_object_or_404(event.board_questions, uuid=editing) if editing else None,
                acting_user=user,
                title=data.get("title", ""),
                body=data.get("body", ""),
                opens_at=_local(event, data.get("opens_at", ""), "opens_at"),
                closes_at=_local(event, data.get("closes_at", ""), "closes_at"),
            )
            done = "Question saved." if editing else "Question added."
        elif form == "invite":
            participant = get_object_or_404(event.participants, uuid=data.get("participant") or None)
            access, raw = actions.board.invite_advisor(
                participant,
                acting_user=user,
                email=data.get("email", ""),
                second_factor=bool(data.get("second_factor")),
            )
            portal.send_invitation(access, request.build_absolute_uri(reverse("portal:enter", args=[raw])))
            done = f"Invitation sent to {participant.name}; any earlier link no longer works."
        elif form == "follow_up":
            question = get_object_or_404(event.board_questions, uuid=data.get("question") or None)
            parent_uuid = data.get("parent", "")
            parent = question.posts.filter(uuid=parent_uuid).first() if parent_uuid else None
            actions.board.post_to_board(question, acting_user=user, text=data.get("text", ""), parent=parent)
            done = "Follow-up posted."
        else:
            raise Http404("no such form")
    except ValidationError as exc:
        return board_page(request, event, {form: sum(error_messages(exc).values(), [])}, status=422)
    messages.success(request, done)
    return redirect(reverse("programs:board", kwargs={"uuid": event.uuid}))
