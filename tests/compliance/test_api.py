"""The audit-events resource: oversight roles read the trail and verify its hash chain."""

from __future__ import annotations

from typing import Any

import pytest

from api_support import detail_of


@pytest.mark.parametrize("persona", ["carla", "otto", "ada"])
def test_it_lets_oversight_roles_read_and_filter_the_audit_trail(api: Any, hcp: Any, persona: str) -> None:
    client = api(persona)
    events = client.get("/audit-events", object_uuid=str(hcp.uuid)).json()
    assert events["count"] >= 1
    assert all(e["object_uuid"] == str(hcp.uuid) for e in events["items"])
    created = client.get("/audit-events", object_uuid=str(hcp.uuid), event_type="hcp.created").json()
    assert created["count"] == 1
    event = created["items"][0]
    assert client.get(f"/audit-events/{event['uuid']}").json()["hash"] == event["hash"]
    assert "seq" not in event and "id" not in event
    assert client.get("/audit-events", event_type="hcp.").json()["count"] >= 1


def test_it_filters_the_trail_by_actor_uuid_or_username(api: Any, hcp: Any, world: Any) -> None:
    api("alice").patch(f"/hcps/{hcp.uuid}", {"tier": 2, "reason": "regional"})
    carla = api("carla")
    by_uuid = carla.get("/audit-events", actor=str(world["alice"].uuid), event_type="hcp.updated").json()
    by_name = carla.get("/audit-events", actor="alice", event_type="hcp.updated").json()
    assert by_uuid["count"] == by_name["count"] == 1
    assert by_uuid["items"][0]["source"] == "api" and by_uuid["items"][0]["reason"] == "regional"


def test_it_verifies_the_hash_chain(api: Any, hcp: Any) -> None:
    report = api("otto").get("/audit-events/verify").json()
    assert report["ok"] is True and report["checked"] > 0 and report["broken_event"] is None


@pytest.mark.parametrize("persona", ["alice", "mona", "lena", "iris", "sam", "dave"])
def test_it_refuses_the_audit_trail_to_other_roles(api: Any, hcp: Any, persona: str) -> None:
    client = api(persona)
    assert client.get("/audit-events").status_code == 403
    assert client.get("/audit-events/verify").status_code == 403
    assert "not allowed" in detail_of(client.get("/audit-events"))
