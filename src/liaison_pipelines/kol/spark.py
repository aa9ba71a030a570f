"""The Spark engine of KOL scoring: the steps of docs/kol-scores.md on PySpark DataFrames.

Why a second engine: the local engine holds one area's incidence table in memory, which is fine up to a few
million authorships; a whole-PubMed area on a cluster needs the joins and the PageRank spread over executors.
Both engines must write the same files, so this module reuses the engine-independent pieces of
`liaison_pipelines.kol.common` (descriptor set, factors, rounding, schemas, `detail` text) and only collects
the final, per-person outputs to the driver to write them with pyarrow, in the local engine's row order.

PySpark is optional (`pip install 'liaison[spark]'`) and needs a Java 17+ runtime: it is imported lazily, by
this module and its helpers only (`spark_setup`: the checks and the session; `spark_pagerank`: the PageRank),
so `liaison_pipelines.kol` imports without it, and a missing piece raises `SparkUnavailable` with the fix.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

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
)
from .spark_pagerank import pagerank_spark
from .spark_setup import check_spark, shuffle_partitions, spark_session
from .weights import COMPONENTS, OTHER_PHASE, SITE_INVESTIGATOR, Weights

if TYPE_CHECKING:  # pragma: no cover - typing only; pyspark stays an optional, lazy import
    from pyspark.sql import DataFrame, SparkSession


# --- the scoring run -------------------------------------------------------------------------------------------


def score_area_spark(
    tables: PipelineTables,
    area: Area,
    out_dir: Path,
    *,
    weights: Weights,
    as_of_year: int,
    progress: Progress | None = None,
) -> ScoreSummary:
    """Score one area with Spark into `out_dir`: the same files as the local engine (see kol.score_area).

    Joins, group-bys and the PageRank run in Spark; the per-person and per-evidence results are collected in
    (person_id, record_id) order and written with the shared schemas. Raw values are summed on the driver with
    `common.sum_by_key` over those sorted rows, the same sequential sums the local engine takes, so that a
    score never differs in its last bit between engines.
    """
    started = time.perf_counter()
    common.check_inputs(tables)
    check_spark()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    inputs = common.input_checksums(tables)
    descriptors = common.area_descriptors(tables, area)
    size = sum(getattr(tables, name).stat().st_size for name in inputs)
    with spark_session(partitions=shuffle_partitions(size)) as spark:
        run = _Run(spark, tables, descriptors, weights, as_of_year, progress)
        outputs, counts = run.write(out_dir)
    common.write_manifest(
        out_dir,
        area=area,
        engine="spark",
        weights=weights,
        as_of_year=as_of_year,
        inputs=inputs,
        outputs=outputs,
        counts=counts,
    )
    return ScoreSummary(
        area=area.name,
        persons=outputs[SCORES_FILE],
        area_articles=counts["area_articles"],
        area_trials=counts["area_trials"],
        engine="spark",
        seconds=round(time.perf_counter() - started, 3),
        outputs=outputs,
        inputs=inputs,
    )


def _format(template: str) -> str:
    """A common.DETAIL_TEMPLATES template ('{} · {}') as a format_string pattern ('%s · %s')."""
    return template.replace("%", "%%").replace("{}", "%s")


class _Run:
    """One scoring run's DataFrames: built step by step, as the local engine's functions of the same names."""

    def __init__(
        self,
        spark: SparkSession,
        tables: PipelineTables,
        descriptors: list[str],
        weights: Weights,
        as_of_year: int,
        progress: Progress | None,
    ) -> None:
        from pyspark.sql import functions as F

        self.F = F
        self.spark, self.tables, self.weights, self.as_of = spark, tables, weights, as_of_year
        self.progress = progress
        self.descriptors = sorted(descriptors)
        # Every factor's text, formatted once in Python (Java's %.2f rounds halves differently).
        factors = {
            *weights.positions.values(),
            *weights.publication_types.values(),
            weights.publication_type_other,
            weights.topic_major,
            weights.topic_minor,
            *weights.trial_roles.values(),
            *weights.trial_phases.values(),
            weights.trial_phase(OTHER_PHASE),
            weights.trial_role(SITE_INVESTIGATOR),
        }
        self.factor_text = self._map({float(f): common.factor_text(float(f)) for f in factors})

    # -- small helpers

    def _map(self, mapping: dict[Any, Any]) -> Any:
        """A literal map column, for look-ups of the weights' small tables."""
        F = self.F
        return F.create_map(*[F.lit(v) for kv in sorted(mapping.items()) for v in kv])

    def _read(self, path: Path) -> DataFrame:
        return self.spark.read.parquet(str(path))

    def _tick(self, stage: str) -> None:
        if self.progress is not None:
            self.progress(stage, 1)

    def _detail(self, kind: str, **literals: object) -> Any:
        F = self.F
        template, fields = common.DETAIL_TEMPLATES[kind]
        columns = [F.lit(str(literals[f])) if f in literals else F.col(f).cast("string") for f in fields]
        return F.format_string(_format(template), *columns)

    def _year_columns(self, frame: DataFrame, year: str, missing: str = common.NO_YEAR) -> DataFrame:
        """year_eff, age, year_text, recency, recency_text (as local._year_columns + _with_recency)."""
        F, w, as_of = self.F, self.weights, self.as_of
        y = F.col(year)
        no_year = as_of - w.missing_year_age
        frame = frame.withColumns(
            {
                "year_eff": F.when(y.isNull(), F.lit(no_year))
                .otherwise(F.least(y, F.lit(as_of)))
                .cast("int"),
                "year_text": F.when(y.isNull(), F.lit(missing.format(no_year)))
                .when(
                    y > as_of,
                    F.format_string(_format(common.FUTURE_YEAR), y.cast("string"), F.lit(str(as_of))),
                )
                .otherwise(y.cast("string")),
            }
        ).withColumn("age", (F.lit(as_of) - F.col("year_eff")).cast("int"))
        ages = [r[0] for r in frame.select("age").distinct().collect()]
        recency = {int(a): common.recency(int(a), w) for a in ages if a is not None}
        recency = recency or {0: 1.0}  # no rows: any map of the right types will do
        texts = {a: common.factor_text(v) for a, v in recency.items()}
        return frame.withColumns(
            {"recency": self._map(recency)[F.col("age")], "recency_text": self._map(texts)[F.col("age")]}
        )

    @staticmethod
    def _first_per(frame: DataFrame, keys: list[str], order: list[Any]) -> DataFrame:
        """The first row of each `keys` group in `order` (the local engine's sort + unique(keep="first"))."""
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        window = Window.partitionBy(*keys).orderBy(*order)
        return frame.withColumn("_n", F.row_number().over(window)).where(F.col("_n") == 1).drop("_n")

    def _collect(self, frame: DataFrame, schema: Mapping[Any, Any]) -> pl.DataFrame:
        """Collect a (small, final) DataFrame to Polars through Arrow, with the local engine's column types."""
        table = frame.select(*schema).toArrow()
        if not table.num_rows:
            return pl.DataFrame(schema=schema)
        return cast(pl.DataFrame, pl.from_arrow(table)).cast(schema)  # a Table converts to a DataFrame

    # -- records that count

    def area_articles(self) -> DataFrame:
        F, w = self.F, self.weights
        topics = (
            self._read(self.tables.mesh)
            .where(F.col("descriptor_ui").isin(*self.descriptors))
            .groupBy("pmid")
            .agg(F.bool_or(F.coalesce(F.col("major"), F.lit(False))).alias("major"))
        )
        articles = (
            self._read(self.tables.articles).select("pmid", "year", "publication_types").join(topics, "pmid")
        )
        type_factor = self._map({k: float(v) for k, v in w.publication_types.items()})
        types = (
            articles.select("pmid", F.explode("publication_types").alias("publication_type"))
            .withColumn("type_factor", type_factor[F.col("publication_type")])
            .where(F.col("type_factor").isNotNull())
        )
        best = self._first_per(types, ["pmid"], [F.col("type_factor").desc(), F.col("publication_type")])
        articles = (
            articles.drop("publication_types")
            .join(best.withColumnRenamed("publication_type", "type_label"), "pmid", "left")
            .withColumns(
                {
                    "type_factor": F.coalesce(F.col("type_factor"), F.lit(float(w.publication_type_other))),
                    "type_label": F.coalesce(F.col("type_label"), F.lit(common.NO_TYPE)),
                    "topic_factor": F.when(F.col("major"), F.lit(float(w.topic_major))).otherwise(
                        F.lit(float(w.topic_minor))
                    ),
                    "topic_label": F.when(F.col("major"), F.lit(common.topic_label(True))).otherwise(
                        F.lit(common.topic_label(False))
                    ),
                }
            )
            .withColumns(
                {
                    "type_text": self.factor_text[F.col("type_factor")],
                    "topic_text": self.factor_text[F.col("topic_factor")],
                }
            )
        )
        return self._year_columns(articles, "year").localCheckpoint()

    def publication_points(self, articles: DataFrame) -> DataFrame:
        """One row per (person, area article), the better position when a person is met twice on a paper."""
        F, w = self.F, self.weights
        area_pmids = articles.select("pmid")
        list_length = (
            self._read(self.tables.authors)
            .join(area_pmids, "pmid", "left_semi")
            .groupBy("pmid")
            .agg(F.max("author_position").alias("n_list"))
        )
        highest = (
            self._read(self.tables.authorships)
            .join(area_pmids, "pmid", "left_semi")
            .select("person_id", "pmid", "author_position")
        )
        pairs = highest.join(
            highest.groupBy("pmid").agg(F.max("author_position").alias("max_pos")), "pmid"
        ).join(list_length, "pmid", "left")
        pos, n = F.col("author_position"), F.greatest(F.col("n_list"), F.col("max_pos"))
        kind = (
            F.when(n == 1, F.lit("sole"))
            .when(pos == 1, F.lit("first"))
            .when(pos == n, F.lit("last"))
            .when(pos == 2, F.lit("second"))
            .otherwise(F.lit("middle"))
        )
        pairs = pairs.withColumn("position_kind", kind).withColumns(
            {
                "position_factor": self._map({k: float(v) for k, v in w.positions.items()})[
                    F.col("position_kind")
                ],
                "position_label": self._map(common.POSITION_LABELS)[F.col("position_kind")],
            }
        )
        pairs = pairs.withColumn("position_text", self.factor_text[F.col("position_factor")])
        pairs = self._first_per(
            pairs, ["person_id", "pmid"], [F.col("position_factor").desc(), F.col("author_position")]
        )
        return (
            pairs.select("person_id", "pmid", "position_factor", "position_label", "position_text")
            .join(articles, "pmid")
            .withColumns(
                {
                    "points": F.col("position_factor")
                    * F.col("type_factor")
                    * F.col("recency")
                    * F.col("topic_factor"),
                    "record_id": F.col("pmid").cast("string"),
                }
            )
            .localCheckpoint()
        )

    def trial_points(self) -> tuple[DataFrame | None, int]:
        """Trials evidence rows (person_id, record_id, points, detail) and the number of area trials."""
        F, w, t = self.F, self.weights, self.tables
        if not t.trials.exists():
            return None, 0
        trials = (
            self._read(t.trials)
            .select("nct_id", "phases", "start_date", "condition_mesh_ids")
            .where(F.arrays_overlap("condition_mesh_ids", F.array(*[F.lit(ui) for ui in self.descriptors])))
            .dropDuplicates(["nct_id"])
            .localCheckpoint()
        )
        n_trials = trials.count()
        if n_trials == 0 or not (t.trial_people.exists() and t.links.exists()):
            return None, n_trials
        other = float(w.trial_phase(OTHER_PHASE))
        phases = (
            trials.select("nct_id", F.explode(F.array_distinct("phases")).alias("phase"))
            .withColumn(
                "phase_factor",
                F.coalesce(
                    self._map({k: float(v) for k, v in w.trial_phases.items()})[F.col("phase")], F.lit(other)
                ),
            )
            .where(F.col("phase_factor") > other)
        )
        best = self._first_per(phases, ["nct_id"], [F.col("phase_factor").desc(), F.col("phase")])
        trials = trials.join(best, "nct_id", "left").select(
            "nct_id",
            F.coalesce(F.col("phase"), F.lit("no phase")).alias("phase_label"),
            F.coalesce(F.col("phase_factor"), F.lit(other)).alias("phase_factor"),
            F.expr("try_cast(substring(start_date, 1, 4) AS INT)").alias("start_year"),
        )
        target = F.split(F.col("target_id"), ":")
        links = (
            self._read(t.links)
            .where((F.col("target") == "investigator") & F.col("status").isin(*LINKED_STATUSES))
            .select(
                "person_id",
                target.getItem(0).alias("nct_id"),
                F.expr("try_cast(get(split(target_id, ':'), 1) AS INT)").alias("position"),
            )
        )
        people = self._read(t.trial_people).select("nct_id", "position", "role")
        rows = links.join(people, ["nct_id", "position"]).join(trials, "nct_id")
        default_role = float(w.trial_role(SITE_INVESTIGATOR))
        role = F.coalesce(F.col("role"), F.lit(""))
        rows = rows.withColumns(
            {
                "role_factor": F.coalesce(
                    self._map({k: float(v) for k, v in w.trial_roles.items()})[role], F.lit(default_role)
                ),
                "role_label": F.when(role == "", F.lit(common.UNNAMED_ROLE)).otherwise(role),
            }
        )
        rows = self._first_per(
            rows, ["person_id", "nct_id"], [F.col("role_factor").desc(), F.col("role_label")]
        )
        rows = self._year_columns(rows, "start_year", common.NO_START_DATE)
        rows = rows.withColumns(
            {
                "role_text": self.factor_text[F.col("role_factor")],
                "phase_text": self.factor_text[F.col("phase_factor")],
            }
        ).select(
            "person_id",
            F.col("nct_id").alias("record_id"),
            (F.col("role_factor") * F.col("phase_factor") * F.col("recency")).alias("points"),
            self._detail("trials").alias("detail"),
        )
        return rows.localCheckpoint(), n_trials

    # -- components

    def network(self, pubs: DataFrame) -> tuple[DataFrame, dict[str, int]]:
        """PageRank rows: the flow through each paper plus an even share of the baseline, × N (local engine)."""
        F, w = self.F, self.weights
        pairs = pubs.select("person_id", "pmid", "record_id")
        authors = pairs.groupBy("pmid").agg(F.count(F.lit(1)).alias("n"))
        papers_of = pairs.groupBy("person_id").agg(F.count(F.lit(1)).alias("papers"))
        entries = pairs.join(authors, "pmid").join(papers_of, "person_id").localCheckpoint()
        incidence = entries.where(F.col("n") >= 2).select("person_id", "pmid", "n")
        strength = incidence.groupBy("person_id").agg(F.count(F.lit(1)).cast("double").alias("s"))
        nodes = papers_of.select("person_id").join(strength, "person_id", "left").fillna(0.0, subset=["s"])
        n_persons = papers_of.count()
        if n_persons == 0:
            return pairs.select(
                "person_id", "record_id", F.lit(0.0).alias("points"), F.lit("").alias("detail")
            ), {}
        result = pagerank_spark(
            nodes,
            incidence,
            n_persons,
            damping=w.damping,
            max_iterations=w.max_iterations,
            tolerance=w.tolerance,
        )
        frame = (
            entries.join(result.flow, ["person_id", "pmid"], "left")
            .withColumns(
                {
                    "points": F.lit(float(n_persons))
                    * (
                        F.coalesce(F.col("flow"), F.lit(0.0))
                        + F.lit(result.baseline) / F.col("papers").cast("double")
                    ),
                    "coauthors": F.col("n") - 1,
                }
            )
            .withColumn(
                "detail",
                F.when(F.col("coauthors") > 0, self._detail("network_shared")).otherwise(
                    self._detail("network_alone")
                ),
            )
        )
        stats = (
            authors.where(F.col("n") >= 2)
            .agg(
                F.count(F.lit(1)),
                F.coalesce(F.sum("n"), F.lit(0)),
                F.coalesce(F.sum(F.col("n") * (F.col("n") - 1) / 2), F.lit(0)),
            )
            .first()
        )
        assert stats is not None  # an aggregate without groups has exactly one row
        counts = {
            "network_persons": int(n_persons),
            "network_papers": int(stats[0]),
            "network_incidence_entries": int(stats[1]),
            "coauthor_pairs_not_materialised": int(stats[2]),
            "pagerank_iterations": result.iterations,
            "pagerank_converged": int(result.converged),
        }
        return frame.select("person_id", "record_id", "points", "detail"), counts

    def focus(self, pubs: DataFrame) -> DataFrame:
        F, fmin = self.F, self.weights.focus_min_papers
        persons = pubs.select("person_id").distinct()
        totals = (
            self._read(self.tables.authorships)
            .select("person_id", "pmid")
            .join(persons, "person_id", "left_semi")
            .distinct()
            .groupBy("person_id")
            .agg(F.count(F.lit(1)).alias("total"))
        )
        counts = pubs.groupBy("person_id").agg(F.count(F.lit(1)).alias("area"))
        frame = (
            pubs.select("person_id", "record_id")
            .join(counts, "person_id")
            .join(totals, "person_id")
            .withColumn("total", F.greatest("total", "area"))
        )
        area = F.col("area").cast("double")
        return frame.select(
            "person_id",
            "record_id",
            (
                (area / F.col("total").cast("double")) * F.least(F.lit(1.0), area / F.lit(float(fmin))) / area
            ).alias("points"),
            self._detail("focus", focus_min_papers=fmin).alias("detail"),
        )

    def momentum(self, pubs: DataFrame) -> DataFrame:
        """Rows of both windows; persons whose sum is not above 0 are dropped on the driver (see write)."""
        F = self.F
        (r_lo, r_hi), (e_lo, e_hi) = common.momentum_windows(self.as_of, self.weights)
        y = F.col("year_eff")
        recent = y.between(r_lo, r_hi)
        frame = pubs.where(recent | y.between(e_lo, e_hi)).withColumns(
            {
                "points": F.when(recent, F.lit(1.0)).otherwise(F.lit(-1.0))
                * (F.col("position_factor") * F.col("type_factor") * F.col("topic_factor")),
                "window_text": F.when(recent, F.lit(common.RECENT_WINDOW.format(r_lo, r_hi))).otherwise(
                    F.lit(common.EARLIER_WINDOW.format(e_lo, e_hi))
                ),
            }
        )
        return frame.select("person_id", "record_id", "points", self._detail("momentum").alias("detail"))

    # -- facts beside the score

    def _most_frequent(self, frame: DataFrame, value: str) -> DataFrame:
        F = self.F
        counted = frame.groupBy("person_id", value).agg(F.count(F.lit(1)).alias("n"))
        return self._first_per(counted, ["person_id"], [F.col("n").desc(), F.col(value)]).select(
            "person_id", value
        )

    def person_facts(self, persons: DataFrame, pubs: DataFrame, trials: DataFrame | None) -> DataFrame:
        F = self.F
        instances = (
            self._read(self.tables.authorships)
            .select("person_id", "pmid", "author_position", "fore_name", "last_name")
            .join(persons, "person_id", "left_semi")
        )
        full = F.concat_ws(" ", F.coalesce("fore_name", F.lit("")), F.coalesce("last_name", F.lit("")))
        names = self._most_frequent(
            instances.select("person_id", F.regexp_replace(full, r"(?U)^\s+|\s+$", "").alias("name")), "name"
        )
        orcids = (
            instances.join(self._read(self.tables.authors).select("pmid", "author_position", "orcid"),
                           ["pmid", "author_position"])
            .where(F.coalesce(F.col("orcid"), F.lit("")) != "")
            .select("person_id", "orcid")
        )  # fmt: skip
        papers = pubs.groupBy("person_id").agg(
            F.count(F.lit(1)).alias("area_papers"),
            F.min("year").alias("first_year"),
            F.max("year").alias("last_year"),
        )
        facts = persons.join(names, "person_id", "left").join(
            self._most_frequent(orcids, "orcid"), "person_id", "left"
        )
        facts = facts.join(papers, "person_id", "left")
        if trials is not None:
            facts = facts.join(
                trials.groupBy("person_id").agg(F.count(F.lit(1)).alias("area_trials")), "person_id", "left"
            )
        else:
            facts = facts.withColumn("area_trials", F.lit(None).cast("int"))
        return facts

    def payments(self, persons: DataFrame) -> DataFrame | None:
        """Open Payments rows of linked persons, one per (person, record): as recipient before as investigator."""
        F, t = self.F, self.tables
        sources = [p for p in (t.payments, t.pi_payments) if p.exists()]
        if not sources or not t.links.exists():
            return None
        links = (
            self._read(t.links)
            .where((F.col("target") == "payment_recipient") & F.col("status").isin(*LINKED_STATUSES))
            .select("person_id", F.col("target_id").alias("key"))
            .join(persons, "person_id", "left_semi")
            .distinct()
        )
        parts = []
        for path, profile, nature, kind in (
            (t.payments, "recipient_profile_id", F.col("nature_of_payment"), F.col("kind")),
            (t.pi_payments, "profile_id", F.lit(""), F.lit(PAYMENT_KIND_PI)),
        ):
            if not path.exists():
                continue
            rows = self._read(path).select(
                "record_id",
                F.col("program_year").cast("int").alias("program_year"),
                F.coalesce(F.col("manufacturer"), F.lit("")).alias("manufacturer"),
                F.coalesce(F.col("amount_usd").cast("double"), F.lit(0.0)).alias("amount_usd"),
                F.coalesce(nature, F.lit("")).alias("nature_of_payment"),
                kind.alias("kind"),
                F.coalesce(F.col(profile), F.lit("")).alias("profile"),
                F.coalesce(F.col("npi"), F.lit("")).alias("npi"),
            )
            keyed = (
                rows.where(F.col("profile") != "")
                .withColumn("key", F.col("profile"))
                .unionByName(
                    rows.where(F.col("npi") != "").withColumn("key", F.concat(F.lit("npi:"), F.col("npi")))
                )
            )
            parts.append(keyed.join(links, "key").drop("key", "profile", "npi"))
        rows = parts[0] if len(parts) == 1 else parts[0].unionByName(parts[1])
        rows = rows.withColumn("as_pi", F.col("kind") == PAYMENT_KIND_PI)
        return self._first_per(rows, ["person_id", "record_id"], [F.col("as_pi"), F.col("kind")]).drop(
            "as_pi"
        )

    # -- the outputs

    def write(self, out_dir: Path) -> tuple[dict[str, int], dict[str, int]]:
        """Build every DataFrame, collect the outputs in the local engine's order, and write the three files."""
        articles = self.area_articles()
        n_articles = articles.count()
        self._tick("area articles")
        pubs = self.publication_points(articles)
        trials, n_trials = self.trial_points()
        self._tick("publications and trials")
        ids = pubs.select("person_id")
        if trials is not None:
            ids = ids.unionByName(trials.select("person_id"))
        persons = ids.distinct().localCheckpoint()

        evidence = common.EvidenceWriter(out_dir / EVIDENCE_FILE)
        raws: dict[str, pl.DataFrame] = {}
        network_counts: dict[str, int] = {}
        rows_schema = {
            "person_id": pl.String,
            "record_id": pl.String,
            "points": pl.Float64,
            "detail": pl.String,
        }
        frame: DataFrame | None
        for component in COMPONENTS:
            if component == "publications":
                frame = pubs.select(
                    "person_id", "record_id", "points", self._detail("publications").alias("detail")
                )
            elif component == "network":
                frame, network_counts = self.network(pubs)
            elif component == "trials":
                frame = trials
            elif component == "focus":
                frame = self.focus(pubs)
            else:
                frame = self.momentum(pubs)
            rows = (
                self._collect(frame.orderBy("person_id", "record_id"), rows_schema)
                if frame is not None
                else pl.DataFrame(schema=rows_schema)
            )
            if component == "momentum":
                rows = _rising(rows)
            keys, sums = common.sum_by_key(rows["person_id"].to_numpy(), rows["points"].to_numpy())
            raws[component] = pl.DataFrame(
                {"person_id": keys, f"{component}_raw": common.round_float(sums)},
                schema={"person_id": pl.String, f"{component}_raw": pl.Float64},
            )
            evidence.write(
                rows.select(
                    "person_id",
                    pl.lit(component).alias("component"),
                    pl.lit("clinicaltrials" if component == "trials" else "pubmed").alias("source"),
                    "record_id",
                    pl.col("points").round(common.DECIMALS),
                    "detail",
                )
            )
            self._tick(component)
        evidence_rows = evidence.close()

        payments_frame = self.payments(persons)
        pay_schema = {
            "person_id": pl.String,
            "record_id": pl.String,
            "program_year": pl.Int32,
            "manufacturer": pl.String,
            "amount_usd": pl.Float64,
            "nature_of_payment": pl.String,
            "kind": pl.String,
        }
        payments = (
            self._collect(payments_frame.orderBy("person_id", "record_id"), pay_schema)
            if payments_frame is not None
            else pl.DataFrame(schema=pay_schema)
        )
        keys, sums = common.sum_by_key(payments["person_id"].to_numpy(), payments["amount_usd"].to_numpy())
        payments_usd = pl.DataFrame(
            {"person_id": keys, "payments_usd": common.round_float(sums)},
            schema={"person_id": pl.String, "payments_usd": pl.Float64},
        )
        payments = payments.sort(["person_id", "program_year", "record_id"], nulls_last=True).with_columns(
            pl.col("amount_usd").round(common.DECIMALS)
        )
        payments_rows = common.write_parquet(
            payments, out_dir / PAYMENTS_FILE, common.PAYMENTS_CONTEXT_SCHEMA
        )

        facts_schema = {
            "person_id": pl.String,
            "name": pl.String,
            "orcid": pl.String,
            "area_papers": pl.Int32,
            "area_trials": pl.Int32,
            "first_year": pl.Int32,
            "last_year": pl.Int32,
        }
        per_person = self._collect(
            self.person_facts(persons, pubs, trials).orderBy("person_id"), facts_schema
        )
        for component in COMPONENTS:
            per_person = per_person.join(raws[component], on="person_id", how="left")
        per_person = per_person.join(payments_usd, on="person_id", how="left").with_columns(
            *[pl.col(f"{c}_raw").fill_null(0.0) for c in COMPONENTS],
            pl.col("payments_usd").fill_null(0.0),
            pl.col("area_papers").fill_null(0),
            pl.col("area_trials").fill_null(0),
            pl.col("name").fill_null(""),
            pl.col("orcid").fill_null(""),
        )
        scores = common.finalise_scores(per_person, weights=self.weights, as_of_year=self.as_of)
        scores_rows = common.write_parquet(scores, out_dir / SCORES_FILE, common.SCORES_SCHEMA)
        self._tick("scores")
        outputs = {SCORES_FILE: scores_rows, EVIDENCE_FILE: evidence_rows, PAYMENTS_FILE: payments_rows}
        counts = {
            "persons": scores_rows,
            "area_articles": n_articles,
            "area_trials": n_trials,
            "area_authorships": pubs.count(),
            **network_counts,
        }
        return outputs, counts


def _rising(rows: pl.DataFrame) -> pl.DataFrame:
    """Momentum rows of the persons whose (rounded) sum is above 0: max(0, ·) without breaking raw = Σ points."""
    keys, sums = common.sum_by_key(rows["person_id"].to_numpy(), rows["points"].to_numpy())
    rising = pl.Series("person_id", keys[common.round_float(sums) > 0], dtype=pl.String)
    return rows.filter(pl.col("person_id").is_in(rising.implode()))
