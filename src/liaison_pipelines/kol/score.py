"""`score_area`: one entry point for both engines, so the CLI and the app never choose code paths themselves."""

from __future__ import annotations

from pathlib import Path

from ..tables import PipelineTables
from .common import Area, Progress, ScoreSummary
from .weights import Weights

ENGINES = ("local", "spark")


def score_area(
    tables: PipelineTables,
    area: Area,
    out_dir: Path,
    *,
    weights: Weights = Weights(),  # noqa: B008 (frozen, so one shared default is safe)
    as_of_year: int,
    engine: str = "local",
    progress: Progress | None = None,
) -> ScoreSummary:
    """Score `area` from the tables under `tables.root`; write scores, evidence, payments context and manifest.

    Required tables: articles, authors, mesh, authorships, mesh_tree (FileNotFoundError naming the command
    that makes a missing one). Optional: trials + trial_people + links (the trials component), payments /
    pi_payments + links (payments context); without them that part is 0 or empty. The same inputs give
    byte-identical files. `progress(stage, 1)` is called as stages finish (local engine).
    The Spark engine is imported only here, so the local engine never needs pyspark installed.
    """
    if engine == "local":
        from .local import score_area_local

        return score_area_local(
            tables, area, Path(out_dir), weights=weights, as_of_year=as_of_year, progress=progress
        )
    if engine == "spark":
        from .spark import score_area_spark

        return score_area_spark(
            tables, area, Path(out_dir), weights=weights, as_of_year=as_of_year, progress=progress
        )
    raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
