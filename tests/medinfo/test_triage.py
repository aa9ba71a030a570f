"""Medical inquiry triage: when an inquiry is captured (web form or API) the question type and the drug in focus
are proposed, a company product first; medical information accepts or changes them (stored and audited); and
`liaison text classify-question` does the same on JSON lines.

Accuracy on real questions is measured against MedicationQA (evaluation-only data, read from ../shared and
never copied here); that test skips with a message where the folder is absent.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.urls import reverse
from django.utils import timezone

from api_support import detail_of
from personas import PASSWORD

pytestmark = pytest.mark.django_db

MEDICATION_QA = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "data"
    / "medication_questions"
    / "medication_questions.tsv"
)
# Ibuprofen comes first in the text, but Onkotrex is the company's product: it is the drug in focus.
QUESTION = "Can I take ibuprofen with Onkotrex?"


def login(client: Any, user: Any) -> Any:
    assert client.login(username=user.username, password=PASSWORD)
    return client


def capture(world: dict[str, Any], acting: Any, question: str = QUESTION, *, who: str = "alice") -> Any:
    from liaison.medinfo.actions import capture_inquiry

    with acting(world[who]):
        return capture_inquiry(
            acting_user=world[who],
            question=question,
            channel="phone",
            unsolicited_attested=True,
            requester_name="Dr X",
        )


# --- proposals at capture -------------------------------------------------------------------------------------


def test_it_proposes_the_type_and_the_company_product_as_the_drug(world, acting):
    inquiry = capture(world, acting)

    assert (inquiry.proposed_type, inquiry.proposed_drug) == ("Interaction", "Onkotrex")
    assert (inquiry.question_type, inquiry.drug) == ("", "")  # nothing is confirmed until medinfo says so


def test_it_finds_the_product_by_its_generic_name_too(world, acting):
    inquiry = capture(world, acting, "What is the recommended dose of onkotrexumab in renal impairment?")

    assert (inquiry.proposed_type, inquiry.proposed_drug) == ("Dose", "Onkotrex")


def test_it_falls_back_to_the_classifiers_drug_without_a_product(world, acting):
    inquiry = capture(world, acting, "What are the side effects of metformin?")

    assert (inquiry.proposed_type, inquiry.proposed_drug) == ("Side effects", "metformin")


def test_a_failing_classifier_never_blocks_the_capture(world, acting, monkeypatch, caplog):
    import liaison_text.questions

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("model file unreadable")

    monkeypatch.setattr(liaison_text.questions, "classify_question", broken)
    inquiry = capture(world, acting, "What are the side effects of metformin?")

    assert inquiry.pk and inquiry.proposed_type == "" and inquiry.proposed_drug == ""
    assert "question classifier failed" in caplog.text


def test_the_capture_form_stores_the_proposal_and_the_queue_page_shows_it(client, world):
    from liaison.medinfo.models import MedicalInquiry

    login(client, world["alice"])
    response = client.post(
        reverse("medinfo:inquiry_new"),
        {
            "requester_name": "Dr Who",
            "channel": "phone",
            "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "question": QUESTION,
            "unsolicited_attested": "on",
        },
    )
    inquiry = MedicalInquiry.objects.get()
    assert response.status_code == 302
    assert (inquiry.proposed_type, inquiry.proposed_drug) == ("Interaction", "Onkotrex")

    login(client, world["iris"])
    body = client.get(reverse("medinfo:inquiry_detail", args=[inquiry.uuid])).content.decode()
    assert "Interaction · Onkotrex" in body
    # The form starts from the proposal: accepting it is one click.
    assert '<option value="Interaction" selected>' in body
    assert 'name="drug" value="Onkotrex"' in body


def test_a_commercial_capture_through_the_api_is_triaged_yet_reveals_nothing(api, world):
    from liaison.medinfo.models import MedicalInquiry

    response = api("dave").post(
        "/inquiries",
        {"question": QUESTION, "channel": "email", "unsolicited_attested": True, "requester_name": "Dr Y"},
    )

    assert response.status_code == 202
    assert set(response.json()) == {"uuid", "status"}
    assert MedicalInquiry.objects.get().proposed_type == "Interaction"


# --- medical information accepts or changes ---------------------------------------------------------------------


def test_medical_information_accepts_the_proposal_and_the_audit_says_so(client, world, acting):
    from liaison.core.models import AuditEvent

    inquiry = capture(world, acting)
    login(client, world["iris"])
    response = client.post(
        reverse("medinfo:inquiry_detail", args=[inquiry.uuid]),
        {"op": "triage", "question_type": "Interaction", "drug": "Onkotrex"},
    )

    assert response.status_code == 302
    inquiry.refresh_from_db()
    assert (inquiry.question_type, inquiry.drug) == ("Interaction", "Onkotrex")
    event = AuditEvent.objects.filter(object_uuid=str(inquiry.uuid), event_type__endswith=".updated").latest(
        "seq"
    )
    assert event.reason == "triage: proposal accepted"
    assert event.actor_username == "iris"
    assert event.changes["question_type"] == ["", "Interaction"]


def test_medical_information_changes_the_proposal_through_the_api(api, world, acting):
    from liaison.core.models import AuditEvent

    inquiry = capture(world, acting)
    response = api("iris").post(
        f"/inquiries/{inquiry.uuid}/triage", {"question_type": "Usage", "drug": "ibuprofen"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["question_type"], body["drug"]) == ("Usage", "ibuprofen")
    assert (body["proposed_type"], body["proposed_drug"]) == ("Interaction", "Onkotrex")
    event = AuditEvent.objects.filter(object_uuid=str(inquiry.uuid)).latest("seq")
    assert event.reason == "triage: proposal changed"


def test_it_refuses_an_unknown_question_type_and_changes_nothing(api, world, acting):
    inquiry = capture(world, acting)
    response = api("iris").post(f"/inquiries/{inquiry.uuid}/triage", {"question_type": "Gossip", "drug": ""})

    assert response.status_code == 422
    assert detail_of(response)[0]["loc"] == ["body", "question_type"]
    inquiry.refresh_from_db()
    assert inquiry.question_type == ""


def test_the_web_form_shows_a_bad_type_next_to_the_field(client, world, acting):
    inquiry = capture(world, acting)
    login(client, world["iris"])
    response = client.post(
        reverse("medinfo:inquiry_detail", args=[inquiry.uuid]), {"op": "triage", "question_type": "Gossip"}
    )

    assert response.status_code == 200
    assert "question_type" in response.context["triage_form"].errors


@pytest.mark.parametrize("who", ["alice", "dave", "sam"])
def test_only_medical_information_may_triage(api, world, acting, who):
    inquiry = capture(world, acting)
    response = api(who).post(f"/inquiries/{inquiry.uuid}/triage", {"question_type": "Dose", "drug": ""})

    assert response.status_code in (403, 404)
    inquiry.refresh_from_db()
    assert inquiry.question_type == ""


# --- the command line ------------------------------------------------------------------------------------------


def invoke(*args: str, input: str | None = None) -> Any:
    from liaison.cli import main

    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_classify_question_answers_each_line_in_order_and_counts_bad_lines(world):
    lines = [
        json.dumps({"id": 1, "text": "how should I store insulin"}),
        "{not json",
        json.dumps({"id": "b", "text": QUESTION}),
        json.dumps({"id": 3, "text": 42}),
        json.dumps(["id", "text"]),
        "",
        json.dumps({"id": 4, "text": "what are the side effects of metformin"}),
    ]
    result = invoke("text", "classify-question", input="\n".join(lines) + "\n")

    assert result.exit_code == 1
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"id": 1, "type": "Storage and disposal", "drug": "insulin"},
        {"id": "b", "type": "Interaction", "drug": "Onkotrex"},
        {"id": 4, "type": "Side effects", "drug": "metformin"},
    ]
    assert "line 2:" in result.stderr and "line 4:" in result.stderr and "line 5:" in result.stderr
    assert "3 line(s) could not be read" in result.stderr


def test_classify_question_exits_0_when_every_line_is_read(db):
    result = invoke("text", "classify-question", input=json.dumps({"id": 7, "text": "Is it safe?"}) + "\n")

    assert result.exit_code == 0
    assert set(json.loads(result.stdout)) == {"id", "type", "drug"}


@pytest.mark.skipif(not MEDICATION_QA.exists(), reason=f"evaluation data not found at {MEDICATION_QA}")
def test_classify_question_beats_the_majority_class_on_real_consumer_questions(db):
    with MEDICATION_QA.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    lines = "".join(json.dumps({"id": r["row"], "text": r["Question"]}) + "\n" for r in rows)
    result = invoke("text", "classify-question", input=lines)
    out = {o["id"]: o for o in map(json.loads, result.stdout.splitlines())}

    assert result.exit_code == 0 and len(out) == len(rows)
    accuracy = sum(out[r["row"]]["type"] == r["Question Type"] for r in rows) / len(rows)
    majority = Counter(r["Question Type"] for r in rows).most_common(1)[0][1] / len(rows)
    found = sum(
        bool(out[r["row"]]["drug"])
        and out[r["row"]]["drug"].lower() in r["Focus (Drug)"].lower() + " " + r["Question"].lower()
        for r in rows
    ) / len(rows)
    print(f"\ntype accuracy {accuracy:.3f} vs majority class {majority:.3f}; drug found {found:.3f}")
    assert accuracy > majority + 0.2
    assert found > 0.6
