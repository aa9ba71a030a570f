"""`liaison ingest SOURCE PATH...`: parse public data files into Parquet tables and load them into the app."""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .common import console, database_label, fail, progress_bar, setup_django, unapplied_migrations

INGEST_SOURCES = ("pubmed", "trials", "payments", "nppes", "mesh")


@click.command()
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
    # Imported here: the CLI loads no Django code until a command has set Django up.
    from liaison.kol.pipelines import resolve_authorships

    started = time.monotonic()
    with console.status("Resolving authors into persons..."):
        rows = resolve_authorships(pubmed_dir)
    console.print(
        f"Resolved {rows:,} author instances into persons in {time.monotonic() - started:.1f} s: "
        f"{pubmed_dir / 'authorships.parquet'}"
    )


def _load_into_app(source: str) -> None:
    """Load the freshly written tables of `source` into the app, with a progress bar and a one-line summary."""
    # Imported here: the CLI loads no Django code until a command has set Django up.
    import pyarrow.parquet as pq

    from liaison.core.context import audit_context
    from liaison.kol import loaders
    from liaison.kol.pipelines import pipeline_tables

    if source in ("nppes", "mesh"):
        what = "NPPES providers" if source == "nppes" else "The MeSH tree"
        console.print(
            f"{what} have no table in the app: KOL linking and scoring read "
            f"{source}/*.parquet directly. Nothing to load."
        )
        return
    if unapplied_migrations():
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
    console.print(f"Loaded into {database_label()} in {time.monotonic() - started:.1f} s: {result.summary()}")
