"""A case id typed in by drug safety acknowledges a forwarded report whenever it is entered.

With the forward decision, or later (before the delivery, or after it while the acknowledgement file is still
awaited): the report leaves the SLA queue, its open outbox rows are closed so nothing more is sent for it, and
the acknowledgement is audited with the case id and who entered it. Tested through the action, the report page
and the API.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from liaison.core.models import AuditEvent
from liaison.safety import outbox
from liaison.safety.actions import triage_report
from liaison.safety.channels import FileDropChannel
from liaison.safety.models import OutboxStatus, SafetyOutbox, SafetyReport
from liaison.safety.sla import open_reports
from tests.engagement.test_web import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(world: Any, hcp: Any, acting: Any) -> SafetyReport:
    from liaison.engagement.actions import log_interaction

    with acting(world["alice"]):
        interaction = log_interaction(
            acting_user=world["alice"],
            attendees=[hcp],
            data={
                "occurred_at": timezone.now() - dt.timedelta(hours=20),
                "channel": "phone",
                "purpose": "education",
                "ae_attestation": "yes",
                "notes": "The patient developed a rash after the second infusion of Onkotrex.",
            },
        )
    return SafetyReport.objects.get(interaction=interaction)


@pytest.fixture
def forwarded(world: Any, report: SafetyReport, acting: Any) -> SafetyReport:
    """Forwarded without a case id: the report waits in the outbox for delivery."""
    with acting(world["sam"]):
        triage_report(report, acting_user=world["sam"], status="forwarded", event_description="Rash.")
    assert report.acknowledged_at is None
    return report


def acknowledged_events(report: SafetyReport) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_uuid=str(report.uuid), event_type="safetyreport.acknowledged")
    )


def test_a_case_id_entered_after_forwarding_acknowledges_before_delivery(
    world, forwarded, acting, system_context, tmp_path
):
    assert forwarded in open_reports()
    with acting(world["sam"]):
        triage_report(forwarded, acting_user=world["sam"], safety_case_id="ARGUS-9")
    forwarded.refresh_from_db()
    assert forwarded.acknowledged_at is not None and forwarded.safety_case_id == "ARGUS-9"
    assert forwarded not in open_reports()
    row = SafetyOutbox.objects.get(report=forwarded)
    assert (row.status, row.case_id, row.next_attempt_at) == (OutboxStatus.ACKNOWLEDGED, "ARGUS-9", None)
    # The case exists in the safety database: the delivery must not send a second one.
    run = outbox.deliver(channel=FileDropChannel(tmp_path))
    assert run.sent == [] and run.acknowledged == [] and list(tmp_path.iterdir()) == []
    (event,) = acknowledged_events(forwarded)
    assert "ARGUS-9" in event.reason and "sam" in event.reason and row.idempotency_key in event.reason


def test_a_case_id_entered_after_delivery_acknowledges_the_row_awaiting_its_file(
    world, forwarded, acting, system_context, tmp_path
):
    channel = FileDropChannel(tmp_path)
    assert outbox.deliver(channel=channel).sent  # the file is dropped; no acknowledgement file yet
    assert SafetyOutbox.objects.get(report=forwarded).status == OutboxStatus.SENT
    with acting(world["sam"]):
        triage_report(forwarded, acting_user=world["sam"], status="forwarded", safety_case_id="ARGUS-10")
    forwarded.refresh_from_db()
    assert forwarded.acknowledged_at is not None and forwarded not in open_reports()
    assert SafetyOutbox.objects.get(report=forwarded).status == OutboxStatus.ACKNOWLEDGED
    assert len(acknowledged_events(forwarded)) == 1


def test_saving_the_case_id_again_does_not_acknowledge_twice(world, forwarded, acting):
    with acting(world["sam"]):
        triage_report(forwarded, acting_user=world["sam"], safety_case_id="ARGUS-11")
        first = SafetyReport.objects.get(pk=forwarded.pk).acknowledged_at
        triage_report(forwarded, acting_user=world["sam"], note="follow-up received")
    forwarded.refresh_from_db()
    assert forwarded.acknowledged_at == first and len(acknowledged_events(forwarded)) == 1


def test_a_case_id_on_a_report_not_forwarded_does_not_stop_the_clock(world, report, acting):
    with acting(world["sam"]):
        triage_report(report, acting_user=world["sam"], status="in_review", safety_case_id="ARGUS-12")
    report.refresh_from_db()
    assert report.acknowledged_at is None and report in open_reports()


def test_the_report_page_takes_a_case_id_after_forwarding_off_the_sla_queue(client, world, forwarded):
    login(client, world["sam"])
    url = reverse("safety:report_detail", args=[forwarded.uuid])
    assert str(forwarded.uuid) in client.get(reverse("safety:report_list")).content.decode()
    response = client.post(
        url,
        {"status": "forwarded", "event_description": "Rash.", "safety_case_id": "ARGUS-13"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Case id recorded" in response.content.decode()
    forwarded.refresh_from_db()
    assert forwarded.acknowledged_at is not None and forwarded.safety_case_id == "ARGUS-13"
    assert str(forwarded.uuid) not in client.get(reverse("safety:report_list")).content.decode()
    (event,) = acknowledged_events(forwarded)
    assert event.source == "web"


def test_the_api_takes_a_case_id_after_forwarding(api, forwarded):
    sam = api("sam")
    response = sam.post(f"/safety-reports/{forwarded.uuid}/triage", {"safety_case_id": "ARGUS-14"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["acknowledged_at"] is not None and body["sla_state"] == ""
    assert body["safety_case_id"] == "ARGUS-14"
    assert [row["status"] for row in body["outbox"]] == ["acknowledged"]
    (event,) = acknowledged_events(forwarded)
    assert event.source == "api"
