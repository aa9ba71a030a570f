"""The hcps and organizations resources: reads for everyone, writes for field medical, duplicates, merge."""

from __future__ import annotations

from typing import Any

import pytest

from api_support import detail_of
from liaison.core.models import AuditEvent
from liaison.people.models import HCP, HCPStatus, Organization

NEW_HCP = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "credentials": "MD",
    "npi": "1245319599",
    "city": "Omaha",
    "state": "NE",
    "tier": 2,
    "specialties": ["oncology"],
}


@pytest.mark.parametrize("persona", ["alice", "mona", "lena", "iris", "sam", "carla", "otto", "dave", "ada"])
def test_it_lists_and_reads_hcps_for_every_role(api: Any, hcp: HCP, persona: str) -> None:
    client = api(persona)
    page = client.get("/hcps").json()
    assert page["count"] == 1 and page["items"][0]["uuid"] == str(hcp.uuid)
    assert client.get(f"/hcps/{hcp.uuid}").json()["npi"] == "1234567893"


def test_it_shows_no_database_ids(api: Any, hcp: HCP) -> None:
    body = api("alice").get(f"/hcps/{hcp.uuid}").json()
    assert "id" not in body and "pk" not in body
    assert body["owner"]["uuid"] and "id" not in body["owner"]


def test_it_filters_hcps(api: Any, hcp: HCP, world: dict[str, Any], system_context: Any) -> None:
    from liaison.people.actions import create_hcp

    create_hcp(
        acting_user=None,
        data={"first_name": "Omar", "last_name": "Diaz", "tier": 1, "state": "CA"},
        therapeutic_areas=[world["cardio"]],
    )
    client = api("alice")

    def names(**params: Any) -> list[str]:
        return [h["last_name"] for h in client.get("/hcps", **params).json()["items"]]

    assert names(q="hopk") == ["Hopkins"]
    assert names(q="1234567893") == ["Hopkins"]
    assert names(tier=1) == ["Diaz"]
    assert names(therapeutic_area=str(world["cardio"].uuid)) == ["Diaz"]
    assert names(owner=str(world["alice"].uuid)) == ["Hopkins"]
    assert names(state="ca") == ["Diaz"]
    assert names(status="merged") == []


def test_it_paginates_with_limit_and_offset(api: Any, world: Any, system_context: Any) -> None:
    from liaison.people.actions import create_hcp

    for i in range(5):
        create_hcp(acting_user=None, data={"first_name": f"F{i}", "last_name": f"Person{i}"})
    client = api("alice")
    first = client.get("/hcps", limit=2).json()
    second = client.get("/hcps", limit=2, offset=2).json()
    assert (first["count"], first["limit"], first["offset"]) == (5, 2, 0)
    assert len(first["items"]) == 2 and len(second["items"]) == 2
    assert {h["uuid"] for h in first["items"]}.isdisjoint({h["uuid"] for h in second["items"]})
    assert client.get("/hcps", offset=5).json()["items"] == []


@pytest.mark.parametrize("persona", ["alice", "mona", "lena", "ada"])
def test_it_creates_an_hcp_for_field_medical_and_admins(api: Any, world: Any, persona: str) -> None:
    response = api(persona).post(
        "/hcps",
        {**NEW_HCP, "therapeutic_areas": [str(world["oncology"].uuid)], "owner": str(world[persona].uuid)},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["full_name"] == "Ada Lovelace, MD"
    assert body["therapeutic_areas"][0]["name"] == "Oncology"
    assert body["owner"]["username"] == persona
    event = AuditEvent.objects.get(object_uuid=body["uuid"], event_type="hcp.created")
    assert event.source == "api" and event.actor_username == persona


@pytest.mark.parametrize("persona", ["iris", "sam", "carla", "otto", "dave"])
def test_it_refuses_hcp_creation_to_other_roles(api: Any, world: Any, persona: str) -> None:
    response = api(persona).post("/hcps", NEW_HCP)
    assert response.status_code == 403
    assert "not allowed" in detail_of(response)
    assert not HCP.objects.filter(last_name="Lovelace").exists()


def test_it_answers_409_with_the_candidates_for_a_likely_duplicate(api: Any, hcp: HCP) -> None:
    client = api("alice")
    response = client.post("/hcps", {"first_name": "G.", "last_name": "Hopkins"})
    assert response.status_code == 409
    assert response.json()["candidates"] == [str(hcp.uuid)]
    assert HCP.objects.count() == 1
    confirmed = client.post("/hcps", {"first_name": "G.", "last_name": "Hopkins", "allow_duplicate": True})
    assert confirmed.status_code == 201
    assert HCP.objects.count() == 2


def test_it_refuses_an_invalid_npi_with_422_on_the_field(api: Any, world: Any) -> None:
    response = api("alice").post("/hcps", {**NEW_HCP, "npi": "1234567890"})
    assert response.status_code == 422
    assert detail_of(response)[0]["loc"] == ["body", "npi"]


def test_it_refuses_an_owner_the_user_may_not_see(api: Any, world: Any) -> None:
    response = api("alice").post("/hcps", {**NEW_HCP, "owner": str(world["bob"].uuid)})
    assert response.status_code == 422
    assert detail_of(response)[0]["loc"] == ["body", "owner"]


def test_it_updates_only_the_fields_sent_and_audits_the_reason(api: Any, hcp: HCP) -> None:
    response = api("alice").patch(f"/hcps/{hcp.uuid}", {"tier": 1, "reason": "Leads the national guideline"})
    assert response.status_code == 200, response.content
    assert response.json()["tier"] == 1 and response.json()["npi"] == "1234567893"
    event = AuditEvent.objects.filter(object_uuid=str(hcp.uuid), event_type="hcp.updated").latest("seq")
    assert event.changes["tier"] == [None, 1]
    assert event.reason == "Leads the national guideline"


def test_it_refuses_hcp_updates_to_commercial_with_403_for_existing_and_missing(api: Any, hcp: HCP) -> None:
    client = api("dave")
    real = client.patch(f"/hcps/{hcp.uuid}", {"tier": 1})
    missing = client.patch("/hcps/6f1c1f43-0d37-4a4b-9f59-2c1d1d1d1d1d", {"tier": 1})
    assert real.status_code == missing.status_code == 403
    assert real.json() == missing.json()


def test_it_merges_a_duplicate_for_managers(api: Any, hcp: HCP, world: Any, system_context: Any) -> None:
    from liaison.people.actions import create_hcp

    dup = create_hcp(
        acting_user=None, data={"first_name": "Grace", "last_name": "Hopkins"}, allow_duplicate=True
    )
    assert (
        api("alice")
        .post(f"/hcps/{hcp.uuid}/merge", {"duplicate": str(dup.uuid), "reason": "same"})
        .status_code
        == 403
    )
    response = api("mona").post(
        f"/hcps/{hcp.uuid}/merge", {"duplicate": str(dup.uuid), "reason": "same person"}
    )
    assert response.status_code == 200, response.content
    dup.refresh_from_db()
    assert dup.status == HCPStatus.MERGED and dup.merged_into_id == hcp.pk
    assert api("alice").get(f"/hcps/{dup.uuid}").json()["merged_into"] == str(hcp.uuid)


def test_it_refuses_to_merge_a_record_into_itself(api: Any, hcp: HCP) -> None:
    response = api("mona").post(f"/hcps/{hcp.uuid}/merge", {"duplicate": str(hcp.uuid), "reason": "oops"})
    assert response.status_code == 422


def test_it_creates_lists_reads_and_updates_organizations(api: Any, world: Any) -> None:
    client = api("alice")
    created = client.post("/organizations", {"name": "Mayo Clinic", "kind": "hospital", "city": "Rochester"})
    assert created.status_code == 201, created.content
    uuid = created.json()["uuid"]
    assert client.get("/organizations", kind="hospital").json()["count"] == 1
    assert client.get("/organizations", q="mayo").json()["items"][0]["uuid"] == uuid
    assert client.get("/organizations", kind="payer").json()["count"] == 0
    updated = client.patch(f"/organizations/{uuid}", {"state": "MN"})
    assert updated.json()["state"] == "MN" and updated.json()["city"] == "Rochester"
    assert api("dave").get(f"/organizations/{uuid}").status_code == 200
    assert api("dave").post("/organizations", {"name": "Other"}).status_code == 403
    assert api("dave").patch(f"/organizations/{uuid}", {"state": "XX"}).status_code == 403


def test_it_refuses_a_duplicate_organization_and_an_unknown_kind(api: Any, world: Any) -> None:
    client = api("alice")
    client.post("/organizations", {"name": "Mayo Clinic", "city": "Rochester"})
    again = client.post("/organizations", {"name": "mayo clinic", "city": "Rochester"})
    assert again.status_code == 422
    assert client.post("/organizations", {"name": "X", "kind": "castle"}).status_code == 422
    assert Organization.objects.count() == 1
