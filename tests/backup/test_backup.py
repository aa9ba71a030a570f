"""Backup and restore: a portable file that round-trips every row, refuses to overwrite data, and detects
damage before writing anything. Runs on SQLite and PostgreSQL alike."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.db import connection

from audit_support import empty_the_database
from liaison import backup as backups
from liaison.cli import main


def table_counts() -> dict[str, int]:
    return {m._meta.label_lower: m._base_manager.count() for m in backups.backed_up_models()}


@pytest.fixture
def populated(interaction, world, acting):
    """The personas, an interaction with an insight and a follow-up, and an answered inquiry."""
    from liaison.medinfo.actions import answer_inquiry, capture_inquiry

    with acting(world["alice"]):
        inquiry = capture_inquiry(
            acting_user=world["alice"],
            question="Any data in patients over 75?",
            channel="in_person",
            unsolicited_attested=True,
            requester_name="Dr Who",
        )
    with acting(world["iris"]):
        answer_inquiry(inquiry, acting_user=world["iris"], answer="Standard response SR-1 sent.")
    return interaction


def test_it_round_trips_every_row_into_an_empty_database_and_the_chain_verifies(populated, tmp_path):
    from liaison.accounts.models import User
    from liaison.compliance.chain import verify_chain
    from liaison.core.models import AuditEvent
    from liaison.engagement.models import Interaction

    path = tmp_path / "liaison.jsonl.gz"
    before = table_counts()
    head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    stamps = Interaction.objects.values_list("uuid", "created_at", "updated_at").get()
    password_hash = User.objects.get(username="alice").password

    written = backups.write_backup(path)
    empty_the_database()
    assert sum(table_counts().values()) == 0
    restored = backups.restore_backup(path)
    connection.check_constraints()  # foreign keys are deferred: check them now, as a commit would

    assert table_counts() == before
    assert restored.tables == written.tables
    assert restored.total_rows == written.total_rows == sum(before.values())
    assert restored.chain_ok, restored.chain_message
    assert verify_chain().ok
    assert AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first() == head
    # Raw inserts: auto_now timestamps and password hashes come back untouched.
    assert Interaction.objects.values_list("uuid", "created_at", "updated_at").get() == stamps
    assert User.objects.get(username="alice").password == password_hash


def test_it_keeps_issuing_ids_after_the_restored_ones(populated, tmp_path, acting):
    from liaison.core.models import AuditEvent
    from liaison.people.actions import save_organization

    path = tmp_path / "b.jsonl.gz"
    backups.write_backup(path)
    empty_the_database()
    backups.restore_backup(path)
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()

    with acting(None):
        save_organization(None, acting_user=None, data={"name": "After Restore Clinic"})

    assert AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() > last


def test_its_manifest_names_version_counts_checksum_and_chain_head(populated, tmp_path):
    from liaison.core.models import AuditEvent

    path = tmp_path / "b.jsonl.gz"
    backups.write_backup(path)

    manifest = backups.read_manifest(path)

    assert manifest["format"] == "liaison-backup" and manifest["format_version"] == 2
    assert manifest["app_version"]
    assert manifest["tables"]["core.auditevent"] == AuditEvent.objects.count()
    assert len(manifest["sha256"]) == 64
    last = AuditEvent.objects.order_by("-seq").first()
    first = AuditEvent.objects.order_by("seq").first()
    assert manifest["audit_chain_head"] == {"seq": last.seq, "hash": last.hash, "chain": str(first.uuid)}
    assert manifest["key_id"] and len(manifest["signature"]) == 64
    labels = list(manifest["tables"])
    assert (
        labels.index("accounts.user")
        < labels.index("engagement.interaction")
        < labels.index("insights.insight")
    )


def test_it_refuses_to_restore_into_a_database_that_holds_data(populated, tmp_path):
    path = tmp_path / "b.jsonl.gz"
    backups.write_backup(path)
    before = table_counts()

    result = CliRunner().invoke(main, ["restore", str(path)])

    assert result.exit_code == 1
    assert "restore needs an empty database" in result.output
    assert table_counts() == before


def test_it_refuses_a_damaged_file_before_writing_anything(populated, tmp_path):
    path = tmp_path / "b.jsonl.gz"
    backups.write_backup(path)
    lines = gzip.decompress(path.read_bytes()).decode("utf-8").splitlines(keepends=True)
    lines[-1] = lines[-1].replace("a", "b", 1) if "a" in lines[-1] else lines[-1] + " "
    path.write_bytes(gzip.compress("".join(lines).encode("utf-8")))
    empty_the_database()

    with pytest.raises(backups.BackupError, match="does not match its checksum"):
        backups.restore_backup(path)
    assert sum(table_counts().values()) == 0


def test_it_refuses_a_file_that_is_not_a_backup(db, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")

    result = CliRunner().invoke(main, ["restore", str(path)])

    assert result.exit_code == 1
    assert "is not a Liaison backup" in result.output


def test_the_commands_back_up_and_restore_with_a_summary(populated, tmp_path):
    path = tmp_path / "cli.jsonl.gz"
    before = table_counts()

    backed_up = CliRunner().invoke(main, ["backup", str(path)], catch_exceptions=False)
    assert backed_up.exit_code == 0, backed_up.output
    assert f"Backed up {sum(before.values())} rows" in backed_up.output
    assert str(path.resolve()) in backed_up.output
    empty_the_database()
    restored = CliRunner().invoke(main, ["restore", str(path)], catch_exceptions=False)

    assert restored.exit_code == 0, restored.output
    assert "audit chain intact" in restored.output
    assert table_counts() == before


def test_it_writes_one_json_document_per_line(populated, tmp_path):
    path = tmp_path / "b.jsonl.gz"
    backups.write_backup(path)

    with gzip.open(path, "rt", encoding="utf-8") as handle:
        documents = [json.loads(line) for line in handle]

    headers = [d for d in documents if isinstance(d, dict) and "table" in d]
    rows = [d for d in documents if isinstance(d, list)]
    assert "manifest" in documents[0]
    assert sum(h["rows"] for h in headers) == len(rows) == documents[0]["manifest"]["total_rows"]
    assert Path(str(path) + ".partial").exists() is False


def written_under_an_old_label(tmp_path: Path, label: str, old_label: str) -> Path:
    """A signed backup of the database as a release that named table `label` `old_label` would have written."""
    import hashlib

    path = tmp_path / "new.jsonl.gz"
    backups.write_backup(path)
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        manifest = json.loads(handle.readline())["manifest"]
        body = handle.read().replace(f'{{"table": "{label}"', f'{{"table": "{old_label}"', 1)
    assert f'"{old_label}"' in body
    tables = dict(manifest["tables"])
    tables[old_label] = tables.pop(label)
    old = backups.sign_manifest(
        {**manifest, "tables": tables, "sha256": hashlib.sha256(body.encode("utf-8")).hexdigest()}
    )
    legacy = tmp_path / "legacy.jsonl.gz"
    with gzip.open(legacy, "wt", encoding="utf-8") as out:
        out.write(json.dumps({"manifest": old}) + "\n" + body)
    return legacy


def test_it_restores_a_backup_taken_before_audit_events_moved_to_core(populated, tmp_path):
    """Backups written while AuditEvent belonged to compliance name its table `compliance.auditevent`."""
    from liaison.compliance.chain import verify_chain
    from liaison.core.models import AuditEvent

    events = AuditEvent.objects.count()
    legacy = written_under_an_old_label(tmp_path, "core.auditevent", "compliance.auditevent")
    empty_the_database()
    restored = backups.restore_backup(legacy)

    assert restored.tables["compliance.auditevent"] == events == AuditEvent.objects.count()
    assert restored.chain_ok, restored.chain_message
    assert verify_chain().ok


def test_it_restores_a_backup_taken_before_loop_action_was_renamed(populated, world, acting, tmp_path):
    """Backups written while InsightAction was `loop.Action` name its table `loop.action`; its rows and their
    audit events (object type "loop.action" then and now) restore and reconcile."""
    import datetime as dt

    from liaison.loop.models import InsightAction, Theme

    with acting(world["lena"]):
        theme = Theme.objects.create(
            name="Access", therapeutic_area=world["oncology"], created_by=world["lena"]
        )
        InsightAction.objects.create(
            theme=theme, title="Payer dossier", due_date=dt.date(2030, 1, 1), created_by=world["lena"]
        )
    legacy = written_under_an_old_label(tmp_path, "loop.insightaction", "loop.action")

    empty_the_database()
    restored = backups.restore_backup(legacy)

    assert restored.tables["loop.action"] == 1 == InsightAction.objects.count()
    assert restored.chain_ok, restored.chain_message
