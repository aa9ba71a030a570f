"""`liaison safety deliver | reconcile`: the drug safety outbox and the SLA reconciliation."""

from __future__ import annotations

import sys

import click
from rich.table import Table

from .common import console, err, fail, setup_django, unapplied_migrations


@click.group()
def safety() -> None:
    """Drug safety: deliver the forwarding outbox, reconcile against the SLA (docs/safety.md)."""


@safety.command("deliver")
@click.option("--retry-failed", is_flag=True, help="Put failed outbox rows back in the queue first.")
def safety_deliver(retry_failed: bool) -> None:
    """Run the delivery job once: send due outbox rows, collect acknowledgements, escalate against the SLA.

    The same work `liaison worker` does in the background. Exit code 1 when a row is marked failed (it needs
    an operator: check the channel settings, then run again with --retry-failed).
    """
    setup_django()
    # Imported after setup_django(): these modules load models, which need the app registry.
    from liaison.core.context import audit_context
    from liaison.safety import actions, outbox
    from liaison.safety.models import OutboxStatus, SafetyOutbox

    if unapplied_migrations():
        fail("the database is not fully migrated; run `liaison migrate` first")
    with audit_context(actor=None, source="cli", reason="liaison safety deliver"):
        if retry_failed:
            console.print(f"{actions.retry_failed()} failed row(s) put back in the queue.")
        run = outbox.deliver()
    for key, error in run.errors.items():
        err.print(f"[yellow]{key}[/]: {error}")
    console.print(f"Safety outbox: {run.summary()}.")
    failed = SafetyOutbox.objects.filter(status=OutboxStatus.FAILED).count()
    if failed:
        err.print(f"[bold red]{failed} outbox row(s) failed[/]: see `liaison safety reconcile`.")
        sys.exit(1)


@safety.command("reconcile")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
def safety_reconcile(as_json: bool) -> None:
    """List every report not acknowledged by the safety database within its SLA from Day 0.

    Exit code 1 when there is any (for monitoring), 0 when none.
    """
    setup_django()
    # Imported after setup_django(): these modules load models, which need the app registry.
    import json

    from liaison.safety.reconcile import unacknowledged_past_sla

    rows = unacknowledged_past_sla()
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
    else:
        table = Table(title="Safety reports unacknowledged past the SLA", title_justify="left")
        for column in ("report", "day 0", "hours", "status", "outbox", "attempts", "last error"):
            table.add_column(
                column, justify="right" if column in ("hours", "attempts") else "left", overflow="fold"
            )
        for row in rows:
            table.add_row(
                row["report"][:8],
                row["day_zero"][:16],
                f"{row['hours_since_day_zero']:.1f}",
                row["status"],
                row["outbox_status"] or "not forwarded",
                str(row["attempts"]),
                row["last_error"][:60],
            )
        console.print(table)
        console.print(f"{len(rows)} report(s) unacknowledged past the SLA.")
    if rows:
        sys.exit(1)
