"""Web pages for HCPs: directory, autocomplete, record tabs and the firewall, create with duplicates, edit, merge."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from liaison.people.models import HCP, HCPStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_http(settings: Any) -> None:
    # Production settings redirect http to https; the test client speaks plain http.
    settings.SECURE_SSL_REDIRECT = False


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def twin(world, system_context) -> HCP:
    """A second record for the same person as `hcp` would be (same surname, initial, city)."""
    from liaison.people.actions import create_hcp

    return create_hcp(
        acting_user=None,
        data={
            "first_name": "G.",
            "last_name": "Hopkins",
            "city": "Iowa City",
            "orcid": "0000-0002-1825-0097",
            "email": "g.hopkins@example.org",
        },
        allow_duplicate=True,
    )


def hcp_form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "credentials": "MD",
        "city": "Des Moines",
        "consent_status": "not_asked",
        "lawful_basis": "legitimate_interest",
        "specialties": "Oncology, Genomics",
    }
    data.update(overrides)
    return data


# --- directory and autocomplete --------------------------------------------------------------------------------


def test_it_lists_hcps_for_every_role_including_commercial(world, hcp):
    for name in ("alice", "dave", "otto"):
        response = client_for(world[name]).get(reverse("people:hcp_list"))
        assert response.status_code == 200
        assert "Grace Hopkins" in response.content.decode()


def test_it_searches_by_npi_and_city_and_returns_only_the_results_to_htmx(world, hcp, twin):
    client = client_for(world["alice"])
    by_npi = client.get(
        reverse("people:hcp_list"), {"q": "1234567893"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="hcp-results"
    )
    body = by_npi.content.decode()
    assert "Grace Hopkins" in body and "G. Hopkins" not in body
    assert "<html" not in body  # a fragment, not a page
    by_city = client.get(reverse("people:hcp_list"), {"q": "iowa"}).content.decode()
    assert "Grace Hopkins" in by_city and "G. Hopkins" in by_city


def test_it_filters_by_area_and_ignores_a_bogus_filter_value_without_failing(world, hcp, twin):
    client = client_for(world["alice"])
    body = client.get(
        reverse("people:hcp_list"), {"therapeutic_area": str(world["oncology"].uuid)}
    ).content.decode()
    assert "Grace Hopkins" in body and "G. Hopkins" not in body
    response = client.get(reverse("people:hcp_list"), {"owner": "not-a-uuid", "tier": "9", "q": "x\x00y"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_it_hides_merged_records_from_the_directory_and_autocomplete(world, hcp, twin, acting):
    from liaison.people.actions import merge_hcps

    with acting(world["mona"]):
        merge_hcps(hcp, twin, acting_user=world["mona"], reason="same person")
    client = client_for(world["alice"])
    assert "G. Hopkins" not in client.get(reverse("people:hcp_list"), {"q": "Hopkins"}).content.decode()
    auto = client.get(reverse("people:hcp_autocomplete"), {"q": "Hopkins"}).content.decode()
    assert auto.count('class="hcp-pick"') == 1 and f'data-uuid="{hcp.uuid}"' in auto


def test_it_autocompletes_with_pick_buttons_carrying_uuid_and_name(world, hcp):
    body = client_for(world["alice"]).get(reverse("people:hcp_autocomplete"), {"q": "hop"}).content.decode()
    assert f'data-uuid="{hcp.uuid}"' in body
    assert 'data-name="Grace Hopkins, MD, PhD"' in body
    assert "Iowa City" in body
    short = client_for(world["alice"]).get(reverse("people:hcp_autocomplete"), {"q": "h"}).content.decode()
    assert "hcp-pick" not in short


def test_it_refuses_the_directory_to_anonymous_visitors(hcp):
    response = Client().get(reverse("people:hcp_list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


# --- HCP record and its tabs -----------------------------------------------------------------------------------


def test_it_shows_the_medical_tabs_and_their_rows_to_the_msl(world, interaction):
    hcp = interaction.attendees.get()
    client = client_for(world["alice"])
    page = client.get(reverse("people:hcp_detail", args=[hcp.uuid])).content.decode()
    for tab in ("Interactions", "Insights", "Inquiries"):
        assert f">{tab}</a>" in page
    tab = client.get(reverse("people:hcp_detail", args=[hcp.uuid]), {"tab": "interactions"}).content.decode()
    assert "Scientific exchange" in tab
    insights = client.get(reverse("people:hcp_detail", args=[hcp.uuid]), {"tab": "insights"}).content.decode()
    assert "PD-L1 results" in insights


def test_commercial_users_see_no_medical_tab_and_no_hint_of_one(world, interaction):
    hcp = interaction.attendees.get()
    client = client_for(world["dave"])
    page = client.get(reverse("people:hcp_detail", args=[hcp.uuid])).content.decode()
    for word in ("Interactions", "Insights", "Inquiries", "Changelog", "tab=interactions"):
        assert word not in page
    for tab in ("interactions", "insights", "inquiries", "changelog"):
        response = client.get(reverse("people:hcp_detail", args=[hcp.uuid]), {"tab": tab})
        body = response.content.decode()
        assert response.status_code == 200
        assert "Consent and lawful basis" in body  # the profile tab, as if nothing else existed
        assert "Scientific exchange" not in body and "PD-L1" not in body and "hcp.created" not in body


def test_an_msl_of_another_team_sees_the_tab_but_not_the_other_teams_interactions(world, interaction):
    hcp = interaction.attendees.get()
    body = (
        client_for(world["bob"])
        .get(reverse("people:hcp_detail", args=[hcp.uuid]), {"tab": "interactions"})
        .content.decode()
    )
    assert "No interactions you can see." in body


def test_the_changelog_tab_lists_audit_events_for_oversight_roles_only(world, hcp):
    url = reverse("people:hcp_detail", args=[hcp.uuid])
    body = client_for(world["carla"]).get(url, {"tab": "changelog"}).content.decode()
    assert "hcp.created" in body
    assert "Changelog" not in client_for(world["alice"]).get(url).content.decode()


def test_htmx_tab_requests_get_only_the_tab_region(world, hcp):
    response = client_for(world["alice"]).get(
        reverse("people:hcp_detail", args=[hcp.uuid]),
        {"tab": "preferences"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="hcp-tabs",
    )
    body = response.content.decode()
    assert "Communication preferences" in body and "<html" not in body
    assert 'aria-current="page">Preferences' in body


def test_an_unknown_hcp_is_a_404(world):
    response = client_for(world["alice"]).get(
        reverse("people:hcp_detail", args=["5f0c6d8e-1111-4222-8333-444455556666"])
    )
    assert response.status_code == 404


# --- create with duplicate awareness ----------------------------------------------------------------------------


def test_it_creates_an_hcp_and_opens_its_page(world):
    response = client_for(world["alice"]).post(
        reverse("people:hcp_new"),
        hcp_form_data(therapeutic_areas=[str(world["oncology"].uuid)], owner=str(world["alice"].uuid)),
    )
    created = HCP.objects.get(last_name="Lovelace")
    assert response.status_code == 302 and response["Location"] == reverse(
        "people:hcp_detail", args=[created.uuid]
    )
    assert created.specialties == ["Oncology", "Genomics"]
    assert list(created.therapeutic_areas.all()) == [world["oncology"]] and created.owner == world["alice"]


def test_it_shows_possible_duplicates_then_creates_when_confirmed_as_different(world, hcp):
    client = client_for(world["alice"])
    data = hcp_form_data(first_name="Gregory", last_name="Hopkins", city="Iowa City")
    first = client.post(reverse("people:hcp_new"), data)
    body = first.content.decode()
    assert first.status_code == 200
    assert "Is this the same person?" in body
    assert reverse("people:hcp_detail", args=[hcp.uuid]) in body
    assert "This is a different person" in body
    assert HCP.objects.filter(last_name="Hopkins").count() == 1
    second = client.post(reverse("people:hcp_new"), {**data, "allow_duplicate": "on"})
    assert second.status_code == 302
    assert HCP.objects.filter(last_name="Hopkins").count() == 2


def test_it_puts_action_errors_next_to_the_field(world):
    response = client_for(world["alice"]).post(reverse("people:hcp_new"), hcp_form_data(npi="1234567890"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_npi_error"' in body and "NPI is not a valid 10-digit NPI" in body
    assert not HCP.objects.filter(last_name="Lovelace").exists()


@pytest.mark.parametrize("bad", ["Ada\x00", "A" * 1_000_000, "\u202eAda\u0007"])
def test_odd_input_is_a_form_error_never_a_500(world, bad):
    response = client_for(world["alice"]).post(reverse("people:hcp_new"), hcp_form_data(first_name=bad))
    assert response.status_code == 200
    assert 'id="id_first_name_error"' in response.content.decode()
    assert not HCP.objects.filter(last_name="Lovelace").exists()


def test_commercial_and_auditors_cannot_create_hcps(world):
    assert client_for(world["dave"]).get(reverse("people:hcp_new")).status_code == 403
    assert client_for(world["otto"]).post(reverse("people:hcp_new"), hcp_form_data()).status_code == 403
    assert not HCP.objects.filter(last_name="Lovelace").exists()


# --- edit ------------------------------------------------------------------------------------------------------


def test_it_edits_an_hcp_and_records_the_reason(world, hcp):
    from liaison.core.models import AuditEvent

    client = client_for(world["alice"])
    form_page = client.get(reverse("people:hcp_edit", args=[hcp.uuid])).content.decode()
    assert 'value="Grace"' in form_page
    data = hcp_form_data(
        first_name="Grace",
        last_name="Hopkins",
        credentials="MD, PhD",
        npi="1234567893",
        city="Iowa City",
        state="IA",
        owner=str(world["alice"].uuid),
        therapeutic_areas=[str(world["oncology"].uuid)],
        preferred_channels=["video", "email"],
        preferred_time_window="Tue 08:00-10:00",
        reason="Met at ASCO; she prefers video",
    )
    response = client.post(reverse("people:hcp_edit", args=[hcp.uuid]), data)
    assert response.status_code == 302
    hcp.refresh_from_db()
    assert hcp.preferred_channels == ["video", "email"] and hcp.city == "Iowa City"
    event = AuditEvent.objects.filter(object_uuid=str(hcp.uuid), event_type="hcp.updated").latest("seq")
    assert event.reason == "Met at ASCO; she prefers video"
    assert "preferred_channels" in event.changes and "consent_recorded_at" not in event.changes


def test_editing_needs_a_reason_and_change_permission(world, hcp):
    response = client_for(world["alice"]).post(
        reverse("people:hcp_edit", args=[hcp.uuid]), hcp_form_data(last_name="Changed")
    )
    assert response.status_code == 200 and 'id="id_reason_error"' in response.content.decode()
    hcp.refresh_from_db()
    assert hcp.last_name == "Hopkins"
    assert client_for(world["dave"]).get(reverse("people:hcp_edit", args=[hcp.uuid])).status_code == 403


# --- merge -----------------------------------------------------------------------------------------------------


def test_merge_is_offered_only_to_roles_that_may_merge(world, hcp):
    url = reverse("people:hcp_merge", args=[hcp.uuid])
    assert client_for(world["alice"]).get(url).status_code == 403
    assert client_for(world["dave"]).get(url).status_code == 403
    assert client_for(world["mona"]).get(url).status_code == 200
    assert (
        url in client_for(world["mona"]).get(reverse("people:hcp_detail", args=[hcp.uuid])).content.decode()
    )
    assert (
        url
        not in client_for(world["alice"]).get(reverse("people:hcp_detail", args=[hcp.uuid])).content.decode()
    )


def test_merge_compares_side_by_side_then_keeps_the_interactions(world, interaction, twin, acting):
    from liaison.engagement.actions import log_interaction

    survivor = interaction.attendees.get()
    with acting(world["alice"]):
        moved = log_interaction(
            acting_user=world["alice"],
            attendees=[twin],
            data={
                "occurred_at": interaction.occurred_at,
                "channel": "phone",
                "purpose": "education",
                "ae_attestation": "no",
            },
        )
    client = client_for(world["mona"])
    url = reverse("people:hcp_merge", args=[survivor.uuid])
    compare = client.get(url, {"duplicate": str(twin.uuid)}).content.decode()
    assert "Compare the two records" in compare and "g.hopkins@example.org" in compare
    assert "will be copied" in compare  # the survivor has no ORCID; the duplicate's will fill it
    refused = client.post(url, {"duplicate": str(twin.uuid), "reason": "", "confirm": "on"})
    assert refused.status_code == 200 and 'id="id_reason_error"' in refused.content.decode()
    response = client.post(
        url, {"duplicate": str(twin.uuid), "reason": "Same person, same city", "confirm": "on"}
    )
    assert response.status_code == 302
    twin.refresh_from_db()
    survivor.refresh_from_db()
    assert twin.status == HCPStatus.MERGED and twin.merged_into == survivor
    assert survivor.orcid == "0000-0002-1825-0097"
    assert set(survivor.interactions.all()) == {interaction, moved}
    banner = client.get(reverse("people:hcp_detail", args=[twin.uuid])).content.decode()
    assert "This record was merged." in banner
    assert reverse("people:hcp_detail", args=[survivor.uuid]) in banner


def test_merge_refuses_a_record_into_itself(world, hcp):
    url = reverse("people:hcp_merge", args=[hcp.uuid])
    response = client_for(world["mona"]).post(
        url, {"duplicate": str(hcp.uuid), "reason": "x", "confirm": "on"}
    )
    assert response.status_code == 200
    hcp.refresh_from_db()
    assert hcp.status == HCPStatus.ACTIVE
