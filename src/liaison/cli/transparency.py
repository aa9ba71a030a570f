"""`liaison transparency export|import`: the disclosure files and the payment import from the command line.

Both act as a named user (`--as`), whose role must allow it (export: compliance, auditor, admin; import:
compliance, admin): the ledger's row policy and permissions apply as they do on the web.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from .common import console, err, fail, setup_django, unapplied_migrations, validation_text

if TYPE_CHECKING:
    from liaison.accounts.models import User

EXPORT_KINDS = ("cms-general", "cms-research", "efpia")


def _user(username: str) -> User:
    """The active user acting through the command; exit 2 when there is none by that name."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username__iexact=username, is_active=True).first()
    if user is None:
        fail(f"no active user {username!r}", code=2)
    return cast("User", user)


@click.group()
def transparency() -> None:
    """Transfers of value: disclosure files and imports (docs/transparency.md)."""


@transparency.command("export")
@click.option("--kind", type=click.Choice(EXPORT_KINDS), required=True, help="Which file.")
@click.option("--year", type=click.IntRange(2000, 2100), required=True, help="Program (calendar) year.")
@click.option(
    "--country", default="US", show_default=True, help="EFPIA: the disclosure's country (ISO code)."
)
@click.option(
    "--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="CSV to write."
)
@click.option("--as", "username", required=True, help="The user exporting (compliance, auditor or admin).")
def transparency_export(kind: str, year: int, country: str, out: Path, username: str) -> None:
    """Write a CMS Open Payments file (general or research payments) or an EFPIA disclosure as CSV, and list
    the transfers refused by the file's rules (exit 1 when there are any)."""
    setup_django()
    # Imported after setup_django(): these modules load models, which need the app registry.
    from liaison.core.permissions import PermissionDenied
    from liaison.transparency.exports import build_export

    if unapplied_migrations():
        fail("the database is not fully migrated; run `liaison migrate` first")
    user = _user(username)
    try:
        result = build_export(user, kind=kind, year=year, country=country)
    except PermissionDenied as exc:
        fail(f"{username}: {exc}", code=2)
        return
    out.write_text(result.to_csv(), encoding="utf-8")
    for r in result.refusals:
        err.print(f"[yellow]refused[/] {r.transfer} ({r.recipient}) {r.field}: {r.message}")
    console.print(f"{out}: {result.summary()}.")
    if result.refusals:
        raise SystemExit(1)


@transparency.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would happen and write nothing.")
@click.option("--as", "username", required=True, help="The user importing (compliance or admin).")
def transparency_import(path: Path, dry_run: bool, username: str) -> None:
    """Import a CSV of transfers (columns in docs/transparency.md). Every row is created, found unchanged or
    refused by line and field; importing the same file again changes nothing. Exit 1 when rows were refused."""
    setup_django()
    # Imported after setup_django(): these modules load models, which need the app registry.
    from django.core.exceptions import ValidationError

    from liaison.core.context import audit_context
    from liaison.core.permissions import PermissionDenied
    from liaison.transparency.actions import import_transfers

    if unapplied_migrations():
        fail("the database is not fully migrated; run `liaison migrate` first")
    user = _user(username)
    with console.status(f"Importing {path.name}{' (dry run)' if dry_run else ''}..."):
        try:
            with audit_context(actor=user, source="cli", reason=f"liaison transparency import {path.name}"):
                report = import_transfers(acting_user=user, data=path.read_bytes(), dry_run=dry_run)
        except PermissionDenied as exc:
            fail(f"{username}: {exc}", code=2)
            return
        except ValidationError as exc:
            fail(validation_text(exc))
            return
    for r in report.refused:
        err.print(f"[yellow]line {r.line}[/] {r.field}: {r.message}")
    console.print(f"{path.name}: {report.summary()}{' (dry run: nothing written)' if dry_run else ''}.")
    if report.refused:
        raise SystemExit(1)
