"""Helpers for the REST API tests: a bearer-token client per persona.

`api("alice").get("/hcps", q="Hop")` calls /api/v1/hcps?q=Hop as alice and returns the Django test response.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

BASE = "/api/v1"


class ApiClient:
    """A Django test client that sends JSON and one user's bearer token on every request."""

    def __init__(self, raw_token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw_token}"} if raw_token else {}

    def _url(self, path: str) -> str:
        return path if path.startswith("/api/") else BASE + path

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(self._url(path), params, headers=self.headers)

    def post(self, path: str, body: Any = None, *, raw: bytes | str | None = None) -> Any:
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(self._url(path), data, content_type="application/json", headers=self.headers)

    def patch(self, path: str, body: Any = None, *, raw: bytes | str | None = None) -> Any:
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.patch(self._url(path), data, content_type="application/json", headers=self.headers)


@pytest.fixture
def api(world: dict[str, Any], system_context: Any) -> Any:
    """`api("alice")` is a client authenticated with a fresh token of the persona alice."""
    from liaison.accounts.actions import create_api_token

    def _client(name: str) -> ApiClient:
        _, raw = create_api_token(world[name], name="tests")
        return ApiClient(raw)

    return _client


@pytest.fixture
def anonymous() -> ApiClient:
    return ApiClient(None)


def detail_of(response: Any) -> Any:
    """The `detail` of a JSON error body, after checking that the body is JSON."""
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()["detail"]
