"""The Spark engine of KOL scoring: the steps of docs/kol-scores.md on PySpark DataFrames.

Why a second engine: the local engine holds one area's incidence table in memory, which is fine up to a few
million authorships; a whole-PubMed area on a cluster needs the joins and the PageRank spread over executors.
Both engines must write the same files, so this module reuses the engine-independent pieces of
`liaison_pipelines.kol.common` (descriptor set, factors, rounding, schemas, `detail` text) and only collects
the final, per-person outputs to the driver to write them with pyarrow, in the local engine's row order.

PySpark is optional (`pip install 'liaison[spark]'`) and needs a Java 17+ runtime: it is imported lazily, here
only, so `liaison_pipelines.kol` imports without it, and a missing piece raises `SparkUnavailable` with the fix.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from .weights import COMPONENTS, OTHER_PHASE, SITE_INVESTIGATOR, Weights

if TYPE_CHECKING:  # pragma: no cover - typing only; pyspark stays an optional, lazy import
    from pyspark.sql import DataFrame, SparkSession

MASTER_ENV = "LIAISON_SPARK_MASTER"
DEFAULT_MASTER = "local[*]"
MIN_JAVA = 17

# Spark's default log4j2 setup prints INFO/WARN lines (native-hadoop, "Setting default log level") that bury
# the pipeline's own output; this configuration keeps only errors.
_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
"""


class SparkUnavailable(RuntimeError):
    """PySpark or a Java 17+ runtime is missing: the message says what to install."""


def _import_pyspark() -> Any:
    try:
        import pyspark
    except ImportError as exc:
        raise SparkUnavailable(
            "the Spark engine needs PySpark: pip install 'liaison[spark]' (or use --engine local)"
        ) from exc
    return pyspark


def java_version() -> int:
    """The major version of the Java runtime PySpark will start (JAVA_HOME first, then PATH).

    Checked before starting Spark because PySpark's own failure ("Java gateway process exited before sending
    its port number") names neither the cause nor the fix.
    """
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    hint = "the Spark engine needs a Java 17 runtime (e.g. apt-get install openjdk-17-jre-headless)"
    if not java or not Path(java).exists():
        raise SparkUnavailable(f"{hint}: no `java` found (JAVA_HOME unset and none on PATH)")
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise SparkUnavailable(f"{hint}: `{java} -version` failed ({exc})") from exc
    # `java -version` writes to stderr: 'openjdk version "17.0.15" ...' or, before Java 9, '"1.8.0_392"'.
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not m:
        raise SparkUnavailable(f"{hint}: cannot read the version from `{java} -version`")
    major = int(m.group(1))
    if major == 1 and m.group(2):
        major = int(m.group(2))
    if major < MIN_JAVA:
        raise SparkUnavailable(f"{hint}: found Java {major} at {java}")
    return major


def check_spark() -> None:
    """Raise SparkUnavailable unless PySpark and a Java 17+ runtime are both present."""
    _import_pyspark()
    java_version()


def shuffle_partitions(input_bytes: int) -> int:
    """Shuffle partitions for an input of this size: about one per 64 MB, between 1 and 200.

    Spark's default of 200 costs more in task scheduling than the work itself on a test sample or one area.
    """
    return max(1, min(200, input_bytes // (64 * 1024 * 1024) + 1))


@contextmanager
def spark_session(*, partitions: int = 2, app_name: str = "liaison-kol") -> Iterator[SparkSession]:
    """A SparkSession for one scoring run: the active one if the caller started it, else a new local one.

    A new session runs on `$LIAISON_SPARK_MASTER` (default `local[*]`), without the web UI, with quiet logs,
    and is stopped on exit; a session the caller already holds (a test module's, a notebook's) is left running.
    """
    _import_pyspark()
    from pyspark.sql import SparkSession

    # Adaptive execution re-plans after every shuffle: worth it for skewed big joins, overhead in the PageRank
    # loop's many small jobs when the input fits one partition (the sample area: 117 s with one partition and
    # AQE off, 233 s with two and AQE on, on the same busy 2-core machine).
    adaptive = "true" if partitions > 1 else "false"
    active = SparkSession.getActiveSession()
    if active is not None:
        active.conf.set("spark.sql.shuffle.partitions", str(partitions))
        active.conf.set("spark.sql.adaptive.enabled", adaptive)
        yield active
        return
    java_version()
    with tempfile.TemporaryDirectory(prefix="liaison-spark-") as tmp:
        log_conf = Path(tmp) / "log4j2.properties"
        log_conf.write_text(_LOG4J2, encoding="utf-8")
        java_opts = f"-Dlog4j2.configurationFile=file:{log_conf} -Dlog4j.configurationFile=file:{log_conf}"
        spark = (
            SparkSession.builder.master(os.environ.get(MASTER_ENV) or DEFAULT_MASTER)
            .appName(app_name)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", str(partitions))
            .config("spark.default.parallelism", str(partitions))
            .config("spark.sql.adaptive.enabled", adaptive)
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.local.dir", tmp)
            .config("spark.driver.extraJavaOptions", java_opts)
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        try:
            yield spark
        finally:
            spark.stop()


# --- PageRank as an iteration of joins ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SparkPageRank:
    """The incidence PageRank's result, as `pagerank.incidence_pagerank` gives it for the local engine.

    `flow`: person_id, pmid, flow (one row per incidence entry: `d·(y_p − x_i)/(n_p − 1)` of the step past the
    last iterate); `baseline`: `(1−d)/N + d·dangling/N` of that step, so PageRank = baseline + Σ flow.
    """

    flow: DataFrame
    baseline: float
    iterations: int
    converged: bool


def pagerank_spark(
    nodes: DataFrame,
    incidence: DataFrame,
    n_persons: int,
    *,
    damping: float,
    max_iterations: int,
    tolerance: float,
) -> SparkPageRank:
    """Weighted co-author PageRank as an iteration of joins over the person x paper incidence table.

    `nodes`: person_id, s (the number of the person's multi-author papers; 0 for a dangling person), one row per
    person of the graph (N = `n_persons`). `incidence`: person_id, pmid, n (the paper's persons, at least 2).
    One step is the spec's two sparse products as joins, `y_p = Σ x_i` over a paper's authors and then
    `Σ_p d·(y_p − x_i)/(n_p − 1)` per person, plus the baseline. The co-author graph itself is never built.
    Each iterate is checkpointed (lineage cut), so step k costs the same as step 1. Stops, like the local
    engine, when the L1 change is below `tolerance`, then takes one more step whose terms are the evidence.
    """
    from pyspark.sql import functions as F

    d, n = damping, float(n_persons)
    incidence = incidence.select(
        "person_id", "pmid", (F.lit(1.0) / (F.col("n").cast("double") - 1.0)).alias("inv")
    ).localCheckpoint()

    def flows(rank: DataFrame) -> DataFrame:
        x = rank.where(F.col("s") > 0).select("person_id", (F.col("pr") / F.col("s")).alias("x"))
        entries = incidence.join(x, "person_id")
        y = entries.groupBy("pmid").agg(F.sum("x").alias("y"))
        return entries.join(y, "pmid").select(
            "person_id", "pmid", (F.lit(d) * (F.col("y") - F.col("x")) * F.col("inv")).alias("flow")
        )

    def totals(rank: DataFrame) -> tuple[float, float]:
        """(L1 change of this iterate, dangling mass) in one pass."""
        row = rank.agg(
            F.sum(F.abs(F.col("pr") - F.col("old"))), F.sum(F.when(F.col("s") == 0, F.col("pr")))
        ).first()
        return float(row[0] or 0.0), float(row[1] or 0.0)

    rank = nodes.select("person_id", "s", F.lit(1.0 / n).alias("pr"), F.lit(1.0 / n).alias("old"))
    rank = rank.localCheckpoint()
    _, dangling = totals(rank)
    iterations, converged = 0, False
    while iterations < max_iterations:
        baseline = (1.0 - d) / n + d * dangling / n
        inflow = flows(rank).groupBy("person_id").agg(F.sum("flow").alias("inflow"))
        rank = (
            rank.join(inflow, "person_id", "left")
            .select(
                "person_id",
                "s",
                (F.lit(baseline) + F.coalesce(F.col("inflow"), F.lit(0.0))).alias("pr"),
                F.col("pr").alias("old"),
            )
            .localCheckpoint()
        )
        iterations += 1
        change, dangling = totals(rank)
        if change < tolerance:
            converged = True
            break
    return SparkPageRank(flows(rank), (1.0 - d) / n + d * dangling / n, iterations, converged)


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

    def _collect(self, frame: DataFrame, schema: dict[str, Any]) -> pl.DataFrame:
        """Collect a (small, final) DataFrame to Polars through Arrow, with the local engine's column types."""
        table = frame.select(*schema).toArrow()
        return pl.from_arrow(table).cast(schema) if table.num_rows else pl.DataFrame(schema=schema)

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
        for component in COMPONENTS:
            if component == "publications":
                frame = pubs.select(
                    "person_id", "record_id", "points", self._detail("publications").alias("detail")
                )
            elif component == "network":
                frame, network_counts = self.network(pubs)
            elif component == "trials":
                frame = trials if trials is not None else None
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
