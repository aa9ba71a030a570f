"""CMS Open Payments: both column layouts to one schema, principal investigators, profiles, counted bad rows."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from liaison_pipelines.sources.open_payments import (
    Payment,
    PhysicianProfile,
    iter_open_payments,
    parse_amount,
    parse_date,
)
from liaison_pipelines.sources_run import run_open_payments

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "open_payments"
RESEARCH_2015 = FIXTURES / "OP_research_payments_PY2015_Iowa_sample.csv.gz"
RESEARCH_2021 = FIXTURES / "OP_DTL_RSRCH_PGYR2021_synthetic_layout.csv"
GENERAL_2021 = FIXTURES / "OP_DTL_GNRL_PGYR2021_synthetic_layout.csv"
PROFILES_2014 = FIXTURES / "OP_physician_profile_supplement_2014_Iowa_sample.csv.gz"
PROFILES_2021 = FIXTURES / "OP_CVRD_RCPNT_PRFL_SPLMTL_synthetic_layout.csv"
GNRL = FIXTURES / "individual-docs-1045914-GNRL.csv"
RSRCH = FIXTURES / "individual-docs-1045914-RSRCH.csv"
SUMMARY = FIXTURES / "individual-docs-1045914.csv"
SHARED = Path("/work/shared/data/open_payments")


def payments(path: Path) -> dict[str, Payment]:
    out = {}
    for item in iter_open_payments(path):
        assert isinstance(item, Payment)
        out[item.record_id] = item
    return out


def rows(path: Path) -> list[dict]:
    return pq.read_table(path).to_pylist()


def test_raw_research_row_gives_amount_date_manufacturer_and_its_principal_investigator():
    p = payments(RESEARCH_2015)["254936860"]
    assert (p.kind, p.program_year, p.amount_usd, p.date) == ("research", 2015, 658.84, dt.date(2015, 12, 31))
    assert p.manufacturer == "AstraZeneca Pharmaceuticals LP"
    assert p.teaching_hospital_name == "Univ Of Iowa Hosp & Clinic"
    assert p.form_of_payment == "In-kind items and services"
    assert p.study_name.startswith(
        "Multicentre, Double-blind, Randomized, Parallel Group, Phase 3 Safety Extension"
    )
    [pi] = p.principal_investigators
    assert (pi.profile_id, pi.first_name, pi.middle_name, pi.last_name) == ("1157105", "Joel", "N", "Kline")
    assert pi.specialty == "Allopathic & Osteopathic Physicians|Internal Medicine|Pulmonary Disease"
    assert pi.license_states == ["IA"]


def test_research_rows_carry_their_clinicaltrials_gov_identifier():
    p = payments(RESEARCH_2015)["263814786"]
    assert (p.nct_id, p.amount_usd) == ("NCT02438826", 262.0)


def test_both_layouts_give_the_same_payments_and_investigators():
    old, new = payments(RESEARCH_2015), payments(RESEARCH_2021)
    assert old.keys() == new.keys() and len(old) == 28
    for record_id, a in old.items():
        b = new[record_id]
        for name in ("amount_usd", "manufacturer", "first_name", "last_name", "recipient_profile_id", "specialty",
                     "license_states", "teaching_hospital_name", "study_name", "nct_id", "drug_names", "device_names"):  # fmt: skip
            assert getattr(a, name) == getattr(b, name), (record_id, name)
        assert (b.program_year, b.date.year) == (2021, 2021)
        assert [(pi.profile_id, pi.last_name, pi.specialty) for pi in a.principal_investigators] == [
            (pi.profile_id, pi.last_name, pi.specialty) for pi in b.principal_investigators
        ]
        assert all(pi.npi.startswith("19999") for pi in b.principal_investigators)
        assert all(pi.npi == "" for pi in a.principal_investigators)  # no NPI before PY2021


def test_a_two_investigator_payment_yields_both_investigators():
    p = payments(RESEARCH_2015)["263674738"]
    assert [pi.slot for pi in p.principal_investigators] == [1, 2]


def test_new_layout_general_rows_carry_the_npi_and_product():
    p = payments(GENERAL_2021)["195021720"]
    assert (p.kind, p.npi, p.recipient_profile_id, p.amount_usd) == (
        "general",
        "1999900990",
        "1045914",
        1754.77,
    )
    assert (p.drug_names, p.nature_of_payment, p.number_of_payments) == (
        ["TRACLEER BOSENTAN"],
        "Travel and Lodging",
        1,
    )


def test_trimmed_per_physician_files_take_the_year_from_the_date_and_the_nct_id_from_the_link():
    g = payments(GNRL)["195021720"]
    assert (g.kind, g.program_year, g.amount_usd, g.date) == ("general", 2014, 1754.77, dt.date(2014, 9, 17))
    assert (g.drug_names, g.nature_of_payment) == (["TRACLEER BOSENTAN"], "Travel and Lodging")
    r = payments(RSRCH)["31639983"]
    assert (r.kind, r.program_year, r.amount_usd, r.nct_id) == ("research", 2013, 18750.0, "NCT01266265")
    assert r.context == ""  # "NA" in the file


def test_profile_supplements_of_both_layouts_give_names_alternates_and_licenses():
    old = {p.profile_id: p for p in iter_open_payments(PROFILES_2014) if isinstance(p, PhysicianProfile)}
    assert len(old) == 20
    assert (old["130"].first_name, old["130"].last_name) == ("MARIA", "OLBERDING")
    assert (old["130"].alternate_first_name, old["130"].alternate_last_name) == ("MARIE", "MURABITO")
    assert old["12"].license_states == ["TX", "NC", "MI", "IA"]
    new = {p.profile_id: p for p in iter_open_payments(PROFILES_2021) if isinstance(p, PhysicianProfile)}
    assert (
        new["12"].license_states == old["12"].license_states
        and new["12"].city == old["12"].city == "Davenport"
    )
    assert new["130"].npi == "1999980000"


def test_amounts_and_dates_parse_strictly():
    assert parse_amount("$1,754.77") == 1754.77
    assert parse_amount("abc") is None and parse_amount("") is None and parse_amount("nan") is None
    assert parse_date("09/17/2014") == dt.date(2014, 9, 17)
    assert parse_date("2014-09-17") == dt.date(2014, 9, 17)
    assert parse_date("13/45/2014") is None


def test_runner_writes_payments_pi_payments_and_physicians_and_skips_the_summary_file(tmp_path):
    manifest = run_open_payments([FIXTURES], tmp_path)
    reasons = {Path(i.path).name: i.skipped for i in manifest.inputs}
    assert reasons["individual-docs-1045914.csv"].startswith("summary file")
    assert sum(1 for r in reasons.values() if r) == 1
    assert manifest.outputs["physicians.parquet"] == 25
    assert manifest.outputs["payments.parquet"] == 28 + 28 + 5 + 12 + 6
    pi = rows(tmp_path / "pi_payments.parquet")
    kline = [r for r in pi if r["record_id"] == "254936860" and r["program_year"] == 2015]
    assert kline[0]["last_name"] == "Kline" and kline[0]["amount_usd"] == 658.84
    assert manifest.skipped_records == {}


def test_runner_is_idempotent_byte_for_byte(tmp_path):
    run_open_payments([FIXTURES], tmp_path / "a")
    run_open_payments(sorted(FIXTURES.glob("*.csv*"), reverse=True), tmp_path / "b")
    digest = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (tmp_path / "a").glob("*.parquet")}
    assert len(digest) == 3
    assert digest == {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (tmp_path / "b").glob("*.parquet")
    }


def test_bad_rows_are_skipped_and_counted_with_their_reason(tmp_path):
    text = GNRL.read_text(encoding="utf-8").splitlines()
    header, good = text[0], text[1:]
    bad = [
        good[0].replace(",1754.77,", ",12O.00,"),  # letter O for a zero
        good[1].replace(",12/04/2014,", ",12/34/2014,"),
        good[2].replace(",195021722,", ",,"),  # no record id
        good[3].rsplit(",", 3)[0],  # cut short
    ]
    path = tmp_path / "general.csv"
    path.write_text("\n".join([header, *bad, *good[4:]]) + "\n", encoding="utf-8")
    manifest = run_open_payments([path], tmp_path / "out")
    assert manifest.skipped_records == {
        "unparseable amount": 1,
        "unparseable date": 1,
        "missing record id": 1,
        "malformed row (wrong number of columns)": 1,
    }
    assert manifest.written == len(good) - 4
    assert manifest.read == len(good)


def test_broken_files_are_skipped_with_their_reason(tmp_path):
    files = {
        "empty.csv": b"",
        "error.csv": b"<html><head><title>404 Not Found</title></head></html>",
        "truncated.csv.gz": RESEARCH_2015.read_bytes()[:2000],
        "totals.csv": b"Physician_Profile_ID,Total\n1,2\n",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    manifest = run_open_payments([tmp_path / n for n in files], tmp_path / "out")
    reasons = {Path(i.path).name: i.skipped for i in manifest.inputs}
    assert reasons["empty.csv"] == "empty file"
    assert reasons["error.csv"].startswith("HTML page")
    assert reasons["truncated.csv.gz"].startswith("truncated or corrupt compressed file")
    assert reasons["totals.csv"].startswith("not an Open Payments payments file")


def test_a_truncated_file_keeps_its_complete_rows_and_is_still_named(tmp_path):
    raw = gzip.decompress(RESEARCH_2015.read_bytes())
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gzip.compress(raw, mtime=0)[:-400])
    manifest = run_open_payments([cut], tmp_path / "out")
    assert manifest.inputs[0].skipped.startswith("truncated or corrupt compressed file")
    assert 0 < manifest.written < 28


@pytest.mark.skipif(
    not SHARED.exists(), reason="the full samples in /work/shared/data/open_payments are absent"
)
def test_full_shared_files_give_every_row(tmp_path):
    manifest = run_open_payments(
        [
            SHARED / "OP_research_payments_PY2015_Iowa.csv.gz",
            SHARED / "OP_physician_profile_supplement_2014_Iowa.csv.gz",
        ],
        tmp_path,
    )
    assert manifest.outputs["payments.parquet"] == 4295
    assert manifest.outputs["physicians.parquet"] == 5251
    assert manifest.skipped_records == {}
    pi = rows(tmp_path / "pi_payments.parquet")
    assert len({r["record_id"] for r in pi}) == len([r for r in pi if r["pi_slot"] == 1])
