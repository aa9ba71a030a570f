"""The private calendar feed (/calendar/<token>.ics): what it holds, what it never holds, and who can read it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from liaison.accounts.actions import revoke_calendar_feed, rotate_calendar_feed, update_user
from liaison.core.context import audit_context
from liaison.engagement.actions import create_follow_up, log_interaction, update_interaction
from liaison.people.actions import save_external_person

pytestmark = pytest.mark.django_db

PLAN_NOTES = "Agenda idea: ask about the neutropenia case series in elderly patients"


@pytest.fixture(autouse=True)
def _plain_http(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def planned(world: Any, hcp: Any, acting: Any) -> Any:
    """Alice plans a meeting with an HCP and a payer three days ahead, with a note for herself."""
    with acting(world["alice"]):
        payer = save_external_person(
            None,
            acting_user=world["alice"],
            data={"first_name": "Priya", "last_name": "Raman", "role": "payer"},
        )
        return log_interaction(
            acting_user=world["alice"],
            attendees=[hcp],
            external_attendees=[payer],
            submit=False,
            data={
                "occurred_at": timezone.now() + dt.timedelta(days=3),
                "duration_minutes": 45,
                "channel": "video",
                "purpose": "scientific_exchange",
                "notes": PLAN_NOTES,
                "topics": ["secret-topic-9c1"],
            },
        )


@pytest.fixture
def due(world: Any, hcp: Any, acting: Any) -> Any:
    with acting(world["alice"]):
        return create_follow_up(
            acting_user=world["alice"],
            description="Send the hepatotoxicity subgroup",
            due_date=timezone.localdate() + dt.timedelta(days=5),
            hcp=hcp,
        )


@pytest.fixture
def bobs_plan(world: Any, hcp: Any, acting: Any) -> Any:
    with acting(world["bob"]):
        return log_interaction(
            acting_user=world["bob"],
            attendees=[hcp],
            submit=False,
            data={
                "occurred_at": timezone.now() + dt.timedelta(days=2),
                "channel": "phone",
                "purpose": "education",
                "notes": "bob's plan",
            },
        )


def _feed_url(world: Any, name: str = "alice") -> str:
    with audit_context(actor=world[name], source="test"):
        _, raw = rotate_calendar_feed(world[name], acting_user=world[name])
    return reverse("calendar_feed", args=[raw])


def _events(body: bytes) -> dict[str, Any]:
    calendar = Calendar.from_ical(body)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_it_serves_the_users_planned_meeting_and_due_follow_up_without_a_session(
    world: Any, planned: Any, due: Any, bobs_plan: Any
) -> None:
    response = Client().get(_feed_url(world))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "no-store" in response["Cache-Control"]
    events = _events(response.content)
    meeting = events[f"{planned.uuid}@liaison"]
    assert "Grace Hopkins" in str(meeting["SUMMARY"]) and "Priya Raman" in str(meeting["SUMMARY"])
    assert meeting.decoded("DTSTART") == planned.occurred_at.astimezone(dt.UTC).replace(microsecond=0)
    assert meeting.decoded("DTEND") - meeting.decoded("DTSTART") == dt.timedelta(minutes=45)
    assert meeting.decoded("DTSTART").utcoffset() == dt.timedelta(0)
    assert str(meeting["LOCATION"]) == "Video call"
    assert str(meeting["STATUS"]) == "TENTATIVE"
    assert "DTSTAMP" in meeting
    follow_up = events[f"{due.uuid}@liaison"]
    assert follow_up.decoded("DTSTART") == due.due_date  # an all-day entry
    assert follow_up.decoded("DTEND") == due.due_date + dt.timedelta(days=1)
    assert f"{bobs_plan.uuid}@liaison" not in events  # another team's plan


def test_it_never_puts_note_text_in_the_feed(world: Any, planned: Any, due: Any) -> None:
    body = Client().get(_feed_url(world)).content.decode()
    assert "neutropenia" not in body and "secret-topic-9c1" not in body
    assert "hepatotoxicity" not in body  # a follow-up's wording stays in Liaison


def test_it_keeps_uids_stable_across_fetches(world: Any, planned: Any) -> None:
    url = _feed_url(world)
    first, second = Client().get(url).content, Client().get(url).content
    assert set(_events(first)) == set(_events(second)) == {f"{planned.uuid}@liaison"}


def test_it_drops_a_meeting_from_the_feed_once_it_is_logged(world: Any, planned: Any, acting: Any) -> None:
    url = _feed_url(world)
    with acting(world["alice"]):
        update_interaction(
            planned,
            acting_user=world["alice"],
            data={"occurred_at": timezone.now() - dt.timedelta(minutes=5), "ae_attestation": "no"},
            submit=True,
        )
    assert f"{planned.uuid}@liaison" not in _events(Client().get(url).content)


def test_it_answers_404_for_unknown_revoked_and_rotated_tokens(world: Any, planned: Any) -> None:
    assert Client().get("/calendar/cal_nope.ics").status_code == 404
    assert Client().get("/calendar/whatever.ics").status_code == 404
    old = _feed_url(world)
    new = _feed_url(world)  # rotating invalidates the old address
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200
    with audit_context(actor=world["alice"], source="test"):
        assert revoke_calendar_feed(world["alice"], acting_user=world["alice"]) == 1
    assert Client().get(new).status_code == 404


def test_it_stops_the_feed_of_a_deactivated_user(world: Any, planned: Any, system_context: Any) -> None:
    url = _feed_url(world)
    assert Client().get(url).status_code == 200
    update_user(world["alice"], acting_user=world["ada"], is_active=False)
    assert Client().get(url).status_code == 404


def test_it_reads_through_restrict_so_commercial_gets_no_medical_entry(
    world: Any, hcp: Any, system_context: Any
) -> None:
    from liaison.engagement.models import FollowUp, Interaction

    # Rows that name dave as owner (which the app never writes): the matrix still hides them from him.
    soon = timezone.now() + dt.timedelta(days=1)
    Interaction.objects.create(
        owner=world["dave"], occurred_at=soon, channel="phone", purpose="education", status="draft"
    )
    FollowUp.objects.create(owner=world["dave"], description="x", due_date=soon.date(), hcp=hcp)
    assert _events(Client().get(_feed_url(world, "dave")).content) == {}


def test_it_includes_the_events_the_user_owns(world: Any, acting: Any) -> None:
    from liaison.programs.actions import create_event

    starts = timezone.now() + dt.timedelta(days=20)
    with acting(world["lena"]):
        event = create_event(
            acting_user=world["lena"],
            data={
                "kind": "advisory_board",
                "title": "NSCLC advisory board",
                "starts_at": starts,
                "ends_at": starts + dt.timedelta(hours=4),
                "therapeutic_area": world["oncology"],
                "city": "Boston",
                "country": "US",
            },
        )
    events = _events(Client().get(_feed_url(world, "lena")).content)
    entry = events[f"{event.uuid}@liaison"]
    assert str(entry["SUMMARY"]) == "NSCLC advisory board"
    assert "Boston" in str(entry["LOCATION"])
    assert entry.decoded("DTSTART") == starts.astimezone(dt.UTC).replace(microsecond=0)
    assert f"{event.uuid}@liaison" not in _events(Client().get(_feed_url(world, "bob")).content)
