"""The interactions and follow-ups resources: team scoping, the AE attestation, inline insights and follow-ups."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from api_support import detail_of
from liaison.engagement.models import FollowUp, Interaction
from liaison.safety.models import SafetyReport

MISSING = "6f1c1f43-0d37-4a4b-9f59-2c1d1d1d1d1d"


def _body(hcp: Any, **extra: Any) -> dict[str, Any]:
    return {
        "attendees": [str(hcp.uuid)],
        "occurred_at": (timezone.now() - dt.timedelta(hours=2)).isoformat(),
        "channel": "video",
        "purpose": "scientific_exchange",
        "ae_attestation": "no",
        "notes": "Reviewed the phase 2 data.",
        **extra,
    }


def test_it_logs_an_interaction_with_inline_insights_and_follow_ups(api: Any, hcp: Any, world: Any) -> None:
    response = api("alice").post(
        "/interactions",
        _body(
            hcp,
            therapeutic_area=str(world["oncology"].uuid),
            products=[str(world["product"].uuid)],
            insights=[
                {
                    "text": "Wants real-world data in elderly patients",
                    "listening_priority": str(world["priority"].uuid),
                }
            ],
            follow_ups=[{"description": "Send the elderly subgroup", "due_date": "2030-01-15"}],
        ),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["attendees"][0]["uuid"] == str(hcp.uuid)
    assert body["products"][0]["name"] == "Onkotrex"
    assert len(body["insights"]) == 1 and len(body["follow_ups"]) == 1
    assert body["safety_reports"] == []
    interaction = Interaction.objects.get(uuid=body["uuid"])
    assert interaction.owner == world["alice"]
    assert FollowUp.objects.get(uuid=body["follow_ups"][0]).due_date == dt.date(2030, 1, 15)


def test_it_says_which_safety_reports_an_interaction_raised(api: Any, hcp: Any) -> None:
    response = api("alice").post(
        "/interactions",
        _body(hcp, ae_attestation="yes", notes="Her patient was hospitalised with severe neutropenia."),
    )
    assert response.status_code == 201
    reports = response.json()["safety_reports"]
    assert len(reports) == 1
    report = SafetyReport.objects.get(uuid=reports[0]["uuid"])
    assert report.interaction.uuid.hex == response.json()["uuid"].replace("-", "")
    assert reports[0]["day_zero"].startswith(report.day_zero.isoformat()[:16])


def test_it_requires_the_ae_attestation_to_submit(api: Any, hcp: Any) -> None:
    response = api("alice").post("/interactions", _body(hcp, ae_attestation=None))
    assert response.status_code == 422
    assert detail_of(response)[0]["loc"] == ["body", "ae_attestation"]
    draft = api("alice").post("/interactions", _body(hcp, ae_attestation=None, submit=False))
    assert draft.status_code == 201 and draft.json()["status"] == "draft"


@pytest.mark.parametrize(
    "change",
    [
        {"attendees": []},
        {"attendees": [MISSING]},
        {"channel": "pigeon"},
        {"occurred_at": "2999-01-01T00:00:00Z"},
        {"duration_minutes": 0},
        {"occurred_at": "yesterday"},
    ],
)
def test_it_refuses_bad_interactions_and_saves_nothing(api: Any, hcp: Any, change: dict[str, Any]) -> None:
    response = api("alice").post("/interactions", _body(hcp, **change))
    assert response.status_code == 422, response.content
    assert Interaction.objects.count() == 0


@pytest.mark.parametrize("persona", ["alice", "mona", "lena", "sam", "carla", "otto", "ada"])
def test_it_lets_medical_readers_see_the_interaction(api: Any, interaction: Any, persona: str) -> None:
    client = api(persona)
    assert client.get("/interactions").json()["count"] == 1
    assert client.get(f"/interactions/{interaction.uuid}").status_code == 200


def test_it_answers_the_same_404_for_hidden_and_missing_interactions(api: Any, interaction: Any) -> None:
    bob = api("bob")
    hidden = bob.get(f"/interactions/{interaction.uuid}")
    missing = bob.get(f"/interactions/{MISSING}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert bob.get("/interactions").json()["count"] == 0
    assert (
        bob.patch(f"/interactions/{interaction.uuid}", {"notes": "x", "reason": "y"}).content
        == missing.content
    )


@pytest.mark.parametrize("persona", ["iris", "dave"])
def test_it_refuses_interactions_to_roles_without_the_permission(
    api: Any, interaction: Any, persona: str
) -> None:
    client = api(persona)
    assert client.get("/interactions").status_code == 403
    assert client.get(f"/interactions/{interaction.uuid}").status_code == 403
    assert client.get(f"/interactions/{MISSING}").status_code == 403


def test_it_filters_interactions(api: Any, interaction: Any, hcp: Any) -> None:
    client = api("alice")
    since = (interaction.occurred_at - dt.timedelta(minutes=1)).isoformat()
    assert client.get("/interactions", hcp=str(hcp.uuid)).json()["count"] == 1
    assert client.get("/interactions", hcp=MISSING).json()["count"] == 0
    assert client.get("/interactions", since=since).json()["count"] == 1
    assert client.get("/interactions", until=since).json()["count"] == 0
    assert client.get("/interactions", channel="in_person").json()["count"] == 1
    assert client.get("/interactions", channel="phone").json()["count"] == 0
    assert client.get("/interactions", status="draft").json()["count"] == 0
    assert client.get("/interactions", channel="pigeon").status_code == 422


def test_it_needs_a_reason_to_change_a_submitted_interaction(api: Any, interaction: Any) -> None:
    client = api("alice")
    refused = client.patch(f"/interactions/{interaction.uuid}", {"duration_minutes": 45})
    assert refused.status_code == 422
    assert detail_of(refused)[0]["loc"] == ["body", "reason"]
    done = client.patch(f"/interactions/{interaction.uuid}", {"duration_minutes": 45, "reason": "typo"})
    assert done.status_code == 200 and done.json()["duration_minutes"] == 45


def test_it_keeps_day_zero_of_a_submitted_interaction(api: Any, interaction: Any) -> None:
    response = api("alice").patch(
        f"/interactions/{interaction.uuid}", {"occurred_at": timezone.now().isoformat(), "reason": "moved"}
    )
    assert response.status_code == 422
    assert detail_of(response)[0]["loc"] == ["body", "occurred_at"]


def test_it_creates_lists_and_completes_follow_ups(api: Any, hcp: Any, interaction: Any) -> None:
    client = api("alice")
    created = client.post(
        "/follow-ups",
        {
            "description": "Call back",
            "due_date": "2030-02-01",
            "hcp": str(hcp.uuid),
            "interaction": str(interaction.uuid),
        },
    )
    assert created.status_code == 201, created.content
    uuid = created.json()["uuid"]
    assert created.json()["interaction"] == str(interaction.uuid)
    assert client.get("/follow-ups").json()["count"] == 2
    assert client.get("/follow-ups", due_before="2029-12-31").json()["count"] == 1
    done = client.patch(f"/follow-ups/{uuid}", {"status": "done"})
    assert done.json()["status"] == "done" and done.json()["completed_at"]
    assert client.get("/follow-ups", status="open").json()["count"] == 1


def test_it_lets_medical_information_use_follow_ups_but_not_interactions(
    api: Any, hcp: Any, interaction: Any
) -> None:
    iris = api("iris")
    assert (
        iris.post(
            "/follow-ups", {"description": "Send the label", "due_date": "2030-01-01", "hcp": str(hcp.uuid)}
        ).status_code
        == 201
    )
    linked = iris.post(
        "/follow-ups", {"description": "x", "due_date": "2030-01-01", "interaction": str(interaction.uuid)}
    )
    assert linked.status_code == 422
    assert detail_of(linked)[0]["loc"] == ["body", "interaction"]


def test_it_hides_other_teams_follow_ups_and_refuses_commercial(api: Any, interaction: Any) -> None:
    follow_up = interaction.follow_ups.get()
    assert api("bob").get(f"/follow-ups/{follow_up.uuid}").status_code == 404
    assert api("bob").patch(f"/follow-ups/{follow_up.uuid}", {"status": "done"}).status_code == 404
    assert api("dave").get("/follow-ups").status_code == 403
    assert api("dave").post("/follow-ups", {"description": "x", "due_date": "2030-01-01"}).status_code == 403
