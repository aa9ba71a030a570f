"""`liaison demo`: load the demo data set and print the demo logins."""

from __future__ import annotations

import click
from rich.table import Table

from .common import console, database_label, progress_bar, run_migrations, setup_django


@click.command()
@click.option(
    "--size",
    type=click.Choice(["full", "small"]),
    default="full",
    show_default=True,
    help="How much demo data to load (small is for quick tries and tests).",
)
def demo(size: str) -> None:
    """Migrate, then load the demo data set into an empty database, and print the demo logins.

    People and places come from real public data (CMS Open Payments, PubMed, ClinicalTrials.gov, MeSH); the
    company, its products and all field activity are fictional. Safe to run again: a database that already
    holds data is left as it is. The shared demo password is for local demos only.
    """
    setup_django()
    # Imported after setup_django(): these modules load models, which need the app registry.
    from liaison.demo import count_rows, database_is_empty, demo_logins, load_demo, planned_steps

    console.print(f"Preparing {database_label()}...")
    run_migrations()
    if database_is_empty():
        with progress_bar("Loading demo data", planned_steps(size)) as advance:
            summary = load_demo(size=size, progress=advance)
        _print_counts(f"Demo data loaded in {summary.seconds:.1f} s", summary.counts)
    else:
        console.print("The database already holds data; the demo data set was not loaded again.")
        _print_counts("Current contents", count_rows())
    _print_logins(demo_logins())


def _print_counts(title: str, counts: dict[str, int]) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("records")
    table.add_column("count", justify="right")
    for label, count in counts.items():
        table.add_row(label, str(count))
    console.print(table)


def _print_logins(logins: list[tuple[str, str, str]]) -> None:
    from django.contrib.auth import get_user_model

    existing = set(
        get_user_model()
        .objects.filter(username__in=[u for u, _, _ in logins])
        .values_list("username", flat=True)
    )
    table = Table(
        title="Demo logins",
        caption="Demo only: never use this password on a real system.",
        title_justify="left",
        caption_justify="left",
    )
    for column in ("username", "role", "password"):
        table.add_column(column)
    for username, role, password in logins:
        if username in existing:
            table.add_row(username, role, password)
    console.print(table)
