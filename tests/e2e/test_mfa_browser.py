"""A drug-safety user signs in for the first time, is held at enrolment, sets up an authenticator from the page
(the secret as text, the QR code as inline SVG, no script), keeps the recovery codes, and then signs in again
with a code."""

from __future__ import annotations

from base64 import b32decode
from typing import Any

import pytest
from django_otp.oath import totp
from e2e_helpers import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

from personas import PASSWORD  # noqa: E402


def sign_in(page: Any, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_required_role_enrols_at_first_sign_in_and_uses_the_code_next_time(
    page: Any, world: dict[str, Any], settings: Any
) -> None:
    from playwright.sync_api import expect

    settings.LIAISON_MFA_REQUIRED_ROLES = ["drug_safety"]
    sign_in(page, "sam")
    expect(page.get_by_role("heading", name="Set up an authenticator")).to_be_visible()
    expect(page.locator("figure.qr-code svg")).to_be_visible()
    shot(page, "mfa-setup", full_page=True)
    page.goto("/safety/")  # nothing else opens before enrolment
    expect(page.get_by_role("heading", name="Set up an authenticator")).to_be_visible()
    key = b32decode(page.locator("#mfa-secret").inner_text().strip())
    page.get_by_role("textbox", name="Code").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    assert page.locator("ol.recovery-codes li").count() == 10
    shot(page, "mfa-recovery-codes")
    page.get_by_role("link", name="I have saved them, continue").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    assert page.problems == []  # type: ignore[attr-defined]

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "sam")
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_role("textbox", name="Code").fill(
        f"{totp(key, drift=1):06d}"
    )  # the next step's code: each is used once
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
