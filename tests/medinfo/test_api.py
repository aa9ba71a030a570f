"""The inquiries resource: capture (commercial included, as a one-way hand-off), assign, answer, close."""

from __future__ import annotations

from typing import Any

import pytest

from api_support import detail_of
from liaison.medinfo.models import InquiryStatus, MedicalInquiry

QUESTION = {
    "question": "Can it be given with warfarin?",
    "channel": "phone",
    "unsolicited_attested": True,
    "requester_name": "Dr Jane Roe",
}


def test_it_tells_a_commercial_user_only_that_the_request_was_routed(api: Any, world: Any) -> None:
    response = api("dave").post("/inquiries", QUESTION)
    assert response.status_code == 202
    assert set(response.json()) == {"uuid", "status"} and response.json()["status"] == "routed"
    assert b"warfarin" not in response.content
    inquiry = MedicalInquiry.objects.get(uuid=response.json()["uuid"])
    assert inquiry.captured_by == world["dave"] and inquiry.status == InquiryStatus.OPEN
    assert api("dave").get(f"/inquiries/{inquiry.uuid}").status_code == 403


def test_it_returns_the_whole_inquiry_to_a_medical_capturer(api: Any, hcp: Any) -> None:
    response = api("alice").post(
        "/inquiries", {**QUESTION, "requester_hcp": str(hcp.uuid), "off_label": True}
    )
    assert response.status_code == 201
    assert response.json()["question"] == QUESTION["question"] and response.json()["off_label"] is True


def test_it_requires_the_unsolicited_attestation(api: Any, world: Any) -> None:
    response = api("dave").post("/inquiries", {**QUESTION, "unsolicited_attested": False})
    assert response.status_code == 422
    assert detail_of(response)[0]["loc"] == ["body", "unsolicited_attested"]
    assert MedicalInquiry.objects.count() == 0


def test_it_lets_medical_information_assign_answer_and_close(api: Any, world: Any) -> None:
    uuid = api("dave").post("/inquiries", QUESTION).json()["uuid"]
    iris = api("iris")
    assert iris.get("/inquiries", status="open").json()["count"] == 1
    assigned = iris.post(f"/inquiries/{uuid}/assign", {})
    assert assigned.status_code == 200 and assigned.json()["assigned_to"]["username"] == "iris"
    answered = iris.post(f"/inquiries/{uuid}/answer", {"answer": "See section 4.5 of the label."})
    assert answered.json()["status"] == "answered"
    assert iris.post(f"/inquiries/{uuid}/answer", {"answer": "again"}).status_code == 422
    closed = iris.post(f"/inquiries/{uuid}/close", {"reason": "answered by phone"})
    assert closed.json()["status"] == "closed"
    assert iris.get("/inquiries", status="closed").json()["count"] == 1


def test_it_assigns_only_to_medical_information(api: Any, world: Any) -> None:
    uuid = api("dave").post("/inquiries", QUESTION).json()["uuid"]
    response = api("iris").post(f"/inquiries/{uuid}/assign", {"assignee": str(world["alice"].uuid)})
    assert response.status_code == 422


@pytest.mark.parametrize(
    "action,body", [("assign", {}), ("answer", {"answer": "x"}), ("close", {"reason": "x"})]
)
def test_it_refuses_inquiry_actions_to_msls(api: Any, world: Any, action: str, body: dict[str, Any]) -> None:
    uuid = api("alice").post("/inquiries", QUESTION).json()["uuid"]
    assert api("alice").post(f"/inquiries/{uuid}/{action}", body).status_code == 403
    assert MedicalInquiry.objects.get(uuid=uuid).status == InquiryStatus.OPEN


def test_it_shows_an_msl_only_the_inquiries_they_captured_or_whose_requester_they_own(
    api: Any, world: Any
) -> None:
    uuid = api("dave").post("/inquiries", QUESTION).json()["uuid"]
    assert api("alice").get(f"/inquiries/{uuid}").status_code == 404
    assert api("alice").get("/inquiries").json()["count"] == 0
    assert api("iris").get(f"/inquiries/{uuid}").status_code == 200
