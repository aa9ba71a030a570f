"""Interactions with external attendees (payers, pharmacists ...): only a payer, mixed, the API, the form, the
detail page, the audit trail and reconciliation, and safety screening with no HCP present."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from liaison.compliance.reconcile import reconcile
from liaison.core.models import AuditEvent
from liaison.engagement.actions import log_interaction, update_interaction
from liaison.engagement.models import FollowUp, Interaction
from liaison.people.actions import save_external_person, save_organization
from liaison.safety.models import SafetyReport

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_http(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def payer(world: Any, system_context: Any) -> Any:
    org = save_organization(None, acting_user=None, data={"name": "Heartland Health Plan", "kind": "payer"})
    return save_external_person(
        None,
        acting_user=None,
        data={"first_name": "Priya", "last_name": "Raman", "role": "payer", "organization": org},
    )


def _data(**extra: Any) -> dict[str, Any]:
    return {
        "occurred_at": timezone.now() - dt.timedelta(hours=3),
        "channel": "in_person",
        "purpose": "scientific_exchange",
        "ae_attestation": "no",
        "notes": "Formulary review of the phase 3 outcomes.",
        **extra,
    }


def test_it_logs_an_interaction_with_only_a_payer(world: Any, payer: Any, acting: Any) -> None:
    with acting(world["alice"]):
        interaction = log_interaction(
            acting_user=world["alice"],
            attendees=[],
            external_attendees=[payer],
            data=_data(),
            follow_ups=[{"description": "Send the budget-impact model", "due_date": timezone.localdate()}],
        )
    assert list(interaction.external_attendees.all()) == [payer]
    assert not interaction.attendees.exists()
    assert FollowUp.objects.get(interaction=interaction).hcp is None


def test_it_logs_a_mixed_interaction(world: Any, hcp: Any, payer: Any, acting: Any) -> None:
    with acting(world["alice"]):
        interaction = log_interaction(
            acting_user=world["alice"], attendees=[hcp], external_attendees=[payer, payer], data=_data()
        )
    assert list(interaction.attendees.all()) == [hcp]
    assert list(interaction.external_attendees.all()) == [payer]


def test_it_refuses_an_interaction_with_nobody(world: Any, acting: Any) -> None:
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        log_interaction(acting_user=world["alice"], attendees=[], external_attendees=[], data=_data())
    assert "attendees" in exc.value.message_dict


def test_it_refuses_removing_the_last_attendee(world: Any, payer: Any, acting: Any) -> None:
    with acting(world["alice"]):
        interaction = log_interaction(
            acting_user=world["alice"], attendees=[], external_attendees=[payer], data=_data()
        )
        with pytest.raises(ValidationError):
            update_interaction(
                interaction, acting_user=world["alice"], data={}, external_attendees=[], reason="nobody came"
            )
    assert list(interaction.external_attendees.all()) == [payer]


def test_it_screens_a_payer_only_interaction_for_safety(world: Any, payer: Any, acting: Any) -> None:
    with acting(world["alice"]):
        interaction = log_interaction(
            acting_user=world["alice"],
            attendees=[],
            external_attendees=[payer],
            data=_data(notes="The plan saw a member hospitalised with severe neutropenia on the drug."),
        )
    report = SafetyReport.objects.get(interaction=interaction)
    assert report.day_zero == interaction.occurred_at


def test_it_audits_external_attendee_changes_and_reconciles(
    world: Any, hcp: Any, payer: Any, acting: Any
) -> None:
    with acting(world["alice"]):
        interaction = log_interaction(acting_user=world["alice"], attendees=[hcp], data=_data())
        start = AuditEvent.objects.order_by("-seq").first().seq
        update_interaction(
            interaction,
            acting_user=world["alice"],
            data={},
            external_attendees=[payer],
            reason="payer joined",
        )
    event = AuditEvent.objects.get(seq__gt=start, event_type="interaction.updated")
    assert event.changes == {"external_attendees": [None, [str(payer.uuid)]]}
    assert event.reason == "payer joined"
    assert reconcile().ok


def test_it_round_trips_external_attendees_over_the_api(api: Any, hcp: Any, payer: Any) -> None:
    alice = api("alice")
    body = {
        "external_attendees": [str(payer.uuid)],
        "occurred_at": (timezone.now() - dt.timedelta(hours=2)).isoformat(),
        "channel": "video",
        "purpose": "scientific_exchange",
        "ae_attestation": "no",
    }
    created = alice.post("/interactions", body)
    assert created.status_code == 201, created.content
    read = created.json()
    assert read["attendees"] == []
    assert read["external_attendees"] == [
        {
            "uuid": str(payer.uuid),
            "full_name": "Priya Raman",
            "role": "payer",
            "organization": {"uuid": str(payer.organization.uuid), "name": "Heartland Health Plan"},
        }
    ]
    patched = alice.patch(
        f"/interactions/{read['uuid']}", {"attendees": [str(hcp.uuid)], "reason": "the HCP joined"}
    )
    assert patched.status_code == 200, patched.content
    assert [a["uuid"] for a in patched.json()["attendees"]] == [str(hcp.uuid)]
    assert len(patched.json()["external_attendees"]) == 1
    assert alice.get(f"/interactions/{read['uuid']}").json()["external_attendees"][0]["role"] == "payer"


def test_it_answers_422_for_no_attendee_or_an_unknown_one(api: Any) -> None:
    body = {
        "occurred_at": (timezone.now() - dt.timedelta(hours=2)).isoformat(),
        "channel": "video",
        "purpose": "scientific_exchange",
        "ae_attestation": "no",
    }
    nobody = api("alice").post("/interactions", body)
    assert nobody.status_code == 422 and "attendees" in nobody.json()["detail"].__repr__()
    unknown = api("alice").post(
        "/interactions", {**body, "external_attendees": ["6f1c1f43-0d37-4a4b-9f59-2c1d1d1d1d1d"]}
    )
    assert unknown.status_code == 422 and "external_attendees" in unknown.content.decode()


def _form(world: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "occurred_at": (timezone.localtime() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "45",
        "channel": "in_person",
        "purpose": "scientific_exchange",
        "therapeutic_area": str(world["oncology"].uuid),
        "initiation": "proactive",
        "notes": "Formulary review.",
        "ae_attestation": "no",
        "insight_text": [""],
        "insight_priority": [""],
        "followup_description": [""],
        "followup_due": [""],
        "action": "submit",
    }
    data.update(overrides)
    return data


def test_it_logs_a_payer_meeting_from_the_form_and_shows_it(world: Any, payer: Any) -> None:
    client = Client()
    client.force_login(world["alice"])
    response = client.post(
        reverse("engagement:interaction_new"), _form(world, external_attendees=[str(payer.uuid)])
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    interaction = Interaction.objects.get(owner=world["alice"])
    assert list(interaction.external_attendees.all()) == [payer]
    detail = client.get(reverse("engagement:interaction_detail", args=[interaction.uuid])).content.decode()
    assert "Priya Raman" in detail
    assert "Payer or formulary decision-maker" in detail and "Heartland Health Plan" in detail
    edit = client.get(reverse("engagement:interaction_edit", args=[interaction.uuid])).content.decode()
    assert f'name="external_attendees" value="{payer.uuid}"' in edit


def test_it_asks_for_an_attendee_of_either_kind_in_the_form(world: Any) -> None:
    client = Client()
    client.force_login(world["alice"])
    response = client.post(reverse("engagement:interaction_new"), _form(world))
    assert response.status_code == 200
    assert "Add at least one HCP or other person who took part." in response.content.decode()
    assert not Interaction.objects.exists()


def test_it_hides_payer_interactions_from_commercial(world: Any, payer: Any, acting: Any, api: Any) -> None:
    with acting(world["alice"]):
        interaction = log_interaction(
            acting_user=world["alice"], attendees=[], external_attendees=[payer], data=_data()
        )
    client = Client()
    client.force_login(world["dave"])
    assert client.get(reverse("engagement:interaction_detail", args=[interaction.uuid])).status_code in (
        403,
        404,
    )
    assert api("dave").get(f"/interactions/{interaction.uuid}").status_code in (403, 404)
    # The directory entry itself is not medical: commercial sees the payer, never the meeting.
    person = api("dave").get(f"/external-people/{payer.uuid}").json()
    assert "interactions" not in person
