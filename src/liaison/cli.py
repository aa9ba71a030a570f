"""`liaison`: the one command line for everything an operator does.

    liaison serve | worker | demo | migrate | user add | token | audit verify | backup | restore | manage
    liaison ingest pubmed|trials|payments|nppes|mesh PATH... | kol score | kol links
    liaison safety deliver|reconcile | text detect-ae|train-ae|export-labels|classify-question|reindex
    liaison planning remind

Each command sets up Django (settings from environment variables, see docs/configuration.md), does its work
inside an audit context with source "cli" where it writes, shows a progress bar for long work and ends with a
summary. Exit codes: 0 success, 1 the work failed or found a problem, 2 bad usage (unknown role, user...).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

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


def _validation_text(exc: Exception) -> str:
    from liaison.core.validation import error_messages

    try:
        messages = error_messages(exc)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - fall back to the exception's own text
        return str(exc)
    return "; ".join(
        f"{field}: {' '.join(texts)}" if field != "__all__" else " ".join(texts)
        for field, texts in messages.items()
    )


def _unapplied_migrations() -> int:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)
    call_command("createcachetable", verbosity=0)


def _database_label() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"SQLite {db['NAME']}"
    return f"PostgreSQL {db.get('NAME')} on {db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="liaison", prog_name="liaison")
def main() -> None:
    """Liaison: the system of record for Medical Affairs field teams.

    Settings come from environment variables (DATABASE_URL, LIAISON_DATA_DIR, SECRET_KEY, DEBUG,
    ALLOWED_HOSTS, ...); see docs/configuration.md. Without DATABASE_URL the data lives in
    ./data/liaison.sqlite3.
    """


# -- running ---------------------------------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=lambda: int(os.environ.get("PORT", "8000")),
    show_default="$PORT or 8000",
    help="Port to listen on.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Gunicorn worker processes (default: 2 to 4, from the CPU count).",
)
@click.option(
    "--threads", type=click.IntRange(1, 64), default=2, show_default=True, help="Threads per worker."
)
@click.option("--migrate", "apply_migrations", is_flag=True, help="Apply pending migrations before serving.")
@click.option(
    "--no-worker",
    "no_worker",
    is_flag=True,
    help="Do not start the background worker (run `liaison worker` separately instead).",
)
def serve(
    host: str, port: int, workers: int | None, threads: int, apply_migrations: bool, no_worker: bool
) -> None:
    """Serve the web app and the API with gunicorn, and run the background worker next to it.

    Checks that the database is migrated (or migrates with --migrate), collects static files, then replaces
    this process with gunicorn, whose master process keeps one `liaison worker` running (restarted if it
    dies; `--no-worker` leaves it out). Put a TLS-terminating proxy in front of it in production.
    """
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    pending = _unapplied_migrations()
    if pending and not apply_migrations:
        fail(
            f"{pending} database migration(s) are not applied to {_database_label()}. "
            "Run `liaison migrate` first, or `liaison serve --migrate`."
        )
    if pending:
        console.print(f"Applying {pending} migration(s)...")
        _migrate()
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    workers = workers or max(2, min(4, os.cpu_count() or 2))
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"
    console.print(
        f"[bold green]Liaison[/] serving on [link={url}]{url}[/link] with {workers} workers x {threads} "
        f"threads; database: {_database_label()}"
        + ("" if no_worker else "; with a background worker")
        + ". Press Ctrl+C to stop."
    )
    if getattr(settings, "SECURE_SSL_REDIRECT", False) and host in ("127.0.0.1", "localhost", "::1"):
        console.print(
            "[yellow]Note:[/] HTTPS is on, so plain http:// redirects to https:// and cookies need TLS. "
            "For a local demo without TLS set HTTPS=0 (`make demo` does)."
        )
    sys.stdout.flush()
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "liaison.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--access-logfile",
        "-",
        "--forwarded-allow-ips",
        os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
    ]
    if not no_worker:
        argv += ["--config", "python:liaison.gunicorn_config"]
    os.execv(sys.executable, argv)


@main.command()
@click.option(
    "--queue", default="*", show_default=True, help="Queues to process, comma-separated; * for all."
)
@click.option("--batch", is_flag=True, help="Process every waiting task, then exit (for cron and tests).")
@click.option(
    "--interval",
    type=float,
    default=1.0,
    show_default=True,
    help="Seconds between polls when the queue is empty.",
)
@click.option("--parent-pid", type=int, default=None, hidden=True, help="Stop when this process is gone.")
def worker(queue: str, batch: bool, interval: float, parent_pid: int | None) -> None:
    """Run background jobs (detection, digests, outbox delivery, imports) from the database queue.

    django-tasks-db's queue with leases: a job whose worker died is run again by another worker once the
    lease (LIAISON_WORKER_LEASE_SECONDS) runs out. Every worker also runs the periodic jobs (safety delivery
    and SLA escalation, audit anchors). `liaison serve` starts one; start more for more throughput.
    """
    setup_django()
    from django.utils.crypto import get_random_string

    from liaison.core.worker import LeasedWorker

    if _unapplied_migrations():
        fail("the database is not fully migrated; run `liaison migrate` first")
    console.print(
        f"Liaison worker processing queue(s) {queue!r} from {_database_label()}"
        + (" until the queue is empty." if batch else ". Press Ctrl+C to stop.")
    )
    sys.stdout.flush()
    runner = LeasedWorker(
        queue_names=queue.split(","),
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=not batch,
        max_tasks=None,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
        parent_pid=parent_pid,
    )
    runner.configure_signals()
    if parent_pid is not None:
        # Started by `liaison serve`: Ctrl+C in its terminal reaches this process too, but the server decides
        # when its worker stops (SIGTERM), so that it is not restarted in the middle of shutting down.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    runner.run()


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def migrate(args: tuple[str, ...]) -> None:
    """Create or upgrade the database schema (passes ARGS to Django's migrate), and the cache table."""
    setup_django()
    from django.core.management import call_command

    started = time.monotonic()
    call_command("migrate", *args, interactive=False)
    call_command("createcachetable", verbosity=0)
    console.print(f"Database {_database_label()} is migrated ({time.monotonic() - started:.1f} s).")


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def manage(args: tuple[str, ...]) -> None:
    """Run any Django management command, e.g. `liaison manage check --deploy`."""
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["liaison manage", *args])


# -- demo ------------------------------------------------------------------------------------------------------


@main.command()
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
    from liaison.demo import count_rows, database_is_empty, demo_logins, load_demo, planned_steps

    console.print(f"Preparing {_database_label()}...")
    _migrate()
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


# -- users and tokens ------------------------------------------------------------------------------------------


@main.group()
def user() -> None:
    """Manage users."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role", required=True, help="One of the roles in docs/roles.md, e.g. msl, msl_manager, admin."
)
@click.option(
    "--password",
    default=None,
    help="Initial password. Without it the user gets an unusable "
    "password (API tokens only, or a password set later by an admin).",
)
@click.option("--email", default="", help="E-mail address.")
@click.option("--first-name", default="", help="Given name.")
@click.option("--last-name", default="", help="Family name.")
def user_add(name: str, role: str, password: str | None, email: str, first_name: str, last_name: str) -> None:
    """Create the user NAME with one role."""
    setup_django()
    from django.core.exceptions import ValidationError

    from liaison.accounts.actions import create_user
    from liaison.core.context import audit_context
    from liaison.core.roles import Role

    if role not in Role.values:
        roles = "\n".join(f"  {r.value:<20} {r.label}" for r in Role)
        raise click.BadParameter(f"unknown role {role!r}. Choose one of:\n{roles}", param_hint="'--role'")
    try:
        with audit_context(actor=None, source="cli", reason="liaison user add"):
            created = create_user(
                username=name,
                role=role,
                password=password,
                email=email,
                first_name=first_name,
                last_name=last_name,
            )
    except ValidationError as exc:
        fail(_validation_text(exc))
    login = "can sign in with the given password" if password else "has no password (API tokens only)"
    console.print(f"Created user [bold]{created.username}[/] ({created.role_label()}); {login}.")


def _existing_user(name: str) -> Any:
    """The user NAME (case-insensitive), or a usage error naming `liaison user add`."""
    from django.contrib.auth import get_user_model

    found = get_user_model().objects.filter(username__iexact=name).first()
    if found is None:
        raise click.BadParameter(
            f"no user named {name!r}; create one with `liaison user add`", param_hint="NAME"
        )
    return found


@user.command("reset-second-factor")
@click.argument("name")
@click.option("--reason", required=True, help="Why, for the audit trail (e.g. 'phone lost, ticket 4711').")
def user_reset_second_factor(name: str, reason: str) -> None:
    """Remove the authenticator and recovery codes of NAME (a lost phone, the last administrator's included);
    they set up a new one at their next sign-in."""
    setup_django()
    from liaison.accounts.actions import reset_second_factor
    from liaison.core.context import audit_context

    target = _existing_user(name)
    with audit_context(actor=None, source="cli", reason="liaison user reset-second-factor"):
        removed = reset_second_factor(target, acting_user=None, reason=reason)
    console.print(f"Second factor of [bold]{target.username}[/] reset ({removed} device(s) removed).")


@user.command("unlock")
@click.argument("name")
def user_unlock(name: str) -> None:
    """Lift the sign-in lock-out of NAME after too many failed passwords."""
    setup_django()
    from liaison.accounts.actions import unlock_sign_in
    from liaison.core.context import audit_context

    target = _existing_user(name)
    with audit_context(actor=None, source="cli", reason="liaison user unlock"):
        unlock_sign_in(target, acting_user=None)
    console.print(f"[bold]{target.username}[/] may sign in again.")


@main.command()
@click.argument("name")
@click.option(
    "--label", default="cli", show_default=True, help="What the token is for, shown in token lists."
)
def token(name: str, label: str) -> None:
    """Issue a new API token for the user NAME and print it (it is shown only once).

    Use it as `Authorization: Bearer <token>` against /api/v1/.
    """
    setup_django()
    from django.contrib.auth import get_user_model
    from django.core.exceptions import ValidationError

    from liaison.accounts.actions import create_api_token
    from liaison.core.context import audit_context

    owner = get_user_model().objects.filter(username__iexact=name).first()
    if owner is None:
        raise click.BadParameter(
            f"no user named {name!r}; create one with `liaison user add`", param_hint="NAME"
        )
    if not owner.is_active:
        fail(f"user {owner.username!r} is deactivated; a token for them would not work")
    try:
        with audit_context(actor=None, source="cli", reason="liaison token"):
            stored, raw = create_api_token(owner, name=label)
    except ValidationError as exc:
        fail(_validation_text(exc))
    err.print(
        f"API token {stored.prefix}... for {owner.username} ({owner.role_label()}); store it now, it is "
        "not shown again:"
    )
    click.echo(raw)


# -- audit -----------------------------------------------------------------------------------------------------


@main.group()
def audit() -> None:
    """Check the audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Verify the audit trail: the keyed chain, its anchors outside the database, and every audited record.

    Prints the chain head and what each check found. Exit code 0 when all three hold (the verified head is then
    anchored), 1 when an event was edited, deleted, inserted, reordered or forged, the newest events were cut off
    or re-chained (anchors), or an audited record was changed outside the application (named by table, record and
    field).
    """
    setup_django()
    from liaison.compliance.models import AuditEvent
    from liaison.compliance.verification import verify_all

    started = time.monotonic()
    total = AuditEvent.objects.count()
    with progress_bar("Verifying audit chain", total) as advance:
        done = [0]

        def on_progress(checked: int) -> None:
            advance("events", checked - done[0])
            done[0] = checked

        report = verify_all(chain_progress=on_progress)
    seconds = time.monotonic() - started
    head = report.head
    console.print(
        f"chain head:  #{head.seq} {head.hash} (chain {head.chain_id})"
        if head
        else "chain head:  (no events)"
    )
    mark = {True: "[green]ok[/]  ", False: "[red]FAIL[/]"}
    console.print(f"{mark[report.chain.ok]} chain:   {report.chain.describe()}")
    anchors_line = report.anchors.describe()
    if report.anchors.ok and not report.anchors.checked:
        console.print(f"[yellow]warn[/] anchors: {anchors_line} (run `liaison audit anchor`)")
    else:
        console.print(f"{mark[report.anchors.ok]} anchors: {anchors_line}")
    console.print(f"{mark[report.records.ok]} records: {report.records.describe()}")
    if report.ok:
        console.print(f"[bold green]OK[/] audit trail verified in {seconds:.1f} s ({_database_label()}).")
        return
    for problem in report.problems:
        err.print(f"  - {problem}")
    err.print(f"[bold red]BROKEN[/] the audit trail does not verify ({_database_label()}).")
    sys.exit(1)


@audit.command("anchor")
def audit_anchor() -> None:
    """Append a signed anchor of the chain head to the anchor file (the worker does this on a schedule)."""
    setup_django()
    from liaison.compliance.anchors import anchor_file, write_anchor

    record = write_anchor("liaison audit anchor")
    if record is None:
        console.print("The audit chain is empty: nothing to anchor.")
        return
    console.print(
        f"Anchored head #{record['seq']} {record['hash']} in {anchor_file()} (key {record['key_id']})."
    )


@audit.command("rotate-key")
@click.option(
    "--print", "print_only", is_flag=True, help="Only print a new `id secret` line; change nothing."
)
def audit_rotate_key(print_only: bool) -> None:
    """Add a new audit key that signs from now on; older keys stay to verify what they signed.

    With a key file (LIAISON_AUDIT_KEY_FILE) the new key is appended to it. With LIAISON_AUDIT_KEYS, add the
    printed entry to the variable's end in your secret store and restart. The rotation is recorded in the audit
    trail (signed with the new key) and the head is anchored.
    """
    from liaison.core.audit_keys import new_key_id, new_secret

    key_id, secret = new_key_id(), new_secret()
    if print_only:
        click.echo(f"{key_id} {secret}")
        return
    setup_django()
    from liaison.compliance.anchors import write_anchor
    from liaison.core import audit_keys
    from liaison.core.audit import record_event
    from liaison.core.context import audit_context

    if os.environ.get("LIAISON_AUDIT_KEYS", "").strip():
        fail(
            "the audit keys come from LIAISON_AUDIT_KEYS: append this entry to it in your secret store, restart "
            f"every process, then run `liaison audit anchor`:\n  {key_id}:{secret}"
        )
    old = audit_keys.keyring().current.key_id
    path = audit_keys.key_file()
    audit_keys.append_key_line(
        path, key_id, secret, comment=f"rotated from {old} by liaison audit rotate-key"
    )
    audit_keys.reset()
    with audit_context(actor=None, source="cli", reason="liaison audit rotate-key"):
        record_event(
            "audit.key_rotated",
            action="rotate_key",
            object_type="compliance.chain",
            object_repr=f"audit key {old} -> {key_id}",
            changes={"key_id": [old, key_id]},
        )
    write_anchor("key rotated")
    console.print(f"New audit key {key_id} appended to {path}; it signs from now on (previous: {old}).")


# -- backup and restore ----------------------------------------------------------------------------------------


INGEST_SOURCES = ("pubmed", "trials", "payments", "nppes", "mesh")


@main.command()
@click.argument("source", type=click.Choice(INGEST_SOURCES))
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: $LIAISON_DATA_DIR/pipelines/SOURCE). Tables written elsewhere are not "
    "loaded into the app.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Parser processes (pubmed; default: every core).",
)
@click.option("--no-load", is_flag=True, help="Only write the Parquet tables; do not load them into the app.")
def ingest(
    source: str, paths: tuple[Path, ...], out: Path | None, workers: int | None, no_load: bool
) -> None:
    """Parse public data files (gzip or plain; folders are read whole) into Parquet tables with a manifest,
    then load them into the app.

    Broken files (empty, an HTML error page, a cut download) are skipped, counted and named in the summary;
    the run goes on. Re-running on the same input writes the same tables and changes nothing in the app.
    pubmed also resolves authors into persons (authorships.parquet) and loads publications with their
    authors; trials and payments load studies and Open Payments rows; nppes and mesh have no app table (KOL
    linking and scoring read them from the Parquet files).
    """
    setup_django()
    from django.conf import settings

    from liaison_pipelines.pubmed_run import run_pubmed
    from liaison_pipelines.sources_run import RUNNERS

    out_dir = out or Path(settings.DATA_DIR) / "pipelines" / source
    started = time.monotonic()
    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(f"Ingesting {source}", total=None)
        if source == "pubmed":

            def files_done(done: int, total: int, records: int) -> None:
                bar.update(
                    task, completed=done, total=total, description=f"Ingesting pubmed: {records:,} records"
                )

            manifest = run_pubmed(list(paths), out_dir, workers=workers, progress=files_done)
        else:

            def advance(stage: str, steps: int) -> None:
                bar.update(task, advance=steps, description=f"Ingesting {source}: {stage}")

            manifest = RUNNERS[source](list(paths), out_dir, progress=advance)
    manifest_path = out_dir / f"{manifest.source}.manifest.json"  # each runner writes its manifest
    console.print(manifest.summary())
    console.print(
        f"{manifest.written:,} records written to {out_dir} in {time.monotonic() - started:.1f} s; "
        f"manifest: {manifest_path}"
    )
    if source == "pubmed" and (out_dir / "articles.parquet").exists():
        _resolve_authors(out_dir)
    if no_load:
        console.print("Not loaded into the app (--no-load).")
        return
    if out is not None and out.resolve() != (Path(settings.DATA_DIR) / "pipelines" / source).resolve():
        console.print(
            f"Not loaded into the app: the app loads from {Path(settings.DATA_DIR) / 'pipelines'}, "
            "not from --out."
        )
        return
    _load_into_app(source)


def _resolve_authors(pubmed_dir: Path) -> None:
    """Identity resolution right after a PubMed ingest, so authorships.parquet matches the articles."""
    from liaison.kol.services import resolve_authorships

    started = time.monotonic()
    with console.status("Resolving authors into persons..."):
        rows = resolve_authorships(pubmed_dir)
    console.print(
        f"Resolved {rows:,} author instances into persons in {time.monotonic() - started:.1f} s: "
        f"{pubmed_dir / 'authorships.parquet'}"
    )


def _load_into_app(source: str) -> None:
    """Load the freshly written tables of `source` into the app, with a progress bar and a one-line summary."""
    import pyarrow.parquet as pq

    from liaison.core.context import audit_context
    from liaison.kol import loaders
    from liaison.kol.services import pipeline_tables

    if source in ("nppes", "mesh"):
        what = "NPPES providers" if source == "nppes" else "The MeSH tree"
        console.print(
            f"{what} have no table in the app: KOL linking and scoring read "
            f"{source}/*.parquet directly. Nothing to load."
        )
        return
    if _unapplied_migrations():
        fail(
            "the database is not fully migrated; run `liaison migrate`, then load with `liaison ingest` again"
        )
    tables = pipeline_tables()
    load, table = {
        "pubmed": (loaders.load_publications, tables.articles),
        "trials": (loaders.load_trials, tables.trials),
        "payments": (loaders.load_payments, tables.payments),
    }[source]
    total = pq.ParquetFile(table).metadata.num_rows if table.exists() else None
    started = time.monotonic()
    try:
        with (
            audit_context(actor=None, source="cli", reason=f"liaison ingest {source}"),
            progress_bar(f"Loading {source} into the app", total) as advance,
        ):
            result = load(tables, progress=advance)
    except loaders.TablesMissing as exc:
        fail(str(exc))
    console.print(
        f"Loaded into {_database_label()} in {time.monotonic() - started:.1f} s: {result.summary()}"
    )


# -- KOL intelligence ------------------------------------------------------------------------------------------


@main.group()
def kol() -> None:
    """KOL intelligence: score a therapeutic area, review identity links (docs/kol-scores.md)."""


@kol.command("score")
@click.option("--area", "area_name", required=True, help="Therapeutic area name or code, e.g. oncology.")
@click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    default="local",
    show_default=True,
    help="Scoring engine.",
)
@click.option(
    "--weights",
    "weights_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help='JSON file of weights to override, e.g. {"components": {"network": 0.5}}.',
)
@click.option(
    "--as-of",
    "as_of",
    type=click.IntRange(1900, 2200),
    default=None,
    help="Score as of this year (default: now).",
)
def kol_score(area_name: str, engine: str, weights_file: Path | None, as_of: int | None) -> None:
    """Link persons across sources, score one area and store the result as a new snapshot version.

    Reads the tables under $LIAISON_DATA_DIR/pipelines (made by `liaison ingest`), prints the top 10 with
    their components and the run's summary. Exit code 2 for an unknown area or a bad weights file, 1 when
    tables are missing.
    """
    setup_django()
    from liaison.core.context import audit_context
    from liaison.kol import actions, services

    if _unapplied_migrations():
        fail("the database is not fully migrated; run `liaison migrate` first")
    try:
        area = services.find_area(area_name)
        weights = services.read_weights(weights_file) if weights_file else None
        services.make_weights(weights)  # refuse bad weights before any work
    except (services.UnknownArea, services.BadWeights) as exc:
        fail(str(exc), code=2)
    try:
        with (
            audit_context(actor=None, source="cli", reason=f"liaison kol score --area {area.code}"),
            progress_bar(f"Scoring {area.name}", actions.SCORING_STEPS) as advance,
        ):
            snapshot = actions.run_kol_scoring(
                None, area, weights=weights, as_of_year=as_of, engine=engine, progress=advance
            )
    except actions.ScoringInputError as exc:
        fail(str(exc))
    _print_top(snapshot)


SHORT_COMPONENTS = {
    "publications": "pub",
    "network": "net",
    "trials": "trial",
    "focus": "focus",
    "momentum": "mom",
}


def _print_top(snapshot: Any) -> None:
    from liaison.kol.models import KolScore

    table = Table(
        title=f"{snapshot.area.name}: top 10 of {snapshot.persons:,} persons (snapshot v{snapshot.version}, "
        f"as of {snapshot.as_of_year})",
        title_justify="left",
    )
    top = list(KolScore.objects.filter(snapshot=snapshot).select_related("hcp").order_by("rank")[:10])
    components = [c for c in SHORT_COMPONENTS if c in snapshot.weights.get("components", {})]
    with_hcp = any(score.hcp for score in top)
    table.add_column("#", justify="right")
    table.add_column("name", min_width=18)
    for column in ("score", *(SHORT_COMPONENTS[c] for c in components), "papers", "trials"):
        table.add_column(column, justify="right")
    if with_hcp:
        table.add_column("HCP")
    for score in top:
        points = [f"{score.components.get(c, {}).get('points', 0):.1f}" for c in components]
        row = [
            str(score.rank),
            (score.name or score.person_id) + (" *" if score.rising_star else ""),
            f"{score.score:.1f}",
            *points,
            str(score.area_papers),
            str(score.area_trials),
        ]
        table.add_row(*row, *([score.hcp.full_name if score.hcp else ""] if with_hcp else []))
    console.print(table)
    summary = snapshot.summary
    console.print(
        "Points per component (weight x normalised value / sum of weights; they add up to the score): "
        + ", ".join(f"{SHORT_COMPONENTS[c]} = {c}" for c in components)
        + "; * rising star."
    )
    console.print(
        f"Snapshot v{snapshot.version} of {snapshot.area.name}: {snapshot.persons:,} persons, "
        f"{summary.get('area_articles', 0):,} area articles, {summary.get('area_trials', 0):,} area trials, "
        f"{snapshot.scores.count():,} scores kept in the app; engine {snapshot.engine}, "
        f"{summary.get('seconds_total', 0):.1f} s. Files: {summary.get('directory', '')}"
    )
    links = summary.get("links", {})
    if links:
        console.print(
            f"Identity links: {links.get('created', 0)} new, {links.get('updated', 0)} updated, "
            f"{links.get('unchanged', 0)} unchanged, {links.get('removed', 0)} removed."
        )


@kol.command("links")
def kol_links() -> None:
    """Count identity links by target and status; suggested ones wait for a decision in the app."""
    setup_django()
    from django.db.models import Count

    from liaison.kol.models import IdentityLink, LinkStatus, LinkTarget

    counts = {
        (row["target"], row["status"]): row["n"]
        for row in IdentityLink.objects.values("target", "status").annotate(n=Count("pk"))
    }
    table = Table(title="Identity links", title_justify="left")
    table.add_column("target")
    for status in LinkStatus:
        table.add_column(status.value, justify="right")
    for target in LinkTarget:
        table.add_row(target.label, *(str(counts.get((target.value, s.value), 0)) for s in LinkStatus))
    console.print(table)
    waiting = sum(n for (_, status), n in counts.items() if status == LinkStatus.SUGGESTED)
    console.print(f"{sum(counts.values()):,} links; {waiting:,} suggestions wait for a decision.")


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def backup(path: Path) -> None:
    """Write a portable backup of the whole database to PATH (gzip JSON lines with a manifest).

    Works the same on SQLite and PostgreSQL; restore it with `liaison restore` into either.
    """
    setup_django()
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


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore(path: Path) -> None:
    """Restore the backup at PATH into an empty, migrated database, then verify the audit chain.

    Refuses a database that holds any data, and a file whose checksum does not match. Run `liaison migrate`
    on the new database first.
    """
    setup_django()
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
        f"Restored {report.total_rows} rows into {len(report.tables)} tables of {_database_label()} "
        f"in {seconds:.1f} s."
    )
    if report.chain_ok:
        console.print(f"[bold green]OK[/] {report.chain_message}")
        return
    err.print(f"[bold red]BROKEN[/] {report.chain_message}")
    sys.exit(1)


# -- drug safety and text intelligence -------------------------------------------------------------------------


@main.group()
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
    from liaison.core.context import audit_context
    from liaison.safety import actions, outbox
    from liaison.safety.models import OutboxStatus, SafetyOutbox

    if _unapplied_migrations():
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


@main.group()
def text() -> None:
    """Local text intelligence: the AE detector and its training (docs/safety.md)."""


@text.command("detect-ae")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=256, show_default=True)
def text_detect_ae(batch_size: int) -> None:
    """Screen JSON lines {"id", "text"} from standard input for AEs and special situations.

    Writes one JSON line {"id", "ae", "score", "categories", "spans", ...} per input line, in order. A line
    that is not such an object is reported on standard error with its line number and counted; the run goes
    on and ends with exit code 1. Uses the trained model in $LIAISON_DATA_DIR/models/ae when there is one.
    """
    setup_django()

    from liaison.safety.actions import ae_model_dir
    from liaison_text.ae_detect import load_detector, read_jsonl_records, result_json

    detector = load_detector(ae_model_dir())
    if detector.load_error:
        err.print(f"[yellow]Trained model not usable ({detector.load_error}); using the lexicon layer.[/]")
    bad, batch = 0, []

    def flush() -> None:
        for (record_id, _), result in zip(batch, detector.detect_many([t for _, t in batch]), strict=True):
            click.echo(result_json(record_id, result))
        batch.clear()

    for _, record_id, text, error in read_jsonl_records(sys.stdin):
        if error:
            flush()  # keep the output in input order around the error
            bad += 1
            err.print(error)
            continue
        batch.append((record_id, text or ""))
        if len(batch) >= batch_size:
            flush()
    flush()
    if bad:
        err.print(f"{bad} line(s) could not be read.")
        sys.exit(1)


@text.command("train-ae")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--from-triage", is_flag=True, help="Also train on drug safety's triage decisions in the app.")
@click.option(
    "--target-recall",
    type=click.FloatRange(0.5, 1.0),
    default=0.97,
    show_default=True,
    help="Recall the threshold is chosen for, on held-out text.",
)
@click.option(
    "--method",
    type=click.Choice(["auto", "fine-tune", "linear"]),
    default="auto",
    show_default=True,
    help="fine-tune: train the encoder itself (needs the 'train' extra: torch; CPU, minutes per thousand "
    "texts; far more precise). linear: a linear model over the frozen encoder (seconds). auto: fine-tune "
    "when torch is installed.",
)
@click.option(
    "--epochs", type=click.FloatRange(0.1, 20), default=2.0, show_default=True, help="Fine-tuning passes."
)
def text_train_ae(
    path: Path | None, from_triage: bool, target_recall: float, method: str, epochs: float
) -> None:
    """Train the supervised AE layer on PATH (an ADE-corpus folder or JSON lines {"text", "ae"}) and/or the
    app's triage labels; the model goes to $LIAISON_DATA_DIR/models/ae and `detect-ae` and every save use it.

    Prints recall, precision and F1 at the chosen threshold on held-out text. Exit code 2 without any input,
    or when fine-tuning is asked for and torch is not installed.
    """
    setup_django()
    import json
    import tempfile

    from liaison.safety.actions import ae_model_dir, triage_labels
    from liaison_text.ae_finetune import fine_tune, training_unavailable
    from liaison_text.ae_train import TrainingData, TrainingDataError, read_training_data, train

    if path is None and not from_triage:
        fail("give a PATH, --from-triage, or both", code=2)
    missing = training_unavailable() if method != "linear" else ""
    if method == "fine-tune" and missing:
        fail(missing, code=2)
    tune = method == "fine-tune" or (method == "auto" and not missing)
    examples = TrainingData()
    try:
        sources = [read_training_data(path)] if path is not None else []
        if from_triage:
            with tempfile.TemporaryDirectory() as tmp:
                labels = Path(tmp) / "triage.jsonl"
                labels.write_text("".join(json.dumps(x) + "\n" for x in triage_labels()), encoding="utf-8")
                sources.append(read_training_data(labels))
        for source in sources:
            for (sample, label), document in zip(source, source.documents, strict=True):
                examples.add(sample, label, document)
            examples.bad_lines += source.bad_lines
            examples.conflicts += source.conflicts
        for file, number, reason in examples.bad_lines[:20]:
            err.print(f"{file}:{number}: {reason}")
        if tune:
            # Fine-tuning takes minutes: every progress message is printed, so a log shows where it is.
            report = fine_tune(
                examples, ae_model_dir(), target_recall=target_recall, epochs=epochs, progress=console.print
            )
        else:
            if method == "auto":
                console.print(f"Training the linear model ({missing})")
            with console.status("Training the AE model...") as status:
                report = train(
                    examples, ae_model_dir(), target_recall=target_recall, progress=lambda m: status.update(m)
                )
    except TrainingDataError as exc:
        fail(str(exc))
    table = Table(title=f"AE model written to {report.model_dir}", title_justify="left")
    table.add_column("")
    table.add_column("value", justify="right")
    for name, value in report.as_dict().items():
        table.add_row(name.replace("_", " "), f"{value:.3f}" if isinstance(value, float) else str(value))
    console.print(table)
    console.print(
        f"Held out: recall {report.heldout_recall:.3f}, precision {report.heldout_precision:.3f}, "
        f"F1 {report.heldout_f1:.3f} at threshold {report.threshold:.3f} "
        f"({report.examples:,} examples, {report.bad_lines} unreadable line(s))."
    )


@text.command("export-labels")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def text_export_labels(path: Path) -> None:
    """Write drug safety's triage decisions as JSON lines {"text", "ae"} to PATH (forwarded = AE, closed as
    not an AE = not), for `liaison text train-ae PATH` or any other tool."""
    setup_django()
    import json

    from liaison.safety.actions import triage_labels

    labels = triage_labels()
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in labels), encoding="utf-8")
    positives = sum(x["ae"] for x in labels)
    console.print(
        f"{len(labels)} label(s) written to {path} ({positives} AE, {len(labels) - positives} not)."
    )


@text.command("classify-question")
def text_classify_question() -> None:
    """Propose the question type and drug in focus of medical questions: JSON lines {"id", "text"} on standard
    input, one JSON line {"id", "type", "drug"} out per question, in order (types are the MedicationQA labels).

    The company's products (names and generic names) are looked for first. A line that is not such an object is
    reported on standard error with its line number and counted; the run goes on and ends with exit code 1.
    """
    setup_django()
    import json

    from django.db import DatabaseError

    from liaison.accounts.models import Product
    from liaison_text.ae_detect import read_jsonl_records
    from liaison_text.questions import classify_question

    try:
        product_names = [n for pair in Product.objects.values_list("name", "generic_name") for n in pair if n]
    except DatabaseError:  # no database yet: public drug names only
        product_names = []
    bad = 0
    for _, record_id, text, error in read_jsonl_records(sys.stdin):
        if error:
            bad += 1
            err.print(error)
            continue
        question_type, drug = classify_question(text or "", product_names=product_names)
        click.echo(json.dumps({"id": record_id, "type": question_type, "drug": drug}, ensure_ascii=False))
    if bad:
        err.print(f"{bad} line(s) could not be read.")
        sys.exit(1)


@text.command("reindex")
def text_reindex() -> None:
    """Embed field text that is new or changed, recompute insight themes, near-duplicate links and clusters,
    and rebuild the search index from the database (docs/insight-intelligence.md). Safe to re-run: unchanged
    text is not embedded again. Exit code 1 when the local model is unavailable."""
    setup_django()
    from liaison.core.context import audit_context
    from liaison.intel import services

    started = time.monotonic()
    try:
        with (
            audit_context(actor=None, source="cli", reason="liaison text reindex"),
            console.status("Indexing field text...") as status,
        ):
            report = services.rebuild(progress=lambda stage, n: status.update(f"Indexing: {stage}"))
    except services.model_unavailable() as exc:
        fail(f"the local embedding model is unavailable: {exc}")
    embedded = ", ".join(f"{n} {kind}(s)" for kind, n in report.embedded.items())
    console.print(
        f"Embedded {embedded}; {report.matched} insight(s) matched to themes, {report.links} duplicate link(s), "
        f"{report.clusters} cluster(s); search index holds {report.indexed} record(s) "
        f"({time.monotonic() - started:.1f} s)."
    )


@main.group()
def digests() -> None:
    """Stakeholder digests (docs/stakeholders.md)."""


@digests.command("send")
@click.option("--due", is_flag=True, help="Only stakeholders whose cadence says a digest is due.")
def digests_send(due: bool) -> None:
    """Send digests to internal stakeholders (every active one, or only those due) and log each delivery.
    Exit code 1 when any delivery failed; failed ones are retried by the next run."""
    setup_django()
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


if __name__ == "__main__":  # pragma: no cover
    main()


def _register_app_commands() -> None:
    """Command groups that live with their app (their code imports Django lazily, inside each command)."""
    from liaison.planning.cli import planning

    main.add_command(planning)


_register_app_commands()
