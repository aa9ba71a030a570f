"""Advisory-board governance over the API and on the pages: the assessment from draft to approval, contracts
and their override, honoraria, the rate card; JSON 4xx and errors beside the fields on bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from api_support import detail_of
from liaison.programs import actions
from liaison.programs.actions import governance
from liaison.programs.models import AdvisorContract, NeedsAssessment
from liaison.transparency.models import TransferOfValue

from .conftest import event_data


@pytest.fixture
def draft_board(world, acting):
    alice = world["alice"]
    with acting(alice):
        return actions.create_event(acting_user=alice, data=event_data(world))


@pytest.fixture
def german(hcp, system_context):
    from liaison.people.actions import update_hcp

    return update_hcp(hcp, acting_user=None, data={"country": "DE", "tier": 2})


def test_the_api_takes_an_assessment_from_draft_to_approval_and_then_invites(api, world, draft_board, hcp):
    alice, carla = api("alice"), api("carla")
    base = f"/events/{draft_board.uuid}"
    assert alice.get(f"{base}/needs-assessment").status_code == 404
    r = alice.post(f"{base}/participants", {"hcp": str(hcp.uuid), "role": "advisor"})
    assert r.status_code == 422 and detail_of(r)[0]["loc"] == ["body", "role"]
    r = alice.client.put(
        "/api/v1" + f"{base}/needs-assessment",
        '{"questions": ["Why do tests stall?"], "rationale": "No community data", "advisor_count": 4, '
        f'"candidates": ["{hcp.uuid}"]}}',
        content_type="application/json",
        headers=alice.headers,
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "draft" and r.json()["candidates"][0]["uuid"] == str(hcp.uuid)
    r = alice.post(f"{base}/needs-assessment/submit")
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    assert r.json()["candidates"][0]["name"].startswith("Grace Hopkins")
    assert alice.post(f"{base}/needs-assessment/decision", {"approve": True}).status_code == 403
    r = carla.post(f"{base}/needs-assessment/decision", {"approve": False})
    assert r.status_code == 422 and detail_of(r)[0]["loc"] == ["body", "note"]
    r = carla.post(f"{base}/needs-assessment/decision", {"approve": True, "note": "Justified"})
    assert r.status_code == 200 and r.json()["decided_by"]["username"] == "carla"
    assert alice.post(f"{base}/participants", {"hcp": str(hcp.uuid), "role": "advisor"}).status_code == 201


def test_the_api_refuses_bad_assessment_input_with_json_details(api, world, draft_board):
    alice = api("alice")
    url = f"/api/v1/events/{draft_board.uuid}/needs-assessment"
    for body in ('{"advisor_count": 0}', '{"candidates": ["not-a-uuid"]}', "{not json"):
        r = alice.client.put(url, body, content_type="application/json", headers=alice.headers)
        assert 400 <= r.status_code < 500 and detail_of(r), body
    r = alice.client.put(
        url,
        '{"candidates": ["00000000-0000-0000-0000-000000000000"]}',
        content_type="application/json",
        headers=alice.headers,
    )
    assert r.status_code == 422 and "unknown" in detail_of(r)[0]["msg"]
    r = alice.post(f"/events/{draft_board.uuid}/needs-assessment/submit")
    assert r.status_code == 422
    assert api("dave").get(f"/events/{draft_board.uuid}/needs-assessment").status_code == 403
    assert api("dave").get("/events/rate-card/rates").status_code == 403


def test_the_api_keeps_the_card_blocks_overrides_and_pays(api, world, board, german, acting):
    alice, carla = api("alice"), api("carla")
    line = {"activity": "advisory_board", "country": "DE", "hourly_rate": "300.00", "currency": "EUR"}
    assert alice.post("/events/rate-card/rates", {**line, "valid_from": "2020-01-01"}).status_code == 403
    r = carla.post("/events/rate-card/rates", {**line, "valid_from": "2020-01-01"})
    assert r.status_code == 201 and r.json()["hourly_rate"] == "300.00"
    assert carla.post("/events/rate-card/rates", {**line, "valid_from": "1800-01-01"}).status_code == 422
    r = carla.client.put(
        "/api/v1/events/rate-card/caps",
        '{"country": "DE", "amount": "20000.00", "currency": "EUR"}',
        content_type="application/json",
        headers=carla.headers,
    )
    assert r.status_code == 200 and len(alice.get("/events/rate-card/caps").json()) == 1
    assert [x["country"] for x in alice.get("/events/rate-card/rates").json()] == ["DE"]
    participant = board.participants.get()
    base = f"/events/{board.uuid}"
    body = {
        "participant": str(participant.uuid),
        "services": "Advisory board",
        "hours": "6",
        "hourly_rate": "320.00",
        "currency": "EUR",
    }
    assert alice.post(f"{base}/contracts", {**body, "participant": str(board.uuid)}).status_code == 422
    assert alice.post(f"{base}/contracts", {**body, "hours": "-1"}).status_code == 422
    r = alice.post(f"{base}/contracts", body)
    assert r.status_code == 201, r.content
    contract = r.json()
    assert contract["status"] == "blocked" and "above the card" in contract["problems"][0]
    override = f"{base}/contracts/{contract['uuid']}/override"
    assert alice.post(override, {"reason": "fine"}).status_code == 403
    assert carla.post(override, {"reason": ""}).status_code == 422
    r = carla.post(override, {"reason": "Guideline author"})
    assert (
        r.status_code == 200
        and r.json()["status"] == "active"
        and r.json()["override_by"]["username"] == "carla"
    )
    assert alice.post(f"{base}/honoraria").status_code == 422  # not completed
    with acting(world["alice"]):
        actions.confirm_attendance(participant, acting_user=world["alice"], attendance="attended")
        actions.change_status(board, acting_user=world["alice"], status="confirmed")
        actions.change_status(board, acting_user=world["alice"], status="completed")
    r = alice.post(f"{base}/honoraria")
    assert r.status_code == 200 and r.json()["paid"][0]["honorarium"] == "1920.00"
    assert r.json()["paid"][0]["transfer"] == str(TransferOfValue.objects.get().uuid)
    assert alice.post(f"{base}/honoraria").json() == {"paid": [], "unpaid": []}
    assert [c["status"] for c in alice.get(f"{base}/contracts").json()] == ["paid"]
    assert api("bob").get(f"{base}/contracts").status_code == 404


def test_the_event_page_links_governance_and_the_page_refuses_bad_input_beside_the_field(
    client, world, draft_board
):
    client.force_login(world["alice"])
    page = client.get(reverse("programs:event_detail", args=[draft_board.uuid])).content.decode()
    assert "Needs assessment" in page and "Not written" in page
    url = reverse("programs:governance", args=[draft_board.uuid])
    post = reverse("programs:governance_post", args=[draft_board.uuid])
    assert client.get(url).status_code == 200
    r = client.post(post, {"form": "assessment", "rationale": "Need outside views", "advisor_count": "99"})
    assert r.status_code == 422
    assert '<p class="field-error">must be a whole number from 1 to 50</p>' in r.content.decode()
    r = client.post(post, {"form": "assessment", "rationale": "Need outside views", "advisor_count": "4"})
    assert r.status_code == 302
    r = client.post(post, {"form": "submit"})
    assert r.status_code == 422 and "list the questions the board must answer" in r.content.decode()
    client.post(
        post,
        {
            "form": "assessment",
            "questions": "Why?\nWhere?",
            "rationale": "Need outside views",
            "advisor_count": "4",
        },
    )
    assert client.post(post, {"form": "submit"}).status_code == 302
    assert NeedsAssessment.objects.get(event=draft_board).questions == ["Why?", "Where?"]
    assert client.post(post, {"form": "decide", "decision": "approve"}).status_code == 403
    client.force_login(world["carla"])
    assert "Compliance decision" in client.get(url).content.decode()
    r = client.post(post, {"form": "decide", "decision": "reject"})
    assert r.status_code == 422 and "say why it is rejected" in r.content.decode()
    assert client.post(post, {"form": "decide", "decision": "approve"}).status_code == 302
    assert NeedsAssessment.objects.get(event=draft_board).status == "approved"


def test_contracts_and_honoraria_on_the_page(client, world, board, german, acting):
    carla = world["carla"]
    with acting(carla):
        governance.save_fmv_rate(
            None,
            acting_user=carla,
            data={
                "activity": "advisory_board",
                "hourly_rate": "250.00",
                "currency": "EUR",
                "valid_from": "2020-01-01",
            },
        )
    client.force_login(world["alice"])
    post = reverse("programs:governance_post", args=[board.uuid])
    participant = board.participants.get()
    form = {
        "form": "contract",
        "participant": str(participant.uuid),
        "activity": "advisory_board",
        "services": "Board day",
        "hours": "abc",
        "hourly_rate": "250",
        "currency": "EUR",
    }
    r = client.post(post, form)
    assert r.status_code == 422 and "must be a number such as 250.00" in r.content.decode()
    assert client.post(post, {**form, "hours": "4", "hourly_rate": "300"}).status_code == 302
    contract = AdvisorContract.objects.get()
    assert contract.status == "blocked"
    page = client.get(reverse("programs:governance", args=[board.uuid])).content.decode()
    assert "above the card" in page and "Override" not in page
    client.force_login(carla)
    r = client.post(post, {"form": "override", "contract": str(contract.uuid), "reason": ""})
    assert r.status_code == 422
    assert (
        client.post(
            post, {"form": "override", "contract": str(contract.uuid), "reason": "Expert"}
        ).status_code
        == 302
    )
    with acting(world["alice"]):
        actions.confirm_attendance(participant, acting_user=world["alice"], attendance="attended")
        actions.change_status(board, acting_user=world["alice"], status="confirmed")
        actions.change_status(board, acting_user=world["alice"], status="completed")
    assert client.post(post, {"form": "pay"}).status_code == 302
    contract.refresh_from_db()
    assert contract.status == "paid" and contract.honorarium == Decimal("1200.00")


def test_the_rate_card_page_is_kept_by_compliance_and_hidden_from_commercial(client, world):
    url = reverse("programs:rate_card")
    client.force_login(world["dave"])
    assert client.get(url).status_code == 403
    client.force_login(world["alice"])
    assert client.get(url).status_code == 200 and "Add a rate" not in client.get(url).content.decode()
    assert client.post(url, {"form": "cap", "amount": "1", "currency": "EUR"}).status_code == 403
    client.force_login(world["carla"])
    bad = {
        "form": "rate",
        "activity": "speaking",
        "hourly_rate": "x",
        "currency": "EUR",
        "valid_from": "2026-01-01",
    }
    r = client.post(url, bad)
    assert r.status_code == 422 and "must be a number such as 250.00" in r.content.decode()
    assert client.post(url, {**bad, "hourly_rate": "400"}).status_code == 302
    assert (
        client.post(url, {"form": "cap", "country": "US", "amount": "60000", "currency": "USD"}).status_code
        == 302
    )
    page = client.get(url).content.decode()
    assert "400.00 USD/h" not in page and "400.00 EUR/h" in page and "60000.00 USD" in page


def test_a_contract_is_cancelled_from_the_page_and_the_api_with_a_reason(
    api, client, world, board, german, acting
):
    carla = world["carla"]
    with acting(carla):
        governance.save_fmv_rate(
            None,
            acting_user=carla,
            data={
                "activity": "advisory_board",
                "hourly_rate": "250.00",
                "currency": "EUR",
                "valid_from": "2020-01-01",
            },
        )
    participant = board.participants.get()
    base = f"/events/{board.uuid}"
    body = {
        "participant": str(participant.uuid),
        "services": "Board",
        "hours": "4",
        "hourly_rate": "250.00",
        "currency": "EUR",
    }
    alice = api("alice")
    contract = alice.post(f"{base}/contracts", body).json()
    cancel = f"{base}/contracts/{contract['uuid']}/cancel"
    assert alice.post(cancel, {"reason": ""}).status_code == 422
    assert api("bob").post(cancel, {"reason": "not mine"}).status_code == 404
    r = alice.post(cancel, {"reason": "Advisor withdrew"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    # Contracted again through the page, then cancelled there; the reason is required beside the field.
    client.force_login(world["alice"])
    post = reverse("programs:governance_post", args=[board.uuid])
    form = {"form": "contract", "participant": str(participant.uuid), "activity": "advisory_board"}
    assert (
        client.post(
            post, {**form, "services": "Board", "hours": "4", "hourly_rate": "250", "currency": "EUR"}
        ).status_code
        == 302
    )
    again = AdvisorContract.objects.get()
    assert again.status == "active"
    page = client.get(reverse("programs:governance", args=[board.uuid])).content.decode()
    assert "Cancel this contract" in page
    refused = client.post(post, {"form": "cancel", "contract": str(again.uuid), "reason": ""})
    assert refused.status_code == 422
    assert (
        client.post(
            post, {"form": "cancel", "contract": str(again.uuid), "reason": "Dates moved"}
        ).status_code
        == 302
    )
    again.refresh_from_db()
    assert again.status == "cancelled"
