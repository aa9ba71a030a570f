"""Sign-in with throttling per account and per client address, sign-out, and the home page each role lands on."""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from liaison.accounts.models import SignInThrottle
from liaison.accounts.throttle import client_address
from personas import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_http(settings: Any) -> None:
    # Production settings redirect http to https; the test client speaks plain http.
    settings.SECURE_SSL_REDIRECT = False
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    settings.LOGIN_THROTTLE_ADDRESS_ATTEMPTS = 10
    settings.LOGIN_THROTTLE_SECONDS = 600
    settings.LIAISON_TRUSTED_PROXIES = []


def sign_in(client: Client, username: str, password: str, address: str = "10.0.0.1", **headers: Any) -> Any:
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def counted(key: str) -> int:
    row = SignInThrottle.objects.filter(key=key).first()
    return row.attempts if row else 0


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


def test_a_wrong_password_shows_an_error_and_is_counted_for_the_account_and_the_address(world):
    response = sign_in(Client(), "alice", "wrong-password", address="10.0.0.1")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert counted("account:alice") == 1 and counted("address:10.0.0.1") == 1


def test_it_refuses_even_the_right_password_after_too_many_failures_for_an_account(world):
    for n in range(3):  # spread over addresses; the account name is case-insensitive
        sign_in(Client(), "Alice", "wrong", address=f"10.0.0.{n + 10}")
    client = Client()
    response = sign_in(client, "alice", PASSWORD, address="10.9.9.9")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302  # still signed out


def test_a_made_up_username_never_locks_a_real_account_out(world):
    # Everyone behind one address (a proxy that is not configured as trusted, or one office's NAT).
    for _ in range(6):
        sign_in(Client(), "no-such-user", "guess", address="127.0.0.1")
    assert sign_in(Client(), "no-such-user", "guess", address="127.0.0.2").status_code == 429
    assert sign_in(Client(), "alice", PASSWORD, address="127.0.0.1").status_code == 302
    assert sign_in(Client(), "bob", PASSWORD, address="127.0.0.1").status_code == 302


def test_many_usernames_from_one_address_throttle_that_address_only(world):
    for n in range(10):  # the address limit (10 here) is higher than the account limit (3)
        assert sign_in(Client(), f"x{n}", "wrong", address="192.0.2.7").status_code == 200
    assert sign_in(Client(), "bob", PASSWORD, address="192.0.2.7").status_code == 429
    assert sign_in(Client(), "bob", PASSWORD, address="192.0.2.8").status_code == 302


def test_successful_sign_ins_do_not_use_up_the_address_limit(world):
    for _ in range(12):
        client = Client()
        assert sign_in(client, "alice", PASSWORD, address="192.0.2.50").status_code == 302
    assert counted("address:192.0.2.50") == 0


def test_old_failures_no_longer_count(world):
    for _ in range(3):
        sign_in(Client(), "alice", "wrong")
    SignInThrottle.objects.update(last_at=timezone.now() - dt.timedelta(seconds=601))
    assert sign_in(Client(), "alice", PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_the_accounts_failures(world):
    sign_in(Client(), "alice", "wrong", address="10.0.0.2")
    sign_in(Client(), "alice", "wrong", address="10.0.0.3")
    assert sign_in(Client(), "alice", PASSWORD, address="10.0.0.4").status_code == 302
    assert counted("account:alice") == 0


# --- the client address behind proxies --------------------------------------------------------------------------


def address_of(remote: str, forwarded: str | None = None) -> str:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **meta))


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.LIAISON_TRUSTED_PROXIES = []
    assert address_of("192.0.2.7", "203.0.113.9") == "192.0.2.7"


def test_behind_a_trusted_proxy_the_forwarded_client_is_used(settings):
    settings.LIAISON_TRUSTED_PROXIES = ["127.0.0.1"]
    assert address_of("127.0.0.1", "203.0.113.9") == "203.0.113.9"


def test_it_walks_the_forwarded_chain_from_the_right_skipping_trusted_proxies(settings):
    settings.LIAISON_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    # The client wrote "1.1.1.1" itself; our proxies appended the address they saw, right-most last.
    assert address_of("127.0.0.1", "1.1.1.1, 203.0.113.9, 10.1.2.3") == "203.0.113.9"


def test_a_forwarded_header_from_an_untrusted_peer_is_ignored(settings):
    settings.LIAISON_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert address_of("192.0.2.7", "10.1.2.3, 203.0.113.9") == "192.0.2.7"


def test_ipv6_clients_are_counted_per_64_network(settings):
    settings.LIAISON_TRUSTED_PROXIES = ["::1"]
    assert address_of("::1", "2001:db8:1:2::5") == address_of("::1", "2001:db8:1:2:ffff::9")
    assert address_of("::1", "2001:db8:1:2::5") != address_of("::1", "2001:db8:1:3::5")


def test_a_bad_trusted_proxy_setting_fails_loudly(settings):
    settings.LIAISON_TRUSTED_PROXIES = ["not-an-address"]
    with pytest.raises(ImproperlyConfigured):
        address_of("127.0.0.1", "203.0.113.9")


def test_behind_nginx_one_attackers_failures_lock_out_nobody_else(world, settings):
    settings.LIAISON_TRUSTED_PROXIES = ["127.0.0.1"]
    attacker = {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    for n in range(10):
        sign_in(Client(), f"guess{n}", "wrong", address="127.0.0.1", **attacker)
    assert sign_in(Client(), "bob", PASSWORD, address="127.0.0.1", **attacker).status_code == 429
    colleague = {"HTTP_X_FORWARDED_FOR": "198.51.100.4"}
    assert sign_in(Client(), "bob", PASSWORD, address="127.0.0.1", **colleague).status_code == 302


def test_an_untrusted_client_cannot_dodge_the_address_limit_with_a_forged_header(world, settings):
    settings.LIAISON_TRUSTED_PROXIES = ["127.0.0.1"]
    for n in range(10):
        sign_in(Client(), f"guess{n}", "wrong", address="192.0.2.7", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    response = sign_in(Client(), "bob", PASSWORD, address="192.0.2.7", HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert response.status_code == 429


# --- concurrent guesses ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_forty_parallel_guesses_at_a_real_server_get_at_most_the_limit_of_password_checks(tmp_path):
    """The finding, as it was made: 40 guesses at once against `liaison serve` (gunicorn, 2 processes x 8
    threads, real password hashing, a SQLite file) got 8 password checks through instead of 5. A guess whose
    password was checked answers 200 (the form with its error), a throttled one 429."""
    data_dir = tmp_path / "data"
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DJANGO_SETTINGS_MODULE": "liaison.settings",
        "LIAISON_DATA_DIR": str(data_dir),
        "LIAISON_AUDIT_KEY_FILE": str(tmp_path / "audit-keys"),
        "LIAISON_AUDIT_ANCHOR_FILE": str(tmp_path / "anchors.jsonl"),
        "HTTPS": "0",
        "LOGIN_THROTTLE_ATTEMPTS": "5",
        "LOGIN_THROTTLE_ADDRESS_ATTEMPTS": "1000",
    }
    liaison = [sys.executable, "-c", "from liaison.cli import main; main()"]
    subprocess.run([*liaison, "migrate"], env=env, check=True, capture_output=True, timeout=300)
    subprocess.run(
        [*liaison, "user", "add", "alice", "--role", "msl", "--password", "a-long-passphrase-9"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("ab") as out:
        server = subprocess.Popen(
            [*liaison, "serve", "--port", str(port), "--workers", "2", "--threads", "8", "--no-worker"],
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/login/", timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(log.read_text()) from None
                time.sleep(0.3)
        barrier, statuses, errors = threading.Barrier(40), [], []

        def guess(n: int) -> None:
            try:
                jar = http.cookiejar.CookieJar()
                opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
                page = opener.open(f"{base}/login/", timeout=30).read().decode()
                token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
                body = urllib.parse.urlencode(
                    {"csrfmiddlewaretoken": token, "username": "alice", "password": f"guess-{n}"}
                ).encode()
                request = urllib.request.Request(
                    f"{base}/login/", data=body, headers={"Referer": f"{base}/login/"}
                )
                barrier.wait(timeout=60)
                try:
                    statuses.append(opener.open(request, timeout=60).status)
                except urllib.error.HTTPError as exc:
                    statuses.append(exc.code)
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=guess, args=(n,)) for n in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    assert errors == [] and len(statuses) == 40, (errors[:3], log.read_text()[-2000:])
    assert sorted(set(statuses)) == [200, 429], statuses
    assert statuses.count(200) <= 5, f"{statuses.count(200)} password checks got through"
    assert statuses.count(429) >= 35


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
