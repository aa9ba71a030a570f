"""`liaison digests send`: stakeholder digests."""

from __future__ import annotations

import sys

import click

from .common import console, setup_django


@click.group()
def digests() -> None:
    """Stakeholder digests (docs/stakeholders.md)."""


@digests.command("send")
@click.option("--due", is_flag=True, help="Only stakeholders whose cadence says a digest is due.")
def digests_send(due: bool) -> None:
    """Send digests to internal stakeholders (every active one, or only those due) and log each delivery.
    Exit code 1 when any delivery failed; failed ones are retried by the next run."""
    setup_django()
    # Imported after setup_django(): these modules load models, which need the app registry.
    from liaison.core.context import audit_context
    from liaison.stakeholders.actions import describe, send_due_digests

    with audit_context(actor=None, source="cli", reason="liaison digests send"):
        deliveries = send_due_digests(acting_user=None, due_only=due)
    for d in deliveries:
        row = describe(d)
        console.print(
            f"{row['status']:<6} {row['stakeholder']} <{row['recipient']}>: {row['insights']} insight(s)"
        )
    failed = sum(d.status == "failed" for d in deliveries)
    console.print(f"{len(deliveries)} digest(s), {failed} failed.")
    if failed:
        sys.exit(1)
