"""The calendar feed token: created, rotated and revoked from the account page; only its hash is stored."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.test import Client
from django.urls import reverse

from liaison.accounts.actions import revoke_calendar_feed, rotate_calendar_feed
from liaison.accounts.models import CalendarFeedToken, hash_token
from liaison.core.models import AuditEvent
from liaison.core.permissions import PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_http(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = False


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_stores_only_the_hash_and_audits_it_as_a_fingerprint(world: Any, acting: Any) -> None:
    with acting(world["alice"]):
        token, raw = rotate_calendar_feed(world["alice"], acting_user=world["alice"])
    assert raw.startswith("cal_") and len(raw) > 40
    assert token.key_hash == hash_token(raw) and raw not in token.key_hash
    event = AuditEvent.objects.get(event_type="calendarfeedtoken.created", object_uuid=str(token.uuid))
    assert raw not in str(event.changes) and token.key_hash not in str(event.changes)


def test_it_keeps_one_live_token_per_user(world: Any, acting: Any) -> None:
    with acting(world["alice"]):
        first, _ = rotate_calendar_feed(world["alice"], acting_user=world["alice"])
        second, _ = rotate_calendar_feed(world["alice"], acting_user=world["alice"])
    first.refresh_from_db()
    assert first.revoked_at is not None and second.revoked_at is None
    assert CalendarFeedToken.objects.filter(user=world["alice"], revoked_at__isnull=True).count() == 1


def test_it_refuses_another_users_feed_to_non_admins(world: Any, acting: Any) -> None:
    with acting(world["bob"]), pytest.raises((PermissionDenied, DjangoPermissionDenied)):
        rotate_calendar_feed(world["alice"], acting_user=world["bob"])
    with acting(world["bob"]), pytest.raises((PermissionDenied, DjangoPermissionDenied)):
        revoke_calendar_feed(world["alice"], acting_user=world["bob"])


def test_it_shows_the_address_once_and_rotates_it_from_the_account_page(world: Any) -> None:
    client = client_for(world["alice"])
    page = client.get(reverse("accounts:calendar_feed"))
    assert page.status_code == 200 and "You have no calendar feed." in page.content.decode()
    created = client.post(reverse("accounts:calendar_feed"), {"action": "rotate"})
    assert created.status_code == 200 and created["Cache-Control"] == "no-store"
    body = created.content.decode()
    token = CalendarFeedToken.objects.get(user=world["alice"], revoked_at__isnull=True)
    assert f"/calendar/{token.prefix}" in body and ".ics" in body
    again = client.get(reverse("accounts:calendar_feed")).content.decode()
    assert "/calendar/cal_" not in again and f"{token.prefix}…" in again  # shown once, then only its prefix
    rotated = client.post(reverse("accounts:calendar_feed"), {"action": "rotate"}).content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None and "/calendar/cal_" in rotated


def test_it_turns_the_feed_off_from_the_account_page(world: Any) -> None:
    client = client_for(world["alice"])
    client.post(reverse("accounts:calendar_feed"), {"action": "rotate"})
    response = client.post(reverse("accounts:calendar_feed"), {"action": "revoke"})
    assert response.status_code == 302
    assert not CalendarFeedToken.objects.filter(user=world["alice"], revoked_at__isnull=True).exists()
    assert "You have no calendar feed." in client.get(reverse("accounts:calendar_feed")).content.decode()


def test_it_links_the_page_from_every_page(world: Any) -> None:
    assert (
        reverse("accounts:calendar_feed") in client_for(world["dave"]).get(reverse("home")).content.decode()
    )
