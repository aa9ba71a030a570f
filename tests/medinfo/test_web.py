"""Web pages for medical inquiries: capture (commercial included), the queue, and answering."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from tests.engagement.test_web import login, without_tokens

pytestmark = pytest.mark.django_db

QUESTION = "Can Onkotrex be given to a patient on dialysis at the full dose?"


def capture(client, **overrides):
    data = {
        "requester_name": "Dr Rosa Lind",
        "requester_contact": "rosa@example.org",
        "channel": "in_person",
        "product": "",
        "question": QUESTION,
        "unsolicited_attested": "on",
    }
    data.update(overrides)
    return client.post(reverse("medinfo:inquiry_new"), data)


@pytest.fixture
def inquiry(world, acting):
    from liaison.medinfo.actions import capture_inquiry

    with acting(world["alice"]):
        return capture_inquiry(
            acting_user=world["alice"],
            question=QUESTION,
            channel="phone",
            unsolicited_attested=True,
            requester_name="Dr Rosa Lind",
        )


def test_commercial_captures_an_inquiry_and_the_confirmation_shows_none_of_it(client, world):
    from liaison.medinfo.models import MedicalInquiry

    login(client, world["dave"])
    response = capture(client)
    inquiry = MedicalInquiry.objects.get()
    assert inquiry.captured_by == world["dave"] and inquiry.question == QUESTION
    assert response.status_code == 302 and response["Location"] == reverse("medinfo:inquiry_routed")
    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200 and "Routed to medical information" in body
    for fragment in (
        "dialysis",
        "Onkotrex be given",
        "Rosa",
        "rosa@example.org",
        str(inquiry.uuid),
        str(inquiry.uuid)[:8],
    ):
        assert fragment not in body
    assert reverse("medinfo:inquiry_detail", args=[inquiry.uuid]) not in body
    assert client.get(reverse("medinfo:inquiry_detail", args=[inquiry.uuid])).status_code == 403


def test_the_unsolicited_attestation_is_required(client, world):
    from liaison.medinfo.models import MedicalInquiry

    login(client, world["dave"])
    response = capture(client, unsolicited_attested="")
    assert response.status_code == 200
    assert response.context["form"].errors["unsolicited_attested"]
    assert 'id="id_unsolicited_attested_error"' in response.content.decode()
    assert MedicalInquiry.objects.count() == 0


def test_a_requester_is_required(client, world):
    login(client, world["alice"])
    response = capture(client, requester_name="")
    assert response.context["form"].errors["requester_name"]


def test_an_msl_lands_on_the_inquiry_after_capture(client, world, hcp):
    from liaison.medinfo.models import MedicalInquiry

    login(client, world["alice"])
    response = capture(client, requester_name="", requester_hcp=str(hcp.uuid))
    inquiry = MedicalInquiry.objects.get()
    assert inquiry.requester_hcp == hcp
    assert response["Location"] == reverse("medinfo:inquiry_detail", args=[inquiry.uuid])


def test_medical_information_sees_the_queue_assigns_and_answers(client, world, inquiry):
    login(client, world["iris"])
    queue = client.get(reverse("medinfo:inquiry_list")).content.decode()
    assert "dialysis" in queue
    url = reverse("medinfo:inquiry_detail", args=[inquiry.uuid])
    assert client.post(url, {"op": "assign", "assignee": str(world["iris"].uuid)}).status_code == 302
    response = client.post(url, {"op": "answer", "answer": "Per the label, reduce the dose by half."})
    assert response.status_code == 302
    inquiry.refresh_from_db()
    assert inquiry.assigned_to == world["iris"] and inquiry.status == "answered"


def test_an_empty_answer_is_an_error_next_to_the_field(client, world, inquiry):
    login(client, world["iris"])
    response = client.post(
        reverse("medinfo:inquiry_detail", args=[inquiry.uuid]), {"op": "answer", "answer": ""}
    )
    assert response.status_code == 200
    assert response.context["answer_form"].errors["answer"]
    inquiry.refresh_from_db()
    assert inquiry.status == "open"


def test_an_msl_cannot_answer(client, world, inquiry):
    login(client, world["alice"])
    response = client.post(
        reverse("medinfo:inquiry_detail", args=[inquiry.uuid]), {"op": "answer", "answer": "x"}
    )
    assert response.status_code == 403


def test_commercial_gets_403_on_the_queue_and_the_live_ae_check(client, world):
    login(client, world["dave"])
    assert client.get(reverse("medinfo:inquiry_list")).status_code == 403
    assert (
        client.post(reverse("engagement:ae_check"), {"text": "overdose", "hint": "route"}).status_code == 403
    )
    assert "hx-post" not in client.get(reverse("medinfo:inquiry_new")).content.decode()


def test_commercial_cannot_tell_an_existing_inquiry_from_a_missing_one(client, world, inquiry):
    login(client, world["dave"])
    existing = client.get(reverse("medinfo:inquiry_detail", args=[inquiry.uuid]))
    missing = client.get(reverse("medinfo:inquiry_detail", args=[uuid.uuid4()]))
    assert existing.status_code == missing.status_code == 403
    assert without_tokens(existing.content) == without_tokens(missing.content)


def test_the_live_check_on_a_routed_question_says_drug_safety_is_told_on_routing(client, world):
    login(client, world["iris"])
    response = client.post(
        reverse("engagement:ae_check"), {"text": "Her patient had an overdose last week.", "hint": "route"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "overdose" in body
    assert "when you route this request" in body and "adverse-event question" not in body
