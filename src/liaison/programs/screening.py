"""Adverse-event screening of the programs' own free text (event minutes, congress session notes), through the
`core.hooks.screen_texts` hook like every other writer: a hit raises a safety report linked to the record by kind
and uuid (SafetyReport.source_kind / source_id / source_label). Day 0 is now: when the company learned of it."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from liaison.accounts.models import User
from liaison.core import hooks

from .models import Event, SessionNote


def screen_minutes(event: Event, user: User) -> list[Any]:
    """Screen the event's minutes (call after saving changed minutes)."""
    if not event.minutes:
        return []
    return list(
        hooks.screen_texts(
            {"minutes": event.minutes},
            reporter=user,
            day_zero=timezone.now(),
            source=event,
            source_kind="event_minutes",
            source_label=f"Minutes of {event.title}"[:300],
        )
    )


def screen_note(note: SessionNote, user: User) -> list[Any]:
    """Screen a congress session note."""
    session = note.session
    return list(
        hooks.screen_texts(
            {"note": note.text},
            reporter=user,
            day_zero=timezone.now(),
            source=note,
            source_kind="session_note",
            source_label=f"Note on {session.code} {session.title} ({session.event.title})"[:300],
        )
    )
