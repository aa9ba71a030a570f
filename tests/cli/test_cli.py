"""The `liaison` command line: users, tokens, audit verification and help, through click's CliRunner."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from django.test import RequestFactory

from audit_support import tamper
from liaison.cli import main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(main, list(args), catch_exceptions=False)


# -- user add --------------------------------------------------------------------------------------------------


def test_it_adds_a_user_with_a_known_role_and_audits_it_as_the_cli(db, runner):
    from liaison.accounts.models import User
    from liaison.core.models import AuditEvent

    result = invoke(
        runner,
        "user",
        "add",
        "zoe",
        "--role",
        "msl",
        "--password",
        "a-long-passphrase-9",
        "--email",
        "zoe@example.com",
        "--first-name",
        "Zoe",
        "--last-name",
        "Park",
    )

    assert result.exit_code == 0, result.output
    zoe = User.objects.get(username="zoe")
    assert (zoe.role, zoe.email, zoe.get_full_name()) == ("msl", "zoe@example.com", "Zoe Park")
    assert zoe.check_password("a-long-passphrase-9")
    event = AuditEvent.objects.get(event_type="user.created", object_uuid=str(zoe.uuid))
    assert event.source == "cli"
    assert zoe.password not in repr(event.changes)
    assert event.changes["password"][1].startswith("hmac:")


def test_it_refuses_an_unknown_role_with_exit_code_2_and_lists_the_roles(db, runner):
    from liaison.accounts.models import User

    result = runner.invoke(main, ["user", "add", "zoe", "--role", "wizard"])

    assert result.exit_code == 2
    assert "unknown role 'wizard'" in result.output
    for role in ("msl", "msl_manager", "drug_safety", "commercial", "admin"):
        assert role in result.output
    assert not User.objects.filter(username="zoe").exists()


def test_it_gives_a_user_without_password_an_unusable_one(db, runner):
    from liaison.accounts.models import User

    result = invoke(runner, "user", "add", "robot", "--role", "auditor")

    assert result.exit_code == 0, result.output
    assert "no password" in result.output
    assert not User.objects.get(username="robot").has_usable_password()


def test_it_reports_a_duplicate_username_without_a_traceback(world, runner):
    result = runner.invoke(main, ["user", "add", "ALICE", "--role", "msl"])

    assert result.exit_code == 1
    assert "already exists" in result.output
    assert "Traceback" not in result.output


def test_it_rejects_a_weak_password(db, runner):
    from liaison.accounts.models import User

    result = runner.invoke(main, ["user", "add", "zoe", "--role", "msl", "--password", "123"])

    assert result.exit_code == 1
    assert "password" in result.output.lower()
    assert not User.objects.filter(username="zoe").exists()


# -- token -----------------------------------------------------------------------------------------------------


def test_it_prints_a_token_that_authenticates_the_user(world, runner, client):
    from liaison.accounts.middleware import bearer_user

    result = invoke(runner, "token", "alice", "--label", "laptop")

    assert result.exit_code == 0, result.output
    raw = result.stdout.strip().splitlines()[-1]
    assert raw.startswith("lsn_")
    request = RequestFactory().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert bearer_user(request) == world["alice"]
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json()["username"] == "alice"
    assert world["alice"].api_tokens.get().name == "laptop"


def test_it_refuses_a_token_for_an_unknown_user(db, runner):
    from liaison.accounts.models import ApiToken

    result = runner.invoke(main, ["token", "nobody"])

    assert result.exit_code == 2
    assert "no user named 'nobody'" in result.output
    assert not ApiToken.objects.exists()


# -- audit verify ----------------------------------------------------------------------------------------------


def _tamper_with_event(seq: int) -> None:
    """Edit one audit event behind the application's back, as an attacker with database access could."""
    tamper("UPDATE compliance_auditevent SET object_repr = 'forged' WHERE seq = %s", [seq])


def test_it_verifies_an_intact_audit_chain(interaction, runner):
    from liaison.core.models import AuditEvent

    result = invoke(runner, "audit", "verify")

    assert result.exit_code == 0, result.output
    assert f"{AuditEvent.objects.count()} events verified" in result.output


def test_it_names_the_first_tampered_event_and_exits_1(interaction, runner):
    from liaison.core.models import AuditEvent

    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    target = seqs[len(seqs) // 2]
    _tamper_with_event(target)

    result = runner.invoke(main, ["audit", "verify"])

    assert result.exit_code == 1
    assert f"#{target}" in result.output
    assert "BROKEN" in result.output


# -- help ------------------------------------------------------------------------------------------------------


def all_commands(group: Any = main, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path of the CLI, e.g. ("user", "add")."""
    import click

    paths = []
    for name, command in group.commands.items():
        path = (*prefix, name)
        if isinstance(command, click.Group):
            paths += all_commands(command, path)
        else:
            paths.append(path)
    return paths


@pytest.mark.parametrize("path", all_commands(), ids=" ".join)
def test_every_command_has_help_text(path, runner):
    result = runner.invoke(main, [*path, "--help"])

    assert result.exit_code == 0
    assert "Usage: " in result.output
    command: Any = main
    for name in path:
        command = command.commands[name]
    assert command.help and len(command.help) > 20


def test_it_migrates_an_already_migrated_database_without_complaint(db, runner):
    result = invoke(runner, "migrate", "--verbosity", "0")

    assert result.exit_code == 0, result.output
    assert "is migrated" in result.output


# -- serve and worker ------------------------------------------------------------------------------------------


def test_serve_hands_over_to_gunicorn_on_the_requested_port(db, runner, monkeypatch):
    calls: list[list[str]] = []
    monkeypatch.setattr("liaison.cli.serve.os.execv", lambda exe, argv: calls.append(argv))
    monkeypatch.setenv("PORT", "8123")

    result = invoke(runner, "serve")

    assert result.exit_code == 0, result.output
    argv = calls[0]
    assert argv[1:4] == ["-m", "gunicorn", "liaison.wsgi:application"]
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8123"
    assert 2 <= int(argv[argv.index("--workers") + 1]) <= 4
    assert "http://127.0.0.1:8123/" in result.output
    # The background worker runs with the server (gunicorn's hooks start and supervise it)...
    assert argv[argv.index("--config") + 1] == "python:liaison.gunicorn_config"
    assert "with a background worker" in result.output
    # ...unless the operator runs workers separately.
    assert invoke(runner, "serve", "--no-worker").exit_code == 0
    assert "--config" not in calls[1]


def test_serve_refuses_to_start_on_an_unmigrated_database(db, runner, monkeypatch):
    calls: list[list[str]] = []
    monkeypatch.setattr("liaison.cli.serve.os.execv", lambda exe, argv: calls.append(argv))
    monkeypatch.setattr("liaison.cli.serve.unapplied_migrations", lambda: 3)

    result = runner.invoke(main, ["serve", "--port", "8124"])

    assert result.exit_code == 1
    assert "3 database migration(s) are not applied" in result.output
    assert "liaison migrate" in result.output
    assert not calls


def test_the_worker_drains_the_queue_and_exits_in_batch_mode(db, runner, monkeypatch):
    # The worker recycles database connections between tasks; inside the test's transaction that would close
    # the connection under the test (PostgreSQL), so keep it, as Django's own test client does.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    monkeypatch.setattr("liaison.core.worker.close_old_connections", lambda: None)

    result = invoke(runner, "worker", "--batch")

    assert result.exit_code == 0, result.output
    assert "until the queue is empty" in result.output
