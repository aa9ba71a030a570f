"""Portable backups: every table as gzip JSON lines, restorable into SQLite or PostgreSQL alike.

File layout (one gzip stream, one JSON document per line):

    line 1     {"manifest": {format, format_version, app_version, created_at, vendor, migrations, tables,
                             total_rows, sha256, audit_chain_head, key_id, signature}}
    then, per table in dependency order:
               {"table": "app_label.model_name", "columns": [attname, ...], "rows": N}
               [value, value, ...]            (N lines, one per row, in primary key order)

`sha256` covers every byte after the manifest line, and `signature` is an HMAC of the manifest under the audit
key (core/audit_keys.py, never in the database or the backup), so a truncated or edited file is refused before
anything is written, also when whoever edited it recomputed the checksum. An unsigned backup is refused.
The file is written readable by its owner only (0600) and appears under its name only when complete; its
plaintext body is staged in an unnamed temporary file, so a backup killed half-way leaves nothing behind. Foreign keys to content types and permissions are stored as natural keys, because their ids
differ between databases. Rows are restored with raw inserts: no save() logic runs, so timestamps, audit
events and their hashes come back exactly as they were, and the audit chain is then verified.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import gzip
import hashlib
import hmac
import json
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils.duration import duration_string

from liaison.compliance.anchors import write_anchor
from liaison.compliance.chain import ChainHead, chain_head, verify_chain
from liaison.compliance.reconcile import reconcile
from liaison.core.audit import canonical
from liaison.core.audit_keys import keyring

FORMAT = "liaison-backup"
FORMAT_VERSION = 2  # 2: signed manifests
BATCH = 500

# Rebuilt by `migrate` itself (content types, permissions) or worthless after a restore (sessions).
SKIPPED = {"contenttypes.contenttype", "auth.permission", "sessions.session"}
# Models that moved between apps or were renamed keep their table; a backup taken before names the old label.
MOVED = {"compliance.auditevent": "core.auditevent", "loop.action": "loop.insightaction"}

Progress = Callable[[str, int], None]


class BackupError(Exception):
    """A backup cannot be written or restored; the message says why, for the operator."""


@dataclass
class BackupReport:
    """What a backup or restore did."""

    path: Path
    tables: dict[str, int] = field(default_factory=dict)
    total_rows: int = 0
    sha256: str = ""
    chain_head: dict[str, Any] | None = None
    chain_ok: bool | None = None
    chain_message: str = ""


def app_version() -> str:
    try:
        from importlib.metadata import version

        return version("liaison")
    except Exception:  # noqa: BLE001 - running from a source tree without an installed distribution
        return "unknown"


def backed_up_models() -> list[type[models.Model]]:
    """Every concrete table (m2m link tables included) in foreign-key dependency order."""
    candidates = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and m._meta.label_lower not in SKIPPED
    ]
    candidates.sort(key=lambda m: m._meta.label_lower)
    remaining = {
        m: {
            f.related_model
            for f in m._meta.concrete_fields
            if f.is_relation and f.related_model is not m and f.related_model in candidates
        }
        for m in candidates
    }
    ordered: list[type[models.Model]] = []
    while remaining:
        ready = [m for m, deps in remaining.items() if not deps - set(ordered)]
        if not ready:  # a cycle: fall back to name order for the rest (constraints are checked at commit)
            ready = list(remaining)
        for model in ready:
            ordered.append(model)
            del remaining[model]
    return ordered


def _natural_maps() -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    content_types = {ct.pk: [ct.app_label, ct.model] for ct in ContentType.objects.all()}
    permissions = {
        p.pk: [p.codename, *content_types.get(p.content_type_id, ["", ""])] for p in Permission.objects.all()
    }
    return content_types, permissions


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.timedelta):
        return duration_string(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")  # what BinaryField.to_python expects back
    return value


def _chain_head() -> dict[str, Any] | None:
    head = chain_head()
    return {"seq": head.seq, "hash": head.hash, "chain": head.chain_id} if head else None


def sign_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest with the current audit key's id and its HMAC over everything else in it."""
    key = keyring().current
    unsigned = {k: v for k, v in manifest.items() if k != "signature"} | {"key_id": key.key_id}
    return unsigned | {"signature": key.sign("backup", canonical(unsigned))}


def check_signature(path: Path, manifest: dict[str, Any]) -> None:
    """Refuse a backup whose manifest is unsigned, signed with an unknown key, or signed for other content."""
    signature, key_id = manifest.get("signature"), str(manifest.get("key_id", ""))
    if not isinstance(signature, str) or not key_id:
        raise BackupError(f"{path} is not signed; Liaison restores only signed backups")
    key = keyring().get(key_id)
    if key is None:
        raise BackupError(
            f"{path} is signed with audit key {key_id!r}, which is not in this keyring ({keyring().source}); "
            "configure the key it was written with"
        )
    unsigned = {k: v for k, v in manifest.items() if k != "signature"}
    if not hmac.compare_digest(key.sign("backup", canonical(unsigned)), signature):
        raise BackupError(f"{path} does not match its signature: the backup was edited after it was written")


def _applied_migrations() -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        latest[app] = max(latest.get(app, ""), name)
    return dict(sorted(latest.items()))


def _rows(
    model: type[models.Model], columns: list[str], natural: dict[str, dict[int, list[str]]]
) -> Iterator[list[Any]]:
    queryset = model._base_manager.order_by("pk").values_list(*columns)
    for row in queryset.iterator(chunk_size=2000):
        values = []
        for column, value in zip(columns, row, strict=True):
            mapping = natural.get(column)
            values.append(
                mapping.get(value, value) if mapping is not None and value is not None else _encode(value)
            )
        yield values


def write_backup(path: Path, *, progress: Progress | None = None) -> BackupReport:
    """Write a backup of the whole database to `path` (gzip JSON lines); returns what went in."""
    progress = progress or (lambda stage, n: None)
    path = Path(path)
    if path.is_dir():
        raise BackupError(
            f"{path} is a directory; give a file name such as {path / 'liaison-backup.jsonl.gz'}"
        )
    if not path.parent.exists():
        raise BackupError(f"the folder {path.parent} does not exist")
    content_types, permissions = _natural_maps()
    report = BackupReport(path=path)
    digest = hashlib.sha256()
    # The plaintext body is staged in an unnamed file (no directory entry on Linux), gone when closed or killed.
    with tempfile.TemporaryFile(prefix="liaison-backup-", dir=path.parent) as body:
        # One read transaction so that every table comes from the same moment.
        with transaction.atomic():
            report.chain_head = _chain_head()
            for model in backed_up_models():
                fields = model._meta.concrete_fields
                columns = [f.attname for f in fields]
                natural = {
                    f.attname: content_types if f.related_model is ContentType else permissions
                    for f in fields
                    if f.is_relation and f.related_model in (ContentType, Permission)
                }
                count = model._base_manager.count()
                label = model._meta.label_lower
                header = json.dumps({"table": label, "columns": columns, "rows": count}) + "\n"
                chunks = [header.encode("utf-8")]
                written = 0
                for values in _rows(model, columns, natural):
                    chunks.append(
                        (json.dumps(values, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
                    )
                    written += 1
                    if len(chunks) >= BATCH:
                        _flush(chunks, body, digest)
                        progress(label, BATCH)
                _flush(chunks, body, digest)
                progress(label, written % BATCH)
                report.tables[label] = written
                report.total_rows += written
        report.sha256 = digest.hexdigest()
        manifest = sign_manifest(
            {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "app_version": app_version(),
                "created_at": dt.datetime.now(dt.UTC).isoformat(),
                "vendor": connection.vendor,
                "migrations": _applied_migrations(),
                "tables": report.tables,
                "total_rows": report.total_rows,
                "sha256": report.sha256,
                "audit_chain_head": report.chain_head,
            }
        )
        body.seek(0)
        with _private_file(path) as raw, gzip.GzipFile(fileobj=raw, mode="wb") as out:
            out.write((json.dumps({"manifest": manifest}) + "\n").encode("utf-8"))
            while block := body.read(1 << 20):
                out.write(block)
    if report.chain_head:
        head = report.chain_head
        write_anchor(f"backup {path.name}", head=ChainHead(head["seq"], head["hash"], head["chain"]))
    return report


@contextmanager
def _private_file(path: Path) -> Iterator[Any]:
    """A file readable by its owner only that appears at `path`, whole, only when the block succeeds.

    It is written as `<name>.partial` (mode 0600, compressed and signed content only: the plaintext body never
    has a name) and renamed over `path` at the end; a failure removes it, and a backup killed half-way leaves at
    most that private partial file, which the next backup to the same name replaces.
    """
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _flush(chunks: list[bytes], body: Any, digest: Any) -> None:
    data = b"".join(chunks)
    body.write(data)
    digest.update(data)
    chunks.clear()


def total_rows() -> int:
    """How many rows the current database holds in backed-up tables (for progress bars)."""
    return sum(model._base_manager.count() for model in backed_up_models())


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of a backup file; raises BackupError when the file is not a Liaison backup."""
    try:
        with gzip.open(path, "rb") as handle:
            first = json.loads(handle.readline())
    except FileNotFoundError as exc:
        raise BackupError(f"no such file: {path}") from exc
    except (OSError, EOFError, ValueError) as exc:
        raise BackupError(f"{path} is not a Liaison backup (not gzip JSON lines: {exc})") from exc
    manifest = first.get("manifest") if isinstance(first, dict) else None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Liaison backup (no manifest on the first line)")
    if manifest.get("format_version") == 1:
        raise BackupError(
            f"{path} is an unsigned backup (format 1, from before backups were signed); Liaison restores only "
            "signed backups. Restore it with the Liaison version that wrote it, then take a new backup"
        )
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} has backup format version {manifest.get('format_version')}; this Liaison "
            f"reads version {FORMAT_VERSION}"
        )
    return manifest


def check_file(path: Path, manifest: dict[str, Any]) -> None:
    """Refuse a file whose content does not match the checksum in its manifest."""
    digest = hashlib.sha256()
    try:
        with gzip.open(path, "rb") as handle:
            handle.readline()
            while block := handle.read(1 << 20):
                digest.update(block)
    except (OSError, EOFError) as exc:
        raise BackupError(f"{path} is damaged or truncated: {exc}") from exc
    if digest.hexdigest() != manifest.get("sha256"):
        raise BackupError(f"{path} does not match its checksum: the file was changed or is incomplete")


def check_target_database() -> None:
    """Refuse to restore unless the database is fully migrated and holds no rows in any backed-up table."""
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise BackupError("the database is not fully migrated; run `liaison migrate` first, then restore")
    busy = [f"{m._meta.label_lower} ({n} rows)" for m in backed_up_models() if (n := m._base_manager.count())]
    if busy:
        raise BackupError(
            "restore needs an empty database, but these tables hold data: "
            + ", ".join(busy[:8])
            + (" ..." if len(busy) > 8 else "")
            + ". Point DATABASE_URL (or LIAISON_DATA_DIR) at "
            "a new database and run `liaison migrate` first."
        )


def check_integrity(path: Path) -> dict[str, Any]:
    """The manifest of a backup that is whole, signed with a known audit key and unchanged since it was written."""
    manifest = read_manifest(path)
    check_signature(path, manifest)
    check_file(path, manifest)
    return manifest


def prepare_restore(path: Path) -> dict[str, Any]:
    """Every check a restore makes before writing anything; returns the backup's manifest."""
    manifest = check_integrity(path)
    check_target_database()
    applied = _applied_migrations()
    newer = [
        f"{app} {name}"
        for app, name in sorted(manifest.get("migrations", {}).items())
        if applied.get(app, "") < name
    ]
    if newer:
        raise BackupError(
            "the backup comes from a newer Liaison (migrations "
            + ", ".join(newer[:5])
            + " are not applied here); upgrade Liaison, migrate, then restore"
        )
    return manifest


def restore_backup(path: Path, *, progress: Progress | None = None) -> BackupReport:
    """Restore a backup into an empty, migrated database, then verify the audit chain and every record.

    The restored head is anchored with reason "restore": anchors of the same chain written before it, past the
    restored head, describe events lost with the restore and no longer count as a truncation.
    """
    progress = progress or (lambda stage, n: None)
    path = Path(path)
    manifest = prepare_restore(path)
    models_by_label = {m._meta.label_lower: m for m in backed_up_models()}
    content_types = {tuple(v): k for k, v in _natural_maps()[0].items()}
    permissions = {tuple(v): k for k, v in _natural_maps()[1].items()}
    report = BackupReport(path=path, sha256=manifest["sha256"], chain_head=manifest.get("audit_chain_head"))
    restored: list[type[models.Model]] = []
    with transaction.atomic(), gzip.open(path, "rt", encoding="utf-8") as handle:
        handle.readline()
        line = handle.readline()
        while line:
            header = json.loads(line)
            label, columns, count = header["table"], header["columns"], header["rows"]
            model = models_by_label.get(MOVED.get(label, label))
            if model is None:
                raise BackupError(
                    f"the backup holds table {label}, which this version of Liaison does not have"
                )
            fields = {f.attname: f for f in model._meta.concrete_fields}
            unknown = [c for c in columns if c not in fields]
            if unknown:
                raise BackupError(f"table {label} in the backup has columns this version lacks: {unknown}")
            natural = {
                c: content_types if fields[c].related_model is ContentType else permissions
                for c in columns
                if fields[c].is_relation and fields[c].related_model in (ContentType, Permission)
            }
            batch: list[models.Model] = []
            for _ in range(count):
                values = json.loads(handle.readline())
                kwargs = {}
                for column, value in zip(columns, values, strict=True):
                    if value is not None and column in natural:
                        key = tuple(value)
                        value = natural[column].get(key)
                        if value is None:
                            raise BackupError(
                                f"{label}: unknown content type or permission {key!r}; migrate first"
                            )
                    elif value is not None and not isinstance(fields[column], models.JSONField):
                        value = fields[column].to_python(value)
                    kwargs[column] = value
                batch.append(model(**kwargs))
                if len(batch) >= BATCH:
                    _insert(model, batch)
                    progress(label, len(batch))
                    batch = []
            _insert(model, batch)
            progress(label, len(batch))
            report.tables[label] = count
            report.total_rows += count
            restored.append(model)
            line = handle.readline()
        _reset_sequences(restored)
    chain = verify_chain()
    records = reconcile()
    expected = manifest.get("audit_chain_head") or {}
    head = chain.head
    same_head = (head is None and not expected) or (
        head is not None and expected.get("seq") == head.seq and expected.get("hash") == head.hash
    )
    report.chain_ok = chain.ok and records.ok and same_head
    messages = [chain.describe(), records.describe()]
    if not same_head:
        messages.append("the restored chain head differs from the one in the backup's manifest")
    report.chain_message = "; ".join(messages)
    if report.chain_ok and head is not None:
        write_anchor("restore", head=head)
    return report


def _insert(model: type[models.Model], objs: list[models.Model]) -> None:
    """Insert rows as they are: raw, so that auto_now fields and save() overrides do not touch them."""
    if not objs:
        return
    fields = list(model._meta.concrete_fields)
    size = connection.ops.bulk_batch_size(fields, objs) or len(objs)
    for start in range(0, len(objs), size):
        # QuerySet._insert is the private call bulk_create makes; the stubs leave it out of Manager.
        model._base_manager._insert(  # type: ignore[attr-defined]
            objs[start : start + size], fields=fields, raw=True, using=connection.alias
        )


def _reset_sequences(restored: list[type[models.Model]]) -> None:
    """PostgreSQL identity sequences must continue after the restored ids (SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), restored)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
