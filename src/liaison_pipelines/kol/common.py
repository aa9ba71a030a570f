"""What both KOL engines share, so that the local and the Spark engine write identical files.

Here: the area and summary types, the output schemas, the checks on inputs, the area's descriptor set, the
factor look-ups with their display text (`detail`), rounding, and the last step from raw values per person
to ranked scores. The engines differ only in how they join and aggregate; every number and every word of
an output is defined once, here. Nothing here imports Django, Polars-free callers included: the functions
that take frames take Polars frames (Spark's driver-side results convert through Arrow).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from .. import __version__
from ..inputs import sha256_of
from ..sources.mesh import MeshTree
from ..tables import PipelineTables
from .weights import COMPONENTS, OTHER_PHASE, Weights

DECIMALS = 9
Progress = Callable[[str, int], None]  # (stage, advance): the CLI's progress-bar convention (sources_run)

SCORES_FILE = "scores.parquet"
EVIDENCE_FILE = "evidence.parquet"
PAYMENTS_FILE = "payments_context.parquet"
MANIFEST_FILE = "kol.manifest.json"

LINKED_STATUSES = ("linked", "accepted")
PAYMENT_KIND_PI = "research_pi"  # a research payment naming the person as principal investigator


@dataclass(frozen=True)
class Area:
    """A therapeutic area: a name and the MeSH tree numbers whose subtrees it covers (e.g. Oncology = C04)."""

    name: str
    tree_numbers: tuple[str, ...]


@dataclass
class ScoreSummary:
    """What one scoring run produced and from which inputs (the CLI prints it; the app stores it with the snapshot)."""

    area: str
    persons: int
    area_articles: int
    area_trials: int
    engine: str
    seconds: float
    outputs: dict[str, int] = field(default_factory=dict)  # table file name -> rows
    inputs: dict[str, str] = field(default_factory=dict)  # input table name -> sha256 of the file

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- output schemas ------------------------------------------------------------------------------------------

_S, _F, _I32 = pa.string(), pa.float64(), pa.int32()

SCORES_SCHEMA = pa.schema(
    [
        pa.field("person_id", _S, nullable=False),
        pa.field("rank", _I32, nullable=False),
        pa.field("score", _F, nullable=False),
        *[pa.field(f"{c}_{kind}", _F, nullable=False) for c in COMPONENTS for kind in ("raw", "norm")],
        pa.field("name", _S, nullable=False),
        pa.field("orcid", _S, nullable=False),
        pa.field("area_papers", _I32, nullable=False),
        pa.field("area_trials", _I32, nullable=False),
        pa.field("first_year", _I32),
        pa.field("last_year", _I32),
        pa.field("rising_star", pa.bool_(), nullable=False),
        pa.field("payments_usd", _F, nullable=False),
        pa.field("hcp_id", _S, nullable=False),
    ]
)
EVIDENCE_SCHEMA = pa.schema(
    [
        pa.field("person_id", _S, nullable=False),
        pa.field("component", _S, nullable=False),
        pa.field("source", _S, nullable=False),  # pubmed | clinicaltrials
        pa.field("record_id", _S, nullable=False),  # PMID as text, or NCT id
        pa.field("points", _F, nullable=False),
        pa.field("detail", _S, nullable=False),
    ]
)
PAYMENTS_CONTEXT_SCHEMA = pa.schema(
    [
        pa.field("person_id", _S, nullable=False),
        pa.field("record_id", _S, nullable=False),
        pa.field("program_year", _I32),
        pa.field("manufacturer", _S, nullable=False),
        pa.field("amount_usd", _F, nullable=False),
        pa.field("nature_of_payment", _S, nullable=False),
        pa.field("kind", _S, nullable=False),  # general | research | research_pi
    ]
)

# --- inputs --------------------------------------------------------------------------------------------------

# table -> the command that makes it (named in the error when it is missing)
REQUIRED = {
    "articles": "liaison ingest pubmed PATH...",
    "authors": "liaison ingest pubmed PATH...",
    "mesh": "liaison ingest pubmed PATH...",
    "authorships": "identity resolution after `liaison ingest pubmed PATH...` "
    "(liaison_pipelines.resolve.write_authorships)",
    "mesh_tree": "liaison ingest mesh PATH... (NLM's <year>MeshTree.txt)",
}
OPTIONAL = ("trials", "trial_people", "links", "payments", "pi_payments")


def check_inputs(tables: PipelineTables) -> None:
    """FileNotFoundError naming the command that makes each missing required table, before any work."""
    missing = [(name, cmd) for name, cmd in REQUIRED.items() if not getattr(tables, name).exists()]
    if missing:
        lines = "; ".join(f"{getattr(tables, n)} (made by `{cmd}`)" for n, cmd in missing)
        raise FileNotFoundError(f"KOL scoring needs tables that are missing: {lines}")


def input_checksums(tables: PipelineTables) -> dict[str, str]:
    """sha256 of every input table present, required and optional, by table name (sorted)."""
    return {
        name: sha256_of(getattr(tables, name))
        for name in sorted((*REQUIRED, *OPTIONAL))
        if getattr(tables, name).exists()
    }


def area_descriptors(tables: PipelineTables, area: Area) -> list[str]:
    """Sorted descriptor UIs at or below the area's tree numbers; ValueError when the area matches none."""
    if not area.tree_numbers:
        raise ValueError(f"area {area.name!r} names no MeSH tree numbers")
    found = sorted(MeshTree.from_parquet(tables.mesh_tree).descendants(area.tree_numbers))
    if not found:
        raise ValueError(
            f"area {area.name!r}: no MeSH descriptor at or below {', '.join(area.tree_numbers)} in {tables.mesh_tree}"
        )
    return found


# --- factors and their text ----------------------------------------------------------------------------------

POSITION_LABELS = {
    "sole": "sole author",
    "first": "first author",
    "last": "last author",
    "second": "second author",
    "middle": "middle author",
}


def factor_text(value: float) -> str:
    """How a factor reads in `detail` ('×0.87'): formatted once in Python, so both engines write the same text."""
    return f"×{value:.2f}"


def effective_year(year: int | None, as_of_year: int, weights: Weights) -> int:
    """The year a record counts as: no year -> as_of_year - missing_year_age; a future year -> as_of_year."""
    if year is None:
        return as_of_year - weights.missing_year_age
    return min(int(year), as_of_year)


def recency(age: int, weights: Weights) -> float:
    """0.5 ** (age / half_life_years), age = as_of_year - effective year (never negative)."""
    return 0.5 ** (max(0, age) / weights.half_life_years)


def recency_table(max_age: int, weights: Weights) -> pl.DataFrame:
    """age (0..max_age) -> recency and its text; engines join on it rather than computing powers themselves."""
    ages = list(range(max(0, max_age) + 1))
    values = [recency(a, weights) for a in ages]
    return pl.DataFrame(
        {"age": ages, "recency": values, "recency_text": [factor_text(v) for v in values]},
        schema={"age": pl.Int32, "recency": pl.Float64, "recency_text": pl.String},
    )


def position_table(weights: Weights) -> pl.DataFrame:
    """position kind -> factor, label and factor text."""
    kinds = list(POSITION_LABELS)
    return pl.DataFrame(
        {
            "position_kind": kinds,
            "position_factor": [weights.positions[k] for k in kinds],
            "position_label": [POSITION_LABELS[k] for k in kinds],
            "position_text": [factor_text(weights.positions[k]) for k in kinds],
        }
    )


def publication_type_table(weights: Weights) -> pl.DataFrame:
    """Publication type -> factor (the highest that applies wins; ties by type name)."""
    names = sorted(weights.publication_types)
    return pl.DataFrame(
        {"publication_type": names, "type_factor": [weights.publication_types[n] for n in names]},
        schema={"publication_type": pl.String, "type_factor": pl.Float64},
    )


def topic_factor(major: bool, weights: Weights) -> float:
    return weights.topic_major if major else weights.topic_minor


def topic_label(major: bool) -> str:
    return "major topic" if major else "minor topic"


def best_phase(phases: Iterable[str], weights: Weights) -> tuple[str, float]:
    """The phase of a trial that gives the highest factor (ties by name), or 'no phase' with the 'other' factor."""
    best = ("no phase", weights.trial_phases.get(OTHER_PHASE, 0.8))
    for phase in sorted(set(phases or ())):
        factor = weights.trial_phase(phase)
        if factor > best[1]:
            best = (phase, factor)
    return best


def momentum_windows(as_of_year: int, weights: Weights) -> tuple[tuple[int, int], tuple[int, int]]:
    """(recent, earlier) inclusive year ranges: the last momentum_years years and the momentum_years before."""
    m = weights.momentum_years
    return (as_of_year - m + 1, as_of_year), (as_of_year - 2 * m + 1, as_of_year - m)


# `detail` of each evidence row: a template with positional {} and the text columns that fill it, in order.
# Every column is text made from look-up tables and integers (never a raw float), so engines agree to the byte;
# Spark fills the same template with format_string(template.replace("{}", "%s"), *columns).
DETAIL_TEMPLATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "publications": (
        "{} · {} · {} · {} · {} {} {} {}",
        ("position_label", "type_label", "year_text", "topic_label", "position_text", "type_text",
         "recency_text", "topic_text"),
    ),
    "network_shared": (
        "{} co-author(s) in the area network · flow through this paper + 1/{} of the baseline",
        ("coauthors", "papers"),
    ),
    "network_alone": ("no co-author in the area network · 1/{} of the baseline", ("papers",)),
    "trials": ("{} · {} · {} · {} {} {}", ("role_label", "phase_label", "year_text", "role_text", "phase_text",
                                          "recency_text")),
    "focus": (
        "{} of {} papers in the area · share {}/{} × min(1, {}/{}), split over {} area paper(s)",
        ("area", "total", "area", "total", "area", "focus_min_papers", "area"),
    ),
    "momentum": ("{} · {} · {} {} {}", ("window_text", "year_text", "position_text", "type_text", "topic_text")),
}  # fmt: skip
NO_YEAR = "no year (counted as {})"  # filled with as_of_year - missing_year_age
NO_START_DATE = "no start date (counted as {})"
FUTURE_YEAR = "{} (counted as {})"  # year, as_of_year
RECENT_WINDOW = "recent window {}-{}"
EARLIER_WINDOW = "earlier window {}-{}, subtracted"
NO_TYPE = "no listed publication type"
UNNAMED_ROLE = "investigator"


def round_float(values: np.ndarray) -> np.ndarray:
    return np.round(values, DECIMALS)


# --- from raw values to ranked scores -----------------------------------------------------------------------


def finalise_scores(per_person: pl.DataFrame, *, weights: Weights, as_of_year: int) -> pl.DataFrame:
    """Norms, weighted score, rank and rising-star flag from one row per person; returns SCORES_SCHEMA order.

    `per_person` holds person_id, `<component>_raw` (already rounded), name, orcid, area_papers, area_trials,
    first_year, last_year, payments_usd. Norms are computed from the rounded raws and the score from the
    rounded norms, so that an engine whose sums differ in the last bit still writes the same file.
    """
    frame = per_person
    norms = []
    for c in COMPONENTS:
        raw = frame[f"{c}_raw"].to_numpy().astype(np.float64)
        top = float(raw.max()) if raw.size else 0.0
        norm = round_float(100.0 * raw / top) if top > 0 else np.zeros_like(raw)
        frame = frame.with_columns(pl.Series(f"{c}_norm", norm, dtype=pl.Float64))
        norms.append(norm)
    total = sum(weights.components[c] for c in COMPONENTS)
    score = np.zeros(frame.height, dtype=np.float64)
    for c, norm in zip(COMPONENTS, norms, strict=True):
        score = score + weights.components[c] * norm
    score = round_float(score / total)
    first_rising = as_of_year - weights.rising_career_years + 1
    frame = frame.with_columns(
        pl.Series("score", score, dtype=pl.Float64),
        (
            pl.col("first_year").is_not_null()
            & (pl.col("first_year") >= first_rising)
            & (pl.col("momentum_raw") > 0)
        )
        .fill_null(False)
        .alias("rising_star"),
        pl.lit("").alias("hcp_id"),
    )
    frame = frame.sort(["score", "person_id"], descending=[True, False]).with_row_index("rank", offset=1)
    return frame.select([f.name for f in SCORES_SCHEMA]).cast({"rank": pl.Int32})


def sum_by_key(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unique keys, sums) for `keys` already sorted: sequential sums, so the result never depends on threads."""
    if keys.size == 0:
        return keys, values.astype(np.float64)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[starts], np.add.reduceat(values.astype(np.float64), starts)


# --- writing -------------------------------------------------------------------------------------------------


def write_parquet(frame: pl.DataFrame | pa.Table, path: Path, schema: pa.Schema) -> int:
    """Write with the fixed schema, zstd, fixed row groups, via a temporary name: same rows -> same bytes."""
    table = frame.to_arrow() if isinstance(frame, pl.DataFrame) else frame
    table = table.select(schema.names).cast(schema)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd", row_group_size=1 << 20)
    os.replace(tmp, path)
    return table.num_rows


class EvidenceWriter:
    """evidence.parquet written component by component (each already sorted), so it never sits whole in memory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(path.name + ".tmp")
        self.rows = 0
        self._writer = pq.ParquetWriter(self.tmp, EVIDENCE_SCHEMA, compression="zstd")

    def write(self, frame: pl.DataFrame) -> None:
        table = frame.to_arrow().select(EVIDENCE_SCHEMA.names).cast(EVIDENCE_SCHEMA)
        for start in range(0, table.num_rows, 1 << 20):
            self._writer.write_table(table.slice(start, 1 << 20))
        self.rows += table.num_rows

    def close(self) -> int:
        self._writer.close()
        os.replace(self.tmp, self.path)
        return self.rows


def write_manifest(
    out_dir: Path,
    *,
    area: Area,
    engine: str,
    weights: Weights,
    as_of_year: int,
    inputs: dict[str, str],
    outputs: dict[str, int],
    counts: dict[str, int],
) -> Path:
    """kol.manifest.json: inputs with checksums, counts, weights, as_of_year, code version.

    No timestamps or timings (those are in the returned ScoreSummary): the same inputs give the same bytes.
    The pipelines' Manifest class stamps start and finish times, so it is not reused here.
    """
    data = {
        "source": "kol",
        "code_version": __version__,
        "engine": engine,
        "area": {"name": area.name, "tree_numbers": list(area.tree_numbers)},
        "as_of_year": as_of_year,
        "weights": weights.to_dict(),
        "inputs": inputs,
        "outputs": outputs,
        "counts": counts,
    }
    path = out_dir / MANIFEST_FILE
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
