"""`liaison serve | worker | migrate | manage`: run the app, its background worker and Django commands."""

from __future__ import annotations

import os
import signal
import sys
import time

import click

from .common import console, database_label, fail, run_migrations, setup_django, unapplied_migrations


@click.command()
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

    pending = unapplied_migrations()
    if pending and not apply_migrations:
        fail(
            f"{pending} database migration(s) are not applied to {database_label()}. "
            "Run `liaison migrate` first, or `liaison serve --migrate`."
        )
    if pending:
        console.print(f"Applying {pending} migration(s)...")
        run_migrations()
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    workers = workers or max(2, min(4, os.cpu_count() or 2))
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"
    console.print(
        f"[bold green]Liaison[/] serving on [link={url}]{url}[/link] with {workers} workers x {threads} "
        f"threads; database: {database_label()}"
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


@click.command()
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
    # Imported after setup_django(): these modules load models, which need the app registry.
    from django.utils.crypto import get_random_string

    from liaison.core.worker import LeasedWorker

    if unapplied_migrations():
        fail("the database is not fully migrated; run `liaison migrate` first")
    console.print(
        f"Liaison worker processing queue(s) {queue!r} from {database_label()}"
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


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def migrate(args: tuple[str, ...]) -> None:
    """Create or upgrade the database schema (passes ARGS to Django's migrate), and the cache table."""
    setup_django()
    from django.core.management import call_command

    started = time.monotonic()
    call_command("migrate", *args, interactive=False)
    call_command("createcachetable", verbosity=0)
    console.print(f"Database {database_label()} is migrated ({time.monotonic() - started:.1f} s).")


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def manage(args: tuple[str, ...]) -> None:
    """Run any Django management command, e.g. `liaison manage check --deploy`."""
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["liaison manage", *args])
