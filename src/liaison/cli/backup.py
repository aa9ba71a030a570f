"""`liaison backup | restore`: a portable backup of the whole database, and restoring it."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from .common import console, database_label, err, fail, progress_bar, setup_django


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def backup(path: Path) -> None:
    """Write a portable backup of the whole database to PATH (gzip JSON lines with a manifest).

    Works the same on SQLite and PostgreSQL; restore it with `liaison restore` into either.
    """
    setup_django()
    # Imported after setup_django(): these modules load models, which need the app registry.
    from liaison import backup as backups

    started = time.monotonic()
    try:
        with progress_bar("Backing up", backups.total_rows()) as advance:
            report = backups.write_backup(path, progress=advance)
    except backups.BackupError as exc:
        fail(str(exc))
    seconds = time.monotonic() - started
    head = report.chain_head or {}
    console.print(f"Backed up {report.total_rows} rows from {len(report.tables)} tables in {seconds:.1f} s.")
    console.print(f"  file:        {path.resolve()} ({path.stat().st_size / 1e6:.2f} MB)")
    console.print(f"  sha256:      {report.sha256}")
    console.print(f"  audit chain: head #{head.get('seq', '-')} {head.get('hash', '(empty)')}")


@click.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore(path: Path) -> None:
    """Restore the backup at PATH into an empty, migrated database, then verify the audit chain.

    Refuses a database that holds any data, and a file whose checksum does not match. Run `liaison migrate`
    on the new database first.
    """
    setup_django()
    # Imported after setup_django(): these modules load models, which need the app registry.
    from liaison import backup as backups

    started = time.monotonic()
    try:
        manifest = backups.prepare_restore(path)
        console.print(
            f"Backup of Liaison {manifest.get('app_version')} from {manifest.get('vendor')}, taken "
            f"{manifest.get('created_at')}: {manifest.get('total_rows')} rows."
        )
        with progress_bar("Restoring", int(manifest.get("total_rows") or 0)) as advance:
            report = backups.restore_backup(path, progress=advance)
    except backups.BackupError as exc:
        fail(str(exc))
    seconds = time.monotonic() - started
    console.print(
        f"Restored {report.total_rows} rows into {len(report.tables)} tables of {database_label()} "
        f"in {seconds:.1f} s."
    )
    if report.chain_ok:
        console.print(f"[bold green]OK[/] {report.chain_message}")
        return
    err.print(f"[bold red]BROKEN[/] {report.chain_message}")
    sys.exit(1)
