"""Linking persons across sources, on tables built from the real samples in /work/shared/data (PubMed,
ClinicalTrials.gov API v2, Open Payments Iowa): skipped when ../shared is absent.

The people used here are real: Lisa Marii Cookingham (University of Iowa, PMID 26260201) is both a PubMed
author and an Open Payments physician in Iowa City; Alan Sugrue (Mayo Clinic, PMID 26411977) carries an
ORCID; Susan R Weiss (University of Pennsylvania, PMID 26423942) an e-mail address. The HCP records are
what the app would hold about them, built here from those real names, places and identifiers.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from liaison_pipelines.inputs import SkippedInput
from liaison_pipelines.link import (
    AUTO_LINK,
    DECISION_SCHEMA,
    HCP_SCHEMA,
    LINK_SCHEMA,
    SUGGEST,
    LinkInputError,
    link_persons,
)
from liaison_pipelines.link.keys import block_key_expr, readable_case_expr
from liaison_pipelines.pubmed_run import run_pubmed
from liaison_pipelines.resolve import resolve_authors, write_authorships
from liaison_pipelines.resolve.names import FirstName, block_key, compare_first, parse_given_name
from liaison_pipelines.sources.pubmed import iter_articles
from liaison_pipelines.sources_run import run_clinicaltrials, run_open_payments
from liaison_pipelines.tables import PipelineTables

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
pytestmark = pytest.mark.skipif(not DATA.exists(), reason="needs the real samples in ../shared/data")

SUGRUE_ORCID = "0000-0001-9921-6968"
COOKINGHAM_PROFILE = "594739"  # her Open Payments physician profile id (PY2014 supplement, Iowa)


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> PipelineTables:
    root = tmp_path_factory.mktemp("pipelines")
    pubmed = sorted(p for p in (DATA / "pubmed").iterdir() if p.name.endswith((".xml", ".xml.gz")))
    run_pubmed(pubmed, root / "pubmed", workers=1)
    articles = [a for p in pubmed for a in _articles(p)]
    write_authorships(resolve_authors(articles), root / "pubmed" / "authorships.parquet")
    run_clinicaltrials([DATA / "clinicaltrials" / "api_v2_json"], root / "trials")
    run_open_payments([DATA / "open_payments"], root / "payments")
    return PipelineTables(root)


def _articles(path: Path) -> list:
    out: list = []
    with contextlib.suppress(SkippedInput):  # a broken sample file: keep what was read, as run_pubmed does
        out.extend(iter_articles(path))
    return out


def _hcp(hcp_id: str, first: str, last: str, **extra: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(HCP_SCHEMA.names, "")
    row.update(hcp_id=hcp_id, first_name=first, last_name=last, organizations=[])
    row.update(extra)
    return row


def _hcps(*rows: dict[str, object]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=HCP_SCHEMA)


HCPS = _hcps(
    _hcp(
        "00000000-0000-4000-8000-000000000001",
        "Alan",
        "Sugrue",
        orcid=SUGRUE_ORCID,
        organizations=["Mayo Clinic"],
    ),
    _hcp(
        "00000000-0000-4000-8000-000000000002",
        "Lisa",
        "Cookingham",
        city="Iowa City",
        state="IA",
        organizations=["University of Iowa Hospitals and Clinics"],
    ),
    _hcp("00000000-0000-4000-8000-000000000003", "Laura", "Cookingham", city="Iowa City", state="IA"),
    _hcp("00000000-0000-4000-8000-000000000004", "Susan", "Weiss", email="WeissSR@upenn.edu"),
    _hcp("00000000-0000-4000-8000-000000000005", "Alan", "Sugrue", orcid="0000-0002-1825-0097"),
)


def _decisions(*rows: tuple[str, str, str, str]) -> pa.Table:
    return pa.Table.from_pylist(
        [dict(zip(DECISION_SCHEMA.names, r, strict=True)) for r in rows], schema=DECISION_SCHEMA
    )


def _links(path: Path) -> pl.DataFrame:
    return pl.read_parquet(path)


def _person(tables: PipelineTables, last: str, fore: str) -> str:
    authorships = pl.read_parquet(tables.authorships)
    persons = authorships.filter((pl.col("last_name") == last) & (pl.col("fore_name") == fore))["person_id"]
    persons = persons.unique()
    assert persons.len() == 1, f"expected one {fore} {last} in the samples"
    return persons.item()


def test_an_hcp_with_the_same_orcid_is_linked_with_certainty(tables, tmp_path):
    link_persons(tables, tmp_path / "links.parquet", hcps=HCPS)
    row = (
        _links(tmp_path / "links.parquet")
        .filter(pl.col("target_id").str.ends_with("0001"))
        .row(0, named=True)
    )
    assert row["person_id"] == _person(tables, "Sugrue", "Alan")
    assert (row["confidence"], row["status"]) == (1.0, "linked")
    assert f"same ORCID {SUGRUE_ORCID}" in row["evidence"]
    assert 'affiliation shares "mayo clinic"' in row["evidence"]


def test_generic_institution_words_alone_are_no_affiliation_evidence(tables, tmp_path):
    link_persons(tables, tmp_path / "links.parquet", hcps=HCPS)
    row = (
        _links(tmp_path / "links.parquet")
        .filter(pl.col("target_id").str.ends_with("0002"))
        .row(0, named=True)
    )
    # "University of Iowa Hospitals and Clinics" / "University of Iowa College of Medicine": Iowa is the place.
    assert row["evidence"] == [
        "surname and first name agree (Lisa Marii Cookingham / Lisa Cookingham)",
        "city Iowa City, IA",
    ]
    assert row["status"] == "suggested"


def test_an_hcp_with_another_orcid_is_never_linked_whatever_the_name(tables, tmp_path):
    link_persons(tables, tmp_path / "links.parquet", hcps=HCPS)
    assert _links(tmp_path / "links.parquet").filter(pl.col("target_id").str.ends_with("0005")).is_empty()


def test_a_shared_email_links_an_hcp(tables, tmp_path):
    link_persons(tables, tmp_path / "links.parquet", hcps=HCPS)
    row = (
        _links(tmp_path / "links.parquet")
        .filter(pl.col("target_id").str.ends_with("0004"))
        .row(0, named=True)
    )
    assert row["person_id"] == _person(tables, "Weiss", "Susan R")
    assert row["status"] == "linked" and row["confidence"] >= AUTO_LINK
    assert "same e-mail weisssr@upenn.edu" in row["evidence"]


def test_conflicting_first_names_never_link(tables, tmp_path):
    link_persons(tables, tmp_path / "links.parquet", hcps=HCPS)
    links = _links(tmp_path / "links.parquet")
    assert links.filter(pl.col("target_name") == "Laura Cookingham").is_empty()
    # No written row, of any source, pairs first names that conflict.
    for row in links.iter_rows(named=True):
        person = parse_given_name(row["person_name"].rsplit(" ", 1)[0])
        target = parse_given_name(row["target_name"].split(",")[0].rsplit(" ", 1)[0].title())
        assert compare_first(person, target) is not FirstName.CONFLICT, row


def test_a_suggestion_says_why_in_sentences(tables, tmp_path):
    summary = link_persons(tables, tmp_path / "links.parquet", hcps=HCPS)
    row = (
        _links(tmp_path / "links.parquet")
        .filter((pl.col("target") == "payment_recipient") & (pl.col("target_id") == COOKINGHAM_PROFILE))
        .row(0, named=True)
    )
    assert row["person_id"] == _person(tables, "Cookingham", "Lisa Marii")
    assert row["status"] == "suggested" and SUGGEST <= row["confidence"] < AUTO_LINK
    assert row["evidence"] == [
        "surname and first name agree (Lisa Marii Cookingham / LISA COOKINGHAM)",
        "city Iowa City, IA",
    ]
    assert summary.count("payment_recipient", "suggested") >= 1
    # Every suggestion carries at least one sentence beyond the name.
    for suggested in (
        _links(tmp_path / "links.parquet").filter(pl.col("status") == "suggested").iter_rows(named=True)
    ):
        assert len(suggested["evidence"]) >= 2, suggested


def test_several_records_matching_one_author_equally_lower_each_other(tables, tmp_path):
    twins = _hcps(
        _hcp("00000000-0000-4000-8000-00000000000a", "Lisa", "Cookingham", city="Iowa City", state="IA"),
        _hcp("00000000-0000-4000-8000-00000000000b", "Lisa", "Cookingham", city="Iowa City", state="IA"),
    )
    link_persons(tables, tmp_path / "one.parquet", hcps=twins.slice(0, 1))
    link_persons(tables, tmp_path / "two.parquet", hcps=twins)
    alone = _links(tmp_path / "one.parquet").filter(pl.col("target") == "hcp")["confidence"].item()
    both = _links(tmp_path / "two.parquet").filter(pl.col("target") == "hcp")
    assert both.height == 2 and (both["confidence"] < alone).all()
    assert all(any("2 HCP records match this author" in e for e in ev) for ev in both["evidence"].to_list())


def test_an_accepted_link_survives_a_rerun_even_when_no_longer_found(tables, tmp_path):
    out = tmp_path / "links.parquet"
    cookingham, sugrue = _person(tables, "Cookingham", "Lisa Marii"), _person(tables, "Sugrue", "Alan")
    decisions = _decisions(
        (cookingham, "payment_recipient", COOKINGHAM_PROFILE, "accepted"),
        # A link linking would never propose (another person's profile): kept because the target exists.
        (sugrue, "payment_recipient", COOKINGHAM_PROFILE, "accepted"),
    )
    link_persons(tables, out, hcps=HCPS, decisions=decisions)
    link_persons(tables, out, hcps=HCPS, decisions=decisions)
    accepted = _links(out).filter(pl.col("status") == "accepted").sort("person_id")
    assert accepted.height == 2
    found = accepted.filter(pl.col("person_id") == cookingham).row(0, named=True)
    assert found["evidence"][-1] == "accepted by a user" and "city Iowa City, IA" in found["evidence"]
    forced = accepted.filter(pl.col("person_id") == sugrue).row(0, named=True)
    assert forced["target_name"] == "LISA COOKINGHAM"
    assert "no longer found by linking; kept because a user accepted it" in forced["evidence"]


def test_a_decision_on_a_target_that_is_gone_is_dropped_and_counted(tables, tmp_path):
    decisions = _decisions(
        (_person(tables, "Cookingham", "Lisa Marii"), "payment_recipient", "no-such-profile", "accepted")
    )
    summary = link_persons(tables, tmp_path / "links.parquet", decisions=decisions)
    assert summary.decisions_dropped == 1
    assert _links(tmp_path / "links.parquet").filter(pl.col("target_id") == "no-such-profile").is_empty()


def test_a_rejected_link_stays_rejected_and_is_never_linked(tables, tmp_path):
    out = tmp_path / "links.parquet"
    sugrue = _person(tables, "Sugrue", "Alan")
    decisions = _decisions((sugrue, "hcp", "00000000-0000-4000-8000-000000000001", "rejected"))
    for _ in range(2):
        link_persons(tables, out, hcps=HCPS, decisions=decisions)
        row = _links(out).filter(pl.col("target_id").str.ends_with("0001")).row(0, named=True)
        assert row["status"] == "rejected", "a certain ORCID match does not overrule the user"
        assert row["evidence"][-1] == "rejected by a user"
    assert _links(out).filter((pl.col("person_id") == sugrue) & (pl.col("status") == "linked")).is_empty()


def test_output_is_deterministic_and_sorted(tables, tmp_path):
    link_persons(tables, tmp_path / "a.parquet", hcps=HCPS)
    link_persons(tables, tmp_path / "b.parquet", hcps=HCPS)
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    table = pq.read_table(tmp_path / "a.parquet")
    assert table.schema.equals(LINK_SCHEMA)
    keys = list(zip(*(table[c].to_pylist() for c in ("person_id", "target", "target_id")), strict=True))
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


def test_missing_tables_are_skipped_and_reported(tables, tmp_path):
    only_pubmed = tmp_path / "only_pubmed"
    shutil.copytree(tables.root / "pubmed", only_pubmed / "pubmed")
    summary = link_persons(PipelineTables(only_pubmed), tmp_path / "a.parquet", hcps=HCPS)
    assert {"trial_people", "payments", "providers"} <= set(summary.sources_missing)
    assert set(_links(tmp_path / "a.parquet")["target"]) == {"hcp"}
    empty = link_persons(PipelineTables(tmp_path / "nothing"), tmp_path / "b.parquet")
    assert empty.rows == 0 and "authorships" in empty.sources_missing
    assert pq.read_table(tmp_path / "b.parquet").schema.equals(LINK_SCHEMA)


def test_unusable_decisions_and_hcps_raise_clear_errors(tables, tmp_path):
    with pytest.raises(LinkInputError, match="decision 'maybe'"):
        link_persons(tables, tmp_path / "x.parquet", decisions=_decisions(("P1", "hcp", "h", "maybe")))
    with pytest.raises(LinkInputError, match="target 'doctor'"):
        link_persons(tables, tmp_path / "x.parquet", decisions=_decisions(("P1", "doctor", "h", "accepted")))
    with pytest.raises(LinkInputError, match="lacks column"):
        link_persons(tables, tmp_path / "x.parquet", hcps=pa.table({"hcp_id": ["a"]}))
    with pytest.raises(LinkInputError, match="repeats hcp_id"):
        link_persons(tables, tmp_path / "x.parquet", hcps=_hcps(_hcp("a", "A", "B"), _hcp("a", "C", "D")))
    assert not (tmp_path / "x.parquet").exists(), "nothing is written from unusable input"


def test_the_vectorised_block_key_agrees_with_block_key_on_real_names(tables):
    authors = pl.read_parquet(tables.authorships).with_columns(
        k=block_key_expr(pl.col("last_name"), pl.col("fore_name"), pl.col("initials"))
    )
    physicians = pl.read_parquet(tables.physicians).with_columns(f=readable_case_expr(pl.col("first_name")))
    physicians = physicians.with_columns(k=block_key_expr(pl.col("last_name"), pl.col("f")))
    for frame, cols in ((authors, ("last_name", "fore_name", "initials")), (physicians, ("last_name", "f"))):
        disagree = [r for r in frame.select(*cols, "k").iter_rows() if r[-1] != block_key(*r[:-1])]
        assert disagree == [] and frame.height > 5000
