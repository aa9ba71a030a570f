"""The events API: create, read, change, status, people, walk-ins, outputs, the PDF; JSON 4xx on bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from api_support import detail_of


def _new(world, days: int = -1, **extra):
    starts = timezone.now() + dt.timedelta(days=days)
    body = {
        "kind": "round_table",
        "title": "Payer round table",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + dt.timedelta(hours=3)).isoformat(),
        "time_zone": "Europe/Berlin",
        "therapeutic_area": str(world["oncology"].uuid),
        "objectives": ["Hear formulary views"],
        "listening_priorities": [str(world["priority"].uuid)],
        "agenda": [{"time": "14:00", "title": "Welcome", "speaker": "Alice"}],
        "budget": "1200.50",
        "currency": "EUR",
    }
    body.update(extra)
    return body


def test_it_creates_reads_lists_and_patches_an_event(api, world):
    alice = api("alice")
    r = alice.post("/events", _new(world))
    assert r.status_code == 201, r.content
    event = r.json()
    assert event["owner"]["username"] == "alice" and event["budget"] == "1200.50"
    assert event["listening_priorities"][0]["title"] == "Biomarker testing barriers"
    assert alice.get(f"/events/{event['uuid']}").json()["agenda"][0]["title"] == "Welcome"
    assert alice.get("/events", when="past").json()["count"] == 1
    assert alice.get("/events", when="upcoming").json()["count"] == 0
    assert alice.get("/events", kind="webinar").json()["count"] == 0
    r = alice.patch(f"/events/{event['uuid']}", {"venue": "Room 4", "reason": "moved"})
    assert r.status_code == 200 and r.json()["venue"] == "Room 4"
    assert api("bob").get(f"/events/{event['uuid']}").status_code == 404
    assert api("bob").get("/events").json()["count"] == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "party"}, "kind"),
        ({"time_zone": "Nowhere/City"}, "time_zone"),
        ({"therapeutic_area": "0b6c1b8e-5f0e-4c1a-9d3e-2a7f4c6e9b10"}, "therapeutic_area"),
        ({"currency": ""}, "currency"),
        ({"starts_at": "not a date"}, "starts_at"),
    ],
)
def test_it_answers_bad_input_with_a_422_naming_the_field(api, world, change, field):
    r = api("alice").post("/events", _new(world, **change))
    assert r.status_code == 422
    assert any(field in e["loc"] for e in detail_of(r))


def test_it_answers_json_4xx_for_malformed_bodies_and_unknown_events(api, world):
    alice = api("alice")
    assert alice.post("/events", raw="{not json").status_code == 400
    r = alice.get("/events/0b6c1b8e-5f0e-4c1a-9d3e-2a7f4c6e9b10")
    assert r.status_code == 404 and r.json() == {"detail": "Not found"}


def test_it_runs_the_event_from_invitation_to_report(api, world, hcp, payer):
    alice = api("alice")
    uuid = alice.post("/events", _new(world)).json()["uuid"]
    r = alice.post(f"/events/{uuid}/participants", {"hcp": str(hcp.uuid), "invitation": "accepted"})
    assert r.status_code == 201 and r.json()["name"] == "Grace Hopkins, MD, PhD"
    both = alice.post(
        f"/events/{uuid}/participants", {"hcp": str(hcp.uuid), "external_person": str(payer.uuid)}
    )
    assert both.status_code == 422
    ext = alice.post(f"/events/{uuid}/participants", {"external_person": str(payer.uuid)})
    assert ext.status_code == 201 and ext.json()["external_person"]["role"] == "payer"
    assert (
        alice.post(f"/events/{uuid}/staff", {"user": str(world["mona"].uuid), "role": "chair"}).status_code
        == 201
    )
    assert alice.post(f"/events/{uuid}/status", {"status": "confirmed"}).status_code == 200
    refused = alice.post(f"/events/{uuid}/status", {"status": "completed"})
    assert refused.status_code == 422 and "Grace Hopkins" in str(detail_of(refused))
    participant = r.json()["uuid"]
    done = alice.post(f"/events/{uuid}/attendance", {"participant": participant, "attendance": "attended"})
    assert done.status_code == 200 and done.json()["attendance_confirmed_by"]["username"] == "alice"
    insight = alice.post(
        f"/events/{uuid}/insights", {"text": "Formularies want real-world data.", "hcp": str(hcp.uuid)}
    )
    assert insight.status_code == 201 and insight.json()["status"] == "submitted"
    assert [i["uuid"] for i in alice.get(f"/events/{uuid}/insights").json()] == [insight.json()["uuid"]]
    item = alice.post(
        f"/events/{uuid}/action-items", {"title": "Share the summary", "due_date": "2030-01-01"}
    )
    assert item.status_code == 201
    assert alice.post(f"/events/{uuid}/action-items/{item.json()['uuid']}/done").json()["done_at"]
    assert (
        alice.post(f"/events/{uuid}/documents", {"title": "Slides", "reference": "DMS-9"}).status_code == 201
    )
    assert (
        alice.client.put(
            f"/api/v1/events/{uuid}/minutes",
            {"minutes": "Notes"},
            content_type="application/json",
            headers=alice.headers,
        ).json()["minutes"]
        == "Notes"
    )
    assert alice.post(f"/events/{uuid}/status", {"status": "completed"}).json()["status"] == "completed"
    assert alice.post(f"/events/{uuid}/report-shared").json()["report_shared_at"]
    pdf = alice.get(f"/events/{uuid}/report.pdf")
    assert (
        pdf.status_code == 200
        and pdf["Content-Type"] == "application/pdf"
        and pdf.content.startswith(b"%PDF")
    )


def test_it_answers_a_likely_duplicate_walk_in_with_a_409_and_its_candidates(api, world, hcp):
    alice = api("alice")
    uuid = alice.post("/events", _new(world)).json()["uuid"]
    r = alice.post(f"/events/{uuid}/walk-ins", {"first_name": "Grace", "last_name": "Hopkins"})
    assert r.status_code == 409 and r.json()["candidates"] == [str(hcp.uuid)]
    r = alice.post(f"/events/{uuid}/walk-ins", {"hcp": str(hcp.uuid)})
    assert r.status_code == 201 and r.json()["walk_in"] and r.json()["attendance"] == "attended"
    r = alice.post(
        f"/events/{uuid}/walk-ins", {"first_name": "Ana", "last_name": "Silva", "external_role": "pharmacist"}
    )
    assert r.status_code == 201 and r.json()["external_person"]["full_name"] == "Ana Silva"
    assert alice.post(f"/events/{uuid}/walk-ins", {"last_name": "Nobody"}).status_code == 422


def test_it_refuses_the_commercial_role_on_every_events_operation(api, world, board):
    dave = api("dave")
    base = f"/events/{board.uuid}"
    for path in (
        "/events",
        base,
        f"{base}/staff",
        f"{base}/participants",
        f"{base}/insights",
        f"{base}/action-items",
        f"{base}/documents",
        f"{base}/report.pdf",
    ):
        r = dave.get(path)
        assert r.status_code == 403 and "detail" in r.json(), path
    for path in ("/events", f"{base}/status", f"{base}/walk-ins", f"{base}/insights", f"{base}/attendance"):
        assert dave.post(path, {}).status_code in (403, 422), path
    assert dave.post("/events", _new(world)).status_code == 403
    assert dave.post(f"{base}/status", {"status": "confirmed"}).status_code == 403
