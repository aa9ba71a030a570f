"""The local KOL engine: Polars for joins and aggregations (all cores), SciPy sparse for the PageRank.

Memory: inputs are scanned lazily and cut to the area's rows before anything is held; persons are handled as
integer indices (assigned in person_id order) until the outputs are written; evidence is written one
component at a time. Float sums that reach an output are taken sequentially over sorted rows
(`common.sum_by_key`), never by a multi-threaded group-by, so reruns write byte-identical files.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import numpy as np
import polars as pl

from ..tables import PipelineTables
from . import common
from .common import (
    EVIDENCE_FILE,
    LINKED_STATUSES,
    PAYMENT_KIND_PI,
    PAYMENTS_FILE,
    SCORES_FILE,
    Area,
    Progress,
    ScoreSummary,
    factor_text,
)
from .pagerank import incidence_pagerank
from .weights import COMPONENTS, Weights


def score_area_local(
    tables: PipelineTables,
    area: Area,
    out_dir: Path,
    *,
    weights: Weights,
    as_of_year: int,
    progress: Progress | None = None,
) -> ScoreSummary:
    """Score one area from the tables under `tables.root` into `out_dir` (see kol.score_area)."""
    started = time.perf_counter()
    common.check_inputs(tables)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    def tick(stage: str) -> None:
        if progress is not None:
            progress(stage, 1)

    inputs = common.input_checksums(tables)
    descriptors = common.area_descriptors(tables, area)
    articles = _area_articles(tables, descriptors, weights, as_of_year)
    tick("area articles")
    pubs = _publication_points(tables, articles, weights)
    trials, n_area_trials = _trial_points(tables, descriptors, weights, as_of_year)
    tick("publications and trials")

    # Persons: everyone with an area paper or a linked area trial, indexed in person_id order.
    persons = (
        pl.concat([pubs.select("person_id"), trials.select("person_id")])
        .unique()
        .sort("person_id")
        .with_row_index("person_idx")
    )
    person_ids = persons["person_id"]
    pubs = _to_index(pubs, persons)
    trials = _to_index(trials, persons)

    evidence = common.EvidenceWriter(out_dir / EVIDENCE_FILE)
    raws: dict[str, pl.DataFrame] = {}
    network_counts: dict[str, int] = {}
    for component in COMPONENTS:
        if component == "publications":
            frame = _publication_evidence(pubs)
        elif component == "network":
            frame, network_counts = _network_evidence(pubs, weights)
        elif component == "trials":
            frame = trials.select("person_idx", "record_id", "points", "detail")
        elif component == "focus":
            frame = _focus_evidence(tables, pubs, person_ids, weights)
        else:
            frame = _momentum_evidence(pubs, weights, as_of_year)
        frame = frame.sort("person_idx", "record_id")
        raws[component] = _raw(frame, component)
        evidence.write(
            frame.select(
                pl.col("person_idx"),
                pl.lit(component).alias("component"),
                pl.lit("clinicaltrials" if component == "trials" else "pubmed").alias("source"),
                "record_id",
                pl.col("points").round(common.DECIMALS),
                "detail",
            ).pipe(_with_person_id, person_ids)
        )
        tick(component)
    evidence_rows = evidence.close()

    payments, payments_usd = _payments_context(tables, persons)
    payments_rows = common.write_parquet(payments, out_dir / PAYMENTS_FILE, common.PAYMENTS_CONTEXT_SCHEMA)

    per_person = persons.join(_person_facts(tables, pubs, trials, persons), on="person_idx", how="left")
    for component in COMPONENTS:
        per_person = per_person.join(raws[component], on="person_idx", how="left")
    per_person = per_person.join(payments_usd, on="person_idx", how="left").with_columns(
        *[pl.col(f"{c}_raw").fill_null(0.0) for c in COMPONENTS],
        pl.col("payments_usd").fill_null(0.0),
        pl.col("area_papers").fill_null(0),
        pl.col("area_trials").fill_null(0),
        pl.col("name").fill_null(""),
        pl.col("orcid").fill_null(""),
    )
    scores = common.finalise_scores(per_person, weights=weights, as_of_year=as_of_year)
    scores_rows = common.write_parquet(scores, out_dir / SCORES_FILE, common.SCORES_SCHEMA)
    tick("scores")

    outputs = {SCORES_FILE: scores_rows, EVIDENCE_FILE: evidence_rows, PAYMENTS_FILE: payments_rows}
    counts = {
        "persons": scores_rows,
        "area_articles": articles.height,
        "area_trials": n_area_trials,
        "area_authorships": pubs.height,
        **network_counts,
    }
    common.write_manifest(
        out_dir,
        area=area,
        engine="local",
        weights=weights,
        as_of_year=as_of_year,
        inputs=inputs,
        outputs=outputs,
        counts=counts,
    )
    return ScoreSummary(
        area=area.name,
        persons=scores_rows,
        area_articles=articles.height,
        area_trials=n_area_trials,
        engine="local",
        seconds=round(time.perf_counter() - started, 3),
        outputs=outputs,
        inputs=inputs,
    )


# --- records that count ----------------------------------------------------------------------------------------


def _detail(kind: str, **literals: object) -> pl.Expr:
    """The `detail` text of common.DETAIL_TEMPLATES[kind]; `literals` fill fields that are constants."""
    template, fields = common.DETAIL_TEMPLATES[kind]
    columns = [pl.lit(str(literals[f])) if f in literals else pl.col(f) for f in fields]
    return pl.format(template, *columns)


def _year_columns(
    year: str, as_of_year: int, weights: Weights, missing: str = common.NO_YEAR
) -> list[pl.Expr]:
    """year_eff (no year -> as_of - missing_year_age, future -> as_of), age, and the year as `detail` shows it."""
    y = pl.col(year)
    eff = (
        pl.when(y.is_null())
        .then(pl.lit(as_of_year - weights.missing_year_age))
        .otherwise(pl.min_horizontal(y, pl.lit(as_of_year)))
        .cast(pl.Int32)
    )
    text = (
        pl.when(y.is_null())
        .then(pl.lit(missing.format(as_of_year - weights.missing_year_age)))
        .when(y > as_of_year)
        .then(pl.format(common.FUTURE_YEAR, y, pl.lit(as_of_year)))
        .otherwise(y.cast(pl.String))
    )
    return [eff.alias("year_eff"), (as_of_year - eff).cast(pl.Int32).alias("age"), text.alias("year_text")]


def _with_recency(frame: pl.DataFrame, weights: Weights) -> pl.DataFrame:
    max_age = int(cast(int | None, frame["age"].max()) or 0) if frame.height else 0  # an integer column
    return frame.join(common.recency_table(max_age, weights), on="age", how="left")


def _area_articles(
    tables: PipelineTables, descriptors: list[str], weights: Weights, as_of_year: int
) -> pl.DataFrame:
    """One row per area article: year, publication-type factor and label, recency, topic factor, with texts."""
    topics = (
        pl.scan_parquet(tables.mesh)
        .select("pmid", "descriptor_ui", "major")
        .filter(pl.col("descriptor_ui").is_in(descriptors))
        .group_by("pmid")
        .agg(pl.col("major").fill_null(False).any())
    )
    articles = (
        pl.scan_parquet(tables.articles)
        .select("pmid", "year", "publication_types")
        .join(topics, on="pmid", how="inner")
        .collect()
    )
    types = (
        articles.lazy()
        .select("pmid", pl.col("publication_types").alias("publication_type"))
        .explode("publication_type")
        .join(common.publication_type_table(weights).lazy(), on="publication_type", how="inner")
        .group_by("pmid")
        .agg(
            pl.col("type_factor").max(),
            pl.col("publication_type")
            .sort_by(["type_factor", "publication_type"], descending=[True, False])
            .first()
            .alias("type_label"),
        )
        .collect()
    )
    articles = (
        articles.drop("publication_types")
        .join(types, on="pmid", how="left")
        .with_columns(
            pl.col("type_factor").fill_null(weights.publication_type_other),
            pl.col("type_label").fill_null(common.NO_TYPE),
            *_year_columns("year", as_of_year, weights),
            pl.when(pl.col("major"))
            .then(pl.lit(weights.topic_major))
            .otherwise(pl.lit(weights.topic_minor))
            .alias("topic_factor"),
            pl.when(pl.col("major"))
            .then(pl.lit(common.topic_label(True)))
            .otherwise(pl.lit(common.topic_label(False)))
            .alias("topic_label"),
        )
    )
    type_text = {f: factor_text(f) for f in articles["type_factor"].unique().to_list()}
    topic_text = {
        weights.topic_major: factor_text(weights.topic_major),
        weights.topic_minor: factor_text(weights.topic_minor),
    }
    articles = articles.with_columns(
        pl.col("type_factor").replace_strict(type_text, return_dtype=pl.String).alias("type_text"),
        pl.col("topic_factor").replace_strict(topic_text, return_dtype=pl.String).alias("topic_text"),
    )
    return _with_recency(articles, weights).sort("pmid")


def _publication_points(tables: PipelineTables, articles: pl.DataFrame, weights: Weights) -> pl.DataFrame:
    """One row per (person, area article): the author position's factor and the paper's factors joined on.

    A person met twice on one paper (identity resolution can merge two instances) counts once, with the
    better position. The author-list length comes from authors.parquet (collective authors keep their place,
    so "last author" means last in the list as PubMed prints it).
    """
    area_pmids = articles.lazy().select("pmid")
    list_length = (
        pl.scan_parquet(tables.authors)
        .select("pmid", "author_position")
        .join(area_pmids, on="pmid", how="semi")
        .group_by("pmid")
        .agg(pl.col("author_position").max().alias("n_list"))
    )
    pos, n = pl.col("author_position"), pl.col("n_list")
    pairs = (
        pl.scan_parquet(tables.authorships)
        .select("person_id", "pmid", "author_position")
        .join(area_pmids, on="pmid", how="semi")
        .join(list_length, on="pmid", how="left")
        .with_columns(pl.max_horizontal(n, pos.max().over("pmid")).alias("n_list"))
        .with_columns(
            pl.when(n == 1)
            .then(pl.lit("sole"))
            .when(pos == 1)
            .then(pl.lit("first"))
            .when(pos == n)
            .then(pl.lit("last"))
            .when(pos == 2)
            .then(pl.lit("second"))
            .otherwise(pl.lit("middle"))
            .alias("position_kind")
        )
        .join(common.position_table(weights).lazy(), on="position_kind", how="left")
        .sort(
            ["person_id", "pmid", "position_factor", "author_position"],
            descending=[False, False, True, False],
        )
        .unique(["person_id", "pmid"], keep="first", maintain_order=True)
        .collect()
    )
    return pairs.join(articles, on="pmid", how="inner").with_columns(
        (
            pl.col("position_factor") * pl.col("type_factor") * pl.col("recency") * pl.col("topic_factor")
        ).alias("points"),
        pl.col("pmid").cast(pl.String).alias("record_id"),
    )


def _trial_points(
    tables: PipelineTables, descriptors: list[str], weights: Weights, as_of_year: int
) -> tuple[pl.DataFrame, int]:
    """Evidence rows of the trials component (person_id, record_id, points, detail) and the area-trial count.

    Needs trials, trial_people and links (investigator rows, linked or accepted); any of them missing gives
    no rows. A person linked to several people rows of one trial counts once, with the highest role.
    """
    empty = pl.DataFrame(
        schema={"person_id": pl.String, "record_id": pl.String, "points": pl.Float64, "detail": pl.String}
    )
    if not tables.trials.exists():
        return empty, 0
    area_trials = (
        pl.scan_parquet(tables.trials)
        .select("nct_id", "phases", "start_date", "condition_mesh_ids")
        .filter(pl.col("condition_mesh_ids").list.eval(pl.element().is_in(descriptors)).list.any())
        .unique("nct_id", keep="first", maintain_order=True)
        .collect()
    )
    if area_trials.is_empty() or not (tables.trial_people.exists() and tables.links.exists()):
        return empty, area_trials.height
    best = [common.best_phase(p or [], weights) for p in area_trials["phases"].to_list()]
    area_trials = area_trials.with_columns(
        pl.Series("phase_label", [b[0] for b in best], dtype=pl.String),
        pl.Series("phase_factor", [b[1] for b in best], dtype=pl.Float64),
        pl.col("start_date").str.slice(0, 4).cast(pl.Int32, strict=False).alias("start_year"),
    )
    links = (
        pl.scan_parquet(tables.links)
        .filter((pl.col("target") == "investigator") & pl.col("status").is_in(LINKED_STATUSES))
        .select(
            "person_id",
            pl.col("target_id").str.split(":").list.first().alias("nct_id"),
            pl.col("target_id")
            .str.split(":")
            .list.get(1, null_on_oob=True)
            .cast(pl.Int32, strict=False)
            .alias("position"),
        )
    )
    rows = (
        links.join(
            pl.scan_parquet(tables.trial_people).select("nct_id", "position", "role"),
            on=["nct_id", "position"],
        )
        .join(area_trials.lazy().select("nct_id", "phase_label", "phase_factor", "start_year"), on="nct_id")
        .collect()
    )
    if rows.is_empty():
        return empty, area_trials.height
    roles = rows["role"].fill_null("").unique().to_list()
    role_factor = {r: weights.trial_role(r) for r in roles}
    rows = (
        rows.with_columns(pl.col("role").fill_null(""))
        .with_columns(
            pl.col("role").replace_strict(role_factor, return_dtype=pl.Float64).alias("role_factor"),
            pl.when(pl.col("role") == "")
            .then(pl.lit(common.UNNAMED_ROLE))
            .otherwise(pl.col("role"))
            .alias("role_label"),
        )
        .sort(["person_id", "nct_id", "role_factor", "role_label"], descending=[False, False, True, False])
        .unique(["person_id", "nct_id"], keep="first", maintain_order=True)
        .with_columns(*_year_columns("start_year", as_of_year, weights, common.NO_START_DATE))
    )
    rows = _with_recency(rows, weights)
    texts = {
        f: factor_text(f) for f in set(rows["role_factor"].to_list()) | set(rows["phase_factor"].to_list())
    }
    rows = rows.with_columns(
        pl.col("role_factor").replace_strict(texts, return_dtype=pl.String).alias("role_text"),
        pl.col("phase_factor").replace_strict(texts, return_dtype=pl.String).alias("phase_text"),
    ).with_columns(
        (pl.col("role_factor") * pl.col("phase_factor") * pl.col("recency")).alias("points"),
        _detail("trials").alias("detail"),
        pl.col("nct_id").alias("record_id"),
    )
    return rows.select("person_id", "record_id", "points", "detail"), area_trials.height


# --- components -----------------------------------------------------------------------------------------------


def _to_index(frame: pl.DataFrame, persons: pl.DataFrame) -> pl.DataFrame:
    return frame.join(persons, on="person_id", how="inner").drop("person_id")


def _with_person_id(frame: pl.DataFrame, person_ids: pl.Series) -> pl.DataFrame:
    return frame.with_columns(person_ids.gather(frame["person_idx"]).alias("person_id")).drop("person_idx")


def _raw(frame: pl.DataFrame, component: str) -> pl.DataFrame:
    """Raw value per person = the sum of their evidence points (frame sorted by person), rounded."""
    keys, sums = common.sum_by_key(frame["person_idx"].to_numpy(), frame["points"].to_numpy())
    return pl.DataFrame(
        {"person_idx": keys, f"{component}_raw": common.round_float(sums)},
        schema={"person_idx": pl.UInt32, f"{component}_raw": pl.Float64},
    )


def _publication_evidence(pubs: pl.DataFrame) -> pl.DataFrame:
    return pubs.select("person_idx", "record_id", "points", _detail("publications").alias("detail"))


def _network_evidence(pubs: pl.DataFrame, weights: Weights) -> tuple[pl.DataFrame, dict[str, int]]:
    """PageRank through the incidence; one row per (person, area paper): the flow through it + a baseline share.

    raw = N x PageRank. The baseline ((1-d)/N + d x dangling/N, the part of PageRank no paper explains) is
    spread evenly over the person's area papers, so that every point of the raw value sits on a PMID.
    """
    pairs = pubs.select("person_idx", "pmid", "record_id").sort("person_idx", "pmid")
    person_idx = pairs["person_idx"].to_numpy()
    graph_persons, person = np.unique(person_idx, return_inverse=True)
    _, paper = np.unique(pairs["pmid"].to_numpy(), return_inverse=True)
    n_persons = graph_persons.size
    authors = np.bincount(paper, minlength=int(paper.max()) + 1 if paper.size else 0)
    papers_of = np.bincount(person, minlength=n_persons)
    multi = authors[paper] >= 2
    result = incidence_pagerank(
        person[multi],
        paper[multi],
        n_persons,
        damping=weights.damping,
        max_iterations=weights.max_iterations,
        tolerance=weights.tolerance,
    )
    flow = np.zeros(person.size)
    flow[multi] = result.flow
    points = n_persons * (flow + result.baseline / papers_of[person])
    coauthors = authors[paper] - 1
    frame = pairs.select("person_idx", "record_id").with_columns(
        pl.Series("points", points, dtype=pl.Float64),
        pl.Series("coauthors", coauthors, dtype=pl.Int64),
        pl.Series("papers", papers_of[person], dtype=pl.Int64),
    )
    frame = frame.with_columns(
        pl.when(pl.col("coauthors") > 0)
        .then(_detail("network_shared"))
        .otherwise(_detail("network_alone"))
        .alias("detail")
    ).select("person_idx", "record_id", "points", "detail")
    multi_authors = authors[authors >= 2].astype(np.int64)
    counts = {
        "network_persons": int(n_persons),
        "network_papers": int(multi_authors.size),
        "network_incidence_entries": int(multi.sum()),
        "coauthor_pairs_not_materialised": int((multi_authors * (multi_authors - 1) // 2).sum()),
        "pagerank_iterations": result.iterations,
        "pagerank_converged": int(result.converged),
    }
    return frame, counts


def _focus_evidence(
    tables: PipelineTables, pubs: pl.DataFrame, person_ids: pl.Series, weights: Weights
) -> pl.DataFrame:
    """share of the person's papers that are area papers x min(1, n_area / focus_min_papers), split per area PMID."""
    area_persons = pl.DataFrame({"person_id": person_ids}).with_row_index("person_idx")
    totals = (
        pl.scan_parquet(tables.authorships)
        .select("person_id", "pmid")
        .join(area_persons.lazy().select("person_id"), on="person_id", how="semi")
        .unique()
        .group_by("person_id")
        .agg(pl.len().alias("total"))
        .join(area_persons.lazy(), on="person_id")
        .select("person_idx", "total")
        .collect()
    )
    counts = pubs.group_by("person_idx").agg(pl.len().alias("area"))
    fmin = weights.focus_min_papers
    frame = pubs.select("person_idx", "record_id").join(counts, on="person_idx").join(totals, on="person_idx")
    frame = frame.with_columns(pl.max_horizontal("total", "area").alias("total")).with_columns(
        (
            (pl.col("area") / pl.col("total"))
            * pl.min_horizontal(pl.lit(1.0), pl.col("area") / fmin)
            / pl.col("area")
        ).alias("points"),
        _detail("focus", focus_min_papers=fmin).alias("detail"),
    )
    return frame.select("person_idx", "record_id", "points", "detail")


def _momentum_evidence(pubs: pl.DataFrame, weights: Weights, as_of_year: int) -> pl.DataFrame:
    """Undecayed points in the recent window minus those in the window before; only persons above 0 get rows.

    max(0, ...) would break "raw = sum of evidence" for a person whose earlier window outweighs the recent
    one, so such a person has momentum 0 and no momentum rows at all.
    """
    (r_lo, r_hi), (e_lo, e_hi) = common.momentum_windows(as_of_year, weights)
    y = pl.col("year_eff")
    recent = y.is_between(r_lo, r_hi)
    frame = (
        pubs.filter(recent | y.is_between(e_lo, e_hi))
        .with_columns(
            (
                pl.when(recent).then(pl.lit(1.0)).otherwise(pl.lit(-1.0))
                * (pl.col("position_factor") * pl.col("type_factor") * pl.col("topic_factor"))
            ).alias("points"),
            pl.when(recent)
            .then(pl.lit(common.RECENT_WINDOW.format(r_lo, r_hi)))
            .otherwise(pl.lit(common.EARLIER_WINDOW.format(e_lo, e_hi)))
            .alias("window_text"),
        )
        .with_columns(_detail("momentum").alias("detail"))
    )
    frame = frame.select("person_idx", "record_id", "points", "detail").sort("person_idx", "record_id")
    keys, sums = common.sum_by_key(frame["person_idx"].to_numpy(), frame["points"].to_numpy())
    rising = pl.Series("person_idx", keys[common.round_float(sums) > 0], dtype=pl.UInt32)
    return frame.filter(pl.col("person_idx").is_in(rising.implode()))


# --- facts shown beside the score ------------------------------------------------------------------------------


def _most_frequent(frame: pl.DataFrame, value: str) -> pl.DataFrame:
    """person_idx -> the most frequent value (ties: the smallest), from rows (person_idx, value)."""
    return (
        frame.group_by("person_idx", value)
        .agg(pl.len().alias("n"))
        .sort(["person_idx", "n", value], descending=[False, True, False])
        .unique("person_idx", keep="first", maintain_order=True)
        .select("person_idx", value)
    )


def _person_facts(
    tables: PipelineTables, pubs: pl.DataFrame, trials: pl.DataFrame, persons: pl.DataFrame
) -> pl.DataFrame:
    """name, orcid, area_papers, area_trials, first_year, last_year per person_idx."""
    instances = (
        pl.scan_parquet(tables.authorships)
        .select("person_id", "pmid", "author_position", "fore_name", "last_name")
        .join(persons.lazy(), on="person_id", how="inner")
        .collect()
    )
    names = _most_frequent(
        instances.select(
            "person_idx",
            pl.concat_str(
                [pl.col("fore_name").fill_null(""), pl.col("last_name").fill_null("")], separator=" "
            )
            .str.strip_chars()
            .alias("name"),
        ),
        "name",
    )
    orcids = (
        instances.lazy()
        .select("person_idx", "pmid", "author_position")
        .join(
            pl.scan_parquet(tables.authors).select("pmid", "author_position", "orcid"),
            on=["pmid", "author_position"],
        )
        .filter(pl.col("orcid").fill_null("") != "")
        .select("person_idx", "orcid")
        .collect()
    )
    papers = pubs.group_by("person_idx").agg(
        pl.len().cast(pl.Int32).alias("area_papers"),
        pl.col("year").min().cast(pl.Int32).alias("first_year"),
        pl.col("year").max().cast(pl.Int32).alias("last_year"),
    )
    trial_counts = trials.group_by("person_idx").agg(pl.len().cast(pl.Int32).alias("area_trials"))
    facts = persons.select("person_idx")
    for part in (names, _most_frequent(orcids, "orcid"), papers, trial_counts):
        facts = facts.join(part, on="person_idx", how="left")
    return facts


def _payments_context(tables: PipelineTables, persons: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Open Payments rows of the scored persons linked to a payment recipient, and their sum per person.

    A link's target_id is an Open Payments profile id or `npi:<NPI>`. A research payment can name the person
    as recipient and as principal investigator: it is listed once (as recipient), so the sum counts it once.
    """
    columns: Mapping[Any, Any] = {
        "person_idx": pl.UInt32,
        "record_id": pl.String,
        "program_year": pl.Int32,
        "manufacturer": pl.String,
        "amount_usd": pl.Float64,
        "nature_of_payment": pl.String,
        "kind": pl.String,
    }
    empty_sum = pl.DataFrame(schema={"person_idx": pl.UInt32, "payments_usd": pl.Float64})
    sources = [p for p in (tables.payments, tables.pi_payments) if p.exists()]
    if not sources or not tables.links.exists():
        return _with_person_id(pl.DataFrame(schema=columns), persons["person_id"]), empty_sum
    links = (
        pl.scan_parquet(tables.links)
        .filter((pl.col("target") == "payment_recipient") & pl.col("status").is_in(LINKED_STATUSES))
        .select("person_id", pl.col("target_id").alias("key"))
        .join(persons.lazy(), on="person_id", how="inner")
        .select("person_idx", "key")
        .unique()
    )
    parts = []
    for path, profile, nature, kind in (
        (tables.payments, "recipient_profile_id", pl.col("nature_of_payment"), pl.col("kind")),
        (tables.pi_payments, "profile_id", pl.lit(""), pl.lit(PAYMENT_KIND_PI)),
    ):
        if not path.exists():
            continue
        rows = pl.scan_parquet(path).select(
            "record_id",
            "program_year",
            pl.col("manufacturer").fill_null(""),
            pl.col("amount_usd").fill_null(0.0),
            nature.fill_null("").alias("nature_of_payment"),
            kind.alias("kind"),
            pl.col(profile).fill_null("").alias("profile"),
            pl.col("npi").fill_null("").alias("npi"),
        )
        keyed = pl.concat(
            [
                rows.filter(pl.col("profile") != "").with_columns(pl.col("profile").alias("key")),
                rows.filter(pl.col("npi") != "").with_columns(pl.format("npi:{}", "npi").alias("key")),
            ]
        )
        parts.append(keyed.join(links, on="key").drop("key", "profile", "npi"))
    paid = (
        pl.concat(parts)
        .with_columns((pl.col("kind") == PAYMENT_KIND_PI).alias("as_pi"))
        .sort(["person_idx", "record_id", "as_pi", "kind"])
        .unique(["person_idx", "record_id"], keep="first", maintain_order=True)
        .drop("as_pi")
        .collect()
        .cast(columns)
        .sort(["person_idx", "program_year", "record_id"], nulls_last=True)
    )
    keys, sums = common.sum_by_key(
        paid.sort("person_idx", "record_id")["person_idx"].to_numpy(),
        paid.sort("person_idx", "record_id")["amount_usd"].to_numpy(),
    )
    totals = pl.DataFrame(
        {"person_idx": keys, "payments_usd": common.round_float(sums)},
        schema={"person_idx": pl.UInt32, "payments_usd": pl.Float64},
    )
    paid = paid.with_columns(pl.col("amount_usd").round(common.DECIMALS))
    return _with_person_id(paid, persons["person_id"]).select(
        list(common.PAYMENTS_CONTEXT_SCHEMA.names)
    ), totals
