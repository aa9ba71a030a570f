"""1,000 random tamperings of a populated database, each of them caught.

An insider with database access (a SQLite file, a PostgreSQL role) and with the files of a backup tries, one at
a time, every kind of tampering below; each runs inside a transaction that is rolled back afterwards, so the
next one starts from the same populated database. `verify_all` (what `liaison audit verify` runs) must name each
one; an edited backup must be refused before a restore writes anything. The count per kind is printed at the end
of the test run (tests/reliability/conftest.py).

LIAISON_TAMPERINGS sets the number (default 1,000); runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import secrets
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from audit_support import audit_factories, set_audit_guards
from liaison import backup as backups
from liaison.compliance.anchors import anchor_file, write_anchor
from liaison.compliance.reconcile import audited_models
from liaison.compliance.verification import verify_all
from liaison.core.audit import canonical
from liaison.core.audit_keys import AuditKey
from liaison.core.models import AuditEvent

TAMPERINGS = int(os.environ.get("LIAISON_TAMPERINGS", "1000"))
SEED = 20261207


class Rollback(Exception):
    """Raised to undo one tampering after it was checked."""


def sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def unkeyed(prev: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256((prev + canonical(payload)).encode("utf-8")).hexdigest()


def events() -> list[AuditEvent]:
    return list(AuditEvent.objects.order_by("seq"))


# --- the tamperings: each changes the database (or a backup) the way an insider could, and returns a label -----


def edit_event_field(rng: random.Random, world: dict[str, Any]) -> str:
    victim = rng.choice(events())
    column, value = rng.choice(
        [
            ("reason", "routine correction"),
            ("actor_username", "someone-else"),
            ("object_repr", "Dr Nobody"),
            ("event_type", "hcp.viewed"),
            ("changes", json.dumps({"status": ["forwarded", "not_an_ae"]})),
            ("occurred_at", connection.ops.adapt_datetimefield_value(timezone.now())),
        ]
    )
    set_audit_guards(False)
    sql(f"UPDATE compliance_auditevent SET {column} = %s WHERE seq = %s", [value, victim.seq])
    return column


def delete_middle_event(rng: random.Random, world: dict[str, Any]) -> str:
    victim = rng.choice(events()[:-1])
    set_audit_guards(False)
    sql("DELETE FROM compliance_auditevent WHERE seq = %s", [victim.seq])
    return "middle"


def truncate_tail(rng: random.Random, world: dict[str, Any]) -> str:
    k = rng.randint(1, 6)
    cut = events()[-k].seq
    set_audit_guards(False)
    sql("DELETE FROM compliance_auditevent WHERE seq >= %s", [cut])
    return f"{k} newest"


def _forge(
    head: AuditEvent, key_id: str, sign: Callable[[str, dict[str, Any]], str], rng: random.Random
) -> None:
    forged = AuditEvent(
        uuid=uuid.UUID(int=rng.getrandbits(128)),
        occurred_at=timezone.now(),
        actor_username=rng.choice(["ada", "carla", "system"]),
        source="web",
        request_id=secrets.token_hex(8),
        event_type="user.updated",
        action="update",
        object_type="accounts.user",
        changes={"role": ["commercial", "admin"]},
        prev_hash=head.hash,
        key_id=key_id,
    )
    forged.hash = sign(head.hash, forged.hash_payload())
    forged.save(force_insert=True)


def forge_append_unkeyed(rng: random.Random, world: dict[str, Any]) -> str:
    head = events()[-1]
    key_id = rng.choice([head.key_id, ""])
    _forge(head, key_id, unkeyed, rng)
    return "with key id" if key_id else "without key id"


def forge_append_other_key(rng: random.Random, world: dict[str, Any]) -> str:
    head = events()[-1]
    guess = AuditKey(head.key_id, secrets.token_bytes(32))
    _forge(head, head.key_id, lambda prev, payload: guess.sign("chain", prev + canonical(payload)), rng)
    return "guessed key"


def rechain_after_edit(rng: random.Random, world: dict[str, Any]) -> str:
    chain = events()
    start = rng.randrange(1, len(chain))
    set_audit_guards(False)
    prev = chain[start - 1].hash
    for event in chain[start:]:
        if event.seq == chain[start].seq:
            event.reason = "edited, then re-chained"
        event.prev_hash = prev
        event.hash = unkeyed(prev, event.hash_payload())
        sql(
            "UPDATE compliance_auditevent SET reason = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            [event.reason, event.prev_hash, event.hash, event.seq],
        )
        prev = event.hash
    return "re-chained"


def reorder_events(rng: random.Random, world: dict[str, Any]) -> str:
    chain = events()
    victim = rng.choice(chain[:-1])
    set_audit_guards(False)
    sql("UPDATE compliance_auditevent SET seq = %s WHERE seq = %s", [chain[-1].seq + 1, victim.seq])
    return "moved to the end"


def edit_record(rng: random.Random, world: dict[str, Any]) -> str:
    """A direct UPDATE of one audited field, on every audited model in turn."""
    label = world["_models"][world["_edits"] % len(world["_models"])]
    world["_edits"] += 1
    obj, field_name, new_value = world["_objects"][label]
    if callable(new_value):
        new_value = new_value()
    field = obj._meta.get_field(field_name)
    value = new_value.pk if field.is_relation and isinstance(new_value, models.Model) else new_value
    prepared = (
        field.target_field.get_db_prep_save(value, connection)
        if field.is_relation
        else (field.get_db_prep_save(value, connection))
    )
    q = connection.ops.quote_name
    sql(f"UPDATE {q(obj._meta.db_table)} SET {q(field.column)} = %s WHERE id = %s", [prepared, obj.pk])
    return label


def delete_record(rng: random.Random, world: dict[str, Any]) -> str:
    model = rng.choice(audited_models())
    pks = list(model._base_manager.values_list("pk", flat=True))
    sql(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)} WHERE id = %s", [rng.choice(pks)])
    return model._meta.label_lower


def insert_record(rng: random.Random, world: dict[str, Any]) -> str:
    """A row inserted by hand: a copy of an existing one under a new uuid (models whose unique fields allow it)."""
    candidates = list(audited_models())
    rng.shuffle(candidates)
    for model in candidates:
        row = model._base_manager.order_by("pk").first()
        row.pk, row.uuid = None, uuid.UUID(int=rng.getrandbits(128))
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        try:
            with transaction.atomic():
                model._base_manager._insert([row], fields=fields, raw=True, using=connection.alias)
        except IntegrityError:
            continue
        return model._meta.label_lower
    raise AssertionError("no audited model accepted a copied row")


def add_many_to_many_row(rng: random.Random, world: dict[str, Any]) -> str:
    fields = [
        f for m in audited_models() for f in m._meta.many_to_many if f.remote_field.through._meta.auto_created
    ]
    rng.shuffle(fields)
    for f in fields:
        through = f.remote_field.through
        source, target = f.m2m_field_name(), f.m2m_reverse_field_name()
        holders = list(f.model._base_manager.values_list("pk", flat=True))
        targets = list(f.related_model._base_manager.values_list("pk", flat=True))
        linked = set(through._default_manager.values_list(f"{source}_id", f"{target}_id"))
        free = [(h, t) for h in holders for t in targets if (h, t) not in linked]
        if free:
            holder, value = rng.choice(free)
            table = through._meta.db_table
            source_col = through._meta.get_field(source).column
            target_col = through._meta.get_field(target).column
            q = connection.ops.quote_name
            sql(f"INSERT INTO {q(table)} ({q(source_col)}, {q(target_col)}) VALUES (%s, %s)", [holder, value])
            return f"{f.model._meta.label_lower}.{f.name}"
    raise AssertionError("no many-to-many field had a free pair")


def forge_anchor_line(rng: random.Random, world: dict[str, Any]) -> str:
    path = anchor_file()
    record = json.loads(path.read_text().splitlines()[-1])
    record["seq"] += rng.randint(1, 50)
    world["_anchor_restore"] = path.read_bytes()
    with path.open("a") as handle:
        handle.write(json.dumps(record) + "\n")
    return "forged anchor"


BACKUP_EDITS = (
    "body edited",
    "body edited, checksum recomputed",
    "manifest edited",
    "signature removed",
    "signed with another key",
    "format downgraded",
    "truncated",
)


def edit_backup(rng: random.Random, world: dict[str, Any]) -> str:
    """Returns after writing an edited copy of the populated database's backup to world["_edited"]."""
    original: Path = world["_backup"]
    lines = gzip.decompress(original.read_bytes()).decode("utf-8").splitlines(keepends=True)
    head, body = json.loads(lines[0]), lines[1:]
    manifest = head["manifest"]
    how = rng.choice(BACKUP_EDITS)
    if how.startswith("body edited"):
        i = rng.randrange(len(body))
        body[i] = body[i].replace("a", "e", 1) if "a" in body[i] else body[i].rstrip("\n") + " \n"
        if how.endswith("recomputed"):
            manifest["sha256"] = hashlib.sha256("".join(body).encode("utf-8")).hexdigest()
    elif how == "manifest edited":
        manifest["total_rows"] += rng.randint(1, 9)
    elif how == "signature removed":
        manifest.pop("signature")
    elif how == "signed with another key":
        unsigned = {k: v for k, v in manifest.items() if k != "signature"}
        manifest["signature"] = AuditKey(manifest["key_id"], secrets.token_bytes(32)).sign(
            "backup", canonical(unsigned)
        )
    elif how == "format downgraded":
        manifest["format_version"] = 1
    else:
        body = body[: rng.randrange(len(body))]
    world["_edited"].write_bytes(gzip.compress((json.dumps(head) + "\n" + "".join(body)).encode("utf-8")))
    return how


KINDS: dict[str, Callable[[random.Random, dict[str, Any]], str]] = {
    "audit event field edited": edit_event_field,
    "audit event deleted from the middle": delete_middle_event,
    "newest audit events truncated (trigger dropped)": truncate_tail,
    "forged event appended with a valid unkeyed hash": forge_append_unkeyed,
    "forged event appended under a guessed key": forge_append_other_key,
    "event edited and the chain re-linked": rechain_after_edit,
    "audit events reordered": reorder_events,
    "audited record edited directly": edit_record,
    "audited record deleted directly": delete_record,
    "record inserted without audit": insert_record,
    "many-to-many link added directly": add_many_to_many_row,
    "anchor forged in the anchor file": forge_anchor_line,
    "backup edited": edit_backup,
}


@pytest.fixture
def populated(world, hcp, interaction, acting, tmp_path):
    """The personas, an HCP and an interaction, one record of every audited model, an anchor and a backup."""
    factories = audit_factories(world)
    objects: dict[str, tuple[Any, str, Any]] = {}
    with acting(world["ada"]):
        for model in audited_models():
            label = model._meta.label_lower
            build, field, new_value = factories[label]
            objects[label] = (model.objects.create(**build()), field, new_value)
    backup = tmp_path / "populated.jsonl.gz"
    backups.write_backup(backup)
    write_anchor("reliability suite")
    report = verify_all(anchor_when_ok=False)
    assert report.ok, report.problems
    world.update(
        _objects=objects,
        _models=sorted(objects),
        _edits=0,
        _backup=backup,
        _edited=tmp_path / "edited.jsonl.gz",
    )
    return world


def detected(kind: str, world: dict[str, Any]) -> bool:
    if kind == "backup edited":
        try:
            backups.check_integrity(world["_edited"])
        except backups.BackupError:
            return True
        return False
    return not verify_all(anchor_when_ok=False).ok


def test_every_random_tampering_is_detected(populated, acting, request):
    rng = random.Random(SEED)
    kinds = list(KINDS)
    counts: Counter[str] = Counter()
    variants: Counter[str] = Counter()
    missed: list[str] = []
    with acting(populated["ada"]):
        for i in range(TAMPERINGS):
            kind = kinds[i % len(kinds)]
            outcome: list[tuple[str, bool]] = []
            try:
                with transaction.atomic():
                    variant = KINDS[kind](rng, populated)
                    outcome.append((variant, detected(kind, populated)))
                    raise Rollback
            except Rollback:
                pass
            finally:
                if "_anchor_restore" in populated:
                    anchor_file().write_bytes(populated.pop("_anchor_restore"))
            variant, caught = outcome[0]
            counts[kind] += 1
            variants[f"{kind}: {variant}"] += 1
            if not caught:
                missed.append(f"#{i} {kind} ({variant})")
        assert verify_all(anchor_when_ok=False).ok, "each tampering was rolled back"

    request.config.liaison_tamperings = counts  # printed by tests/reliability/conftest.py
    request.config.liaison_tampering_missed = missed
    assert sum(counts.values()) == TAMPERINGS
    assert len(counts) >= 12
    edited_models = {v.split(": ", 1)[1] for v in variants if v.startswith("audited record edited directly")}
    assert edited_models == {m._meta.label_lower for m in audited_models()}, (
        f"every audited model edited at least once: {len(KINDS)} kinds take turns, so LIAISON_TAMPERINGS must be at "
        f"least {len(KINDS)} x {len(audited_models())} audited models"
    )
    assert missed == [], f"{len(missed)} of {TAMPERINGS} tamperings went unnoticed: {missed[:10]}"
