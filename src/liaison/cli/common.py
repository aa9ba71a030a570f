"""What every `liaison` command shares: the consoles, Django setup, progress bars, errors, migrations."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

# soft_wrap: messages keep their lines whole when piped, so logs and grep see one line per message.
console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def setup_django() -> None:
    """Point Django at Liaison's settings and load the apps (idempotent)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
    import django

    django.setup()


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Callable[[str, int], None]]:
    """A rich progress bar; yields `advance(stage, steps)`."""
    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(description, total=total)

        def advance(stage: str, steps: int) -> None:
            progress.update(task, advance=steps, description=f"{description}: {stage}")

        yield advance
        progress.update(task, description=description, completed=total if total is not None else None)


def fail(message: str, code: int = 1) -> None:
    """Print an error for the operator and exit with `code`."""
    err.print(f"[bold red]Error:[/] {message}")
    sys.exit(code)


def validation_text(exc: Exception) -> str:
    """A ValidationError as one line for the operator: `field: message; ...`."""
    # Imported here: the CLI loads no Django code until a command has set Django up.
    from liaison.core.validation import error_messages

    try:
        messages = error_messages(exc)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - fall back to the exception's own text
        return str(exc)
    return "; ".join(
        f"{field}: {' '.join(texts)}" if field != "__all__" else " ".join(texts)
        for field, texts in messages.items()
    )


def unapplied_migrations() -> int:
    """How many migrations the database still lacks."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def run_migrations(verbosity: int = 0) -> None:
    """Apply every pending migration, then create the cache table."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)
    call_command("createcachetable", verbosity=0)


def database_label() -> str:
    """The database in words, e.g. `SQLite /path/liaison.sqlite3`, for the operator's messages."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"SQLite {db['NAME']}"
    return f"PostgreSQL {db.get('NAME')} on {db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"
