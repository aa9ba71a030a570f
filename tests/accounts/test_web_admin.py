"""Administration pages (users, reference data, listening priorities, teams, territories) and My API tokens."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from liaison.accounts.models import ApiToken, Product, Team, Territory, TherapeuticArea, User
from liaison.insights.models import ListeningPriority

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_http(settings: Any) -> None:
    # Production settings redirect http to https; the test client speaks plain http.
    settings.SECURE_SSL_REDIRECT = False


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


ADMIN_PAGES = [
    "accounts:admin_home",
    "accounts:user_list",
    "accounts:user_new",
    "accounts:area_list",
    "accounts:area_new",
    "accounts:product_list",
    "accounts:product_new",
    "accounts:priority_list",
    "accounts:priority_new",
    "accounts:team_list",
    "accounts:territory_list",
]


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_every_admin_page_renders_for_the_admin(world, page):
    response = client_for(world["ada"]).get(reverse(page))
    assert response.status_code == 200
    assert "<h1" in response.content.decode()


@pytest.mark.parametrize("name", ["alice", "dave", "iris", "sam"])
def test_roles_without_admin_rights_are_refused(world, name):
    client = client_for(world[name])
    for page in ("accounts:admin_home", "accounts:user_list", "accounts:area_new", "accounts:priority_list"):
        assert client.get(reverse(page)).status_code == 403, page


def test_the_medical_lead_manages_listening_priorities_but_not_users(world):
    client = client_for(world["lena"])
    assert client.get(reverse("accounts:admin_home")).status_code == 200
    assert client.get(reverse("accounts:priority_new")).status_code == 200
    assert client.get(reverse("accounts:user_list")).status_code == 403
    assert client.get(reverse("accounts:area_new")).status_code == 403


def test_auditors_read_the_user_list_but_cannot_create_users(world):
    client = client_for(world["otto"])
    body = client.get(reverse("accounts:user_list")).content.decode()
    assert "alice" in body and reverse("accounts:user_new") not in body
    assert client.post(reverse("accounts:user_new"), {"username": "eve", "role": "admin"}).status_code == 403
    assert not User.objects.filter(username="eve").exists()


def test_the_admin_creates_a_user_with_role_team_and_territory(world, system_context):
    from liaison.accounts.actions import save_territory

    territory = save_territory(None, acting_user=None, name="Midwest", regions=["IA"])
    team = world["teams"]["Oncology East"]
    response = client_for(world["ada"]).post(
        reverse("accounts:user_new"),
        {
            "username": "nina",
            "first_name": "Nina",
            "role": "msl",
            "team": str(team.uuid),
            "territory": str(territory.uuid),
            "password": "a-long-enough-secret-42",
            "therapeutic_areas": [str(world["oncology"].uuid)],
        },
    )
    assert response.status_code == 302
    nina = User.objects.get(username="nina")
    assert (nina.role, nina.team, nina.territory) == ("msl", team, territory)
    assert nina.check_password("a-long-enough-secret-42")


def test_user_errors_show_next_to_their_field(world):
    client = client_for(world["ada"])
    taken = client.post(reverse("accounts:user_new"), {"username": "alice", "role": "msl"}).content.decode()
    assert 'id="id_username_error"' in taken and "already exists" in taken
    weak = client.post(reverse("accounts:user_new"), {"username": "neo", "role": "msl", "password": "short"})
    assert 'id="id_password_error"' in weak.content.decode()
    assert not User.objects.filter(username="neo").exists()


def test_the_admin_changes_a_role_and_deactivates_a_user(world):
    bob = world["bob"]
    response = client_for(world["ada"]).post(
        reverse("accounts:user_edit", args=[bob.uuid]),
        {"role": "msl_manager", "first_name": "Bob", "last_name": "Tester", "team": str(bob.team.uuid)},
    )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.role == "msl_manager" and not bob.is_active


def test_the_admin_cannot_deactivate_themself(world):
    ada = world["ada"]
    response = client_for(ada).post(reverse("accounts:user_edit", args=[ada.uuid]), {"role": "admin"})
    assert response.status_code == 200 and 'id="id_is_active_error"' in response.content.decode()
    ada.refresh_from_db()
    assert ada.is_active


def test_therapeutic_areas_are_created_and_edited_with_mesh_tree_numbers(world):
    client = client_for(world["ada"])
    response = client.post(
        reverse("accounts:area_new"), {"name": "Neurology", "mesh_tree_numbers": "C10, F03", "active": "on"}
    )
    assert response.status_code == 302
    area = TherapeuticArea.objects.get(name="Neurology")
    assert area.mesh_tree_numbers == ["C10", "F03"]
    client.post(
        reverse("accounts:area_edit", args=[area.uuid]),
        {"name": "Neurology", "mesh_tree_numbers": "C10", "code": area.code},
    )
    area.refresh_from_db()
    assert area.mesh_tree_numbers == ["C10"] and not area.active
    duplicate = client.post(reverse("accounts:area_new"), {"name": "oncology"}).content.decode()
    assert 'id="id_name_error"' in duplicate


def test_products_are_saved_with_their_approved_indications(world):
    client = client_for(world["ada"])
    response = client.post(
        reverse("accounts:product_new"),
        {
            "name": "Cardiozan",
            "therapeutic_area": str(world["cardio"].uuid),
            "approved_indications": "heart failure\nhypertension",
            "active": "on",
        },
    )
    assert response.status_code == 302
    product = Product.objects.get(name="Cardiozan")
    assert product.approved_indications == ["heart failure", "hypertension"]
    assert "hypertension" in client.get(reverse("accounts:product_list")).content.decode()


def test_listening_priorities_are_created_edited_and_deactivated(world):
    client = client_for(world["lena"])
    response = client.post(
        reverse("accounts:priority_new"),
        {
            "therapeutic_area": str(world["cardio"].uuid),
            "title": "Adherence after discharge",
            "order": "2",
            "active": "on",
        },
    )
    assert response.status_code == 302
    priority = ListeningPriority.objects.get(title="Adherence after discharge")
    client.post(
        reverse("accounts:priority_edit", args=[priority.uuid]),
        {
            "therapeutic_area": str(world["cardio"].uuid),
            "title": "Adherence after discharge",
            "order": "1",
            "description": "Why do patients stop?",
            "active": "on",
        },
    )
    priority.refresh_from_db()
    assert priority.order == 1 and priority.description == "Why do patients stop?"
    client.post(reverse("accounts:priority_toggle", args=[priority.uuid]))
    priority.refresh_from_db()
    assert not priority.active
    listing = client.get(
        reverse("accounts:priority_list"), {"area": str(world["cardio"].uuid)}
    ).content.decode()
    assert "Adherence after discharge" in listing and "Biomarker testing barriers" not in listing


def test_teams_and_territories_are_listed_and_created(world):
    client = client_for(world["ada"])
    assert client.post(reverse("accounts:team_list"), {"name": "Neuro North"}).status_code == 302
    assert Team.objects.filter(name="Neuro North").exists()
    response = client.post(reverse("accounts:territory_list"), {"name": "Plains", "regions": "IA, NE"})
    assert response.status_code == 302
    assert Territory.objects.get(name="Plains").regions == ["IA", "NE"]
    assert "Plains" in client.get(reverse("accounts:territory_list")).content.decode()


def test_a_manager_sees_teams_but_cannot_create_one(world):
    client = client_for(world["mona"])
    assert client.get(reverse("accounts:team_list")).status_code == 200
    assert client.post(reverse("accounts:team_list"), {"name": "Rogue"}).status_code == 403
    assert not Team.objects.filter(name="Rogue").exists()


# --- my API tokens ---------------------------------------------------------------------------------------------


def test_any_user_creates_a_token_sees_it_once_and_can_use_it(world):
    client = client_for(world["dave"])
    response = client.post(reverse("accounts:tokens"), {"name": "laptop"})
    body = response.content.decode()
    token = ApiToken.objects.get(user=world["dave"])
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    raw = body.split('id="raw-token" class="mono" value="')[1].split('"')[0]
    assert raw.startswith(token.prefix)
    assert raw not in client.get(reverse("accounts:tokens")).content.decode()


def test_a_user_revokes_only_their_own_tokens(world, acting):
    from liaison.accounts.actions import create_api_token

    with acting(world["alice"]):
        mine, _ = create_api_token(world["alice"], name="mine")
    with acting(world["bob"]):
        theirs, _ = create_api_token(world["bob"], name="theirs")
    client = client_for(world["alice"])
    assert "theirs" not in client.get(reverse("accounts:tokens")).content.decode()
    client.post(reverse("accounts:token_revoke", args=[theirs.uuid]))
    client.post(reverse("accounts:token_revoke", args=[mine.uuid]))
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None


def test_a_token_name_with_a_nul_byte_is_a_form_error(world):
    response = client_for(world["alice"]).post(reverse("accounts:tokens"), {"name": "bad\x00name"})
    assert response.status_code == 200 and 'id="id_name_error"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_product_edit_page_shows_its_changelog_to_an_admin(world):
    product = world["product"]
    body = (
        client_for(world["ada"]).get(reverse("accounts:product_edit", args=[product.uuid])).content.decode()
    )
    assert "Changelog" in body and "product.created" in body and "metastatic NSCLC" in body


def test_the_listening_priorities_stay_in_the_administration_at_their_old_address():
    """insights registers the section; its pages keep the paths and names they had under accounts."""
    assert reverse("accounts:priority_list") == "/accounts/admin/priorities/"
    assert reverse("accounts:priority_new") == "/accounts/admin/priorities/new/"
