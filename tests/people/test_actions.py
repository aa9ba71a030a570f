"""People: duplicate-aware creation, identifier checks, and merges that keep every piece of history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from liaison.core.models import AuditEvent
from liaison.core.permissions import PermissionDenied
from liaison.people.actions import PossibleDuplicate, _npi_ok, _orcid_ok, create_hcp, merge_hcps, update_hcp
from liaison.people.models import HCP, HCPStatus


def test_it_creates_an_hcp_and_records_who_did_it(world, acting):
    with acting(world["alice"]):
        hcp = create_hcp(acting_user=world["alice"], data={"first_name": "Linus", "last_name": "Pauling"})
    event = AuditEvent.objects.get(object_uuid=str(hcp.uuid), event_type="hcp.created")
    assert event.actor_username == "alice"
    assert event.changes["last_name"] == [None, "Pauling"]


def test_it_refuses_commercial_users_adding_hcps(world, acting):
    with acting(world["dave"]), pytest.raises(PermissionDenied):
        create_hcp(acting_user=world["dave"], data={"first_name": "Linus", "last_name": "Pauling"})


def test_it_refuses_a_second_hcp_with_the_same_npi(world, hcp, acting):
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        create_hcp(
            acting_user=world["alice"],
            data={"first_name": "Other", "last_name": "Person", "npi": "1234567893"},
            allow_duplicate=True,
        )
    assert "npi" in exc.value.message_dict


def test_it_refuses_a_second_hcp_with_the_same_orcid(world, acting):
    with acting(world["alice"]):
        create_hcp(
            acting_user=world["alice"],
            data={"first_name": "Josiah", "last_name": "Carberry", "orcid": "0000-0002-1825-0097"},
        )
        with pytest.raises(ValidationError) as exc:
            create_hcp(
                acting_user=world["alice"],
                data={
                    "first_name": "Someone",
                    "last_name": "Else",
                    "orcid": "https://orcid.org/0000-0002-1825-0097",
                },
                allow_duplicate=True,
            )
    assert "orcid" in exc.value.message_dict


def test_it_flags_a_same_name_record_as_a_possible_duplicate_until_confirmed(world, hcp, acting):
    data = {"first_name": "G.", "last_name": "hopkins", "city": "Iowa City"}
    with acting(world["alice"]):
        with pytest.raises(PossibleDuplicate) as exc:
            create_hcp(acting_user=world["alice"], data=data)
        assert exc.value.candidates == [hcp]
        assert "last_name" in exc.value.message_dict
        second = create_hcp(acting_user=world["alice"], data=data, allow_duplicate=True)
    assert second.pk != hcp.pk


def test_it_does_not_flag_a_same_name_hcp_in_another_city(world, hcp, acting):
    with acting(world["alice"]):
        other = create_hcp(
            acting_user=world["alice"], data={"first_name": "Grace", "last_name": "Hopkins", "city": "Boston"}
        )
    assert other.pk != hcp.pk


@pytest.mark.parametrize("npi", ["1234567893", "1245319599"])
def test_it_accepts_npis_with_a_valid_check_digit(npi):
    assert _npi_ok(npi)


@pytest.mark.parametrize("npi", ["1234567890", "1234567894", "123456789", "12345678933", "12345678a3"])
def test_it_rejects_npis_with_a_bad_check_digit_or_shape(npi):
    assert not _npi_ok(npi)


@pytest.mark.parametrize("orcid", ["0000-0002-1825-0097", "0000-0001-5109-3700", "0000-0002-1694-233X"])
def test_it_accepts_orcids_with_a_valid_check_character(orcid):
    assert _orcid_ok(orcid)


@pytest.mark.parametrize(
    "orcid", ["0000-0002-1825-0098", "0000-0002-1694-2330", "0000000218250097", "0000-0002-1825"]
)
def test_it_rejects_orcids_with_a_bad_check_character_or_shape(orcid):
    assert not _orcid_ok(orcid)


def test_it_refuses_a_bad_npi_on_create_with_a_message_on_the_npi_field(world, acting):
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        create_hcp(
            acting_user=world["alice"], data={"first_name": "A", "last_name": "B", "npi": "1234567890"}
        )
    assert list(exc.value.message_dict) == ["npi"]


def test_it_refuses_an_invalid_email(world, hcp, acting):
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        update_hcp(hcp, acting_user=world["alice"], data={"email": "not an address"})
    assert list(exc.value.message_dict) == ["email"]


def test_it_audits_each_changed_profile_field_with_its_reason(world, hcp, acting):
    with acting(world["alice"]):
        start = AuditEvent.objects.order_by("-seq").first().seq
        update_hcp(
            hcp, acting_user=world["alice"], data={"city": "Ames", "tier": "2"}, reason="moved practice"
        )
    (event,) = AuditEvent.objects.filter(seq__gt=start)
    assert event.changes == {"city": ["Iowa City", "Ames"], "tier": [None, 2]}
    assert event.reason == "moved practice"


# --- merge ----------------------------------------------------------------------------------------------------


@pytest.fixture
def duplicate_with_history(world, hcp, interaction, acting):
    """A second record of Grace Hopkins with an interaction, insight, inquiry, follow-up and affiliation."""
    from liaison.engagement.actions import create_follow_up, log_interaction
    from liaison.insights.actions import create_insight
    from liaison.medinfo.actions import capture_inquiry
    from liaison.people.actions import add_affiliation, save_organization

    alice = world["alice"]
    with acting(alice):
        dup = create_hcp(
            acting_user=alice,
            data={
                "first_name": "Grace",
                "last_name": "Hopkins",
                "orcid": "0000-0002-1825-0097",
                "email": "grace@example.org",
                "specialties": ["oncology"],
            },
            therapeutic_areas=[world["cardio"]],
            allow_duplicate=True,
        )
        solo = log_interaction(
            acting_user=alice,
            attendees=[dup],
            data={
                "occurred_at": timezone.now() - dt.timedelta(days=3),
                "channel": "phone",
                "purpose": "education",
                "ae_attestation": "no",
            },
        )
        # Both records attended the fixture's interaction: the merge must not leave a double attendance.
        from liaison.engagement.models import InteractionAttendee

        InteractionAttendee.objects.create(interaction=interaction, hcp=dup)
        insight = create_insight(
            acting_user=alice, text="Wants pharmacogenomic data", therapeutic_area=world["oncology"], hcp=dup
        )
        inquiry = capture_inquiry(
            acting_user=alice,
            question="Is there data in renal impairment?",
            channel="email",
            unsolicited_attested=True,
            requester_hcp=dup,
        )
        follow_up = create_follow_up(
            acting_user=alice, description="Send renal data", due_date=timezone.localdate(), hcp=dup
        )
        org = save_organization(None, acting_user=alice, data={"name": "University of Iowa"})
        affiliation = add_affiliation(dup, org, acting_user=alice, title="Professor")
    return {
        "dup": dup,
        "solo": solo,
        "insight": insight,
        "inquiry": inquiry,
        "follow_up": follow_up,
        "affiliation": affiliation,
    }


def test_it_moves_every_linked_record_to_the_survivor_on_merge(
    world, hcp, interaction, duplicate_with_history, acting
):
    d = duplicate_with_history
    with acting(world["mona"]):
        merge_hcps(hcp, d["dup"], acting_user=world["mona"], reason="same person, two NPI lookups")
    for obj, field in (
        (d["insight"], "hcp"),
        (d["inquiry"], "requester_hcp"),
        (d["follow_up"], "hcp"),
        (d["affiliation"], "hcp"),
    ):
        obj.refresh_from_db()
        assert getattr(obj, f"{field}_id") == hcp.pk, obj
    assert set(d["solo"].attendees.all()) == {hcp}
    assert list(interaction.attendees.all()) == [hcp]
    assert not d["dup"].attendance.exists()


def test_it_keeps_the_duplicate_as_a_merged_record_pointing_at_the_survivor(
    world, hcp, duplicate_with_history, acting
):
    dup = duplicate_with_history["dup"]
    with acting(world["mona"]):
        merge_hcps(hcp, dup, acting_user=world["mona"], reason="same person")
    dup.refresh_from_db()
    hcp.refresh_from_db()
    assert (dup.status, dup.merged_into_id) == (HCPStatus.MERGED, hcp.pk)
    assert HCP.objects.filter(pk=dup.pk).exists()
    # Empty fields are filled from the duplicate; unique identifiers move over.
    assert (hcp.orcid, hcp.email, dup.orcid) == ("0000-0002-1825-0097", "grace@example.org", None)
    assert set(hcp.therapeutic_areas.all()) == {world["oncology"], world["cardio"]}


def test_it_audits_every_move_of_a_merge_with_the_merge_reason(world, hcp, duplicate_with_history, acting):
    d = duplicate_with_history
    start = AuditEvent.objects.order_by("-seq").first().seq
    with acting(world["mona"]):
        merge_hcps(hcp, d["dup"], acting_user=world["mona"], reason="same person")
    events = list(AuditEvent.objects.filter(seq__gt=start))
    assert all(e.reason == "merge: same person" and e.actor_username == "mona" for e in events)
    moved = {
        e.object_uuid
        for e in events
        if e.changes.get("hcp", e.changes.get("requester_hcp", [None, None]))[1] == str(hcp.uuid)
    }
    for key in ("insight", "inquiry", "follow_up", "affiliation"):
        assert str(d[key].uuid) in moved, key
    solo_attendance = d["solo"].attendance.get()
    assert str(solo_attendance.uuid) in moved
    assert any(e.event_type == "interactionattendee.deleted" for e in events)  # the double attendance
    assert any(
        e.object_uuid == str(d["dup"].uuid) and e.changes.get("status") == ["active", "merged"]
        for e in events
    )


def test_it_shows_the_merge_in_the_survivors_changelog(world, hcp, duplicate_with_history, acting):
    from liaison.core.queries import changelog_for

    dup = duplicate_with_history["dup"]
    with acting(world["mona"]):
        merge_hcps(hcp, dup, acting_user=world["mona"], reason="same person")
    log = changelog_for(hcp, world["carla"])
    merged = log.get(event_type="hcp.merged")
    assert merged.changes == {"merged_from": [None, str(dup.uuid)]}
    assert merged.reason == "merge: same person"
    assert not changelog_for(hcp, world["dave"]).exists()


def test_it_refuses_merging_a_record_into_itself_or_an_already_merged_one(
    world, hcp, duplicate_with_history, acting
):
    dup = duplicate_with_history["dup"]
    with acting(world["mona"]):
        with pytest.raises(ValidationError):
            merge_hcps(hcp, hcp, acting_user=world["mona"], reason="oops")
        merge_hcps(hcp, dup, acting_user=world["mona"], reason="same person")
        with pytest.raises(ValidationError):
            merge_hcps(hcp, dup, acting_user=world["mona"], reason="again")


def test_it_refuses_a_merge_by_an_msl_or_without_a_reason(world, hcp, duplicate_with_history, acting):
    dup = duplicate_with_history["dup"]
    with acting(world["alice"]), pytest.raises(PermissionDenied):
        merge_hcps(hcp, dup, acting_user=world["alice"], reason="same person")
    with acting(world["mona"]), pytest.raises(ValidationError) as exc:
        merge_hcps(hcp, dup, acting_user=world["mona"], reason="   ")
    assert "reason" in exc.value.message_dict
    dup.refresh_from_db()
    assert dup.status == HCPStatus.ACTIVE


def test_it_refuses_changes_to_a_merged_record(world, hcp, duplicate_with_history, acting):
    dup = duplicate_with_history["dup"]
    with acting(world["mona"]):
        merge_hcps(hcp, dup, acting_user=world["mona"], reason="same person")
        with pytest.raises(ValidationError):
            update_hcp(dup, acting_user=world["mona"], data={"city": "Ames"})
