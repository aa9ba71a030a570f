"""Web pages for drug safety: the queue against the SLA, one report, and triage."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.engagement.test_web import login, without_tokens

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(world, hcp, acting):
    from liaison.engagement.actions import log_interaction
    from liaison.safety.models import SafetyReport

    with acting(world["alice"]):
        interaction = log_interaction(
            acting_user=world["alice"],
            attendees=[hcp],
            data={
                "occurred_at": timezone.now() - dt.timedelta(hours=30),
                "channel": "in_person",
                "purpose": "scientific_exchange",
                "ae_attestation": "yes",
                "therapeutic_area": world["oncology"],
                "notes": "A patient developed a rash and was hospitalised.",
            },
        )
    return SafetyReport.objects.get(interaction=interaction)


def test_drug_safety_sees_the_queue_with_the_overdue_badge(client, world, report):
    login(client, world["sam"])
    body = client.get(reverse("safety:report_list")).content.decode()
    assert reverse("safety:report_detail", args=[report.uuid]) in body
    assert "Overdue" in body and "rash" in body


def test_the_detail_page_highlights_terms_and_lists_missing_criteria(client, world, report):
    login(client, world["sam"])
    body = client.get(reverse("safety:report_detail", args=[report.uuid])).content.decode()
    assert "<mark" in body and ">rash</mark>" in body
    assert "immutable" in body.lower() or "can never be changed" in body
    assert "Identifiable patient" in body and "missing" in body
    assert reverse("engagement:interaction_detail", args=[report.interaction.uuid]) in body
    assert "Never enter a patient" in body


def test_drug_safety_forwards_a_report_even_with_missing_criteria(client, world, report):
    login(client, world["sam"])
    response = client.post(
        reverse("safety:report_detail", args=[report.uuid]),
        {
            "patient_initials": "JD",
            "patient_age": "54",
            "patient_sex": "F",
            "reporter_name": "",
            "suspect_product": "",
            "event_description": "Maculopapular rash after cycle 2.",
            "status": "forwarded",
            "note": "Sent to Argus",
            "safety_case_id": "CASE-2026-0042",
        },
        follow=True,
    )
    assert response.status_code == 200
    report.refresh_from_db()
    assert report.status == "forwarded" and report.safety_case_id == "CASE-2026-0042"
    assert report.patient_initials == "JD" and report.patient_age == 54
    assert "suspect product" in report.missing_minimum_criteria
    assert "forwarded" in response.content.decode().lower()


def test_triage_refuses_a_name_in_the_initials(client, world, report):
    login(client, world["sam"])
    response = client.post(
        reverse("safety:report_detail", args=[report.uuid]),
        {"patient_initials": "J0hn", "status": "in_review"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["patient_initials"]
    report.refresh_from_db()
    assert report.patient_initials == "" and report.status == "new"


def test_the_reporter_sees_their_report_but_cannot_triage(client, world, report):
    login(client, world["alice"])
    url = reverse("safety:report_detail", args=[report.uuid])
    assert client.get(url).status_code == 200
    assert client.post(url, {"status": "forwarded"}).status_code == 403
    login(client, world["bob"])
    assert client.get(url).status_code == 404


def test_commercial_gets_403_on_the_safety_queue(client, world):
    login(client, world["dave"])
    assert client.get(reverse("safety:report_list")).status_code == 403


def test_commercial_cannot_tell_an_existing_report_from_a_missing_one(client, world, report):
    login(client, world["dave"])
    existing = client.get(reverse("safety:report_detail", args=[report.uuid]))
    missing = client.get(reverse("safety:report_detail", args=[uuid.uuid4()]))
    assert existing.status_code == missing.status_code == 403
    assert without_tokens(existing.content) == without_tokens(missing.content)
