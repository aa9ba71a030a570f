"""`liaison planning remind`: the standing-interest reminder job from the command line (cron, or by hand)."""

from __future__ import annotations

import datetime as dt

import click

from .common import console, err, fail, setup_django, unapplied_migrations


@click.group()
def planning() -> None:
    """Engagement planning: standing-interest reminders (docs/engagement-planning.md)."""


@planning.command("remind")
@click.option(
    "--date",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Treat this day as today (YYYY-MM-DD): which interests are active, when reminders fall due.",
)
def planning_remind(as_of: dt.datetime | None) -> None:
    """Raise a follow-up for each new publication that matches an active standing interest, once.

    Idempotent: a second run raises nothing new. `liaison worker` runs the same job daily.
    """
    setup_django()
    # Imported after setup_django(): these modules load models, which need the app registry.
    from liaison.core.context import audit_context
    from liaison.planning.actions import remind_standing_interests

    if unapplied_migrations():
        fail("the database is not fully migrated; run `liaison migrate` first")
    with audit_context(actor=None, source="cli", reason="liaison planning remind"):
        run = remind_standing_interests(today=as_of.date() if as_of else None)
    for interest, why in run.skipped.items():
        err.print(f"[yellow]skipped {interest}[/]: {why}")
    console.print(f"Standing interests: {run.summary()}.")
