"""The OpenAPI document says what the API returns: one schema per name, and affiliations shaped as documented.

Two response schemas with the same class name (people's `AffiliationRead`, an object, and the brief's, a string)
used to collapse into one OpenAPI component, so `GET /api/v1/hcps/{uuid}` was documented as returning the
organisation's name while it returned an object.
"""

from __future__ import annotations

from typing import Any

import pytest
from ninja import Schema

from liaison.web.api import api as ninja_api


def _openapi() -> dict[str, Any]:
    return ninja_api.get_openapi_schema()


def _resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow `$ref` (and a nullable `anyOf [X, null]`) to the schema it names."""
    while True:
        if "$ref" in node:
            node = doc["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
        elif "anyOf" in node:
            node = next(n for n in node["anyOf"] if n.get("type") != "null")
        else:
            return node


def _response_schema(doc: dict[str, Any], path: str, method: str = "get") -> dict[str, Any]:
    responses = doc["paths"][path][method]["responses"]
    ok = responses.get(200) or responses["200"]  # integer keys in the document object, strings once served
    content = ok["content"]["application/json"]
    return _resolve(doc, content["schema"])


def _api_schema_classes() -> list[type[Schema]]:
    """Every ninja Schema class defined in Liaison's modules (API shapes are Schema subclasses)."""
    seen: list[type[Schema]] = []
    todo = list(Schema.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.append(cls)
        todo.extend(cls.__subclasses__())
    return [c for c in seen if c.__module__.startswith("liaison.") and "[" not in c.__name__]


def test_every_api_schema_has_a_name_of_its_own():
    _openapi()  # builds the API, so every router's schemas are imported
    by_name: dict[str, list[str]] = {}
    for cls in _api_schema_classes():
        by_name.setdefault(cls.__name__, []).append(f"{cls.__module__}.{cls.__qualname__}")
    clashes = {name: where for name, where in by_name.items() if len(set(where)) > 1}
    assert not clashes, f"OpenAPI components are named by class: these would overwrite each other: {clashes}"


def test_the_openapi_document_gives_an_hcps_affiliation_its_organisation_as_an_object():
    doc = _openapi()
    hcp = _response_schema(doc, "/api/v1/hcps/{uuid}")
    affiliation = _resolve(doc, hcp["properties"]["affiliations"]["items"])
    organization = _resolve(doc, affiliation["properties"]["organization"])

    assert organization.get("type") == "object"
    assert set(organization["properties"]) == {"uuid", "name"}


def test_the_openapi_document_gives_the_briefs_affiliation_the_organisation_name():
    doc = _openapi()
    brief = _response_schema(doc, "/api/v1/hcps/{uuid}/brief")
    profile = _resolve(doc, brief["properties"]["profile"])
    affiliation = _resolve(doc, profile["properties"]["affiliations"]["items"])

    assert affiliation["properties"]["organization"]["type"] == "string"


@pytest.fixture
def affiliated(hcp: Any, system_context: Any) -> Any:
    from liaison.people.actions import add_affiliation, save_organization

    org = save_organization(None, acting_user=None, data={"name": "University of Iowa", "kind": "university"})
    add_affiliation(hcp, org, acting_user=None, title="Professor", primary=True)
    return org


def test_an_hcps_affiliation_returns_the_organisation_as_the_document_says(
    api: Any, hcp: Any, affiliated: Any
):
    doc = _openapi()
    hcp_schema = _response_schema(doc, "/api/v1/hcps/{uuid}")
    affiliation_schema = _resolve(doc, hcp_schema["properties"]["affiliations"]["items"])
    organization_schema = _resolve(doc, affiliation_schema["properties"]["organization"])

    body = api("alice").get(f"/hcps/{hcp.uuid}").json()

    (affiliation,) = body["affiliations"]
    assert set(affiliation) == set(affiliation_schema["properties"])
    assert affiliation["organization"] == {"uuid": str(affiliated.uuid), "name": "University of Iowa"}
    assert set(affiliation["organization"]) == set(organization_schema["properties"])
