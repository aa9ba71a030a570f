"""A meeting with several HCPs keeps its attribution: each inline insight and follow-up names its attendee, the
product discussed carries over, and an insight about the meeting as a whole shows in every attendee's brief."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from .test_web import log_form, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(world, system_context):
    from liaison.people.actions import create_hcp

    return create_hcp(
        acting_user=None,
        data={
            "first_name": "Omar",
            "last_name": "Haddad",
            "city": "Ames",
            "state": "IA",
            "owner": world["alice"],
        },
        therapeutic_areas=[world["oncology"]],
    )


def _log(world, acting, attendees, **items):
    from liaison.engagement.actions import log_interaction

    with acting(world["alice"]):
        return log_interaction(
            acting_user=world["alice"],
            attendees=attendees,
            data={
                "occurred_at": timezone.now() - dt.timedelta(hours=3),
                "channel": "in_person",
                "purpose": "scientific_exchange",
                "ae_attestation": "no",
                "therapeutic_area": world["oncology"],
                "notes": "Tumour board discussion of second-line options.",
            },
            products=[world["product"]],
            **items,
        )


def test_each_insight_and_follow_up_names_its_attendee_and_carries_the_product(world, hcp, colleague, acting):
    due = timezone.localdate() + dt.timedelta(days=7)
    interaction = _log(
        world,
        acting,
        [hcp, colleague],
        insights=[
            {"text": "Omar's centre waits for PD-L1 results.", "hcp": colleague},
            {"text": "Both agree."},
        ],
        follow_ups=[{"description": "Send Omar the subgroup data", "due_date": due, "hcp": colleague}],
    )
    said, shared = interaction.insights.order_by("pk")
    assert said.hcp == colleague and said.product == world["product"]
    assert shared.hcp is None and shared.product == world["product"]
    assert interaction.follow_ups.get().hcp == colleague


def test_a_follow_up_of_a_meeting_with_several_hcps_must_say_whom_it_is_for(world, hcp, colleague, acting):
    from liaison.engagement.models import Interaction

    due = timezone.localdate() + dt.timedelta(days=7)
    with pytest.raises(ValidationError) as raised:
        _log(world, acting, [hcp, colleague], follow_ups=[{"description": "Send data", "due_date": due}])
    assert "follow_ups.0.hcp" in raised.value.message_dict
    assert not Interaction.objects.exists()


def test_an_insight_cannot_name_someone_who_did_not_attend(world, hcp, colleague, acting):
    with pytest.raises(ValidationError) as raised:
        _log(world, acting, [hcp], insights=[{"text": "Heard of Omar.", "hcp": colleague}])
    assert "insights.0.hcp" in raised.value.message_dict


def test_an_insight_about_the_meeting_shows_in_each_attendees_brief(world, hcp, colleague, acting):
    from liaison.briefs.queries import compose_brief

    _log(world, acting, [hcp, colleague], insights=[{"text": "The tumour board wants real-world data."}])
    for person in (hcp, colleague):
        texts = [row.text for row in compose_brief(person, world["alice"]).insights]
        assert "The tumour board wants real-world data." in texts


def test_the_form_offers_the_attendees_per_row_and_saves_the_choices(client, world, hcp, colleague):
    from liaison.engagement.models import Interaction

    login(client, world["alice"])
    due = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    data, _ = log_form(
        hcp,
        world,
        attendees=[str(hcp.uuid), str(colleague.uuid)],
        insight_text=["Omar's centre tests everyone for EGFR."],
        insight_priority=[""],
        insight_hcp=[str(colleague.uuid)],
        insight_product=[""],
        followup_description=["Send Grace the poster"],
        followup_due=[due],
        followup_hcp=[""],
    )
    refused = client.post(reverse("engagement:interaction_new"), data)
    body = refused.content.decode()
    assert refused.status_code == 200  # the form comes back with the error beside the row
    assert "Several HCPs attended: choose whom this follow-up is for." in body
    # Both attendees are offered on the rows, and the choice made is kept.
    assert f'<option value="{colleague.uuid}" selected>Omar Haddad</option>' in body
    assert f'<option value="{hcp.uuid}">Grace Hopkins' in body
    assert not Interaction.objects.exists()

    data["followup_hcp"] = [str(hcp.uuid)]
    client.post(reverse("engagement:interaction_new"), data)
    interaction = Interaction.objects.get()
    insight = interaction.insights.get()
    assert (insight.hcp, insight.product) == (colleague, world["product"])
    assert interaction.follow_ups.get().hcp == hcp
