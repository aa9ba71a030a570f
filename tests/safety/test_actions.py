"""Safety reports: immutable Day 0, triage by drug safety only, minimum criteria, detector failure."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

import liaison_text.ae_lexicon
from liaison.core.models import AuditEvent
from liaison.core.permissions import PermissionDenied
from liaison.engagement.actions import log_interaction
from liaison.safety.actions import raise_manual_report, triage_report
from liaison.safety.models import ImmutableDayZero, ReportStatus, ReportTrigger, SafetyReport


@pytest.fixture
def report(world, hcp, acting):
    """A report raised by alice's attestation on an interaction two days ago."""
    with acting(world["alice"]):
        interaction = log_interaction(
            acting_user=world["alice"],
            attendees=[hcp],
            data={
                "occurred_at": timezone.now() - dt.timedelta(days=2),
                "channel": "phone",
                "purpose": "education",
                "ae_attestation": "yes",
            },
        )
    return SafetyReport.objects.get(interaction=interaction)


def test_it_refuses_to_change_day_zero_through_save(world, report, acting):
    original = report.day_zero
    report.day_zero = original + dt.timedelta(days=1)
    with acting(world["sam"]), pytest.raises(ImmutableDayZero):
        report.save()
    assert SafetyReport.objects.get(pk=report.pk).day_zero == original


def test_it_refuses_to_change_day_zero_through_a_queryset_update_or_bulk_update(world, report, acting):
    original = report.day_zero
    with acting(world["sam"]):
        with pytest.raises(ImmutableDayZero):
            SafetyReport.objects.filter(pk=report.pk).update(day_zero=timezone.now())
        report.day_zero = timezone.now()
        with pytest.raises(ImmutableDayZero):
            SafetyReport.objects.bulk_update([report], ["day_zero"])
    assert SafetyReport.objects.get(pk=report.pk).day_zero == original


def test_it_refuses_day_zero_in_triage(world, report, acting):
    with acting(world["sam"]), pytest.raises(ValidationError) as exc:
        triage_report(report, acting_user=world["sam"], day_zero=timezone.now())
    assert list(exc.value.message_dict) == ["day_zero"]


@pytest.mark.parametrize("name", ["alice", "mona", "lena", "iris", "carla", "otto", "dave", "ada"])
def test_it_lets_only_drug_safety_triage(world, report, acting, name):
    with acting(world[name]), pytest.raises(PermissionDenied):
        triage_report(report, acting_user=world[name], status="in_review")
    assert SafetyReport.objects.get(pk=report.pk).status == ReportStatus.NEW


def test_it_forwards_an_incomplete_report_and_lists_what_is_missing(world, report, acting):
    assert report.missing_minimum_criteria == ["identifiable patient", "suspect product", "adverse event"]
    with acting(world["sam"]):
        triage_report(
            report,
            acting_user=world["sam"],
            status="forwarded",
            safety_case_id="CASE-1",
            patient_initials="j.d.",
        )
    report.refresh_from_db()
    assert (report.status, report.safety_case_id, report.assigned_to) == ("forwarded", "CASE-1", world["sam"])
    assert report.patient_initials == "J.D."
    assert report.missing_minimum_criteria == ["suspect product", "adverse event"]
    assert AuditEvent.objects.filter(
        object_uuid=str(report.uuid), event_type="safetyreport.forwarded"
    ).exists()


def test_it_reports_no_missing_criteria_once_all_four_are_known(world, report, acting):
    with acting(world["sam"]):
        triage_report(
            report,
            acting_user=world["sam"],
            patient_age=54,
            suspect_product=world["product"],
            event_description="Grade 2 rash",
        )
    assert SafetyReport.objects.get(pk=report.pk).missing_minimum_criteria == []


@pytest.mark.parametrize("note", ["", "   "])
def test_it_refuses_not_an_ae_without_a_note(world, report, acting, note):
    with acting(world["sam"]), pytest.raises(ValidationError) as exc:
        triage_report(report, acting_user=world["sam"], status="not_an_ae", note=note)
    assert list(exc.value.message_dict) == ["note"]
    assert SafetyReport.objects.get(pk=report.pk).status == ReportStatus.NEW


def test_it_closes_as_not_an_ae_with_a_note(world, report, acting):
    with acting(world["sam"]):
        triage_report(report, acting_user=world["sam"], status="not_an_ae", note="Hypothetical question only")
    report.refresh_from_db()
    assert (report.status, report.triage_note) == ("not_an_ae", "Hypothetical question only")


@pytest.mark.parametrize(
    "fields",
    [
        {"patient_initials": "John Smith"},
        {"patient_initials": "12345"},
        {"patient_age": 150},
        {"patient_age": "old"},
        {"patient_sex": "X"},
        {"suspect_product": "Onkotrex"},
        {"patient_name": "John"},
    ],
)
def test_it_refuses_bad_case_fields_and_keeps_patient_identifiers_minimal(world, report, acting, fields):
    with acting(world["sam"]), pytest.raises(ValidationError) as exc:
        triage_report(report, acting_user=world["sam"], **fields)
    assert list(exc.value.message_dict) == list(fields)


def test_it_raises_a_report_flagged_for_review_when_the_detector_fails(world, hcp, acting, monkeypatch):
    def broken(text):
        raise RuntimeError("lexicon failed to load")

    monkeypatch.setattr(liaison_text.ae_lexicon, "detect", broken)
    when = timezone.now() - dt.timedelta(hours=6)
    with acting(world["alice"]):
        interaction = log_interaction(
            acting_user=world["alice"],
            attendees=[hcp],
            data={
                "occurred_at": when,
                "channel": "phone",
                "purpose": "education",
                "ae_attestation": "no",
                "notes": "Routine scientific exchange.",
            },
        )
    report = SafetyReport.objects.get(interaction=interaction)
    assert report.trigger == ReportTrigger.DETECTOR and report.status == ReportStatus.NEW
    assert report.day_zero == when
    assert report.source_field == "notes"
    assert "detector failed on: notes" in report.excerpt


def test_it_raises_a_manual_report_with_day_zero_as_given(world, acting):
    learned = timezone.now() - dt.timedelta(days=1)
    with acting(world["iris"]):
        report = raise_manual_report(
            acting_user=world["iris"], day_zero=learned, event_description="Syncope", patient_sex="F"
        )
    assert (report.day_zero, report.trigger, report.patient_sex) == (learned, "manual", "F")


@pytest.mark.parametrize("day_zero", ["yesterday", None, dt.datetime(2024, 1, 1)])
def test_it_refuses_a_manual_report_without_a_clear_day_zero(world, acting, day_zero):
    with acting(world["iris"]), pytest.raises(ValidationError) as exc:
        raise_manual_report(acting_user=world["iris"], day_zero=day_zero, event_description="Syncope")
    assert list(exc.value.message_dict) == ["day_zero"]


def test_it_refuses_a_manual_report_dated_in_the_future(world, acting):
    with acting(world["iris"]), pytest.raises(ValidationError) as exc:
        raise_manual_report(
            acting_user=world["iris"],
            day_zero=timezone.now() + dt.timedelta(days=1),
            event_description="Syncope",
        )
    assert list(exc.value.message_dict) == ["day_zero"]
    assert not SafetyReport.objects.exists()


def test_it_refuses_commercial_users_raising_reports(world, acting):
    with acting(world["dave"]), pytest.raises(PermissionDenied):
        raise_manual_report(acting_user=world["dave"], day_zero=timezone.now(), event_description="x")
