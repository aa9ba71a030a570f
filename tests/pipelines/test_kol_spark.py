"""The Spark engine of KOL scoring writes the same files as the local engine (docs/kol-scores.md "Engines").

One SparkSession (local mode) serves the whole module: starting one costs seconds, and score_area_spark uses
the session it finds active instead of starting its own. The Spark tests skip, saying why, only when PySpark
or a Java 17 runtime is missing; the checks on those error messages run everywhere.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from liaison_pipelines.kol import Weights, score_area, spark_setup
from liaison_pipelines.kol.pagerank import incidence_pagerank
from liaison_pipelines.kol.spark_pagerank import pagerank_spark
from liaison_pipelines.tables import PipelineTables

sys.path.insert(0, str(Path(__file__).parent))
from kol_support import AS_OF_YEAR, SAMPLE_AREA, build_sample_tables, sample_links, write_links  # noqa: E402

OUTPUTS = ("scores.parquet", "evidence.parquet", "payments_context.parquet")


def _spark_missing() -> str:
    try:
        spark_setup.check_spark()
    except spark_setup.SparkUnavailable as exc:
        return str(exc)
    return ""


needs_spark = pytest.mark.skipif(bool(_spark_missing()), reason=_spark_missing() or "Spark available")


@pytest.fixture(scope="module")
def spark():
    with spark_setup.spark_session(partitions=2) as session:
        yield session


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory, spark):
    """The real sample tables scored by each engine: (local out_dir, spark out_dir, spark summary)."""
    root = tmp_path_factory.mktemp("kol-spark")
    tables = build_sample_tables(root / "tables")
    write_links(tables, sample_links(tables))
    local_dir, spark_dir = root / "local", root / "spark"
    score_area(tables, SAMPLE_AREA, local_dir, as_of_year=AS_OF_YEAR)
    summary = score_area(tables, SAMPLE_AREA, spark_dir, as_of_year=AS_OF_YEAR, engine="spark")
    return local_dir, spark_dir, summary


# --- equality with the local engine on real data ------------------------------------------------------------


@needs_spark
@pytest.mark.slow
@pytest.mark.parametrize("name", OUTPUTS)
def test_it_writes_byte_identical_files_to_the_local_engine(both_engines, name):
    local_dir, spark_dir, _ = both_engines
    local, spark_frame = pl.read_parquet(local_dir / name), pl.read_parquet(spark_dir / name)
    assert local.height > 0
    # Row for row first, so that a failure names the rows; then the bytes, which is what the spec promises.
    assert spark_frame.columns == local.columns
    assert spark_frame.to_dicts() == local.to_dicts()
    assert (spark_dir / name).read_bytes() == (local_dir / name).read_bytes()


@needs_spark
@pytest.mark.slow
def test_the_compared_outputs_exercise_every_component(both_engines):
    """Equal files prove little if a component is empty in both: the sample must give every kind of row."""
    _, spark_dir, summary = both_engines
    evidence = pl.read_parquet(spark_dir / "evidence.parquet")
    assert set(evidence["component"]) == {"publications", "network", "trials", "focus", "momentum"}
    assert evidence.filter(pl.col("component") == "trials")["record_id"].to_list() == ["NCT00763412"] * 2
    assert summary.engine == "spark"
    assert summary.persons == pl.read_parquet(spark_dir / "scores.parquet").height
    assert summary.area_articles == 65 and summary.area_trials == 1


@needs_spark
@pytest.mark.slow
def test_its_manifest_differs_from_the_local_one_only_in_the_engine(both_engines):
    import json

    local_dir, spark_dir, _ = both_engines
    local = json.loads((local_dir / "kol.manifest.json").read_text())
    spark_manifest = json.loads((spark_dir / "kol.manifest.json").read_text())
    assert (local.pop("engine"), spark_manifest.pop("engine")) == ("local", "spark")
    assert spark_manifest == local  # same counts, PageRank iterations included


# --- the PageRank as joins ---------------------------------------------------------------------------------------

# persons 0..7: papers of 3, 2, 4 and 2 authors, person 6 alone on a paper (dangling), person 7 with none.
TOY_PAPERS = {101: [0, 1, 2], 102: [0, 1], 103: [2, 3, 4, 5], 104: [0, 4], 105: [6]}


@needs_spark
def test_its_pagerank_takes_the_same_steps_as_the_sparse_local_one(spark):
    """Same iterations, flows and baseline as pagerank.incidence_pagerank (itself checked against networkx)."""
    weights = Weights(tolerance=1e-4)  # a few iterations: each Spark iteration is a couple of jobs
    multi = [(p, pmid, len(a)) for pmid, a in TOY_PAPERS.items() for p in a if len(a) > 1]
    n_persons = 8
    local = incidence_pagerank(
        np.array([p for p, _, _ in multi]),
        np.array([pmid - 101 for _, pmid, _ in multi]),
        n_persons,
        damping=weights.damping,
        max_iterations=weights.max_iterations,
        tolerance=weights.tolerance,
    )
    strength = {p: sum(p in a for a in TOY_PAPERS.values() if len(a) > 1) for p in range(n_persons)}
    nodes = spark.createDataFrame(
        [(f"P{p}", float(s)) for p, s in strength.items()], "person_id string, s double"
    )
    incidence = spark.createDataFrame(
        [(f"P{p}", pmid, n) for p, pmid, n in multi], "person_id string, pmid long, n int"
    )
    result = pagerank_spark(
        nodes,
        incidence,
        n_persons,
        damping=weights.damping,
        max_iterations=weights.max_iterations,
        tolerance=weights.tolerance,
    )
    assert (result.iterations, result.converged) == (local.iterations, local.converged)
    assert result.iterations > 1
    assert result.baseline == pytest.approx(local.baseline, abs=1e-15)
    flows = {(r.person_id, r.pmid): r.flow for r in result.flow.collect()}
    expected = {(f"P{p}", pmid): f for (p, pmid, _), f in zip(multi, local.flow, strict=True)}
    assert flows.keys() == expected.keys()
    for key, value in expected.items():
        assert flows[key] == pytest.approx(value, abs=1e-15), key


# --- clear errors --------------------------------------------------------------------------------------------


def test_it_names_the_extra_to_install_when_pyspark_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # `import pyspark` now raises ImportError
    with pytest.raises(spark_setup.SparkUnavailable, match=r"pip install 'liaison\[spark\]'"):
        spark_setup.check_spark()


def test_it_asks_for_java_17_when_no_java_is_found(monkeypatch, tmp_path):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    with pytest.raises(spark_setup.SparkUnavailable, match="needs a Java 17 runtime"):
        spark_setup.java_version()


def test_it_refuses_a_java_older_than_17(monkeypatch, tmp_path):
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text("#!/bin/sh\necho 'openjdk version \"1.8.0_392\"' >&2\n")
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    with pytest.raises(spark_setup.SparkUnavailable, match="found Java 8"):
        spark_setup.java_version()


def test_a_missing_table_fails_before_spark_starts(tmp_path):
    with pytest.raises(FileNotFoundError, match="liaison ingest pubmed"):
        score_area(
            PipelineTables(root=tmp_path), SAMPLE_AREA, tmp_path / "out", as_of_year=2017, engine="spark"
        )
    assert not (tmp_path / "out").exists()


def test_shuffle_partitions_stay_small_for_small_inputs():
    assert spark_setup.shuffle_partitions(0) == 1
    assert spark_setup.shuffle_partitions(10 * 1024**3) == 161
    assert spark_setup.shuffle_partitions(10**15) == 200
