"""Unsolicited medical information requests: attested capture, answers by medical information only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from liaison.core.models import AuditEvent
from liaison.core.permissions import PermissionDenied
from liaison.medinfo.actions import answer_inquiry, assign_inquiry, capture_inquiry, close_inquiry
from liaison.medinfo.models import InquiryStatus, MedicalInquiry
from liaison.safety.models import SafetyReport


def _capture(user, **extra):
    kwargs = {
        "question": "Can Onkotrex be given with warfarin?",
        "channel": "email",
        "unsolicited_attested": True,
        "requester_name": "Dr Who",
    }
    return capture_inquiry(acting_user=user, **{**kwargs, **extra})


@pytest.mark.parametrize("attested", [False, None, "yes", 1])
def test_it_refuses_capture_without_the_unsolicited_attestation(world, acting, attested):
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        _capture(world["alice"], unsolicited_attested=attested)
    assert list(exc.value.message_dict) == ["unsolicited_attested"]
    assert not MedicalInquiry.objects.exists()


def test_it_lets_commercial_capture_and_route_a_request_it_then_cannot_see(world, acting):
    with acting(world["dave"]):
        inquiry = _capture(world["dave"])
    assert inquiry.status == InquiryStatus.OPEN and inquiry.captured_by == world["dave"]
    assert AuditEvent.objects.filter(
        object_uuid=str(inquiry.uuid), event_type="medicalinquiry.routed"
    ).exists()
    assert not MedicalInquiry.objects.restrict(world["dave"], "view").exists()
    assert MedicalInquiry.objects.restrict(world["iris"], "view").get() == inquiry


def test_it_requires_a_requester(world, acting):
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        _capture(world["alice"], requester_name="")
    assert list(exc.value.message_dict) == ["requester_name"]


def test_it_refuses_a_request_received_in_the_future(world, acting):
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        _capture(world["alice"], received_at=timezone.now() + dt.timedelta(days=1))
    assert list(exc.value.message_dict) == ["received_at"]


def test_it_lets_only_medical_information_answer(world, acting):
    with acting(world["alice"]):
        inquiry = _capture(world["alice"])
    for name in ("alice", "mona", "lena", "sam", "dave", "ada"):
        with acting(world[name]), pytest.raises(PermissionDenied):
            answer_inquiry(inquiry, acting_user=world[name], answer="Yes")
    with acting(world["iris"]):
        answer_inquiry(
            inquiry, acting_user=world["iris"], answer="See the standard response on interactions."
        )
    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.assigned_to) == (InquiryStatus.ANSWERED, world["iris"])
    assert inquiry.answered_at is not None


def test_it_refuses_to_answer_twice(world, acting):
    with acting(world["alice"]):
        inquiry = _capture(world["alice"])
    with acting(world["iris"]):
        answer_inquiry(inquiry, acting_user=world["iris"], answer="First")
        with pytest.raises(ValidationError) as exc:
            answer_inquiry(inquiry, acting_user=world["iris"], answer="Second")
    assert list(exc.value.message_dict) == ["status"]
    assert MedicalInquiry.objects.get(pk=inquiry.pk).answer == "First"


def test_it_assigns_only_to_medical_information(world, acting):
    with acting(world["alice"]):
        inquiry = _capture(world["alice"])
    with acting(world["iris"]):
        with pytest.raises(ValidationError):
            assign_inquiry(inquiry, acting_user=world["iris"], assignee=world["alice"])
        assign_inquiry(inquiry, acting_user=world["iris"], assignee=world["iris"])
    assert MedicalInquiry.objects.get(pk=inquiry.pk).status == InquiryStatus.IN_PROGRESS


def test_it_closes_with_the_reason_on_the_audit_event(world, acting):
    with acting(world["alice"]):
        inquiry = _capture(world["alice"])
    with acting(world["iris"]):
        close_inquiry(inquiry, acting_user=world["iris"], reason="requester withdrew the question")
    event = AuditEvent.objects.filter(
        object_uuid=str(inquiry.uuid), event_type="medicalinquiry.updated"
    ).latest("seq")
    assert event.changes == {"status": ["open", "closed"]}
    assert event.reason == "requester withdrew the question"


def test_it_raises_a_safety_report_with_day_zero_at_receipt_when_the_question_mentions_an_ae(world, acting):
    received = timezone.now() - dt.timedelta(days=2, hours=5)
    with acting(world["dave"]):
        inquiry = _capture(
            world["dave"],
            received_at=received,
            product=world["product"],
            question="My patient developed jaundice on Onkotrex; is that known?",
        )
    report = SafetyReport.objects.get(inquiry=inquiry)
    assert report.day_zero == received
    assert "jaundice" in report.detected_terms
    assert (report.source_field, report.suspect_product) == ("question", world["product"])


def test_it_raises_no_report_for_a_plain_scientific_question(world, acting):
    with acting(world["alice"]):
        _capture(world["alice"], question="What is the half-life of onkotrexumab in plasma?")
    assert not SafetyReport.objects.exists()


def test_it_refuses_to_close_an_inquiry_twice(world, acting):
    with acting(world["alice"]):
        inquiry = _capture(world["alice"])
    with acting(world["iris"]):
        close_inquiry(inquiry, acting_user=world["iris"], reason="duplicate request")
        events = AuditEvent.objects.count()
        with pytest.raises(ValidationError):
            close_inquiry(inquiry, acting_user=world["iris"], reason="again")
    assert AuditEvent.objects.count() == events
