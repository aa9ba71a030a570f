"""The incidence PageRank of docs/kol-scores.md as an iteration of Spark joins (the Spark engine's network)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only; pyspark stays an optional, lazy import
    from pyspark.sql import DataFrame


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
        assert row is not None  # an aggregate without groups has exactly one row
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
