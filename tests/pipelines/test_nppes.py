"""NPPES: individual providers kept, organisations and deactivated or invalid NPIs counted as skipped."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pyarrow.parquet as pq

from liaison_pipelines.sources.nppes import (
    REASON_BAD_NPI,
    REASON_DEACTIVATED,
    REASON_ORGANISATION,
    REASON_SHORT_ROW,
    iter_providers,
    npi_check_digit,
    npi_is_valid,
)
from liaison_pipelines.sources_run import run_nppes

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "nppes" / "npidata_pfile_synthetic.csv"


def test_npi_check_digit_follows_the_luhn_rule_with_prefix_80840():
    assert npi_is_valid("1234567893")  # the example NPI in CMS's check-digit note
    assert not npi_is_valid("1234567890")
    assert not npi_is_valid("123456789") and not npi_is_valid("12345678AB")
    assert npi_check_digit("123456789") == "3"


def test_individuals_are_kept_with_names_credential_place_and_taxonomies():
    skipped: list[str] = []
    providers = {p.npi: p for p in iter_providers(SAMPLE, skip=skipped.append)}
    assert list(providers) == ["1999900016", "1999900024", "1999900065"]
    ada = providers["1999900016"]
    assert (ada.last_name, ada.first_name, ada.middle_name, ada.name_prefix) == (
        "QUILLFEATHER",
        "ADA",
        "M",
        "DR.",
    )
    assert (ada.credential, ada.city, ada.state, ada.postal_code) == ("M.D.", "IOWA CITY", "IA", "522421009")
    assert ada.taxonomies == ["207R00000X", "207RH0003X"]
    assert ada.primary_taxonomy == "207RH0003X"  # the one switched to Y, not the first
    assert ada.enumeration_date == "2005-05-23"
    assert providers["1999900024"].last_name == "MÜLLER-ŁUKASZ"


def test_a_taxonomy_listed_once_per_license_is_kept_once_and_address_line_2_is_read():
    ada = next(p for p in iter_providers(SAMPLE, skip=lambda reason: None) if p.npi == "1999900016")
    assert ada.taxonomies == ["207R00000X", "207RH0003X"]  # the third column repeats the second code
    assert (ada.address_line_1, ada.address_line_2) == ("100 EXAMPLE AVE", "SUITE 4200")


def test_without_a_primary_switch_the_first_taxonomy_is_primary():
    bram = {p.npi: p for p in iter_providers(SAMPLE)}["1999900065"]
    assert bram.primary_taxonomy == "2084N0400X" and bram.other_last_name == "ELMWOOD"


def test_organisations_deactivated_and_invalid_npis_are_counted_with_their_reason(tmp_path):
    manifest = run_nppes([SAMPLE], tmp_path)
    assert manifest.skipped_records == {REASON_ORGANISATION: 1, REASON_DEACTIVATED: 1, REASON_BAD_NPI: 1}
    assert REASON_ORGANISATION == "organisation, not an individual"
    assert (manifest.read, manifest.written) == (6, 3)
    table = pq.read_table(tmp_path / "providers.parquet").to_pylist()
    assert [r["npi"] for r in table] == ["1999900016", "1999900024", "1999900065"]
    assert table[0]["taxonomies"] == ["207R00000X", "207RH0003X"]


def test_runner_is_idempotent_byte_for_byte(tmp_path):
    run_nppes([SAMPLE], tmp_path / "a")
    run_nppes([SAMPLE], tmp_path / "b")
    a, b = ((tmp_path / d / "providers.parquet").read_bytes() for d in "ab")
    assert hashlib.sha256(a).digest() == hashlib.sha256(b).digest()


def test_broken_files_and_rows_are_skipped_with_their_reason(tmp_path):
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    short = lines[1][: lines[1].index('","', 100)] + '"'  # a row cut short at a field boundary
    (tmp_path / "short.csv").write_text("\n".join([lines[0], short, *lines[2:]]) + "\n", encoding="utf-8")
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "error.csv").write_bytes(b"<!doctype html><title>Service Unavailable</title>")
    (tmp_path / "truncated.csv.gz").write_bytes(gzip.compress(SAMPLE.read_bytes(), mtime=0)[:600])
    (tmp_path / "other.csv").write_text("NPI,Name\n1234567893,X\n", encoding="utf-8")
    manifest = run_nppes([tmp_path], tmp_path / "out")
    reasons = {Path(i.path).name: i.skipped for i in manifest.inputs}
    assert reasons["empty.csv"] == "empty file"
    assert reasons["error.csv"].startswith("HTML page")
    assert reasons["truncated.csv.gz"].startswith("truncated or corrupt compressed file")
    assert reasons["other.csv"].startswith("not an NPPES data file")
    assert reasons["short.csv"] == ""
    assert manifest.skipped_records[REASON_SHORT_ROW] == 1
    assert manifest.written == 2  # the short row was one of the three individuals
