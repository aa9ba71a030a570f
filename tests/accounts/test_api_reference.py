"""The me, therapeutic-areas and products resources: read-only, for every role."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize("persona,role", [("alice", "msl"), ("dave", "commercial"), ("carla", "compliance")])
def test_it_describes_the_current_user_and_their_permissions(
    api: Any, world: Any, persona: str, role: str
) -> None:
    body = api(persona).get("/me").json()
    assert body["username"] == persona and body["role"] == role and body["uuid"] == str(world[persona].uuid)
    assert "view" in body["permissions"]["hcp"]


def test_it_gives_commercial_no_medical_permissions_in_me(api: Any, world: Any) -> None:
    permissions = api("dave").get("/me").json()["permissions"]
    assert permissions["inquiry"] == ["add"]
    for resource in (
        "interaction",
        "insight",
        "safety_report",
        "audit_event",
        "follow_up",
        "listening_priority",
    ):
        assert resource not in permissions


@pytest.mark.parametrize("persona", ["alice", "dave", "otto"])
def test_it_lists_and_reads_reference_data(api: Any, world: Any, persona: str) -> None:
    client = api(persona)
    assert [a["name"] for a in client.get("/therapeutic-areas").json()["items"]] == ["Cardiology", "Oncology"]
    assert client.get("/therapeutic-areas", q="onco").json()["count"] == 1
    assert client.get(f"/therapeutic-areas/{world['oncology'].uuid}").json()["mesh_tree_numbers"] == ["C04"]
    products = client.get("/products", therapeutic_area=str(world["oncology"].uuid)).json()
    assert [p["name"] for p in products["items"]] == ["Onkotrex"]
    assert client.get("/products", therapeutic_area=str(world["cardio"].uuid)).json()["count"] == 0
    assert client.get(f"/products/{world['product'].uuid}").json()["generic_name"] == "onkotrexumab"


def test_it_offers_no_writes_on_reference_data(api: Any, world: Any) -> None:
    response = api("ada").post("/therapeutic-areas", {"name": "Neurology"})
    assert response.status_code in (404, 405)
