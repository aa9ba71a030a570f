"""Who sees which events: owner, team, staff, oversight; another team sees nothing; commercial is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from liaison.programs import actions
from liaison.programs.models import Event, EventInsight, EventParticipant
from liaison.programs.queries import events_for_calendar


def _sees(user, obj) -> bool:
    return type(obj).objects.restrict(user, "view").filter(pk=obj.pk).exists()


@pytest.mark.parametrize("name", ["alice", "mona", "lena", "iris", "carla", "otto", "ada"])
def test_it_shows_the_event_to_its_owner_team_and_oversight(world, board, name):
    assert _sees(world[name], board)
    assert _sees(world[name], board.participants.get())


@pytest.mark.parametrize("name", ["bob", "dave", "sam"])
def test_it_hides_the_event_and_its_rows_from_another_team_commercial_and_safety(world, board, name):
    assert not _sees(world[name], board)
    assert not _sees(world[name], board.participants.get())


def test_it_hides_the_tagged_insight_rows_from_another_team(world, board, acting):
    with acting(world["alice"]):
        link = actions.capture_insight(
            board, acting_user=world["alice"], text="Testing is slow in the community."
        )
    assert _sees(world["alice"], link)
    assert not _sees(world["bob"], link)
    assert not EventInsight.objects.restrict(world["dave"]).exists()


def test_it_lists_the_users_own_and_staffed_events_for_the_calendar(world, board, acting):
    alice, bob, mona = world["alice"], world["bob"], world["mona"]
    start, end = timezone.now() - dt.timedelta(days=3), timezone.now() + dt.timedelta(days=3)
    assert events_for_calendar(alice, start, end) == [board]
    # Mona sees the event (her team's) but it is not on her calendar: she neither owns nor staffs it.
    assert events_for_calendar(mona, start, end) == []
    with acting(alice):
        actions.add_staff(board, acting_user=alice, user=bob, role="presenter")
        actions.add_staff(board, acting_user=alice, user=bob, role="chair")
        later = actions.create_event(
            acting_user=alice,
            data={
                "kind": "webinar",
                "title": "Later",
                "starts_at": timezone.now() + dt.timedelta(days=1),
                "ends_at": timezone.now() + dt.timedelta(days=1, hours=1),
                "therapeutic_area": world["oncology"],
            },
        )
    # Staffed twice, listed once; ordered by start; outside the window left out.
    assert events_for_calendar(bob, start, end) == [board]
    assert events_for_calendar(alice, start, end) == [board, later]
    assert events_for_calendar(alice, end, end + dt.timedelta(days=1)) == []
    assert events_for_calendar(world["dave"], start, end) == []


def test_it_counts_rows_of_every_event_model_under_the_event_permission(world, board):
    for model in (Event, EventParticipant):
        assert model.permission_resource == "event"
