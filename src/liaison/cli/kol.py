"""`liaison kol score | links`: KOL scoring of a therapeutic area and the identity links."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from .common import console, fail, progress_bar, setup_django, unapplied_migrations


@click.group()
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
    # Imported after setup_django(): these modules load models, which need the app registry.
    from liaison.core.context import audit_context
    from liaison.kol import actions, pipelines

    if unapplied_migrations():
        fail("the database is not fully migrated; run `liaison migrate` first")
    try:
        area = pipelines.find_area(area_name)
        weights = pipelines.read_weights(weights_file) if weights_file else None
        pipelines.make_weights(weights)  # refuse bad weights before any work
    except (pipelines.UnknownArea, pipelines.BadWeights) as exc:
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
    # Imported here: the CLI loads no Django code until a command has set Django up.
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
    # Imported after setup_django(): these modules load models, which need the app registry.
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
