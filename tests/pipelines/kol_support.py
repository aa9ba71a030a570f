"""Real sample tables for the KOL engines' tests (local and Spark): built once from /work/shared/data.

`build_sample_tables(tmp_path)` runs the real pipelines on the shared public samples: PubMed XML (NLM) through
run_pubmed and identity resolution, the 2017 MeSH tree, ClinicalTrials.gov API v2 studies, and CMS Open
Payments (Iowa research payments PY2015 and one physician's general payments). Only the links table is
hand-built (`sample_links`): linking is another module, and the tests need links they can reason about.
Tests skip with a clear message when the shared data is absent (a user's checkout without ../shared).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from liaison_pipelines.kol import Area
from liaison_pipelines.pubmed_run import run_pubmed
from liaison_pipelines.resolve import resolve_authors, write_authorships
from liaison_pipelines.sources.pubmed import iter_articles
from liaison_pipelines.sources_run import run_clinicaltrials, run_mesh, run_open_payments
from liaison_pipelines.tables import PipelineTables

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
PUBMED = SHARED / "pubmed"
MESH_TREE = SHARED / "mesh" / "2017MeshTree.txt.gz"
TRIALS = SHARED / "clinicaltrials" / "api_v2_json"
PAYMENTS = [
    SHARED / "open_payments" / "OP_research_payments_PY2015_Iowa.csv.gz",
    SHARED / "open_payments" / "general_payments_by_physician" / "individual-docs-1045914-GNRL.csv",
]

# Neoplasms, eye diseases, pathological conditions: 70-odd articles of the samples and two trials with people
SAMPLE_AREA = Area(name="Sample", tree_numbers=("C04", "C11", "C23"))
AS_OF_YEAR = 2017

LINKS_COLUMNS = {
    "person_id": pl.String,
    "target": pl.String,
    "target_id": pl.String,
    "target_name": pl.String,
    "confidence": pl.Float64,
    "evidence": pl.List(pl.String),
    "status": pl.String,
}


def build_sample_tables(tmp_path: Path) -> PipelineTables:
    """Run the real ingest pipelines on the shared samples into `tmp_path`; links are written by sample_links."""
    if not (PUBMED.is_dir() and MESH_TREE.exists() and TRIALS.is_dir()):
        pytest.skip(f"the shared real data is absent ({SHARED}); these tests need it")
    tables = PipelineTables(root=Path(tmp_path))
    pubmed_files = sorted(p for p in PUBMED.iterdir() if p.name.endswith((".xml", ".xml.gz")))
    run_pubmed(pubmed_files, tables.articles.parent, workers=1)
    # identity resolution over the records that survived (the last appearance of a PMID wins, deletions go)
    latest = {}
    for path in pubmed_files:
        for article in iter_articles(path):
            if article.deleted:
                latest.pop(article.pmid, None)
            else:
                latest[article.pmid] = article
    write_authorships(resolve_authors(latest.values()), tables.authorships)
    run_mesh([MESH_TREE], tables.mesh_tree.parent)
    run_clinicaltrials([TRIALS], tables.trials.parent)
    run_open_payments([p for p in PAYMENTS if p.exists()], tables.payments.parent)
    return tables


def write_links(tables: PipelineTables, rows: list[dict]) -> Path:
    """links.parquet with the columns of docs/kol-scores.md "Linking"; missing fields get neutral values."""
    full = [
        {
            "target_name": "",
            "confidence": 0.95,
            "evidence": ["hand-built for a test"],
            "status": "linked",
            **r,
        }
        for r in rows
    ]
    tables.links.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(full, schema=LINKS_COLUMNS).write_parquet(tables.links)
    return tables.links


def area_persons(tables: PipelineTables, area: Area = SAMPLE_AREA) -> list[str]:
    """Person ids with an area paper, most area papers first (ties by id): stable picks for hand-built links."""
    from liaison_pipelines.kol.common import area_descriptors

    pmids = (
        pl.read_parquet(tables.mesh)
        .filter(pl.col("descriptor_ui").is_in(area_descriptors(tables, area)))
        .select("pmid")
        .unique()
    )
    counts = (
        pl.read_parquet(tables.authorships)
        .join(pmids, on="pmid", how="semi")
        .group_by("person_id")
        .agg(pl.col("pmid").n_unique().alias("n"))
        .sort(["n", "person_id"], descending=[True, False])
    )
    return counts["person_id"].to_list()


def sample_links(tables: PipelineTables) -> list[dict]:
    """Investigator and payment-recipient links for three area persons, plus rows scoring must ignore.

    NCT00763412 (diabetes, hypoglycaemia: C23 via its condition MeSH) has a Study Chair (position 1) and a
    Principal Investigator (2); NCT06171568 is outside the area. The Iowa payments name profile 211123
    as principal investigator; profile 1045914 receives general payments.
    """
    first, second, third = area_persons(tables)[:3]
    return [
        {"person_id": first, "target": "investigator", "target_id": "NCT00763412:2"},
        {"person_id": first, "target": "investigator", "target_id": "NCT00763412:1", "status": "accepted"},
        {"person_id": second, "target": "investigator", "target_id": "NCT00763412:1"},
        {"person_id": second, "target": "investigator", "target_id": "NCT06171568:1"},  # not an area trial
        {"person_id": third, "target": "investigator", "target_id": "NCT00763412:2", "status": "suggested"},
        {"person_id": third, "target": "investigator", "target_id": "NCT00763412:1", "status": "rejected"},
        {"person_id": first, "target": "payment_recipient", "target_id": "211123"},
        {"person_id": second, "target": "payment_recipient", "target_id": "1045914"},
        {"person_id": third, "target": "payment_recipient", "target_id": "35650", "status": "suggested"},
    ]
