"""The API's cross-cutting behaviour: bearer authentication, JSON errors for bad input, the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest

from api_support import detail_of
from liaison.people.models import HCP


def test_it_serves_the_openapi_document_at_the_documented_url(anonymous: Any) -> None:
    response = anonymous.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for resource in (
        "hcps",
        "organizations",
        "interactions",
        "insights",
        "inquiries",
        "follow-ups",
        "safety-reports",
        "audit-events",
        "therapeutic-areas",
        "products",
        "listening-priorities",
        "me",
    ):
        assert f"/api/v1/{resource}" in paths
    assert response.json()["components"]["securitySchemes"]["BearerAuth"]["scheme"] == "bearer"


def test_it_serves_no_docs_page_that_would_load_assets_from_a_cdn(anonymous: Any) -> None:
    response = anonymous.get("/api/v1/docs")
    assert response.status_code == 404
    assert b"cdn" not in response.content.lower()


@pytest.mark.parametrize(
    "path", ["/me", "/hcps", "/interactions", "/audit-events", "/hcps/00000000-0000-0000-0000-000000000000"]
)
def test_it_answers_401_in_json_without_a_token(anonymous: Any, world: Any, path: str) -> None:
    response = anonymous.get(path)
    assert response.status_code == 401
    assert "token" in detail_of(response)
    assert response["WWW-Authenticate"] == "Bearer"


def test_it_answers_401_to_an_unknown_token(world: Any) -> None:
    from api_support import ApiClient

    assert ApiClient("lsn_not-a-real-token").get("/me").status_code == 401


def test_it_answers_401_to_a_revoked_token(world: dict[str, Any], system_context: Any) -> None:
    from api_support import ApiClient
    from liaison.accounts.actions import create_api_token, revoke_api_token

    token, raw = create_api_token(world["alice"])
    client = ApiClient(raw)
    assert client.get("/me").status_code == 200
    revoke_api_token(token, acting_user=world["alice"])
    assert client.get("/me").status_code == 401


def test_it_answers_401_to_a_token_of_a_deactivated_user(world: dict[str, Any], system_context: Any) -> None:
    from api_support import ApiClient
    from liaison.accounts.actions import create_api_token, update_user

    _, raw = create_api_token(world["bob"])
    update_user(world["bob"], acting_user=world["ada"], is_active=False)
    assert ApiClient(raw).get("/me").status_code == 401


def test_it_ignores_a_browser_session_on_api_paths(client: Any, world: dict[str, Any]) -> None:
    client.force_login(world["alice"])
    assert client.get("/api/v1/me").status_code == 401


def test_it_answers_json_404_for_unknown_api_paths(api: Any) -> None:
    response = api("alice").get("/no-such-resource")
    assert response.status_code == 404
    assert detail_of(response) == "Not found"


def test_it_answers_400_to_malformed_json_and_changes_nothing(api: Any, hcp: Any) -> None:
    before = HCP.objects.count()
    for raw in (b"{not json", b"\xff\xfe\x00", b'{"first_name": "A", "last_name": ', b""):
        response = api("alice").post("/hcps", raw=raw)
        assert response.status_code in (400, 422), raw
        assert detail_of(response)
    assert HCP.objects.count() == before


def test_it_answers_422_with_field_locations_for_wrong_types(api: Any, world: Any) -> None:
    response = api("alice").post("/hcps", {"first_name": ["a"], "last_name": 7, "tier": "high"})
    assert response.status_code == 422
    locs = {tuple(item["loc"]) for item in detail_of(response)}
    assert ("body", "first_name") in locs and ("body", "tier") in locs


@pytest.mark.parametrize("bad", ["Gr\x00ace", "x" * 1_000_000, "\ud800", "Gr\x07ace"])
def test_it_refuses_nul_bytes_huge_and_broken_strings_with_422(api: Any, world: Any, bad: str) -> None:
    before = HCP.objects.count()
    response = api("alice").post(
        "/hcps", {"first_name": bad, "last_name": "Hopkins", "allow_duplicate": True}
    )
    assert response.status_code == 422
    assert detail_of(response)[0]["loc"][:2] == ["body", "first_name"]
    assert HCP.objects.count() == before


def test_it_accepts_odd_but_valid_unicode(api: Any, world: Any) -> None:
    response = api("alice").post(
        "/hcps", {"first_name": "Zoë 😀", "last_name": "Ångström‮", "allow_duplicate": True}
    )
    assert response.status_code == 201, response.content
    assert response.json()["first_name"] == "Zoë 😀"


def test_it_answers_422_for_a_malformed_uuid_and_404_for_an_unknown_one(api: Any, world: Any) -> None:
    client = api("alice")
    assert client.get("/hcps/not-a-uuid").status_code == 422
    response = client.get("/hcps/6f1c1f43-0d37-4a4b-9f59-2c1d1d1d1d1d")
    assert response.status_code == 404
    assert detail_of(response) == "Not found"


def test_it_refuses_query_filters_with_control_characters(api: Any, world: Any) -> None:
    response = api("alice").get("/hcps", q="Hop\x00kins")
    assert response.status_code == 422
    assert detail_of(response)[0]["loc"] == ["query", "q"]


def test_it_refuses_out_of_range_pagination(api: Any, world: Any) -> None:
    client = api("alice")
    assert client.get("/hcps", limit=0).status_code == 422
    assert client.get("/hcps", limit=101).status_code == 422
    assert client.get("/hcps", offset=-1).status_code == 422
    assert client.get("/hcps", offset=10**30).status_code == 422


def test_it_refuses_datetimes_out_of_any_plausible_range(api: Any, hcp: Any) -> None:
    response = api("alice").post(
        "/interactions",
        {
            "attendees": [str(hcp.uuid)],
            "occurred_at": "0001-01-01T00:00:00+14:00",
            "channel": "phone",
            "purpose": "education",
            "ae_attestation": "no",
        },
    )
    assert response.status_code == 422
    assert detail_of(response)[0]["loc"] == ["body", "occurred_at"]


def test_it_returns_a_json_500_and_logs_when_something_unexpected_breaks(
    api: Any, world: Any, monkeypatch: Any, caplog: Any
) -> None:
    from liaison.accounts import api as accounts_api

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(accounts_api, "role_can", boom)
    response = api("alice").get("/me")
    assert response.status_code == 500
    assert "logged" in detail_of(response)
    assert "unexpected" in caplog.text


def test_a_deployment_without_the_bearer_token_middleware_fails_its_system_check(settings):
    """Without it a browser session would authenticate /api/ calls: `manage.py check` refuses to start."""
    from liaison.accounts.checks import BEARER, api_authentication

    assert api_authentication() == []
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != BEARER]
    assert [e.id for e in api_authentication()] == ["liaison.E103"]
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, BEARER]  # after the audit context: too late
    assert [e.id for e in api_authentication()] == ["liaison.E103"]
