"""Benchmark: KOL scoring of one area at 1M articles, and sparse PageRank against networkx on the same data.

    .venv/bin/python bench/kol_score.py                     # 1,000,000 area articles (a few minutes)
    .venv/bin/python bench/kol_score.py --articles 100000   # quicker
    .venv/bin/python bench/kol_score.py --nx-sizes 50000,200000

A generator writes realistic input tables (the pipelines' Parquet layout) to a temporary folder:
- N area articles plus N/5 outside the area, years 1990-2025 (more recent ones more frequent, 1% without a
  year), publication types in realistic shares (Journal Article, Review, RCT, Meta-Analysis, Case Reports...);
- 3-12 authors per paper (lognormal count, median 5); authors drawn with Zipf-like productivity (person k
  is picked with weight 1/k^0.9), half of a paper's co-authors from the first author's "lab" (nearby ids),
  so teams recur as in real bibliographies;
- 4-10 MeSH headings per article from the real 2017 MeSH tree (../shared/data/mesh; a synthetic tree when
  absent): area articles carry at least one Neoplasms (C04) descriptor, others none;
- N/50 trials, half in the area, 1-4 people each, 70% of them linked to an author as an investigator.

Each measurement runs in a fresh process (peak RSS = that process's VmHWM, so the generator's memory is not
counted): score_area end to end (reading the Parquet tables, all outputs written), then for the smaller sizes
the network step alone: our incidence PageRank vs networkx.pagerank on the materialised co-author graph
(the tool a user would otherwise pick), both from the same (person, paper) pairs, and how far apart they are.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

MESH_TREE = ROOT.parent / "shared" / "data" / "mesh" / "2017MeshTree.txt.gz"
AREA = ("C04",)
AS_OF_YEAR = 2025
TYPES = [  # (publication types, share)
    (["Journal Article"], 0.62),
    (["Journal Article", "Review"], 0.14),
    (["Journal Article", "Randomized Controlled Trial"], 0.06),
    (["Journal Article", "Clinical Trial, Phase II"], 0.04),
    (["Journal Article", "Case Reports"], 0.07),
    (["Meta-Analysis", "Systematic Review", "Journal Article"], 0.02),
    (["Practice Guideline"], 0.01),
    (["Letter", "Comment"], 0.04),
]


# --- data --------------------------------------------------------------------------------------------------


def _mesh_tree(root: Path) -> tuple[list[str], list[str]]:
    """Write mesh_tree.parquet; return (area descriptors, other descriptors)."""
    from liaison_pipelines.sources.mesh import MeshTree
    from liaison_pipelines.sources_run import run_mesh

    out = root / "mesh"
    if MESH_TREE.exists():
        run_mesh([MESH_TREE], out)
    else:  # synthetic: 600 descriptors under C04, 20,000 elsewhere
        rows = [(f"C04.{i:03d}", f"D{100000 + i:06d}") for i in range(600)]
        rows += [(f"E{i // 900:02d}.{i % 900:03d}", f"D{200000 + i:06d}") for i in range(20_000)]
        out.mkdir(parents=True, exist_ok=True)
        pl.DataFrame(
            {"tree_number": [r[0] for r in rows], "descriptor_ui": [r[1] for r in rows]}
        ).write_parquet(out / "mesh_tree.parquet")
    tree = MeshTree.from_parquet(out / "mesh_tree.parquet")
    area = sorted(tree.descendants(AREA))
    everything = pl.read_parquet(out / "mesh_tree.parquet")["descriptor_ui"].unique().sort().to_list()
    other = sorted(set(everything) - set(area))
    return area, other


def generate(root: Path, n_area: int, seed: int = 7) -> dict[str, int]:
    """Write the input tables for n_area area articles under root; returns counts."""
    rng = np.random.default_rng(seed)
    area_ui, other_ui = _mesh_tree(root)
    n = n_area + n_area // 5
    pmid = np.arange(1, n + 1, dtype=np.int64)
    in_area = np.zeros(n, dtype=bool)
    in_area[rng.choice(n, n_area, replace=False)] = True

    years = (1990 + np.floor(36 * rng.random(n) ** 0.6)).astype(np.int32)  # skewed to recent years
    no_year = rng.random(n) < 0.01
    type_idx = rng.choice(len(TYPES), n, p=[t[1] for t in TYPES])
    articles = (
        pl.DataFrame({"pmid": pmid, "year": years, "type_idx": type_idx})
        .with_columns(
            pl.when(pl.Series(no_year)).then(None).otherwise(pl.col("year")).alias("year"),
            pl.col("type_idx")
            .replace_strict({i: t[0] for i, t in enumerate(TYPES)}, return_dtype=pl.List(pl.String))
            .alias("publication_types"),
        )
        .drop("type_idx")
    )
    pub = root / "pubmed"
    pub.mkdir(parents=True, exist_ok=True)
    articles.write_parquet(pub / "articles.parquet")

    # MeSH headings: 4-10 per article; area articles get 1-3 area descriptors
    k = rng.integers(4, 11, n)
    mesh_pmid = np.repeat(pmid, k)
    ui = np.array(other_ui)[rng.integers(0, len(other_ui), mesh_pmid.size)]
    n_area_heads = np.where(in_area, rng.integers(1, 4, n), 0)
    first = np.repeat(np.cumsum(k) - k, 1)
    offs = np.arange(mesh_pmid.size) - np.repeat(first, k)
    is_area = offs < np.repeat(n_area_heads, k)
    ui[is_area] = np.array(area_ui)[rng.integers(0, len(area_ui), int(is_area.sum()))]
    pl.DataFrame(
        {"pmid": mesh_pmid, "descriptor_ui": ui, "major": rng.random(mesh_pmid.size) < 0.3}
    ).write_parquet(pub / "mesh.parquet")

    # authors: lognormal count 3..12; Zipf-like productivity; half of the co-authors from the first author's lab
    n_authors = np.clip(np.round(rng.lognormal(np.log(5), 0.45, n)), 3, 12).astype(np.int64)
    total = int(n_authors.sum())
    n_persons = max(1000, int(total / 4))
    weights = 1.0 / np.arange(1, n_persons + 1) ** 0.9
    cdf = np.cumsum(weights) / weights.sum()
    global_pick = np.minimum(np.searchsorted(cdf, rng.random(total)), n_persons - 1)
    starts = np.cumsum(n_authors) - n_authors
    position = (np.arange(total) - np.repeat(starts, n_authors) + 1).astype(np.int32)
    lab_of = np.repeat(global_pick[starts], n_authors)
    lab = np.clip(lab_of + rng.integers(-25, 26, total), 0, n_persons - 1)
    person = np.where((position > 1) & (rng.random(total) < 0.5), lab, global_pick)
    scramble = rng.permutation(n_persons)  # ids do not reveal productivity
    person_ids = pl.Series(scramble[person]).cast(pl.String).str.zfill(16)
    authorships = pl.DataFrame(
        {
            "pmid": np.repeat(pmid, n_authors),
            "author_position": position,
            "person_id": ("P" + person_ids),
        }
    ).with_columns(
        pl.format("Last{}", pl.col("person_id").str.slice(12)).alias("last_name"),
        pl.format("Fore{}", pl.col("person_id").str.slice(14)).alias("fore_name"),
        pl.lit("F").alias("initials"),
        pl.lit(0.9).alias("confidence"),
    )
    authorships.select(
        "pmid", "author_position", "last_name", "fore_name", "initials", "person_id", "confidence"
    ).write_parquet(pub / "authorships.parquet")
    authorships.select(
        "pmid", "author_position", "last_name", "fore_name", "initials",
        pl.when(pl.col("person_id").str.ends_with("7")).then(pl.format("0000-0001-{}-{}", pl.col("person_id").str.slice(9, 4), pl.col("person_id").str.slice(13, 4))).otherwise(pl.lit("")).alias("orcid"),
    ).write_parquet(pub / "authors.parquet")  # fmt: skip

    # trials, their people, investigator links
    n_trials = max(10, n_area // 50)
    nct = [f"NCT{i:08d}" for i in range(1, n_trials + 1)]
    trial_area = rng.random(n_trials) < 0.5
    cond = [
        [area_ui[rng.integers(len(area_ui))]] if a else [other_ui[rng.integers(len(other_ui))]]
        for a in trial_area
    ]
    phases = [["PHASE1"], ["PHASE2"], ["PHASE3"], ["PHASE4"], ["NA"], ["PHASE1", "PHASE2"]]
    trials_dir = root / "trials"
    trials_dir.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {
            "nct_id": nct,
            "phases": [phases[i] for i in rng.integers(0, len(phases), n_trials)],
            "start_date": [f"{y}-0{m}" for y, m in zip(rng.integers(1995, 2026, n_trials), rng.integers(1, 10, n_trials), strict=True)],
            "condition_mesh_ids": cond,
        }
    ).write_parquet(trials_dir / "trials.parquet")  # fmt: skip
    per_trial = rng.integers(1, 5, n_trials)
    roles = np.array(["Principal Investigator", "Study Chair", "Study Director", "Sub-Investigator", ""])
    people = pl.DataFrame(
        {
            "nct_id": np.repeat(nct, per_trial),
            "position": (np.arange(per_trial.sum()) - np.repeat(np.cumsum(per_trial) - per_trial, per_trial) + 1).astype(np.int32),
            "role": roles[rng.choice(len(roles), int(per_trial.sum()), p=[0.4, 0.1, 0.15, 0.15, 0.2])],
        }
    )  # fmt: skip
    people.write_parquet(trials_dir / "trial_people.parquet")
    linked = people.filter(pl.Series(rng.random(people.height) < 0.7))
    investigators = person_ids.gather(global_pick[rng.integers(0, total, linked.height)])
    links = pl.DataFrame(
        {
            "person_id": "P" + investigators,
            "target": "investigator",
            "target_id": linked["nct_id"] + ":" + linked["position"].cast(pl.String),
            "status": "linked",
        }
    )
    (root / "kol").mkdir(parents=True, exist_ok=True)
    links.write_parquet(root / "kol" / "links.parquet")
    return {
        "articles": n,
        "area_articles": n_area,
        "authorships": total,
        "person_pool": n_persons,
        "trials": n_trials,
        "trial_people": people.height,
        "links": links.height,
    }


# --- measurements (each in a child process) ----------------------------------------------------------------


def _peak_rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else float("nan")


def _rss_mb() -> float:
    match = re.search(r"VmRSS:\s+(\d+) kB", Path("/proc/self/status").read_text())
    return int(match.group(1)) / 1024 if match else float("nan")


def _area_pairs(root: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """(person index, paper index) of multi-author area papers, and the number of persons with an area paper."""
    from liaison_pipelines.kol.common import Area, area_descriptors
    from liaison_pipelines.tables import PipelineTables

    tables = PipelineTables(root)
    descriptors = area_descriptors(tables, Area("bench", AREA))
    pmids = (
        pl.scan_parquet(tables.mesh)
        .filter(pl.col("descriptor_ui").is_in(descriptors))
        .select("pmid")
        .unique()
    )
    pairs = (
        pl.scan_parquet(tables.authorships)
        .select("person_id", "pmid")
        .join(pmids, on="pmid", how="semi")
        .unique()
        .sort("person_id", "pmid")
        .collect()
    )
    _, person = np.unique(pairs["person_id"].to_numpy(), return_inverse=True)
    _, paper = np.unique(pairs["pmid"].to_numpy(), return_inverse=True)
    n_persons = int(person.max()) + 1
    authors = np.bincount(paper)
    multi = authors[paper] >= 2
    return person[multi], paper[multi], n_persons


def child(method: str, root: Path, out: Path) -> None:
    result: dict[str, object] = {}
    if method == "score":
        from liaison_pipelines.kol import Area, score_area
        from liaison_pipelines.tables import PipelineTables

        started = time.perf_counter()
        summary = score_area(PipelineTables(root), Area("bench", AREA), out, as_of_year=AS_OF_YEAR)
        result = {"seconds": time.perf_counter() - started, "summary": summary.as_dict()}
        result["counts"] = json.loads((out / "kol.manifest.json").read_text())["counts"]
    else:
        import networkx as nx

        from liaison_pipelines.kol.pagerank import incidence_pagerank

        person, paper, n_persons = _area_pairs(root)
        result["rss_before_mb"] = _rss_mb()
        started = time.perf_counter()
        if method == "sparse":
            pr = incidence_pagerank(person, paper, n_persons).pagerank
        else:
            graph = nx.Graph()
            graph.add_nodes_from(range(n_persons))
            order = np.argsort(paper, kind="stable")
            person_s, paper_s = person[order], paper[order]
            bounds = np.flatnonzero(np.r_[True, paper_s[1:] != paper_s[:-1], True])
            for a, b in zip(bounds[:-1], bounds[1:], strict=True):
                members = person_s[a:b].tolist()
                w = 1.0 / (len(members) - 1)
                for i, u in enumerate(members):
                    for v in members[i + 1 :]:
                        if graph.has_edge(u, v):
                            graph[u][v]["weight"] += w
                        else:
                            graph.add_edge(u, v, weight=w)
            built = time.perf_counter()
            ranks = nx.pagerank(graph, alpha=0.85, weight="weight", tol=1e-10 / n_persons, max_iter=100)
            pr = np.array([ranks[i] for i in range(n_persons)])
            result["build_seconds"] = built - started
            result["edges"] = graph.number_of_edges()
        result["seconds"] = time.perf_counter() - started
        result["persons"] = n_persons
        result["incidence_entries"] = int(person.size)
        np.save(out / f"{method}.npy", pr)
    result["peak_rss_mb"] = _peak_rss_mb()
    print(json.dumps(result))


def run_child(method: str, root: Path, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [sys.executable, __file__, "--child", method, str(root), str(out)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        sys.exit(f"{method} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=1_000_000, help="area articles (default 1,000,000)")
    parser.add_argument(
        "--nx-sizes", default="50000,200000", help="area articles for the networkx comparison"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, polars {pl.__version__}"
    )
    with tempfile.TemporaryDirectory(prefix="kol_bench_") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        counts = generate(root / f"n{args.articles}", args.articles)
        size = sum(p.stat().st_size for p in (root / f"n{args.articles}").rglob("*.parquet")) / 1e6
        print(f"generated {counts} in {time.perf_counter() - started:.1f} s ({size:.0f} MB of Parquet)")
        score = run_child("score", root / f"n{args.articles}", root / "out")
        c = score["counts"]
        print(
            f"score_area local, {args.articles:,} area articles: {score['seconds']:.1f} s, peak RSS "
            f"{score['peak_rss_mb']:.0f} MB; persons {score['summary']['persons']:,}, authorships "
            f"{c['area_authorships']:,}, network persons {c['network_persons']:,}, incidence entries "
            f"{c['network_incidence_entries']:,}, co-author pairs not materialised "
            f"{c['coauthor_pairs_not_materialised']:,}, PageRank iterations {c['pagerank_iterations']}; "
            f"outputs {score['summary']['outputs']}"
        )
        for n in [int(s) for s in args.nx_sizes.split(",") if s]:
            data = root / f"n{n}"
            generate(data, n)
            sparse = run_child("sparse", data, root / f"pr{n}")
            theirs = run_child("networkx", data, root / f"pr{n}")
            diff = float(
                np.abs(
                    np.load(root / f"pr{n}" / "sparse.npy") - np.load(root / f"pr{n}" / "networkx.npy")
                ).max()
            )
            print(
                f"PageRank, {n:,} area articles ({sparse['persons']:,} persons, {sparse['incidence_entries']:,} "
                f"incidence entries, {theirs['edges']:,} edges): incidence {sparse['seconds']:.2f} s / "
                f"{sparse['peak_rss_mb'] - sparse['rss_before_mb']:.0f} MB over the loaded pairs; networkx "
                f"{theirs['seconds']:.1f} s (graph build {theirs['build_seconds']:.1f} s) / "
                f"{theirs['peak_rss_mb'] - theirs['rss_before_mb']:.0f} MB over the loaded pairs; "
                f"(process peaks {sparse['peak_rss_mb']:.0f} / {theirs['peak_rss_mb']:.0f} MB); max |difference| {diff:.1e}"
            )


if __name__ == "__main__":
    main()
