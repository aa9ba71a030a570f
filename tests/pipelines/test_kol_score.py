"""KOL scores, local engine, on real public samples: every point traces to evidence, the score is the documented
weighted mean, the network is PageRank on the (never materialised) co-author graph, outputs are deterministic."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import networkx as nx
import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest

from liaison_pipelines.kol import COMPONENTS, Area, Weights, score_area
from liaison_pipelines.kol.common import (
    EVIDENCE_SCHEMA,
    PAYMENTS_CONTEXT_SCHEMA,
    SCORES_SCHEMA,
    area_descriptors,
    effective_year,
)
from liaison_pipelines.kol.pagerank import incidence_pagerank
from liaison_pipelines.tables import PipelineTables

sys.path.insert(0, str(Path(__file__).parent))
from kol_support import AS_OF_YEAR, SAMPLE_AREA, build_sample_tables, sample_links, write_links  # noqa: E402

OUTPUTS = ("scores.parquet", "evidence.parquet", "payments_context.parquet", "kol.manifest.json")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory):
    tables = build_sample_tables(tmp_path_factory.mktemp("kol_tables"))
    links = sample_links(tables)
    write_links(tables, links)
    out = tmp_path_factory.mktemp("kol_out")
    summary = score_area(tables, SAMPLE_AREA, out, as_of_year=AS_OF_YEAR)
    return {
        "tables": tables,
        "links": links,
        "out": out,
        "summary": summary,
        "scores": pl.read_parquet(out / "scores.parquet"),
        "evidence": pl.read_parquet(out / "evidence.parquet"),
        "payments": pl.read_parquet(out / "payments_context.parquet"),
    }


def _copy_tables(tables: PipelineTables, dest: Path, drop: tuple[str, ...] = ()) -> PipelineTables:
    shutil.copytree(tables.root, dest)
    copy = PipelineTables(root=dest)
    for name in drop:
        getattr(copy, name).unlink()
    return copy


# --- the score is its evidence -------------------------------------------------------------------------------


def test_it_scores_the_area_from_real_records(sample):
    summary, scores = sample["summary"], sample["scores"]
    assert summary.engine == "local" and summary.area == "Sample"
    assert summary.area_articles > 50 and summary.area_trials >= 1
    assert summary.persons == scores.height > 400
    assert summary.outputs == {
        "scores.parquet": scores.height,
        "evidence.parquet": sample["evidence"].height,
        "payments_context.parquet": sample["payments"].height,
    }
    assert set(summary.inputs) >= {
        "articles",
        "authors",
        "authorships",
        "mesh",
        "mesh_tree",
        "links",
        "trials",
    }
    manifest = json.loads((sample["out"] / "kol.manifest.json").read_text())
    assert manifest["inputs"] == summary.inputs and manifest["as_of_year"] == AS_OF_YEAR
    assert Weights.from_dict(manifest["weights"]) == Weights()
    assert manifest["counts"]["pagerank_converged"] == 1


def test_every_component_raw_is_the_sum_of_its_evidence_points(sample):
    sums = (
        sample["evidence"].group_by("person_id", "component").agg(pl.col("points").sum(), pl.len().alias("n"))
    )
    scores = sample["scores"]
    for component in COMPONENTS:
        part = sums.filter(pl.col("component") == component)
        joined = scores.select("person_id", f"{component}_raw").join(part, on="person_id", how="left")
        joined = joined.with_columns(pl.col("points").fill_null(0.0), pl.col("n").fill_null(0))
        diff = (joined[f"{component}_raw"] - joined["points"]).abs() - joined["n"] * 1e-9
        assert diff.max() <= 1e-12, component
        if component != "trials":
            assert part.height > 10, f"{component}: too little evidence to prove anything"


def test_every_evidence_row_names_its_record(sample):
    ev = sample["evidence"]
    pubmed = ev.filter(pl.col("source") == "pubmed")
    assert pubmed["record_id"].str.contains(r"^\d+$").all()
    assert ev.filter(pl.col("source") == "clinicaltrials")["record_id"].str.contains(r"^NCT\d{8}$").all()
    assert (ev["detail"].str.len_chars() > 10).all()
    assert set(ev["component"].unique()) == set(COMPONENTS)


def test_the_score_is_the_weighted_mean_of_the_normalised_components(sample):
    scores, w = sample["scores"], Weights().components
    for c in COMPONENTS:
        top = scores[f"{c}_raw"].max()
        expected = (100 * scores[f"{c}_raw"] / top) if top > 0 else scores[f"{c}_raw"] * 0
        assert np.allclose(scores[f"{c}_norm"], expected, atol=1e-8), c
    expected = sum(w[c] * scores[f"{c}_norm"] for c in COMPONENTS) / sum(w.values())
    assert np.allclose(scores["score"], expected, atol=1e-8)
    assert scores["score"].max() <= 100 and scores["score"].min() >= 0


def test_ranks_follow_the_score_with_ties_broken_by_person_id(sample):
    scores = sample["scores"]
    assert scores["rank"].to_list() == list(range(1, scores.height + 1))
    rows = list(zip(scores["score"], scores["person_id"], strict=True))
    assert rows == sorted(rows, key=lambda r: (-r[0], r[1]))
    assert scores["score"].n_unique() < scores.height, "the sample has ties, so the tie rule is exercised"


def test_outputs_have_the_documented_columns(sample):
    out = sample["out"]
    assert pq.read_schema(out / "scores.parquet").names == SCORES_SCHEMA.names
    assert pq.read_schema(out / "evidence.parquet").names == EVIDENCE_SCHEMA.names
    assert pq.read_schema(out / "payments_context.parquet").names == PAYMENTS_CONTEXT_SCHEMA.names
    scores = sample["scores"]
    assert (scores["hcp_id"] == "").all()
    assert scores.filter(pl.col("area_papers") > 0)["name"].str.len_chars().min() > 0


def test_publication_points_are_position_times_type_times_recency_times_topic(sample):
    """An independent, row-by-row re-computation of every publications evidence row from the input tables."""
    tables, w = sample["tables"], Weights()
    descriptors = set(area_descriptors(tables, SAMPLE_AREA))
    major: dict[int, bool] = {}
    for row in pl.read_parquet(tables.mesh).iter_rows(named=True):
        if row["descriptor_ui"] in descriptors:
            major[row["pmid"]] = major.get(row["pmid"], False) or bool(row["major"])
    articles = {
        r["pmid"]: r for r in pl.read_parquet(tables.articles).iter_rows(named=True) if r["pmid"] in major
    }
    list_length: dict[int, int] = defaultdict(int)
    for r in pl.read_parquet(tables.authors, columns=["pmid", "author_position"]).iter_rows():
        list_length[r[0]] = max(list_length[r[0]], r[1])
    expected: dict[tuple[str, str], float] = {}
    for r in pl.read_parquet(tables.authorships).iter_rows(named=True):
        if r["pmid"] not in articles:
            continue
        art, pos, n = articles[r["pmid"]], r["author_position"], list_length[r["pmid"]]
        kind = (
            "sole"
            if n == 1
            else "first"
            if pos == 1
            else "last"
            if pos == n
            else "second"
            if pos == 2
            else "middle"
        )
        listed = [w.publication_types[t] for t in art["publication_types"] if t in w.publication_types]
        year = effective_year(art["year"], AS_OF_YEAR, w)
        points = (
            w.positions[kind]
            * (max(listed) if listed else w.publication_type_other)
            * 0.5 ** ((AS_OF_YEAR - year) / w.half_life_years)
            * (w.topic_major if major[r["pmid"]] else w.topic_minor)
        )
        key = (r["person_id"], str(r["pmid"]))
        expected[key] = max(points, expected.get(key, 0.0))
    got = {
        (r["person_id"], r["record_id"]): r["points"]
        for r in sample["evidence"].filter(pl.col("component") == "publications").iter_rows(named=True)
    }
    assert got.keys() == expected.keys()
    assert all(abs(got[k] - expected[k]) < 1e-9 for k in got)


def test_effective_years_follow_the_spec():
    w = Weights()
    assert effective_year(None, 2020, w) == 2010
    assert effective_year(2031, 2020, w) == 2020
    assert effective_year(2015, 2020, w) == 2015


# --- network: PageRank through the incidence -----------------------------------------------------------------


def _materialised_pagerank(person: list[int], paper: list[int], n_persons: int) -> dict[int, float]:
    """networkx.pagerank on the co-author graph built edge by edge (Newman weights 1/(n-1), summed)."""
    members: dict[int, list[int]] = defaultdict(list)
    for i, p in zip(person, paper, strict=True):
        members[p].append(i)
    graph = nx.Graph()
    graph.add_nodes_from(range(n_persons))
    for people in members.values():
        for a in people:
            for b in people:
                if a < b:
                    weight = 1 / (len(people) - 1)
                    old = graph.get_edge_data(a, b, {"weight": 0.0})["weight"]
                    graph.add_edge(a, b, weight=old + weight)
    return nx.pagerank(graph, alpha=0.85, weight="weight", tol=1e-14, max_iter=10_000)


def test_incidence_pagerank_equals_networkx_on_the_materialised_graph():
    # 7 persons, 4 papers: two people share two papers (weights add up), person 6 wrote alone (dangling)
    papers = {0: [0, 1, 2], 1: [0, 1], 2: [2, 3, 4, 5], 3: [1, 5]}
    person = [i for members in papers.values() for i in members]
    paper = [p for p, members in papers.items() for _ in members]
    ours = incidence_pagerank(np.array(person), np.array(paper), 7, tolerance=1e-14, max_iterations=1000)
    theirs = _materialised_pagerank(person, paper, 7)
    assert ours.converged
    assert np.allclose(ours.pagerank, [theirs[i] for i in range(7)], atol=1e-8, rtol=0)
    assert abs(ours.pagerank.sum() - 1) < 1e-12
    # what flowed through each paper plus the baseline is the whole PageRank
    flows = np.bincount(np.array(person), weights=ours.flow, minlength=7)
    assert np.allclose(flows + ours.baseline, ours.pagerank, atol=1e-15)
    assert ours.pagerank[6] == pytest.approx(ours.baseline)  # nobody sends rank to a lone author


def test_network_raw_is_networkx_pagerank_times_persons_on_the_real_sample(sample):
    pubs = sample["evidence"].filter(pl.col("component") == "publications").select("person_id", "record_id")
    persons = sorted(pubs["person_id"].unique())
    index = {p: i for i, p in enumerate(persons)}
    sizes = pubs.group_by("record_id").len()
    multi = pubs.join(sizes.filter(pl.col("len") >= 2), on="record_id", how="semi")
    theirs = _materialised_pagerank(
        [index[p] for p in multi["person_id"]], [int(r) for r in multi["record_id"]], len(persons)
    )
    raw = dict(sample["scores"].select("person_id", "network_raw").iter_rows())
    assert max(abs(raw[p] / len(persons) - theirs[index[p]]) for p in persons) < 1e-8


# --- trials and payments: links decide --------------------------------------------------------------------------


def test_trials_count_only_linked_area_trials_once_with_the_highest_role(sample):
    first, second, third = (sample["links"][i]["person_id"] for i in (0, 2, 4))
    trials = sample["evidence"].filter(pl.col("component") == "trials")
    assert trials.filter(pl.col("person_id") == first)["detail"].to_list() == [
        "Principal Investigator · no phase · 2006 · ×3.00 ×0.80 ×0.22"
    ]
    assert trials.filter(pl.col("person_id") == second)["record_id"].to_list() == [
        "NCT00763412"
    ]  # not NCT06171568
    assert trials.filter(pl.col("person_id") == third).is_empty(), "suggested and rejected links never count"
    expected = 3.0 * 0.8 * 0.5 ** ((AS_OF_YEAR - 2006) / 5)
    scores = sample["scores"].filter(pl.col("person_id") == first)
    assert scores["trials_raw"][0] == pytest.approx(expected, abs=1e-9)
    assert scores["area_trials"][0] == 1


def test_payments_context_lists_linked_recipients_once_and_sums_them(sample):
    tables, payments = sample["tables"], sample["payments"]
    first, second, third = (sample["links"][i]["person_id"] for i in (0, 2, 4))
    pi = pl.read_parquet(tables.pi_payments).filter(pl.col("profile_id") == "211123").unique("record_id")
    mine = payments.filter(pl.col("person_id") == first)
    assert mine.height == pi.height > 100 and set(mine["kind"]) == {"research_pi"}
    general = payments.filter(pl.col("person_id") == second)
    assert "general" in set(general["kind"])  # (1045914 is also named as a principal investigator)
    assert general["record_id"].is_unique().all()
    assert payments.filter(pl.col("person_id") == third).is_empty()
    usd = dict(sample["scores"].select("person_id", "payments_usd").iter_rows())
    assert usd[first] == pytest.approx(pi["amount_usd"].sum(), abs=1e-6)
    assert usd[third] == 0.0


# --- focus, momentum, rising stars -------------------------------------------------------------------------------


def test_focus_is_the_area_share_damped_below_five_papers(sample):
    tables = sample["tables"]
    totals = (
        pl.read_parquet(tables.authorships)
        .group_by("person_id")
        .agg(pl.col("pmid").n_unique().alias("total"))
    )
    scores = sample["scores"].filter(pl.col("area_papers") > 0).join(totals, on="person_id")
    expected = scores["area_papers"] / scores["total"] * (scores["area_papers"] / 5).clip(upper_bound=1.0)
    assert np.allclose(scores["focus_raw"], expected, atol=1e-9)
    assert (scores["focus_raw"] < 1).any() and (scores["total"] > scores["area_papers"]).any()


def test_momentum_and_rising_stars(sample):
    scores, ev = sample["scores"], sample["evidence"].filter(pl.col("component") == "momentum")
    assert (scores["momentum_raw"] >= 0).all() and (scores["momentum_raw"] > 0).any()
    assert ev["detail"].str.starts_with("recent window 2015-2017").any()
    stars = scores.filter(pl.col("rising_star"))
    assert stars.height > 0
    assert (stars["momentum_raw"] > 0).all() and (stars["first_year"] >= AS_OF_YEAR - 7).all()
    veterans = scores.filter((pl.col("momentum_raw") > 0) & (pl.col("first_year") < AS_OF_YEAR - 7))
    assert not veterans["rising_star"].any()


# --- weights change the ranking as expected -----------------------------------------------------------------------


def test_a_component_given_all_the_weight_decides_the_ranking(sample, tmp_path):
    only_trials = {c: 0.0 for c in COMPONENTS} | {"trials": 1.0}
    score_area(
        sample["tables"],
        SAMPLE_AREA,
        tmp_path,
        as_of_year=AS_OF_YEAR,
        weights=Weights.from_dict({"components": only_trials}),
    )
    scores = pl.read_parquet(tmp_path / "scores.parquet")
    assert scores["trials_raw"][0] == scores["trials_raw"].max() > 0
    assert scores.filter(pl.col("trials_raw") > 0)["rank"].max() == 2
    assert (scores["score"] == scores["trials_norm"]).all()


def test_raising_the_weight_of_guidelines_raises_their_authors(sample, tmp_path):
    """Practice guidelines worth 25 instead of 2.5: their authors' publication points and ranks go up."""
    weights = Weights.from_dict({"publication_types": {"Practice Guideline": 25.0, "Guideline": 25.0}})
    score_area(sample["tables"], SAMPLE_AREA, tmp_path, as_of_year=AS_OF_YEAR, weights=weights)
    before = sample["scores"].select(
        "person_id", pl.col("rank").alias("before"), pl.col("publications_raw").alias("p0")
    )
    after = pl.read_parquet(tmp_path / "scores.parquet").join(before, on="person_id")
    ev = sample["evidence"].filter(
        (pl.col("component") == "publications") & pl.col("detail").str.contains(" · (Practice )?Guideline · ")
    )
    if ev.is_empty():
        pytest.fail("the sample area has no guideline: pick another area")
    authors = after.filter(pl.col("person_id").is_in(ev["person_id"].implode()))
    assert (authors["publications_raw"] > authors["p0"]).all()
    assert (authors["rank"] < authors["before"]).all()


# --- determinism, errors -----------------------------------------------------------------------------------------


def test_two_runs_write_byte_identical_files(sample, tmp_path):
    score_area(sample["tables"], SAMPLE_AREA, tmp_path, as_of_year=AS_OF_YEAR)
    for name in OUTPUTS:
        assert (tmp_path / name).read_bytes() == (sample["out"] / name).read_bytes(), name


def test_a_missing_required_table_names_the_command_that_makes_it(sample, tmp_path):
    for table, words in (
        ("authorships", "write_authorships"),
        ("mesh_tree", "liaison ingest mesh"),
        ("articles", "liaison ingest pubmed"),
    ):
        tables = _copy_tables(sample["tables"], tmp_path / table, drop=(table,))
        with pytest.raises(FileNotFoundError, match=words):
            score_area(tables, SAMPLE_AREA, tmp_path / f"{table}_out", as_of_year=AS_OF_YEAR)
        assert not (tmp_path / f"{table}_out" / "scores.parquet").exists()


def test_missing_optional_tables_leave_trials_at_zero_and_payments_empty(sample, tmp_path):
    tables = _copy_tables(sample["tables"], tmp_path / "t", drop=("links", "trial_people", "pi_payments"))
    summary = score_area(tables, SAMPLE_AREA, tmp_path / "out", as_of_year=AS_OF_YEAR)
    scores = pl.read_parquet(tmp_path / "out" / "scores.parquet")
    assert (scores["trials_raw"] == 0).all() and (scores["payments_usd"] == 0).all()
    assert summary.outputs["payments_context.parquet"] == 0
    assert summary.area_trials == sample["summary"].area_trials


def test_an_area_without_descriptors_is_a_clear_error(sample, tmp_path):
    with pytest.raises(ValueError, match="no MeSH descriptor"):
        score_area(sample["tables"], Area("Nowhere", ("Z99",)), tmp_path, as_of_year=AS_OF_YEAR)
    with pytest.raises(ValueError, match="unknown engine"):
        score_area(sample["tables"], SAMPLE_AREA, tmp_path, as_of_year=AS_OF_YEAR, engine="dask")


def test_the_spark_engine_is_imported_only_when_asked_for():
    code = "import sys, liaison_pipelines.kol; print('liaison_pipelines.kol.spark' in sys.modules, 'pyspark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_weights_round_trip_through_json():
    weights = Weights.from_dict(
        {"components": {"network": 0.5}, "trial_roles": {"Co-Investigator": 0.7}, "momentum_years": 4}
    )
    again = Weights.from_dict(json.loads(json.dumps(weights.to_dict())))
    assert again == weights and hash(again) == hash(weights)
    assert weights.components["network"] == 0.5 and weights.components["publications"] == 0.35
    assert weights.trial_role("Co-Investigator") == 0.7 and weights.trial_role("anything else") == 1.0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"netwrok": 1}, "unknown weight key.*'netwrok'"),
        ({"components": {"influence": 1}}, r"weights.components: unknown key.*'influence'"),
        ({"positions": {"first": -1}}, r"weights.positions.first must be a finite number >= 0"),
        ({"half_life_years": "five"}, "weights.half_life_years must be a number"),
        ({"damping": True}, "weights.damping must be a number"),
        ({"damping": 1.0}, r"damping must be in \[0, 1\)"),
        ({"focus_min_papers": 2.5}, "focus_min_papers must be a whole number"),
        ({"components": {c: 0 for c in COMPONENTS}}, "at least one component weight"),
        ({"tolerance": float("nan")}, "tolerance must be a finite number"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_bad_weights_are_refused_with_a_clear_message(data, message):
    with pytest.raises(ValueError, match=message):
        Weights.from_dict(data)
