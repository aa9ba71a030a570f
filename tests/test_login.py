"""Sign-in with throttling, sign-out, and the home page each role lands on."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from liaison.accounts.models import LoginAttempt
from personas import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_http(settings: Any) -> None:
    # Production settings redirect http to https; the test client speaks plain http.
    settings.SECURE_SSL_REDIRECT = False
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    settings.LOGIN_THROTTLE_SECONDS = 600


def sign_in(client: Client, username: str, password: str, address: str = "10.0.0.1") -> Any:
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- sign-in ---------------------------------------------------------------------------------------------------


def test_the_sign_in_page_has_labelled_fields(db):
    body = Client().get(reverse("login")).content.decode()
    assert '<label for="id_username">' in body and '<label for="id_password">' in body
    assert "<h1" in body


def test_it_signs_in_with_the_right_password_and_lands_home(world):
    client = Client()
    response = sign_in(client, "alice", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_a_wrong_password_shows_an_error_and_is_counted(world):
    response = sign_in(Client(), "alice", "wrong-password")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert LoginAttempt.objects.filter(username="alice").count() == 1


def test_it_refuses_even_the_right_password_after_too_many_failures_for_a_username(world):
    for n in range(3):
        sign_in(
            Client(), "Alice", "wrong", address=f"10.0.0.{n + 10}"
        )  # spread over addresses; case-insensitive
    client = Client()
    response = sign_in(client, "alice", PASSWORD, address="10.9.9.9")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302  # still signed out


def test_it_throttles_one_address_guessing_many_usernames(world):
    for name in ("x1", "x2", "x3"):
        sign_in(Client(), name, "wrong", address="192.0.2.7")
    assert sign_in(Client(), "bob", PASSWORD, address="192.0.2.7").status_code == 429
    assert sign_in(Client(), "bob", PASSWORD, address="192.0.2.8").status_code == 302


def test_old_failures_no_longer_count(world):
    for _ in range(3):
        sign_in(Client(), "alice", "wrong")
    LoginAttempt.objects.update(at=timezone.now() - dt.timedelta(seconds=601))
    assert sign_in(Client(), "alice", PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_the_usernames_failures(world):
    sign_in(Client(), "alice", "wrong", address="10.0.0.2")
    sign_in(Client(), "alice", "wrong", address="10.0.0.3")
    assert sign_in(Client(), "alice", PASSWORD, address="10.0.0.4").status_code == 302
    assert not LoginAttempt.objects.filter(username="alice").exists()


def test_sign_out_is_a_post_and_ends_the_session(world):
    client = client_for(world["alice"])
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


# --- home ------------------------------------------------------------------------------------------------------


def test_the_msl_home_lists_follow_ups_recent_interactions_and_drafts(world, interaction, acting):
    from liaison.insights.actions import create_insight

    with acting(world["alice"]):
        create_insight(
            acting_user=world["alice"],
            text="Draft: payers ask for real-world data.",
            therapeutic_area=world["oncology"],
        )
    body = client_for(world["alice"]).get(reverse("home")).content.decode()
    assert "Send the subgroup analysis" in body and "Mark done" in body
    assert "Scientific exchange" in body
    assert "Draft: payers ask for real-world data." in body


def test_mark_done_completes_the_follow_up_and_returns_its_new_row_to_htmx(world, interaction):
    from liaison.engagement.models import FollowUp

    follow_up = FollowUp.objects.get(interaction=interaction)
    response = client_for(world["alice"]).post(
        reverse("follow_up_done", args=[follow_up.uuid]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Done" in response.content.decode() and "<html" not in response.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.status == "done"


def test_another_teams_msl_cannot_complete_my_follow_up(world, interaction):
    from liaison.engagement.models import FollowUp

    follow_up = FollowUp.objects.get(interaction=interaction)
    response = client_for(world["bob"]).post(reverse("follow_up_done", args=[follow_up.uuid]))
    assert response.status_code == 404
    follow_up.refresh_from_db()
    assert follow_up.status == "open"


def test_the_commercial_home_shows_nothing_medical(world, interaction):
    body = client_for(world["dave"]).get(reverse("home")).content.decode()
    assert reverse("people:hcp_list") in body
    assert "Route a medical request" in body
    # The one insight-derived page commercial may open: the de-identified aggregate report (its menu entry).
    assert reverse("insights:insight_report") in body
    body = body.replace(">Insight report<", "><")
    for word in (
        "follow-up",
        "Follow-up",
        "Send the subgroup",
        "Scientific exchange",
        "Insight",
        "Draft",
        "Safety",
        "Inquiries",
    ):
        assert word not in body


def test_queue_counts_appear_for_the_queue_owners_only(world, interaction):
    iris = client_for(world["iris"]).get(reverse("home")).content.decode()
    sam = client_for(world["sam"]).get(reverse("home")).content.decode()
    assert "Inquiries open" in iris and "Safety reports new" not in iris
    assert "Safety reports new" in sam and "Inquiries open" not in sam
    assert "Inquiries open" not in client_for(world["alice"]).get(reverse("home")).content.decode()
