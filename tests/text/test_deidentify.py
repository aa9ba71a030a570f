"""De-identification (liaison_text.deidentify): what leaves medical, warnings while typing, small groups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liaison_text.deidentify import deidentify, patient_identifier_warnings, small_groups

CASES = [
    json.loads(line)
    for line in (Path(__file__).parent / "fixtures" / "identifiers.jsonl").read_text().splitlines()
    if line
]


def test_it_removes_names_identifiers_contacts_and_dates():
    text = (
        "Dr Amara Okafor saw patient Jane Doe (MRN 12345678, DOB 03/04/1961) on 12 March 2024; "
        "call 555-123-4567 or amara.okafor@hospital.org. Okafor will follow up in May 2024."
    )
    out = deidentify(text, names=["Amara Okafor"])
    for leaked in (
        "Amara",
        "Okafor",
        "Jane",
        "Doe",
        "12345678",
        "1961",
        "March",
        "555",
        "hospital.org",
        "May 2024",
    ):
        assert leaked not in out, leaked
    assert (
        out.count("[NAME]") == 3
        and "[ID]" in out
        and "[DATE]" in out
        and "[PHONE]" in out
        and "[EMAIL]" in out
    )


def test_it_keeps_the_clinical_content():
    text = "A 54-year-old woman on 20 mg daily developed grade 2 neutropenia after cycle 3."
    assert deidentify(text) == text


def test_titled_names_go_even_when_the_app_did_not_know_them():
    assert deidentify("Prof. Ingrid Larsen and Mrs Patel disagreed.") == "[NAME] and [NAME] disagreed."


@pytest.mark.parametrize("case", [c for c in CASES if c["warn"]], ids=lambda c: c["why"])
def test_it_warns_about_patient_identifiers(case):
    warnings = patient_identifier_warnings(case["text"])
    assert any(case["why"] in w for w in warnings), warnings


@pytest.mark.parametrize("case", [c for c in CASES if not c["warn"]], ids=lambda c: c["text"][:30])
def test_it_does_not_warn_about_initials_age_sex_or_visit_dates(case):
    assert patient_identifier_warnings(case["text"]) == []


def test_groups_below_five_are_suppressed_with_a_complementary_one():
    counts = {"Iowa": 12, "Ohio": 3, "Utah": 8, "Texas": 20}
    # Ohio alone hidden would be recoverable as the total minus the others: Utah (next smallest) goes too.
    assert small_groups(counts) == {"Ohio", "Utah"}
    assert small_groups(counts, complementary=False) == {"Ohio"}
    assert small_groups({"a": 2, "b": 4, "c": 9}) == {"a", "b"}
    assert small_groups({"a": 5, "b": 0}) == set()
    assert small_groups({"a": 6, "b": 6}, minimum=7) == {"a", "b"}
