"""The external-people directory (payers, pharmacists, patient advocates ...): pages, pickers and the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from liaison.people.actions import save_external_person, save_organization
from liaison.people.models import ExternalPerson

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_http(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = False


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def payer_org(world: Any, system_context: Any) -> Any:
    return save_organization(
        None, acting_user=None, data={"name": "Heartland Health Plan", "kind": "payer", "city": "Omaha"}
    )


@pytest.fixture
def payer(world: Any, payer_org: Any, system_context: Any) -> ExternalPerson:
    return save_external_person(
        None,
        acting_user=None,
        data={
            "first_name": "Priya",
            "last_name": "Raman",
            "role": "payer",
            "title": "Director of Pharmacy",
            "organization": payer_org,
        },
    )


# --- directory pages ------------------------------------------------------------------------------------------


def test_it_lists_and_searches_external_people(world: Any, payer: Any, system_context: Any) -> None:
    save_external_person(
        None, acting_user=None, data={"first_name": "Tom", "last_name": "Oakes", "role": "nurse"}
    )
    client = client_for(world["alice"])
    page = client.get(reverse("people:external_list"))
    assert page.status_code == 200
    assert "Priya Raman" in page.content.decode() and "Tom Oakes" in page.content.decode()
    found = client.get(reverse("people:external_list"), {"q": "heartland"}).content.decode()
    assert "Priya Raman" in found and "Tom Oakes" not in found
    by_role = client.get(reverse("people:external_list"), {"role": "nurse"}).content.decode()
    assert "Tom Oakes" in by_role and "Priya Raman" not in by_role


def test_it_paginates_the_directory(world: Any, system_context: Any) -> None:
    for i in range(30):
        save_external_person(None, acting_user=None, data={"first_name": f"P{i:02d}", "last_name": "Payer"})
    client = client_for(world["alice"])
    first = client.get(reverse("people:external_list")).content.decode()
    assert "Page 1 of 2" in first
    second = client.get(reverse("people:external_list"), {"page": 2}).content.decode()
    assert "Page 2 of 2" in second


def test_it_adds_an_external_person_with_an_organisation(world: Any, payer_org: Any) -> None:
    response = client_for(world["alice"]).post(
        reverse("people:external_new"),
        {
            "first_name": "Lena",
            "last_name": "Voss",
            "role": "patient_advocate",
            "organization": str(payer_org.uuid),
        },
    )
    assert response.status_code == 302
    person = ExternalPerson.objects.get(last_name="Voss")
    assert person.organization == payer_org and person.role == "patient_advocate"


def test_it_shows_errors_next_to_the_fields(world: Any) -> None:
    response = client_for(world["alice"]).post(
        reverse("people:external_new"),
        {
            "first_name": "",
            "last_name": "Voss",
            "role": "payer",
            "email": "not-an-address",
            "organization": "6f1c1f43-0d37-4a4b-9f59-2c1d1d1d1d1d",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_first_name_error"' in html
    assert 'id="id_email_error"' in html
    assert "Pick the organisation from the search results." in html
    assert not ExternalPerson.objects.exists()


def test_it_shows_the_current_organisation_as_a_chip_on_the_edit_form(world: Any, payer: Any) -> None:
    html = client_for(world["alice"]).get(reverse("people:external_edit", args=[payer.uuid])).content.decode()
    assert f'name="organization" value="{payer.organization.uuid}"' in html
    assert "Heartland Health Plan" in html and 'value="Priya"' in html


def test_it_edits_an_external_person_and_clears_the_organisation(world: Any, payer: Any) -> None:
    response = client_for(world["alice"]).post(
        reverse("people:external_edit", args=[payer.uuid]),
        {"first_name": "Priya", "last_name": "Raman-Shah", "role": "payer"},
    )
    assert response.status_code == 302
    payer.refresh_from_db()
    assert payer.last_name == "Raman-Shah" and payer.organization is None


def test_it_refuses_the_form_to_roles_that_may_not_add(world: Any, payer: Any) -> None:
    client = client_for(world["dave"])
    assert client.get(reverse("people:external_list")).status_code == 200  # a directory: everyone may view
    assert client.get(reverse("people:external_new")).status_code == 403
    assert client.get(reverse("people:external_edit", args=[payer.uuid])).status_code == 403


def test_it_offers_external_people_and_organisations_in_the_pickers(world: Any, payer: Any) -> None:
    client = client_for(world["alice"])
    people = client.get(reverse("people:external_autocomplete"), {"q": "Ram"}).content.decode()
    assert f'data-uuid="{payer.uuid}"' in people and "Heartland Health Plan" in people
    orgs = client.get(reverse("people:organization_autocomplete"), {"q": "heartland"}).content.decode()
    assert f'data-uuid="{payer.organization.uuid}"' in orgs
    assert client.get(reverse("people:external_autocomplete"), {"q": "R"}).content.strip() == b""


# --- API ------------------------------------------------------------------------------------------------------


def test_it_creates_reads_patches_and_searches_over_the_api(api: Any, payer_org: Any) -> None:
    alice = api("alice")
    created = alice.post(
        "/external-people",
        {
            "first_name": "Omar",
            "last_name": "Haddad",
            "role": "health_economist",
            "organization": str(payer_org.uuid),
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["organization"]["name"] == "Heartland Health Plan" and body["full_name"] == "Omar Haddad"
    assert alice.get(f"/external-people/{body['uuid']}").json()["role"] == "health_economist"
    patched = alice.patch(f"/external-people/{body['uuid']}", {"title": "HEOR lead", "organization": None})
    assert patched.status_code == 200, patched.content
    assert patched.json()["title"] == "HEOR lead" and patched.json()["organization"] is None
    listed = alice.get("/external-people", q="haddad").json()
    assert [p["uuid"] for p in listed["items"]] == [body["uuid"]]
    assert alice.get("/external-people", role="payer").json()["items"] == []


def test_it_answers_422_with_the_field_for_bad_input(api: Any) -> None:
    response = api("alice").post(
        "/external-people",
        {"first_name": "A", "last_name": "B", "organization": "6f1c1f43-0d37-4a4b-9f59-2c1d1d1d1d1d"},
    )
    assert response.status_code == 422
    assert "organization" in response.content.decode()
    bad_email = api("alice").post("/external-people", {"first_name": "A", "last_name": "B", "email": "nope"})
    assert bad_email.status_code == 422 and "email" in bad_email.content.decode()


def test_it_lets_commercial_read_but_not_write(api: Any, payer: Any) -> None:
    dave = api("dave")
    assert dave.get(f"/external-people/{payer.uuid}").status_code == 200
    assert dave.post("/external-people", {"first_name": "A", "last_name": "B"}).status_code == 403
    assert dave.patch(f"/external-people/{payer.uuid}", {"title": "x"}).status_code == 403
