"""The second sign-in factor: TOTP authenticators, recovery codes, the per-role requirement, admin resets.

Codes are computed from the device key as an authenticator app would (django_otp.oath.totp). Personas: alice
(MSL: second factor optional), sam (drug safety) and ada (admin) and carla (compliance): required here.
"""

from __future__ import annotations

import re
from base64 import b32decode
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from liaison.accounts.actions import (
    create_api_token,
    enroll_authenticator,
    regenerate_recovery_codes,
    reset_second_factor,
    verify_second_factor,
)
from liaison.core.models import AuditEvent
from personas import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mfa_on(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = False
    settings.LIAISON_MFA_REQUIRED_ROLES = ["admin", "compliance", "drug_safety"]


def code(key: bytes, steps_ahead: int = 0) -> str:
    """The code an authenticator shows now (or `steps_ahead` 30-second steps later)."""
    return f"{totp(key, drift=steps_ahead):06d}"


def signed_in(username: str) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def enrolled(user: Any, acting: Any) -> tuple[bytes, list[str]]:
    """Give `user` an authenticator (as its own enrolment would); returns its key and recovery codes."""
    key_hex = default_key()
    key = bytes.fromhex(key_hex)
    with acting(user):
        _device, codes = enroll_authenticator(user, key=key_hex, code=code(key))
    return key, codes


def secret_on(body: str) -> bytes:
    match = re.search(r'<code id="mfa-secret"[^>]*>([A-Z2-7=]+)</code>', body)
    assert match, body
    return b32decode(match.group(1))


# --- the requirement per role -------------------------------------------------------------------------------------


def test_production_requires_it_for_admin_compliance_and_drug_safety_by_default():
    import ast
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "src" / "liaison" / "settings.py").read_text()
    calls = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and ast.unparse(node).startswith("env_list('LIAISON_MFA_REQUIRED_ROLES'")
    ]
    assert [ast.literal_eval(call.args[1]) for call in calls] == ["admin,compliance,drug_safety"]


def test_a_required_role_without_an_authenticator_can_reach_only_enrolment(world):
    client = signed_in("sam")
    setup = reverse("accounts:mfa_setup")
    for page in (reverse("home"), reverse("safety:report_list"), reverse("accounts:tokens")):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"].startswith(setup), page
    assert client.get(setup).status_code == 200
    assert client.post(reverse("logout")).status_code == 302


def test_a_role_that_does_not_require_it_signs_in_with_the_password_alone(world):
    client = signed_in("alice")
    assert client.get(reverse("home")).status_code == 200


def test_api_tokens_are_unaffected(world, acting):
    with acting(world["sam"]):
        _token, raw = create_api_token(world["sam"], name="script")
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200


# --- enrolment ----------------------------------------------------------------------------------------------------


def test_the_enrolment_page_shows_the_secret_as_text_and_as_an_inline_svg_qr_code(world):
    response = signed_in("sam").get(reverse("accounts:mfa_setup"))
    body = response.content.decode()
    assert len(secret_on(body)) == 20
    assert "<svg" in body and "<img" not in body
    assert not re.search(r"<script(?![^>]*\bsrc=)", body), "no inline script"
    assert response["Cache-Control"] == "no-store"


def test_a_correct_code_confirms_the_authenticator_and_shows_recovery_codes_once(world):
    client = signed_in("sam")
    key = secret_on(client.get(reverse("accounts:mfa_setup") + "?next=/safety/").content.decode())
    response = client.post(reverse("accounts:mfa_setup"), {"code": code(key), "next": "/safety/"})
    body = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    shown = re.findall(r"<li>([a-z2-7]{8})</li>", body)
    assert len(shown) == 10
    assert set(StaticToken.objects.filter(device__user=world["sam"]).values_list("token", flat=True)) == set(
        shown
    )
    assert TOTPDevice.objects.get(user=world["sam"]).confirmed
    # The session is verified: the rest of the application opens, and the codes are not shown again.
    assert client.get(reverse("safety:report_list")).status_code == 200
    assert shown[0] not in client.get(reverse("accounts:security")).content.decode()
    assert AuditEvent.objects.filter(
        event_type="user.mfa_enrolled", object_uuid=str(world["sam"].uuid)
    ).exists()


def test_a_wrong_code_confirms_nothing(world):
    client = signed_in("sam")
    key = secret_on(client.get(reverse("accounts:mfa_setup")).content.decode())
    wrong = f"{(int(code(key)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("accounts:mfa_setup"), {"code": wrong})
    assert response.status_code == 200 and "does not match" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=world["sam"]).exists()
    assert client.get(reverse("home")).status_code == 302


def test_any_user_may_set_one_up_from_their_security_page(world):
    client = signed_in("alice")
    body = client.get(reverse("accounts:security")).content.decode()
    assert reverse("accounts:mfa_setup") in body and "optional for your role" in body
    assert reverse("accounts:security") in client.get(reverse("home")).content.decode()


# --- the second step at sign-in ---------------------------------------------------------------------------------


def test_after_the_password_a_user_with_an_authenticator_must_enter_a_code(world, acting):
    key, _codes = enrolled(world["alice"], acting)
    client = signed_in("alice")
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:mfa_verify"))
    response = client.post(reverse("accounts:mfa_verify"), {"code": code(key, 1), "next": "/hcps/"})
    assert response.status_code == 302 and response["Location"] == "/hcps/"
    assert client.get(reverse("home")).status_code == 200


def test_a_wrong_code_is_refused_and_throttled(world, acting):
    key, _codes = enrolled(world["alice"], acting)
    client = signed_in("alice")
    wrong = f"{(int(code(key, 1)) + 1) % 1_000_000:06d}"
    assert "not valid" in client.post(reverse("accounts:mfa_verify"), {"code": wrong}).content.decode()
    # Straight after a failure even the right code waits (django-otp doubles the wait after each failure).
    response = client.post(reverse("accounts:mfa_verify"), {"code": code(key, 1)})
    assert response.status_code == 200 and "Too many wrong codes" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_a_code_works_only_once(world, acting):
    key, _codes = enrolled(world["alice"], acting)
    first = signed_in("alice")
    assert first.post(reverse("accounts:mfa_verify"), {"code": code(key, 1)}).status_code == 302
    second = signed_in("alice")
    assert second.post(reverse("accounts:mfa_verify"), {"code": code(key, 1)}).status_code == 200


def test_a_redirect_after_the_code_stays_on_this_site(world, acting):
    key, _codes = enrolled(world["alice"], acting)
    client = signed_in("alice")
    response = client.post(
        reverse("accounts:mfa_verify"), {"code": code(key, 1), "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


# --- recovery codes -----------------------------------------------------------------------------------------------


def test_a_recovery_code_signs_in_once_and_its_use_is_audited(world, acting):
    _key, codes = enrolled(world["alice"], acting)
    client = signed_in("alice")
    response = client.post(reverse("accounts:mfa_verify"), {"code": codes[0].upper()})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    event = AuditEvent.objects.get(event_type="user.mfa_recovery_code_used")
    assert event.object_uuid == str(world["alice"].uuid) and "9 recovery codes left" in event.reason
    again = signed_in("alice")
    assert again.post(reverse("accounts:mfa_verify"), {"code": codes[0]}).status_code == 200


def test_new_recovery_codes_replace_the_old_ones(world, acting):
    _key, old = enrolled(world["alice"], acting)
    with acting(world["alice"]):
        new = regenerate_recovery_codes(world["alice"])
    assert len(new) == 10 and not set(old) & set(new)
    assert StaticDevice.objects.filter(user=world["alice"]).count() == 1
    assert verify_second_factor(world["alice"], new[1]) is not None
    with pytest.raises(ValidationError, match="not valid"):
        verify_second_factor(world["alice"], old[1])


def test_the_security_page_makes_new_codes_and_shows_them_once(world, acting):
    key, _codes = enrolled(world["alice"], acting)
    client = signed_in("alice")
    client.post(reverse("accounts:mfa_verify"), {"code": code(key, 1)})
    response = client.post(reverse("accounts:recovery_codes_new"))
    shown = re.findall(r"<li>([a-z2-7]{8})</li>", response.content.decode())
    assert len(shown) == 10 and response["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(event_type="user.mfa_recovery_codes_issued").count() == 1


# --- administrators -----------------------------------------------------------------------------------------------


def test_an_administrator_resets_a_lost_authenticator_and_it_is_audited(world, acting):
    _key, _codes = enrolled(world["sam"], acting)
    ada_key, _ = enrolled(world["ada"], acting)
    admin = signed_in("ada")
    assert admin.post(reverse("accounts:mfa_verify"), {"code": code(ada_key, 1)}).status_code == 302
    page = admin.get(reverse("accounts:user_edit", args=[world["sam"].uuid])).content.decode()
    assert "Reset second factor" in page
    response = admin.post(
        reverse("accounts:user_mfa_reset", args=[world["sam"].uuid]), {"reason": "phone lost, ticket 4711"}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=world["sam"]).exists()
    assert not StaticDevice.objects.filter(user=world["sam"]).exists()
    event = AuditEvent.objects.get(event_type="user.mfa_reset")
    assert event.actor_username == "ada" and event.reason == "phone lost, ticket 4711"
    # Sam's role requires a second factor: the next sign-in goes to enrolment.
    assert signed_in("sam").get(reverse("home"))["Location"].startswith(reverse("accounts:mfa_setup"))


def test_a_reset_ends_the_verified_sessions_of_that_user(world, acting):
    key, _codes = enrolled(world["sam"], acting)
    client = signed_in("sam")
    client.post(reverse("accounts:mfa_verify"), {"code": code(key, 1)})
    assert client.get(reverse("home")).status_code == 200
    with acting(world["ada"]):
        reset_second_factor(world["sam"], acting_user=world["ada"])
    assert client.get(reverse("home")).status_code == 302


def test_only_administrators_may_reset_a_second_factor(world, acting):
    _key, _codes = enrolled(world["sam"], acting)
    carla_key, _ = enrolled(world["carla"], acting)
    compliance = signed_in("carla")
    compliance.post(reverse("accounts:mfa_verify"), {"code": code(carla_key, 1)})
    response = compliance.post(reverse("accounts:user_mfa_reset", args=[world["sam"].uuid]))
    assert response.status_code in (403, 404)
    assert TOTPDevice.objects.filter(user=world["sam"]).exists()


def test_an_administrator_lifts_a_sign_in_lock_out(world, acting, settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 2
    for _ in range(2):
        Client().post(reverse("login"), {"username": "alice", "password": "wrong"}, REMOTE_ADDR="10.3.0.1")
    assert Client().post(reverse("login"), {"username": "alice", "password": PASSWORD}).status_code == 429
    ada_key, _ = enrolled(world["ada"], acting)
    admin = signed_in("ada")
    admin.post(reverse("accounts:mfa_verify"), {"code": code(ada_key, 1)})
    assert admin.post(reverse("accounts:user_unlock", args=[world["alice"].uuid])).status_code == 302
    assert Client().post(reverse("login"), {"username": "alice", "password": PASSWORD}).status_code == 302
    assert AuditEvent.objects.filter(event_type="user.sign_in_unlocked").exists()


def test_a_misspelt_role_in_the_setting_fails_the_system_check(settings):
    from liaison.accounts.checks import sign_in_settings

    settings.LIAISON_MFA_REQUIRED_ROLES = ["admins"]
    settings.LIAISON_TRUSTED_PROXIES = ["10.0.0.0/33"]
    assert [e.id for e in sign_in_settings()] == ["liaison.E101", "liaison.E102"]
    settings.LIAISON_MFA_REQUIRED_ROLES = ["admin"]
    settings.LIAISON_TRUSTED_PROXIES = ["10.0.0.0/8", "::1"]
    assert sign_in_settings() == []


def test_the_command_line_resets_a_second_factor_and_lifts_a_lock_out(world, acting, settings):
    from click.testing import CliRunner

    from liaison.accounts.models import SignInThrottle
    from liaison.cli import main

    enrolled(world["ada"], acting)
    runner = CliRunner()
    result = runner.invoke(main, ["user", "reset-second-factor", "ada", "--reason", "phone lost"])
    assert result.exit_code == 0, result.output
    assert not TOTPDevice.objects.filter(user=world["ada"]).exists()
    event = AuditEvent.objects.get(event_type="user.mfa_reset")
    assert event.source == "cli" and event.reason == "phone lost"

    settings.LOGIN_THROTTLE_ATTEMPTS = 1
    Client().post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert SignInThrottle.objects.filter(key="account:alice").exists()
    assert runner.invoke(main, ["user", "unlock", "alice"]).exit_code == 0
    assert not SignInThrottle.objects.filter(key="account:alice").exists()
    assert runner.invoke(main, ["user", "unlock", "nobody"]).exit_code == 2
