"""ClinicalTrials.gov: API v2 JSON, legacy XML and classic v1 JSON read into one schema; broken files skipped."""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from liaison_pipelines.sources.clinicaltrials import (
    REASON_MISLABELLED,
    iter_trials,
    normalise_date,
    normalise_phases,
    normalise_status,
)
from liaison_pipelines.sources_run import REASON_DUPLICATE_TRIAL, run_clinicaltrials

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "clinicaltrials"
V1_SAMPLE = FIXTURES / "classic_api_v1_covid-19-search_first3studies.json.gz"
SHARED = Path("/work/shared/data/clinicaltrials")


def trials_by_id(path: Path) -> dict:
    return {t.nct_id: t for t in iter_trials(path)}


def rows(path: Path) -> list[dict]:
    return pq.read_table(path).to_pylist()


def file_hashes(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.glob("*.parquet"))}


# --- API v2 JSON -------------------------------------------------------------------------------------------


def test_v2_study_gives_officials_with_role_and_affiliation():
    trial = trials_by_id(FIXTURES / "api_v2" / "NCT06171568.json")["NCT06171568"]
    officials = [(p.name, p.role, p.affiliation) for p in trial.people if p.source == "official"]
    assert officials == [
        ("Emmanuel Mandonnet, MD, PhD", "Principal Investigator", "Assistance Publique - Hôpitaux de Paris"),
        ("Alexis Schnitzler, MD, PhD", "Study Director", "Assistance Publique - Hôpitaux de Paris"),
    ]
    assert trial.lead_sponsor == "Assistance Publique - Hôpitaux de Paris"
    assert trial.collaborators == ["SBT Human(s) Matter", "Clinical Research Unit Saint Louis Lariboisière"]
    assert trial.locations[0].facility == "Neurosurgery - Lariboisière hospital"
    assert (trial.locations[0].city, trial.locations[0].country) == ("Paris", "France")


def test_v2_study_keeps_the_responsible_investigator_and_condition_mesh_ids_in_mesh_form():
    trial = trials_by_id(FIXTURES / "api_v2" / "NCT00973089.json")["NCT00973089"]
    assert [(p.name, p.role, p.source) for p in trial.people] == [
        ("Moti Moskovitz", "Principal Investigator", "responsible_party")
    ]
    assert trial.overall_status == "WITHDRAWN"
    assert trial.phases == ["NA"]
    assert (trial.start_date, trial.completion_date) == ("2010-05", "2015-03")
    assert trial.condition_mesh_ids == ["D003731"]  # ClinicalTrials.gov writes D000003731
    assert [(i.type, i.name) for i in trial.interventions] == [
        ("OTHER", "Incomplete caries removal in primary teeth")
    ]


def test_partial_v2_records_give_empty_fields_not_errors():
    trial = trials_by_id(FIXTURES / "api_v2" / "NCT03453554.json")["NCT03453554"]
    assert trial.brief_title == "Evaluating a Digital..."
    assert (trial.overall_status, trial.start_date, trial.lead_sponsor) == ("", "", "")
    assert trial.people == [] and trial.locations == [] and trial.phases == []


# --- legacy XML --------------------------------------------------------------------------------------------


def test_legacy_xml_gives_overall_officials_with_the_three_roles():
    trial = trials_by_id(FIXTURES / "legacy_xml" / "NCT02830269.xml")["NCT02830269"]
    assert [(p.name, p.role) for p in trial.people if p.source == "official"] == [
        ("GERALD CHANQUES, MD, Ph D", "Study Director"),
        ("Pierre-François PERRIGAULT, MD", "Study Chair"),
        ("Paul BORY, MD", "Principal Investigator"),
    ]
    assert {p.affiliation for p in trial.people} == {"University Hospital, Montpellier"}
    assert (trial.overall_status, trial.start_date, trial.completion_date) == (
        "RECRUITING",
        "2016-08-18",
        "2018-02-18",
    )
    assert trial.study_type == "OBSERVATIONAL"


def test_legacy_xml_gives_site_investigators_with_their_site():
    trial = trials_by_id(FIXTURES / "legacy_xml" / "NCT00482794.xml")["NCT00482794"]
    sites = [(p.name, p.role, p.affiliation, p.city) for p in trial.people if p.source == "site"]
    assert (
        "Thomas L. Ortel, MD, PhD",
        "Principal Investigator",
        "Duke University Medical Center",
        "Durham",
    ) in sites
    assert (
        "Silke Schmidt, PhD",
        "Principal Investigator",
        "Duke University Medical Center",
        "Durham",
    ) in sites
    assert trial.start_date == "2006-06"
    assert trial.lead_sponsor == "Duke University"


def test_legacy_xml_reads_the_old_style_responsible_party_name_title():
    trial = trials_by_id(FIXTURES / "legacy_xml" / "NCT01339988.xml")["NCT01339988"]

    [responsible] = [p for p in trial.people if p.source == "responsible_party"]
    assert responsible.name == "Menachem Bitan"
    assert responsible.affiliation == "Tel-Aviv Sourasky Medical Center"


def test_a_file_named_for_another_study_is_skipped_as_mislabelled():
    skipped: list[str] = []
    assert list(iter_trials(FIXTURES / "legacy_xml" / "NCT00980226.xml", skip=skipped.append)) == []
    assert skipped == [REASON_MISLABELLED]


# --- classic API v1 ----------------------------------------------------------------------------------------


def test_classic_v1_response_gives_its_studies_in_the_same_schema():
    trials = trials_by_id(V1_SAMPLE)
    assert list(trials) == ["NCT04973462", "NCT04595136", "NCT04367805"]
    first = trials["NCT04973462"]
    assert [(p.name, p.role, p.affiliation) for p in first.people if p.source == "official"] == [
        ("Nagwa A Sabri, professor", "Study Chair", "Department of Clinical Pharmacy")
    ]
    assert (first.phases, first.overall_status, first.start_date) == (["PHASE4"], "RECRUITING", "2021-08-01")
    assert first.conditions == ["Covid19"]
    assert first.locations[0].city == "Cairo"


def test_vocabularies_are_normalised_to_the_v2_enums():
    assert normalise_status("Active, not recruiting") == "ACTIVE_NOT_RECRUITING"
    assert normalise_status("Unknown status") == "UNKNOWN"
    assert normalise_phases(["Phase 1/Phase 2"]) == ["PHASE1", "PHASE2"]
    assert normalise_phases(["N/A"]) == normalise_phases(["Not Applicable"]) == ["NA"]
    assert normalise_phases(["Early Phase 1"]) == ["EARLY_PHASE1"]
    assert normalise_date("June 2006") == "2006-06"
    assert normalise_date("August 1, 2017") == "2017-08-01"
    assert normalise_date("sometime") == ""


# --- the runner --------------------------------------------------------------------------------------------


def test_runner_writes_trials_people_and_locations_from_every_format(tmp_path):
    manifest = run_clinicaltrials([FIXTURES], tmp_path)
    trials = {r["nct_id"]: r for r in rows(tmp_path / "trials.parquet")}
    assert {r["source_format"] for r in trials.values()} == {
        "api_v2_json",
        "legacy_xml",
        "classic_api_v1_json",
    }
    assert len(trials) == 11  # 5 v2 + 3 legacy + 3 v1; the mislabelled copy is not written
    assert manifest.read == 12 and manifest.written == 11
    assert manifest.skipped_records == {REASON_MISLABELLED: 1}
    people = rows(tmp_path / "trial_people.parquet")
    chair = [p for p in people if p["nct_id"] == "NCT02830269" and p["role"] == "Study Chair"]
    assert chair[0]["name"] == "Pierre-François PERRIGAULT, MD" and chair[0]["source"] == "official"
    assert {p["source"] for p in people} == {"official", "site", "responsible_party"}
    locations = rows(tmp_path / "trial_locations.parquet")
    assert {loc["nct_id"] for loc in locations} >= {"NCT06171568", "NCT00482794", "NCT04973462"}
    assert (tmp_path / "clinicaltrials.manifest.json").exists()


def test_runner_is_idempotent_byte_for_byte(tmp_path):
    run_clinicaltrials([FIXTURES], tmp_path / "a")
    run_clinicaltrials(list(reversed(sorted(FIXTURES.rglob("*.*")))), tmp_path / "b")
    first = file_hashes(tmp_path / "a")
    assert len(first) == 3
    assert first == file_hashes(tmp_path / "b")


def test_the_same_study_in_two_files_is_written_once_and_counted(tmp_path):
    shutil.copy(FIXTURES / "api_v2" / "NCT00973089.json", tmp_path / "a.json")
    shutil.copy(FIXTURES / "api_v2" / "NCT00973089.json", tmp_path / "b.json")
    manifest = run_clinicaltrials([tmp_path / "a.json", tmp_path / "b.json"], tmp_path / "out")
    assert manifest.written == 1
    assert manifest.skipped_records == {REASON_DUPLICATE_TRIAL: 1}


def broken_files(tmp_path: Path) -> dict[str, Path]:
    """Empty, HTML, truncated gzip, truncated JSON, truncated XML and not-a-study files, with their reasons."""
    files = {
        "empty.json": b"",
        "error.json": b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>",
        "truncated.json.gz": V1_SAMPLE.read_bytes()[:4000],
        "cut.json": (FIXTURES / "api_v2" / "NCT03418623.json").read_bytes()[:1500],
        "cut.xml": (FIXTURES / "legacy_xml" / "NCT02830269.xml").read_bytes()[:3000],
        "other.json": b'{"hello": "world"}',
        "other.xml": b"<?xml version='1.0'?><feed><entry/></feed>",
    }
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return {name: tmp_path / name for name in files}


def test_broken_files_are_skipped_with_their_reason_and_the_rest_still_runs(tmp_path):
    broken = broken_files(tmp_path / "in")
    good = FIXTURES / "api_v2" / "NCT00973089.json"
    manifest = run_clinicaltrials([*broken.values(), good, tmp_path / "missing.json"], tmp_path / "out")
    reasons = {Path(i.path).name: i.skipped for i in manifest.inputs}
    assert reasons["empty.json"] == "empty file"
    assert reasons["error.json"].startswith("HTML page")
    assert reasons["truncated.json.gz"].startswith("truncated or corrupt compressed file")
    assert reasons["cut.json"].startswith("malformed JSON")
    assert reasons["cut.xml"].startswith("malformed or truncated XML")
    assert reasons["other.json"].startswith("JSON but not a ClinicalTrials.gov study")
    assert reasons["other.xml"] == "XML without a <clinical_study> element"
    assert reasons["missing.json"] == "missing file"
    assert reasons["NCT00973089.json"] == ""
    assert manifest.written == 1
    assert [r["nct_id"] for r in rows(tmp_path / "out" / "trials.parquet")] == ["NCT00973089"]


def test_archives_are_read_member_by_member_and_bad_members_counted(tmp_path):
    members = tmp_path / "members"
    members.mkdir()
    for f in (FIXTURES / "legacy_xml").glob("*.xml"):
        shutil.copy(f, members / f.name)
    (members / "NCT99999999.xml").write_bytes(b"")
    (members / "NCT99999998.xml").write_bytes(b"<clinical_study><id_info><nct_id>NCT99999998")
    with tarfile.open(tmp_path / "studies.tar.gz", "w:gz") as tf:
        for f in sorted(members.iterdir()):
            tf.add(f, arcname=f"legacy_xml/{f.name}")
    with zipfile.ZipFile(tmp_path / "studies.zip", "w") as zf:
        for f in sorted(members.iterdir()):
            zf.write(f, arcname=f.name)
    for archive in ("studies.tar.gz", "studies.zip"):
        skipped: list[str] = []
        ids = sorted(t.nct_id for t in iter_trials(tmp_path / archive, skip=skipped.append))
        assert ids == ["NCT00482794", "NCT01339988", "NCT02830269"]
        assert len(skipped) == 3
        assert REASON_MISLABELLED in skipped and "archive member: empty file" in skipped
        assert any(s.startswith("archive member: malformed or truncated XML") for s in skipped)


@pytest.mark.skipif(
    not SHARED.exists(), reason="the full samples in /work/shared/data/clinicaltrials are absent"
)
def test_full_shared_samples_give_the_counts_their_source_notes_state(tmp_path):
    extracted = tmp_path / "xml"
    with tarfile.open(SHARED / "legacy_xml_clinical_study_63.tar.gz") as tf:
        tf.extractall(extracted, filter="data")
    paths = [SHARED / "api_v2_json", extracted, SHARED / "classic_api_v1_covid-19-search_100studies.json.gz"]
    manifest = run_clinicaltrials(paths, tmp_path / "out")
    assert manifest.read == 12 + 63 + 100
    assert manifest.skipped_records == {REASON_MISLABELLED: 1}  # NCT00980226.xml holds NCT00081588
    trials = rows(tmp_path / "out" / "trials.parquet")
    people = rows(tmp_path / "out" / "trial_people.parquet")
    formats = {t["nct_id"]: t["source_format"] for t in trials}
    officials = [p for p in people if p["source"] == "official"]
    by_format = {f: sum(1 for p in officials if formats[p["nct_id"]] == f) for f in set(formats.values())}
    assert by_format == {
        "api_v2_json": 9,
        "classic_api_v1_json": 87,
        "legacy_xml": 72 - 1,
    }  # not the mislabelled copy's
    site_legacy = [p for p in people if p["source"] == "site" and formats[p["nct_id"]] == "legacy_xml"]
    assert len(site_legacy) > 1100
    v2_locations = [
        r for r in rows(tmp_path / "out" / "trial_locations.parquet") if formats[r["nct_id"]] == "api_v2_json"
    ]
    assert len(v2_locations) == 157
