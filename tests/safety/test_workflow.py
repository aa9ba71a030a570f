"""The drug-safety workflow around the outbox: detection on every save, identifier warnings, the SLA with its
escalations, triage decisions as labels, and the delivery job."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

import liaison_text.ae_lexicon
from liaison.core.models import AuditEvent
from liaison.engagement.actions import log_interaction
from liaison.safety import detection, tasks
from liaison.safety.actions import triage_report
from liaison.safety.detection import triage_labels
from liaison.safety.models import SafetyEscalation, SafetyOutbox, SafetyReport
from liaison.safety.sla import escalate_reports, sla_level
from tests.engagement.test_web import login
from tests.safety.test_outbox import forward, raise_report

pytestmark = pytest.mark.django_db


def log(world: dict[str, Any], hcp: Any, acting: Any, notes: str, *, hours_ago: float = 1) -> Any:
    """alice logs an interaction with `notes` and no attestation; returns its report or None."""
    with acting(world["alice"]):
        interaction = log_interaction(
            acting_user=world["alice"],
            attendees=[hcp],
            data={
                "occurred_at": timezone.now() - dt.timedelta(hours=hours_ago),
                "channel": "phone",
                "purpose": "education",
                "ae_attestation": "no",
                "notes": notes,
            },
        )
    return SafetyReport.objects.filter(interaction=interaction).first()


# ---- detection on every save --------------------------------------------------------------------------------


def test_it_stores_what_the_detector_relied_on(world, hcp, acting):
    report = log(world, hcp, acting, "She developed severe neutropenia after the second dose of cisplatin.")
    assert report is not None and report.trigger == "detector"
    assert report.detector_layer == "lexicon" and 0 < report.detector_score <= 1
    kinds = {(s["kind"], s["text"].lower()) for s in report.detector_spans}
    assert ("event", "neutropenia") in kinds and ("drug", "cisplatin") in kinds
    assert all(s["field"] == "notes" for s in report.detector_spans)
    assert report.hedged is False and report.detector_error == ""


def test_it_routes_a_special_situation_without_an_ae(world, hcp, acting):
    report = log(world, hcp, acting, "The nurse mentioned that the patient is pregnant and still on therapy.")
    assert report is not None and report.categories == ["pregnancy_lactation"]


def test_it_sends_negated_mentions_to_review_marked_hedged(world, hcp, acting):
    report = log(world, hcp, acting, "No rash was reported by any of her patients.")
    assert report is not None and report.hedged is True


def test_it_saves_clean_text_without_a_report(world, hcp, acting):
    assert log(world, hcp, acting, "Discussed the phase 3 design and the enrolment timelines.") is None


def test_a_detector_failure_is_stated_on_the_report(world, hcp, acting, monkeypatch):
    def broken(text: str) -> Any:
        raise RuntimeError("vocabulary file is corrupt")

    monkeypatch.setattr(liaison_text.ae_lexicon, "detect", broken)
    report = log(world, hcp, acting, "Routine scientific exchange.")
    assert report is not None and report.detector_layer == "failed"
    assert report.detector_error == "notes: RuntimeError: vocabulary file is corrupt"
    assert "detector failed on: notes" in report.excerpt


def test_a_detector_time_out_routes_the_record_to_triage(world, hcp, acting, monkeypatch, settings):
    settings.LIAISON_AE_TIMEOUT_SECONDS = 0.2
    detection.current_detector()  # warm the cache before slowing the detector down
    real = liaison_text.ae_lexicon.detect

    def slow(text: str) -> Any:
        time.sleep(1.0)
        return real(text)

    monkeypatch.setattr(liaison_text.ae_lexicon, "detect", slow)
    started = time.monotonic()
    report = log(world, hcp, acting, "Routine scientific exchange.")
    assert time.monotonic() - started < 1.0
    assert report is not None and report.trigger == "detector"
    assert report.detector_error == "notes: timed out after 0.2 s"


# ---- patient identifiers ------------------------------------------------------------------------------------


def test_it_warns_about_patient_identifiers_on_the_page_and_in_the_api(world, hcp, acting, client, api):
    report = log(
        world, hcp, acting, "Patient John Miller, MRN 48213377, DOB 03/14/1961, developed anaphylaxis."
    )
    assert report is not None
    warnings = report.identifier_warnings
    assert warnings and all(w.startswith("excerpt: ") for w in warnings)
    login(client, world["sam"])
    body = client.get(reverse("safety:report_detail", args=[report.uuid])).content.decode()
    assert "Possible patient identifiers" in body
    assert api("sam").get(f"/safety-reports/{report.uuid}").json()["identifier_warnings"] == warnings


def test_it_does_not_warn_about_initials_age_and_sex(world, hcp, acting):
    report = log(world, hcp, acting, "A 61-year-old woman (J.D.) developed a rash after the first infusion.")
    assert report is not None and report.identifier_warnings == []


def test_warnings_never_block_forwarding(world, hcp, acting):
    report = log(world, hcp, acting, "Patient Mary Jones (MRN 99887766) had a seizure on treatment.")
    row = forward(world, report, acting)
    assert row.status == "pending" and report.identifier_warnings


# ---- SLA and escalation -------------------------------------------------------------------------------------


def test_it_measures_the_sla_from_day_zero_to_acknowledgement(world, hcp, acting, settings):
    settings.SAFETY_SLA_HOURS = 24
    now = timezone.now()
    fresh, at_risk, overdue = (raise_report(world, hcp, acting, hours_ago=h) for h in (10, 19, 25))
    assert [sla_level(r, now) for r in (fresh, at_risk, overdue)] == ["", "at_risk", "overdue"]
    forward(world, overdue, acting)
    overdue.refresh_from_db()
    assert sla_level(overdue, now) == "overdue"  # forwarded is not enough: the clock runs to the ack
    with acting(world["sam"]):
        triage_report(at_risk, acting_user=world["sam"], status="not_an_ae", note="Hypothetical question")
    assert sla_level(at_risk, now) == ""


def test_it_escalates_each_level_once_with_an_audit_event(world, hcp, acting, system_context, settings):
    settings.SAFETY_SLA_HOURS = 24
    at_risk = raise_report(world, hcp, acting, hours_ago=20)
    overdue = raise_report(world, hcp, acting, hours_ago=30)
    raise_report(world, hcp, acting, hours_ago=2)
    first = escalate_reports()
    assert sorted((e.report_id, e.level) for e in first) == sorted(
        [(at_risk.pk, "at_risk"), (overdue.pk, "at_risk"), (overdue.pk, "overdue")]
    )
    assert escalate_reports() == []
    assert AuditEvent.objects.filter(event_type="safetyreport.escalated").count() == 3
    later = escalate_reports(now=timezone.now() + dt.timedelta(hours=5))
    assert [(e.report_id, e.level) for e in later] == [(at_risk.pk, "overdue")]


def test_the_queue_shows_at_risk_overdue_and_the_escalations(world, hcp, acting, system_context, client):
    raise_report(world, hcp, acting, hours_ago=20)
    raise_report(world, hcp, acting, hours_ago=30)
    escalate_reports()
    login(client, world["sam"])
    body = client.get(reverse("safety:report_list")).content.decode()
    assert "At risk" in body and "Overdue" in body and "Escalations" in body
    assert "1 over SLA" in body and "1 at risk" in body


def test_the_reporter_does_not_see_escalations_of_the_queue(world, hcp, acting, system_context, client):
    raise_report(world, hcp, acting, hours_ago=30)
    escalate_reports()
    login(client, world["alice"])
    assert "Escalations" not in client.get(reverse("safety:report_list")).content.decode()


def test_the_api_reports_the_sla_state_and_the_outbox(world, hcp, acting, api):
    report = raise_report(world, hcp, acting, hours_ago=30)
    row = forward(world, report, acting)
    body = api("sam").get(f"/safety-reports/{report.uuid}").json()
    assert body["sla_state"] == "overdue" and body["acknowledged_at"] is None
    assert body["outbox"][0]["idempotency_key"] == row.idempotency_key
    assert body["outbox"][0]["status"] == "pending"


# ---- triage decisions are labels -------------------------------------------------------------------------------


def test_every_confirm_and_dismiss_is_a_label_with_the_full_text(world, hcp, acting):
    confirmed = log(world, hcp, acting, "He was hospitalised with pancreatitis two weeks into treatment.")
    # A negated mention still goes to review (a question that only names a condition no longer raises one).
    dismissed = log(
        world, hcp, acting, "None of her patients had hair loss; she asked whether it could happen."
    )
    log(world, hcp, acting, "The patient reported dizziness.")  # not decided yet: no label
    with acting(world["sam"]):
        triage_report(confirmed, acting_user=world["sam"], status="forwarded")
        triage_report(dismissed, acting_user=world["sam"], status="not_an_ae", note="Hypothetical")
    assert triage_labels() == [
        {"text": "He was hospitalised with pancreatitis two weeks into treatment.", "ae": True},
        {"text": "None of her patients had hair loss; she asked whether it could happen.", "ae": False},
    ]


# ---- the delivery job -------------------------------------------------------------------------------------------


def test_forwarding_queues_the_delivery_job_after_the_commit(
    world, hcp, acting, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    report = raise_report(world, hcp, acting)
    with django_capture_on_commit_callbacks(execute=True):
        forward(world, report, acting)
    assert DBTaskResult.objects.filter(task_path=tasks.deliver_safety_outbox.module_path).count() == 1
    tasks.schedule_delivery()  # one run already waits: no second one
    assert DBTaskResult.objects.filter(task_path=tasks.deliver_safety_outbox.module_path).count() == 1


def test_the_job_delivers_and_schedules_the_acknowledgement_poll(world, hcp, acting, settings, tmp_path):
    from django_tasks_db.models import DBTaskResult

    settings.SAFETY_FORWARD_DIR = tmp_path
    row = forward(world, raise_report(world, hcp, acting), acting)
    result = tasks.deliver_safety_outbox.call()
    assert result["sent"] == [row.idempotency_key]
    assert (tmp_path / f"{row.idempotency_key}.json").exists()
    waiting = DBTaskResult.objects.get(task_path=tasks.deliver_safety_outbox.module_path)
    assert waiting.run_after > timezone.now() + dt.timedelta(seconds=30)  # the next acknowledgement poll
    assert AuditEvent.objects.filter(event_type="safetyoutbox.updated", source="job").exists()
    assert SafetyOutbox.objects.get(pk=row.pk).status == "sent"
    assert not SafetyEscalation.objects.exists()


def test_the_job_does_not_reschedule_itself_when_there_is_nothing_to_wait_for(world, acting):
    from django_tasks_db.models import DBTaskResult

    assert tasks.deliver_safety_outbox.call()["sent"] == []
    assert not DBTaskResult.objects.exists()
