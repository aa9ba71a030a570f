"""Web pages for insights: list, detail, standalone capture, editing drafts and the review queue."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from tests.engagement.test_web import login, without_tokens

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted_insight(world, hcp, acting):
    from liaison.insights.actions import create_insight

    with acting(world["alice"]):
        return create_insight(
            acting_user=world["alice"],
            text="Nurses want a dosing card for the clinic.",
            therapeutic_area=world["oncology"],
            hcp=hcp,
            submit=True,
        )


def test_it_captures_a_standalone_insight_with_an_hcp(client, world, hcp):
    from liaison.insights.models import Insight

    login(client, world["alice"])
    response = client.post(
        reverse("insights:insight_new"),
        {
            "therapeutic_area": str(world["oncology"].uuid),
            "hcp": str(hcp.uuid),
            "listening_priority": str(world["priority"].uuid),
            "product": str(world["product"].uuid),
            "text": "Payers ask for real-world PD-L1 testing rates.",
            "action": "submit",
        },
    )
    insight = Insight.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("insights:insight_detail", args=[insight.uuid])
    assert (
        insight.hcp == hcp
        and insight.status == "submitted"
        and insight.listening_priority == world["priority"]
    )


def test_it_shows_the_action_error_next_to_the_listening_priority(client, world):
    from liaison.insights.models import Insight

    login(client, world["alice"])
    response = client.post(
        reverse("insights:insight_new"),
        {
            "therapeutic_area": str(world["cardio"].uuid),
            "listening_priority": str(world["priority"].uuid),
            "text": "Something heard at a congress.",
            "action": "draft",
        },
    )
    assert response.status_code == 200
    assert "another therapeutic area" in " ".join(response.context["form"].errors["listening_priority"])
    assert Insight.objects.count() == 0


def test_the_list_filters_by_text_and_author(client, world, submitted_insight):
    login(client, world["mona"])
    url = reverse("insights:insight_list")
    detail = reverse("insights:insight_detail", args=[submitted_insight.uuid])
    assert detail in client.get(url, {"q": "dosing card"}).content.decode()
    assert detail not in client.get(url, {"q": "nothing like this"}).content.decode()
    assert detail in client.get(url, {"author": str(world["alice"].uuid)}).content.decode()
    assert detail not in client.get(url, {"author": "me"}).content.decode()


def test_the_author_edits_a_draft(client, world, acting):
    from liaison.insights.actions import create_insight

    with acting(world["alice"]):
        draft = create_insight(
            acting_user=world["alice"], text="First draft.", therapeutic_area=world["oncology"]
        )
    login(client, world["alice"])
    response = client.post(
        reverse("insights:insight_edit", args=[draft.uuid]),
        {"text": "Second draft.", "listening_priority": "", "action": "draft"},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.text == "Second draft." and draft.status == "draft"


def test_a_manager_reviews_an_insight_from_the_queue(client, world, submitted_insight):
    login(client, world["mona"])
    queue = client.get(reverse("insights:insight_review"))
    assert "Nurses want a dosing card" in queue.content.decode()
    response = client.post(
        reverse("insights:insight_review"),
        {
            "insight": str(submitted_insight.uuid),
            "note": "Specific and actionable, thanks.",
            "listening_priority": str(world["priority"].uuid),
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "Reviewed" in response.content.decode()
    submitted_insight.refresh_from_db()
    assert submitted_insight.status == "reviewed"
    assert submitted_insight.reviewed_by == world["mona"]
    assert submitted_insight.listening_priority == world["priority"]
    assert submitted_insight.review_note == "Specific and actionable, thanks."
    assert "Nurses want a dosing card" not in client.get(reverse("insights:insight_review")).content.decode()


def test_an_msl_cannot_open_the_review_queue(client, world):
    login(client, world["alice"])
    assert client.get(reverse("insights:insight_review")).status_code == 403


def test_the_detail_page_has_a_changelog(client, world, submitted_insight):
    login(client, world["carla"])
    url = reverse("insights:insight_detail", args=[submitted_insight.uuid])
    assert "Nurses want a dosing card" in client.get(url).content.decode()
    assert "insight.created" in client.get(url, {"tab": "changelog"}).content.decode()


@pytest.mark.parametrize("name", ["insights:insight_list", "insights:insight_new", "insights:insight_review"])
def test_commercial_gets_403_on_insight_pages(client, world, name):
    login(client, world["dave"])
    assert client.get(reverse(name)).status_code == 403


def test_commercial_cannot_tell_an_existing_insight_from_a_missing_one(client, world, submitted_insight):
    login(client, world["dave"])
    existing = client.get(reverse("insights:insight_detail", args=[submitted_insight.uuid]))
    missing = client.get(reverse("insights:insight_detail", args=[uuid.uuid4()]))
    assert existing.status_code == missing.status_code == 403
    assert without_tokens(existing.content) == without_tokens(missing.content)
