"""The audit trail against a database administrator: a keyed chain, anchors outside the database, records
reconciled with their history, and signed backups. Each test is one thing an insider with database access did
that the unkeyed chain of before let through (`liaison audit verify` exited 0).

Runs on SQLite and on PostgreSQL: the tampering is plain SQL, as in a database shell.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from audit_support import set_audit_guards, tamper
from liaison import backup as backups
from liaison.cli import main
from liaison.compliance.anchors import anchor_file, check_anchors, write_anchor
from liaison.compliance.chain import chain_head, verify_chain
from liaison.compliance.verification import verify_all
from liaison.core import audit_keys
from liaison.core.audit import canonical, json_value
from liaison.core.models import AuditEvent


def sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def unkeyed_hash(prev: str, payload: dict[str, Any]) -> str:
    """The hash as the application computed it before the chain was keyed: anyone can compute this."""
    return hashlib.sha256((prev + canonical(payload)).encode("utf-8")).hexdigest()


def forge_append(*, key_id: str | None = None) -> int:
    """Append an event the way an insider would: the right prev_hash, a hash computed without the key (naming
    the head's key unless `key_id` says otherwise)."""
    head = AuditEvent.objects.order_by("-seq").first()
    forged = AuditEvent(
        uuid="11111111-2222-3333-4444-555555555555",
        occurred_at=timezone.now(),
        actor_username="ada",
        actor_role="admin",
        source="web",
        request_id="forged",
        event_type="user.updated",
        action="update",
        object_type="accounts.user",
        object_repr="dave",
        changes={"role": ["commercial", "admin"]},
        prev_hash=head.hash,
        key_id=head.key_id if key_id is None else key_id,
    )
    forged.hash = unkeyed_hash(head.hash, forged.hash_payload())
    forged.save(force_insert=True)
    return forged.seq


@pytest.fixture
def safety_report(world, interaction, acting):
    from liaison.safety.models import SafetyReport

    with acting(world["alice"]):
        return SafetyReport.objects.create(
            reported_by=world["alice"], day_zero=timezone.now() - dt.timedelta(days=2), trigger="manual"
        )


# --- the chain is keyed ------------------------------------------------------------------------------------------


def test_every_event_is_signed_with_the_audit_key_which_is_not_in_the_database(interaction):
    key = audit_keys.keyring().current
    events = list(AuditEvent.objects.all())
    assert events and {e.key_id for e in events} == {key.key_id}
    secret_text = key.secret.hex()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM compliance_auditevent")
        dump = repr(cursor.fetchall())
    assert secret_text not in dump and str(audit_keys.key_file()) not in dump
    assert verify_chain().ok


def test_a_forged_event_appended_with_the_unkeyed_hash_is_caught(interaction):
    seq = forge_append()

    report = verify_chain()

    assert not report.ok and report.broken_seq == seq
    assert "signature" in report.problem


def test_a_forged_event_without_a_key_after_the_chain_was_keyed_is_caught(interaction):
    seq = forge_append(key_id="")

    report = verify_chain()

    assert not report.ok and report.broken_seq == seq and "no audit key" in report.problem


def test_an_edited_event_re_chained_the_applications_way_is_caught(interaction):
    events = list(AuditEvent.objects.order_by("seq"))
    victim = events[len(events) // 2]
    set_audit_guards(False)
    try:
        prev = events[events.index(victim) - 1].hash
        for event in events[events.index(victim) :]:
            if event.seq == victim.seq:
                event.reason = "nothing to see here"
            event.prev_hash = prev
            event.hash = unkeyed_hash(prev, event.hash_payload())
            sql(
                "UPDATE compliance_auditevent SET reason = %s, prev_hash = %s, hash = %s WHERE seq = %s",
                [event.reason, event.prev_hash, event.hash, event.seq],
            )
            prev = event.hash
    finally:
        set_audit_guards(True)

    report = verify_chain()

    assert not report.ok and report.broken_seq == victim.seq


def test_an_event_naming_a_key_that_is_not_in_the_keyring_is_caught(interaction):
    victim = AuditEvent.objects.order_by("-seq").first()
    tamper("UPDATE compliance_auditevent SET key_id = 'made-up' WHERE seq = %s", [victim.seq])

    report = verify_chain()

    assert not report.ok and "not in the keyring" in report.problem


# --- anchors outside the database -------------------------------------------------------------------------------


def test_dropping_the_trigger_and_deleting_the_newest_events_is_caught_by_the_anchor(interaction):
    anchored = write_anchor("test")
    newest = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True)[:3]
    assert verify_chain().ok
    tamper("DELETE FROM compliance_auditevent WHERE seq >= %s", [min(newest)])

    assert verify_chain().ok, "the shortened chain still links: only the anchor can tell"
    report = verify_all(anchor_when_ok=False)

    assert not report.ok and not report.anchors.ok
    assert f"names event #{anchored['seq']}" in " ".join(report.anchors.problems)


def test_a_chain_rewritten_after_the_anchor_is_caught_even_when_events_were_appended_since(
    interaction, world, acting
):
    anchored = write_anchor("test")
    tamper("DELETE FROM compliance_auditevent WHERE seq = %s", [anchored["seq"]])
    with acting(world["ada"]):
        world["alice"].first_name = "Alicia"
        world["alice"].save()

    report = check_anchors(chain_head())

    assert not report.ok


def test_anchors_are_signed_appended_outside_the_data_directory_and_readable_by_the_owner_only(interaction):
    from django.conf import settings

    write_anchor("test")
    path = anchor_file()
    assert not path.resolve().is_relative_to(Path(settings.DATA_DIR))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text().splitlines()
    record = json.loads(lines[-1])
    assert record["chain"] == chain_head().chain_id and record["signature"]

    forged = {**record, "seq": record["seq"] + 100}
    with path.open("a") as handle:
        handle.write(json.dumps(forged) + "\n")
    report = check_anchors(chain_head())
    assert not report.ok and "signature does not verify" in " ".join(report.problems)


# --- direct edits of audited records ----------------------------------------------------------------------------


def test_a_safety_report_moved_from_forwarded_to_not_an_ae_in_the_database_is_named(safety_report):
    sql("UPDATE safety_safetyreport SET status = 'not_an_ae' WHERE uuid = %s", [_db_uuid(safety_report.uuid)])

    report = verify_all(anchor_when_ok=False)

    assert not report.ok and report.chain.ok
    (difference,) = report.records.discrepancies
    assert (difference.table, difference.record, difference.field) == (
        "safety_safetyreport",
        str(safety_report.uuid),
        "status",
    )
    assert difference.stored == "not_an_ae" and difference.audited == safety_report.status


def test_a_day_zero_moved_in_the_database_is_named(safety_report):
    later = safety_report.day_zero + dt.timedelta(days=3)
    sql(
        "UPDATE safety_safetyreport SET day_zero = %s WHERE id = %s",
        [connection.ops.adapt_datetimefield_value(later), safety_report.pk],
    )

    report = verify_all(anchor_when_ok=False)

    assert [d.field for d in report.records.discrepancies] == ["day_zero"]
    assert report.records.discrepancies[0].audited == json_value(safety_report.day_zero)


def test_a_user_whose_role_was_set_to_admin_in_the_database_is_named(world):
    sql("UPDATE accounts_user SET role = 'admin' WHERE username = 'dave'")

    result = CliRunner().invoke(main, ["audit", "verify"])

    assert result.exit_code == 1
    assert f"accounts_user record {world['dave'].uuid}, field role" in result.output
    assert "'admin'" in result.output and "'commercial'" in result.output


def test_a_record_deleted_or_inserted_in_the_database_is_named(world, hcp):
    from liaison.people.models import HCP

    sql("DELETE FROM people_affiliation WHERE hcp_id = %s", [hcp.pk])
    sql("DELETE FROM people_hcp_therapeutic_areas WHERE hcp_id = %s", [hcp.pk])
    sql("DELETE FROM people_hcp WHERE id = %s", [hcp.pk])
    ghost = HCP(first_name="Ghost", last_name="Record")
    HCP._base_manager._insert([ghost], fields=[f for f in HCP._meta.concrete_fields if not f.primary_key])

    report = verify_all(anchor_when_ok=False).records

    described = " ".join(d.describe() for d in report.discrepancies)
    assert f"people_hcp record {hcp.uuid}: is missing" in described
    assert f"people_hcp record {ghost.uuid}: has no audit history" in described


def test_verify_prints_the_head_and_anchors_an_intact_trail(interaction):
    result = CliRunner().invoke(main, ["audit", "verify"], catch_exceptions=False)

    head = chain_head()
    assert result.exit_code == 0, result.output
    assert f"chain head:  #{head.seq} {head.hash}" in result.output
    assert "match their audit history" in result.output
    assert json.loads(anchor_file().read_text().splitlines()[-1])["seq"] == head.seq


# --- key rotation -----------------------------------------------------------------------------------------------


@pytest.fixture
def own_key_file(tmp_path):
    """A copy of the session's key file that this test may rotate, put back afterwards."""
    path = tmp_path / "audit-keys"
    path.write_text(audit_keys.key_file().read_text())
    with override_settings(LIAISON_AUDIT_KEY_FILE=path):
        audit_keys.reset()
        yield path
    audit_keys.reset()


def test_a_rotated_key_signs_new_events_and_the_old_one_still_verifies_the_past(
    own_key_file, interaction, world, acting
):
    old = audit_keys.keyring().current.key_id

    result = CliRunner().invoke(main, ["audit", "rotate-key"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    new = audit_keys.keyring().current.key_id
    with acting(world["ada"]):
        world["alice"].first_name = "Alicia"
        world["alice"].save()

    assert new != old and stat.S_IMODE(own_key_file.stat().st_mode) == 0o600
    rotated = AuditEvent.objects.get(event_type="audit.key_rotated")
    assert rotated.key_id == new and rotated.changes == {"key_id": [old, new]}
    assert AuditEvent.objects.order_by("-seq").first().key_id == new
    report = verify_chain()
    assert report.ok and report.keys_used == [old, new]


def test_keys_from_the_environment_win_over_the_key_file(monkeypatch):
    secret = audit_keys.new_secret()
    monkeypatch.setenv("LIAISON_AUDIT_KEYS", f"vault1:{secret}")
    audit_keys.reset()
    try:
        ring = audit_keys.keyring()
        assert ring.ids() == ["vault1"] and ring.source == "LIAISON_AUDIT_KEYS"
        monkeypatch.setenv("LIAISON_AUDIT_KEYS", "short:abc")
        audit_keys.reset()
        with pytest.raises(audit_keys.AuditKeyError, match="at least 32"):
            audit_keys.keyring()
    finally:
        monkeypatch.delenv("LIAISON_AUDIT_KEYS")
        audit_keys.reset()


# --- signed backups ---------------------------------------------------------------------------------------------


def _lines(path: Path) -> list[str]:
    return gzip.decompress(path.read_bytes()).decode("utf-8").splitlines(keepends=True)


def _write(path: Path, lines: list[str]) -> None:
    path.write_bytes(gzip.compress("".join(lines).encode("utf-8")))


def test_a_backup_edited_with_its_checksum_recomputed_is_refused(interaction, tmp_path):
    path = tmp_path / "b.jsonl.gz"
    backups.write_backup(path)
    lines = _lines(path)
    body = [line.replace("Discussed", "Skipped") for line in lines[1:]]
    manifest = json.loads(lines[0])
    manifest["manifest"]["sha256"] = hashlib.sha256("".join(body).encode("utf-8")).hexdigest()
    _write(path, [json.dumps(manifest) + "\n", *body])

    with pytest.raises(backups.BackupError, match="does not match its signature"):
        backups.prepare_restore(path)


def test_an_unsigned_backup_is_refused(interaction, tmp_path):
    path = tmp_path / "b.jsonl.gz"
    backups.write_backup(path)
    lines = _lines(path)
    manifest = json.loads(lines[0])
    del manifest["manifest"]["signature"]
    _write(path, [json.dumps(manifest) + "\n", *lines[1:]])

    with pytest.raises(backups.BackupError, match="is not signed"):
        backups.prepare_restore(path)
    manifest["manifest"]["format_version"] = 1
    _write(path, [json.dumps(manifest) + "\n", *lines[1:]])
    with pytest.raises(backups.BackupError, match="unsigned backup"):
        backups.prepare_restore(path)


def test_a_backup_is_private_complete_under_its_name_and_leaves_nothing_behind(interaction, tmp_path):
    path = tmp_path / "b.jsonl.gz"
    seen: list[list[str]] = []

    backups.write_backup(path, progress=lambda stage, n: seen.append(sorted(os.listdir(tmp_path))))

    assert seen and all(listing == [] for listing in seen), "nothing named exists while the backup is written"
    assert sorted(os.listdir(tmp_path)) == ["b.jsonl.gz"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert backups.read_manifest(path)["signature"]


def test_a_backup_anchors_the_head_it_holds(interaction, tmp_path):
    path = tmp_path / "b.jsonl.gz"
    backups.write_backup(path)

    anchor = json.loads(anchor_file().read_text().splitlines()[-1])
    manifest = backups.read_manifest(path)
    assert anchor["reason"] == "backup b.jsonl.gz"
    assert (anchor["seq"], anchor["hash"]) == (
        manifest["audit_chain_head"]["seq"],
        manifest["audit_chain_head"]["hash"],
    )


def _db_uuid(value: Any) -> str:
    """A uuid as the database stores it (SQLite: 32 hex digits; PostgreSQL: the uuid type)."""
    return value.hex if connection.vendor == "sqlite" else str(value)


def test_the_worker_anchors_the_head_on_schedule_when_it_moved(interaction, world, acting):
    from liaison.core.schedule import periodic_jobs, run_due_periodic_jobs

    assert "audit.anchor" in {job.name for job in periodic_jobs()}
    before = len(anchor_file().read_text().splitlines()) if anchor_file().exists() else 0

    ran = run_due_periodic_jobs(worker_id="test-worker")

    assert "audit.anchor" in ran
    lines = anchor_file().read_text().splitlines()
    assert len(lines) == before + 1
    anchored = json.loads(lines[-1])
    assert anchored["reason"] == "scheduled"
    head = chain_head()
    assert anchored["seq"] in range(head.seq - 5, head.seq + 1)


def test_restoring_an_older_backup_supersedes_the_anchors_written_after_it(
    interaction, world, acting, tmp_path
):
    from audit_support import empty_the_database

    path = tmp_path / "nightly.jsonl.gz"
    backups.write_backup(path)
    with acting(world["ada"]):
        world["alice"].first_name = "Alicia"
        world["alice"].save()
    write_anchor("later in the day")
    empty_the_database()

    restored = backups.restore_backup(path)

    assert restored.chain_ok, restored.chain_message
    report = verify_all(anchor_when_ok=False)
    assert report.ok, report.problems


def test_the_deployment_check_warns_about_a_key_or_anchors_beside_the_database(settings):
    from liaison.compliance.checks import audit_key_outside_the_data_directory

    assert audit_key_outside_the_data_directory() == []
    settings.LIAISON_AUDIT_KEY_FILE = Path(settings.DATA_DIR) / "audit-keys"
    settings.LIAISON_AUDIT_ANCHOR_FILE = Path(settings.DATA_DIR) / "anchors.jsonl"

    assert [m.id for m in audit_key_outside_the_data_directory()] == ["liaison.W001", "liaison.W002"]
