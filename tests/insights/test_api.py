"""The insights and listening-priorities resources: capture, edit, review, team scoping."""

from __future__ import annotations

from typing import Any

import pytest

from api_support import detail_of
from liaison.insights.models import Insight

MISSING = "6f1c1f43-0d37-4a4b-9f59-2c1d1d1d1d1d"


def _capture(client: Any, world: Any, **extra: Any) -> Any:
    return client.post(
        "/insights",
        {
            "text": "Payers ask for PD-L1 testing before approval",
            "therapeutic_area": str(world["oncology"].uuid),
            **extra,
        },
    )


def test_it_captures_edits_submits_and_reviews_an_insight(api: Any, world: Any, hcp: Any) -> None:
    alice = api("alice")
    created = _capture(alice, world, hcp=str(hcp.uuid))
    assert created.status_code == 201, created.content
    uuid = created.json()["uuid"]
    assert created.json()["status"] == "draft" and created.json()["hcp"]["uuid"] == str(hcp.uuid)
    edited = alice.patch(
        f"/insights/{uuid}",
        {
            "text": "Payers require PD-L1 testing",
            "submit": True,
            "listening_priority": str(world["priority"].uuid),
        },
    )
    assert edited.status_code == 200 and edited.json()["status"] == "submitted"
    assert edited.json()["listening_priority"]["title"] == "Biomarker testing barriers"
    assert api("alice").post(f"/insights/{uuid}/review", {}).status_code == 403
    reviewed = api("mona").post(f"/insights/{uuid}/review", {"note": "Useful"})
    assert reviewed.status_code == 200, reviewed.content
    assert reviewed.json()["status"] == "reviewed" and reviewed.json()["reviewed_by"]["username"] == "mona"
    assert api("lena").post(f"/insights/{uuid}/review", {}).status_code == 422  # already reviewed


def test_it_refuses_a_listening_priority_of_another_area(api: Any, world: Any) -> None:
    response = _capture(
        api("alice"),
        world,
        therapeutic_area=str(world["cardio"].uuid),
        listening_priority=str(world["priority"].uuid),
    )
    assert response.status_code == 422
    assert detail_of(response)[0]["loc"] == ["body", "listening_priority"]
    assert Insight.objects.count() == 0


def test_it_lets_only_the_author_edit(api: Any, world: Any) -> None:
    uuid = _capture(api("alice"), world).json()["uuid"]
    assert api("mona").patch(f"/insights/{uuid}", {"text": "changed"}).status_code == 422
    assert Insight.objects.get(uuid=uuid).text.startswith("Payers ask")


def test_it_filters_insights(api: Any, world: Any, interaction: Any) -> None:
    client = api("alice")
    _capture(client, world, listening_priority=str(world["priority"].uuid))
    assert client.get("/insights").json()["count"] == 2
    assert client.get("/insights", status="draft").json()["count"] == 1
    assert client.get("/insights", status="submitted").json()["count"] == 1
    assert client.get("/insights", listening_priority=str(world["priority"].uuid)).json()["count"] == 1
    assert client.get("/insights", therapeutic_area=str(world["cardio"].uuid)).json()["count"] == 0
    assert client.get("/insights", interaction=str(interaction.uuid)).json()["count"] == 1


def test_it_hides_other_teams_insights_with_the_same_404(api: Any, interaction: Any) -> None:
    insight = interaction.insights.get()
    hidden = api("bob").get(f"/insights/{insight.uuid}")
    missing = api("bob").get(f"/insights/{MISSING}")
    assert hidden.status_code == missing.status_code == 404 and hidden.content == missing.content
    assert api("bob").get("/insights").json()["count"] == 0


@pytest.mark.parametrize("persona", ["iris", "sam", "dave"])
def test_it_refuses_insights_to_roles_without_the_permission(
    api: Any, interaction: Any, persona: str
) -> None:
    insight = interaction.insights.get()
    client = api(persona)
    assert client.get("/insights").status_code == 403
    assert client.get(f"/insights/{insight.uuid}").status_code == 403


@pytest.mark.parametrize("persona", ["alice", "iris", "sam", "otto"])
def test_it_lists_listening_priorities_to_medical_roles(api: Any, world: Any, persona: str) -> None:
    client = api(persona)
    page = client.get("/listening-priorities", therapeutic_area=str(world["oncology"].uuid)).json()
    assert [p["title"] for p in page["items"]] == ["Biomarker testing barriers"]
    assert client.get(f"/listening-priorities/{world['priority'].uuid}").status_code == 200
    assert (
        client.get("/listening-priorities", therapeutic_area=str(world["cardio"].uuid)).json()["count"] == 0
    )
