"""Events through programs.actions: validation, participants (HCP xor external), status rules, walk-ins with the
duplicate-aware search of HCPs, and insights that join the insight-to-action loop."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from liaison.core.permissions import PermissionDenied
from liaison.insights.models import Insight, InsightStatus
from liaison.people.models import HCP, ExternalPerson
from liaison.programs import actions
from liaison.programs.models import Event, EventParticipant, EventStatus

from .conftest import event_data


def test_it_creates_an_event_owned_by_the_acting_user_with_its_priorities(world, board):
    assert board.owner == world["alice"]
    assert board.status == EventStatus.PLANNED
    assert list(board.listening_priorities.all()) == [world["priority"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "party"}, "kind"),
        ({"title": "  "}, "title"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"virtual_link": "javascript:alert(1)"}, "virtual_link"),
        ({"budget": "-5", "currency": "EUR"}, "budget"),
        ({"budget": "100"}, "currency"),
        ({"currency": "euro", "budget": "1"}, "currency"),
        ({"therapeutic_area": None}, "therapeutic_area"),
    ],
)
def test_it_refuses_bad_event_fields_naming_the_field(world, acting, change, field):
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        actions.create_event(acting_user=world["alice"], data=event_data(world, **change))
    assert field in exc.value.message_dict


def test_it_refuses_an_event_that_ends_before_it_starts_or_a_naive_time(world, acting):
    data = event_data(world)
    with acting(world["alice"]):
        with pytest.raises(ValidationError) as exc:
            actions.create_event(acting_user=world["alice"], data={**data, "ends_at": data["starts_at"]})
        assert "ends_at" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            actions.create_event(
                acting_user=world["alice"], data={**data, "starts_at": data["starts_at"].replace(tzinfo=None)}
            )
        assert "starts_at" in exc.value.message_dict


def test_it_refuses_a_listening_priority_of_another_area(world, acting):
    from liaison.insights.actions import save_listening_priority

    with acting(world["lena"]):
        cardio = save_listening_priority(
            None, acting_user=world["lena"], therapeutic_area=world["cardio"], title="Statin adherence"
        )
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        actions.create_event(
            acting_user=world["alice"], data=event_data(world), listening_priorities=[cardio]
        )
    assert "listening_priorities" in exc.value.message_dict


def test_it_refuses_commercial_and_other_teams(world, board, acting):
    with acting(world["dave"]), pytest.raises(PermissionDenied):
        actions.create_event(acting_user=world["dave"], data=event_data(world))
    with acting(world["bob"]), pytest.raises(ValidationError):
        actions.update_event(board, acting_user=world["bob"], data={"title": "Taken over"})
    board.refresh_from_db()
    assert board.title == "Oncology advisory board"


def test_it_lets_staff_from_another_team_see_and_change_the_event(world, board, acting):
    bob = world["bob"]
    assert not Event.objects.restrict(bob).filter(pk=board.pk).exists()
    with acting(world["alice"]):
        actions.add_staff(board, acting_user=world["alice"], user=bob, role="presenter")
    assert Event.objects.restrict(bob).filter(pk=board.pk).exists()
    with acting(bob):
        actions.update_event(board, acting_user=bob, data={"venue": "Room 2"})
    board.refresh_from_db()
    assert board.venue == "Room 2"


def test_it_refuses_the_same_staff_role_twice(world, board, acting):
    with acting(world["alice"]):
        actions.add_staff(board, acting_user=world["alice"], user=world["mona"], role="chair")
        with pytest.raises(ValidationError):
            actions.add_staff(board, acting_user=world["alice"], user=world["mona"], role="chair")
        actions.add_staff(board, acting_user=world["alice"], user=world["mona"], role="moderator")
    assert board.staff.count() == 2


def test_it_invites_external_people_and_refuses_both_or_neither(world, board, hcp, payer, acting):
    alice = world["alice"]
    with acting(alice):
        p = actions.invite_participant(board, acting_user=alice, external_person=payer, role="advisor")
        assert p.affiliation == "Payer or formulary decision-maker, Regional Health Fund"
        for kwargs in ({}, {"hcp": hcp, "external_person": payer}):
            with pytest.raises(ValidationError):
                actions.invite_participant(board, acting_user=alice, **kwargs)
        with pytest.raises(ValidationError):
            actions.invite_participant(board, acting_user=alice, external_person=payer)


def test_the_database_refuses_a_participant_that_is_both_or_neither(world, board, hcp, payer, system_context):
    for kwargs in ({}, {"hcp": hcp, "external_person": payer}):
        with pytest.raises(IntegrityError), transaction.atomic():
            EventParticipant.objects.create(event=board, **kwargs)


def test_it_completes_only_once_accepted_participants_attendance_is_confirmed(world, board, acting):
    alice = world["alice"]
    with acting(alice):
        actions.change_status(board, acting_user=alice, status="confirmed")
        with pytest.raises(ValidationError) as exc:
            actions.change_status(board, acting_user=alice, status="completed")
        assert "Grace Hopkins" in str(exc.value)
        actions.confirm_attendance(board.participants.get(), acting_user=alice, attendance="attended")
        actions.change_status(board, acting_user=alice, status="completed")
        with pytest.raises(ValidationError):
            actions.change_status(board, acting_user=alice, status="planned")
    participant = board.participants.get()
    assert participant.attendance_confirmed_by == alice and participant.attendance_confirmed_at is not None


def test_it_refuses_skipping_confirmation_and_a_cancellation_without_reason(world, board, acting):
    alice = world["alice"]
    with acting(alice):
        with pytest.raises(ValidationError):
            actions.change_status(board, acting_user=alice, status="completed")
        with pytest.raises(ValidationError) as exc:
            actions.change_status(board, acting_user=alice, status="cancelled")
        assert "reason" in exc.value.message_dict
        actions.change_status(board, acting_user=alice, status="cancelled", reason="Venue closed")
        with pytest.raises(ValidationError):
            actions.invite_participant(board, acting_user=alice, hcp=board.participants.get().hcp)
    from liaison.core.models import AuditEvent

    assert AuditEvent.objects.filter(object_uuid=str(board.uuid), reason="Venue closed").exists()


def test_it_confirms_attendance_only_once_the_event_has_started(world, hcp, acting):
    alice = world["alice"]
    with acting(alice):
        future = actions.create_event(acting_user=alice, data=event_data(world, days=5))
        p = actions.invite_participant(future, acting_user=alice, hcp=hcp, invitation="accepted")
        with pytest.raises(ValidationError):
            actions.confirm_attendance(p, acting_user=alice, attendance="attended")


def test_it_offers_existing_hcps_for_a_walk_in_instead_of_creating_a_duplicate(world, board, hcp, acting):
    alice = world["alice"]
    before = HCP.objects.count()
    with acting(alice):
        result = actions.add_walk_in(board, acting_user=alice, first_name="G.", last_name="hopkins")
    assert result.participant is None
    assert result.candidates == [hcp]
    assert HCP.objects.count() == before
    with acting(alice):
        picked = actions.add_walk_in(board, acting_user=alice, hcp=hcp)
    # Grace was already invited: picking her confirms her attendance rather than adding her twice.
    assert picked.participant == board.participants.get(hcp=hcp)
    assert picked.participant.attendance == "attended"
    assert board.participants.count() == 1


def test_it_creates_a_new_hcp_for_a_walk_in_with_no_match_or_when_told_to(world, board, hcp, acting):
    alice = world["alice"]
    with acting(alice):
        new = actions.add_walk_in(
            board, acting_user=alice, first_name="Wei", last_name="Zhang", city="Berlin"
        )
        forced = actions.add_walk_in(
            board, acting_user=alice, first_name="Gina", last_name="Hopkins", create_anyway=True
        )
    assert new.created_record and new.participant.walk_in and new.participant.attendance == "attended"
    assert new.participant.hcp.last_name == "Zhang"
    assert list(new.participant.hcp.therapeutic_areas.all()) == [world["oncology"]]
    assert forced.participant.hcp != hcp and HCP.objects.filter(last_name="Hopkins").count() == 2


def test_it_adds_a_non_hcp_walk_in_as_an_external_person_matched_by_name(world, board, payer, acting):
    alice = world["alice"]
    with acting(alice):
        same = actions.add_walk_in(
            board, acting_user=alice, first_name="katrin", last_name="VOGEL", external_role="payer"
        )
        assert same.candidates == [payer] and same.participant is None
        new = actions.add_walk_in(
            board, acting_user=alice, first_name="Jonas", last_name="Brandt", external_role="patient_advocate"
        )
    assert new.participant.external_person.role == "patient_advocate"
    assert ExternalPerson.objects.filter(last_name="Brandt").count() == 1


def test_it_captures_insights_that_join_the_loop_and_are_tagged_to_the_event(world, board, hcp, acting):
    alice, mona = world["alice"], world["mona"]
    with acting(alice):
        link = actions.capture_insight(
            board,
            acting_user=alice,
            text="Advisors wait three weeks for PD-L1 results in community sites.",
            listening_priority=world["priority"],
            hcp=hcp,
        )
    insight = link.insight
    assert insight.status == InsightStatus.SUBMITTED and insight.therapeutic_area == world["oncology"]
    assert insight.event_link.event == board
    # The loop's review queue is the insights' own: the manager sees it and may review it.
    assert Insight.objects.restrict(mona, "review").filter(pk=insight.pk).exists()
    from liaison.insights.actions import review_insight

    with acting(mona):
        review_insight(insight, acting_user=mona)
    insight.refresh_from_db()
    assert insight.status == InsightStatus.REVIEWED


def test_it_refuses_an_insight_from_someone_not_at_the_event(world, board, acting, system_context):
    from liaison.people.actions import create_hcp

    stranger = create_hcp(acting_user=None, data={"first_name": "Otto", "last_name": "Stranger"})
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        actions.capture_insight(board, acting_user=world["alice"], text="Heard something", hcp=stranger)
    assert "hcp" in exc.value.message_dict
    assert not Insight.objects.filter(text="Heard something").exists()


def test_it_records_action_items_documents_minutes_and_the_shared_report(world, board, acting):
    alice = world["alice"]
    with acting(alice):
        item = actions.add_action_item(
            board,
            acting_user=alice,
            title="Send minutes",
            due_date=timezone.localdate() + dt.timedelta(days=7),
        )
        actions.complete_action_item(item, acting_user=alice)
        actions.add_document(board, acting_user=alice, title="Briefing", reference="DMS-1", kind="briefing")
        with pytest.raises(ValidationError):
            actions.add_document(board, acting_user=alice, title="x", reference="javascript:alert(1)")
        actions.save_minutes(board, acting_user=alice, minutes="We discussed testing.")
        with pytest.raises(ValidationError):
            actions.mark_report_shared(board, acting_user=alice)
        actions.change_status(board, acting_user=alice, status="confirmed")
        actions.confirm_attendance(board.participants.get(), acting_user=alice, attendance="no_show")
        actions.change_status(board, acting_user=alice, status="completed")
        actions.mark_report_shared(board, acting_user=alice)
    item.refresh_from_db()
    board.refresh_from_db()
    assert item.done_at is not None and board.report_shared_at is not None
    assert board.minutes == "We discussed testing." and board.documents.count() == 1
