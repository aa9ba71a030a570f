"""`liaison`: the one command line for everything an operator does.

    liaison serve | worker | demo | migrate | user add | token | audit verify | backup | restore | manage
    liaison ingest pubmed|trials|payments|nppes|mesh PATH... | kol score | kol links
    liaison safety deliver|reconcile | text detect-ae|train-ae|export-labels|classify-question|reindex
    liaison planning remind | transparency export|import | programs portal-link

Each command sets up Django (settings from environment variables, see docs/configuration.md), does its work
inside an audit context with source "cli" where it writes, shows a progress bar for long work and ends with a
summary. Exit codes: 0 success, 1 the work failed or found a problem, 2 bad usage (unknown role, user...).

Each command group lives in its own module of this package and is mounted on `main` below; common.py holds
what they share (the consoles, Django setup, progress bars, `fail`, migrations).
"""

from __future__ import annotations

import click

from . import (
    audit,
    backup,
    demo,
    digests,
    ingest,
    kol,
    planning,
    programs,
    safety,
    serve,
    text,
    transparency,
    users,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="liaison", prog_name="liaison")
def main() -> None:
    """Liaison: the system of record for Medical Affairs field teams.

    Settings come from environment variables (DATABASE_URL, LIAISON_DATA_DIR, SECRET_KEY, DEBUG,
    ALLOWED_HOSTS, ...); see docs/configuration.md. Without DATABASE_URL the data lives in
    ./data/liaison.sqlite3.
    """


main.add_command(serve.serve)
main.add_command(serve.worker)
main.add_command(serve.migrate)
main.add_command(serve.manage)
main.add_command(demo.demo)
main.add_command(users.user)
main.add_command(users.token)
main.add_command(audit.audit)
main.add_command(ingest.ingest)
main.add_command(kol.kol)
main.add_command(backup.backup)
main.add_command(backup.restore)
main.add_command(safety.safety)
main.add_command(text.text)
main.add_command(digests.digests)
main.add_command(planning.planning)
main.add_command(transparency.transparency)
main.add_command(programs.programs)
