"""What the persona walk-through of the web app asked for: one round trip lists every missing field, sensible
defaults, no dead links for a role, queues that do not cost a query per row, and a home page that says how
much more is waiting than it shows."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from personas import PASSWORD
from tests.engagement.test_web import log_form

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


# --- the interaction log ---------------------------------------------------------------------------------------


def test_it_lists_the_unanswered_ae_question_with_the_other_missing_fields(client, world, hcp):
    from liaison.engagement.models import Interaction

    login(client, world["alice"])
    data, _ = log_form(hcp, world, channel="", ae_attestation="")
    response = client.post(reverse("engagement:interaction_new"), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Channel" in body and "This field is required." in body
    assert "Answer whether the HCP mentioned an adverse event" in body
    assert not Interaction.objects.exists()


def test_it_asks_for_the_area_of_an_insight_in_the_same_round_trip(client, world, hcp):
    from liaison.engagement.models import Interaction

    login(client, world["alice"])
    data, _ = log_form(
        hcp,
        world,
        purpose="",
        therapeutic_area="",
        insight_text=["Clinics lack PD-L1 kits."],
        insight_priority=[""],
    )
    body = client.post(reverse("engagement:interaction_new"), data).content.decode()
    assert "Choose the therapeutic area of the insights." in body
    assert "Purpose" in body and "This field is required." in body
    # What the user typed is kept.
    assert "Clinics lack PD-L1 kits." in body
    assert not Interaction.objects.exists()


def test_a_draft_still_saves_without_the_ae_answer(client, world, hcp):
    from liaison.engagement.models import Interaction

    login(client, world["alice"])
    data, _ = log_form(hcp, world, ae_attestation="", action="draft")
    response = client.post(reverse("engagement:interaction_new"), data)
    assert response.status_code == 302
    assert Interaction.objects.get().status == "draft"


def test_submitting_a_draft_without_the_ae_answer_is_refused_next_to_the_question(client, world, hcp):
    from liaison.engagement.models import Interaction

    login(client, world["alice"])
    data, _ = log_form(hcp, world, ae_attestation="", action="draft")
    client.post(reverse("engagement:interaction_new"), data)
    draft = Interaction.objects.get()
    data["action"] = "submit"
    data["channel"] = ""
    body = client.post(reverse("engagement:interaction_edit", args=[draft.uuid]), data).content.decode()
    assert "Answer whether the HCP mentioned an adverse event" in body
    assert "This field is required." in body
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.channel == "in_person"


def test_the_log_form_preselects_the_area_of_the_msls_team(client, world):
    login(client, world["alice"])
    body = client.get(reverse("engagement:interaction_new")).content.decode()
    assert f'<option value="{world["oncology"].uuid}" selected>' in body


def test_the_log_form_preselects_nothing_for_a_user_without_a_team(client, world):
    login(client, world["lena"])
    body = client.get(reverse("engagement:interaction_new")).content.decode()
    assert f'<option value="{world["oncology"].uuid}" selected>' not in body
    assert f'<option value="{world["cardio"].uuid}" selected>' not in body


# --- navigation and dead links ---------------------------------------------------------------------------------


def test_the_interaction_list_offers_my_follow_ups_only_to_roles_that_may_open_them(client, world):
    url = reverse("engagement:interaction_list")
    follow_ups = reverse("engagement:follow_up_list")
    login(client, world["sam"])
    assert client.get(follow_ups).status_code == 403
    assert follow_ups not in client.get(url).content.decode()
    client.logout()
    login(client, world["alice"])
    assert follow_ups in client.get(url).content.decode()


def test_only_one_navigation_item_is_current_on_the_log_page(client, world):
    login(client, world["alice"])
    body = client.get(reverse("engagement:interaction_new")).content.decode()
    nav = body.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    assert nav.count("aria-current") == 1
    assert 'aria-current="page">Log interaction' in nav


# --- home ------------------------------------------------------------------------------------------------------


def test_home_links_to_all_follow_ups_and_says_how_many_more_are_due(client, world, hcp, acting):
    from liaison.engagement.actions import log_interaction
    from liaison.web import home

    today = timezone.localdate()
    with acting(world["alice"]):
        log_interaction(
            acting_user=world["alice"],
            attendees=[hcp],
            data={
                "occurred_at": timezone.now() - dt.timedelta(days=1),
                "channel": "phone",
                "purpose": "scientific_exchange",
                "ae_attestation": "no",
            },
            follow_ups=[
                {"description": f"Promise {n}", "due_date": today - dt.timedelta(days=n)}
                for n in range(home.HOME_FOLLOW_UPS + 3)
            ],
        )
    login(client, world["alice"])
    body = client.get(reverse("home")).content.decode()
    assert body.count("Mark done") == home.HOME_FOLLOW_UPS
    assert "All my follow-ups (3 more due)" in body
    assert reverse("engagement:follow_up_list") in body
    assert reverse("engagement:interaction_new") in body


def test_home_offers_no_log_button_to_commercial_users(client, world):
    login(client, world["dave"])
    body = client.get(reverse("home")).content.decode()
    assert reverse("engagement:interaction_new") not in body
    assert "follow-ups" not in body.lower()


# --- routing a request -----------------------------------------------------------------------------------------


def test_routing_lists_the_missing_attestation_and_requester_with_the_other_errors(client, world):
    from liaison.medinfo.models import MedicalInquiry

    login(client, world["dave"])
    response = client.post(
        reverse("medinfo:inquiry_new"),
        {"requester_name": "", "channel": "", "question": "Is it safe in pregnancy?"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Confirm that the request was unsolicited before routing it." in body
    assert "Name the requester, or pick the HCP who asked." in body
    assert "This field is required." in body  # the channel
    assert "Is it safe in pregnancy?" in body
    assert not MedicalInquiry.objects.exists()


# --- the review queue ------------------------------------------------------------------------------------------


def _review_queries(client, count: int, world, hcp, acting) -> int:
    from liaison.insights.actions import create_insight

    with acting(world["alice"]):
        for n in range(count):
            create_insight(
                acting_user=world["alice"],
                text=f"Observation number {n} about testing delays.",
                therapeutic_area=world["oncology"],
                hcp=hcp,
                listening_priority=world["priority"],
                submit=True,
            )
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("insights:insight_review"))
    assert response.status_code == 200
    return len(queries)


def test_the_review_queue_costs_the_same_queries_for_many_insights_as_for_few(client, world, hcp, acting):
    login(client, world["mona"])
    few = _review_queries(client, 2, world, hcp, acting)
    many = _review_queries(client, 6, world, hcp, acting)
    assert many == few


def test_the_review_queue_still_preselects_each_insights_priority(client, world, hcp, acting):
    login(client, world["mona"])
    _review_queries(client, 1, world, hcp, acting)
    body = client.get(reverse("insights:insight_review")).content.decode()
    option = re.search(rf"<option value=\"{world['priority'].uuid}\"[^>]*>", body)
    assert option and "selected" in option.group(0), body


# --- the safety queue ------------------------------------------------------------------------------------------


def test_the_safety_queue_says_that_it_shows_only_reports_not_yet_acknowledged(client, world):
    # A forwarded report stays in the queue until the safety database acknowledges it (docs/safety.md).
    login(client, world["sam"])
    body = client.get(reverse("safety:report_list")).content.decode()
    assert "Queue: not yet acknowledged, oldest first" in body
    assert "All reports, newest Day 0 first" in body


def test_the_favicon_is_served_not_404(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith(".svg")
    page = client.get("/login/").content.decode()
    assert 'rel="icon"' in page
