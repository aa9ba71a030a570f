"""The safety-reports resource: reporters see their own reports, drug safety triages them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from api_support import detail_of
from liaison.safety.models import ReportStatus, SafetyReport


@pytest.fixture
def report(api: Any, hcp: Any) -> SafetyReport:
    response = api("alice").post(
        "/interactions",
        {
            "attendees": [str(hcp.uuid)],
            "occurred_at": (timezone.now() - dt.timedelta(days=2)).isoformat(),
            "channel": "phone",
            "purpose": "education",
            "ae_attestation": "yes",
            "notes": "A patient had anaphylaxis after the first infusion.",
        },
    )
    return SafetyReport.objects.get(uuid=response.json()["safety_reports"][0]["uuid"])


def test_it_lets_drug_safety_list_read_and_triage(api: Any, report: SafetyReport, world: Any) -> None:
    sam = api("sam")
    assert sam.get("/safety-reports", status="new").json()["count"] == 1
    body = sam.get(f"/safety-reports/{report.uuid}").json()
    assert "suspect product" in body["missing_minimum_criteria"]
    response = sam.post(
        f"/safety-reports/{report.uuid}/triage",
        {
            "status": "forwarded",
            "safety_case_id": "CASE-1",
            "patient_initials": "JD",
            "patient_age": 54,
            "suspect_product": str(world["product"].uuid),
        },
    )
    assert response.status_code == 200, response.content
    assert (
        response.json()["status"] == "forwarded" and response.json()["suspect_product"]["name"] == "Onkotrex"
    )
    assert response.json()["day_zero"] == body["day_zero"]
    assert sam.get("/safety-reports", status="new").json()["count"] == 0


def test_it_refuses_a_patient_name_in_place_of_initials(api: Any, report: SafetyReport) -> None:
    response = api("sam").post(f"/safety-reports/{report.uuid}/triage", {"patient_initials": "J0"})
    assert response.status_code == 422
    assert detail_of(response)[0]["loc"] == ["body", "patient_initials"]


def test_it_needs_a_note_to_close_a_report_as_not_an_ae(api: Any, report: SafetyReport) -> None:
    response = api("sam").post(f"/safety-reports/{report.uuid}/triage", {"status": "not_an_ae"})
    assert response.status_code == 422
    report.refresh_from_db()
    assert report.status == ReportStatus.NEW


def test_it_shows_the_reporter_their_report_but_not_triage(api: Any, report: SafetyReport) -> None:
    alice = api("alice")
    assert alice.get("/safety-reports").json()["count"] == 1
    assert alice.get(f"/safety-reports/{report.uuid}").status_code == 200
    assert alice.post(f"/safety-reports/{report.uuid}/triage", {"status": "forwarded"}).status_code == 403


def test_it_hides_other_reporters_reports_with_the_same_404(api: Any, report: SafetyReport) -> None:
    hidden = api("mona").get(f"/safety-reports/{report.uuid}")
    missing = api("mona").get("/safety-reports/6f1c1f43-0d37-4a4b-9f59-2c1d1d1d1d1d")
    assert hidden.status_code == missing.status_code == 404 and hidden.content == missing.content


def test_it_filters_reports_by_day_zero(api: Any, report: SafetyReport) -> None:
    sam = api("sam")
    assert sam.get("/safety-reports", since=timezone.now().isoformat()).json()["count"] == 0
    assert sam.get("/safety-reports", until=timezone.now().isoformat()).json()["count"] == 1
    assert sam.get("/safety-reports", trigger="attestation").json()["count"] == 1
