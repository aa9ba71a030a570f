"""The audit log page: who may open it, filters, expandable old/new values, and chain verification."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from audit_support import tamper
from liaison.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_http(settings: Any) -> None:
    # Production settings redirect http to https; the test client speaks plain http.
    settings.SECURE_SSL_REDIRECT = False


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", ["carla", "otto", "ada"])
def test_oversight_roles_open_the_audit_log(world, hcp, name):
    body = client_for(world[name]).get(reverse("compliance:audit_list")).content.decode()
    assert "Audit log" in body and "hcp.created" in body


@pytest.mark.parametrize("name", ["alice", "mona", "dave", "iris", "sam"])
def test_other_roles_are_refused_the_audit_log_and_verification(world, name):
    client = client_for(world[name])
    assert client.get(reverse("compliance:audit_list")).status_code == 403
    assert client.post(reverse("compliance:audit_verify")).status_code == 403
    assert not AuditEvent.objects.filter(event_type="audit.verified").exists()


def test_each_row_expands_to_old_and_new_values(world, hcp, acting):
    from liaison.people.actions import update_hcp

    with acting(world["alice"]):
        update_hcp(hcp, acting_user=world["alice"], data={"city": "Ames"}, reason="moved")
    body = (
        client_for(world["carla"])
        .get(reverse("compliance:audit_list"), {"event_type": "hcp.updated"})
        .content.decode()
    )
    assert "<details>" in body
    assert '<span class="diff-old">Iowa City</span>' in body and '<span class="diff-new">Ames</span>' in body
    assert "moved" in body


def test_filters_narrow_by_event_type_prefix_actor_and_record(world, hcp, interaction):
    client = client_for(world["carla"])

    def rows(**filters: str) -> str:
        # The htmx fragment holds the result rows only (no datalists of every event type).
        response = client.get(
            reverse("compliance:audit_list"), filters, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="audit-results"
        )
        return response.content.decode()

    by_actor = rows(actor="alice")
    assert "interaction.created" in by_actor and "hcp.created" not in by_actor
    by_prefix = rows(event_type="hcp.")
    assert "hcp.created" in by_prefix and "interaction.created" not in by_prefix
    by_record = rows(object_uuid=str(hcp.uuid))
    assert "hcp.created" in by_record and "user.created" not in by_record


def test_the_event_type_filter_takes_the_labels_people_read(world, hcp, interaction):
    client = client_for(world["carla"])

    def rows(**filters: str) -> str:
        response = client.get(
            reverse("compliance:audit_list"), filters, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="audit-results"
        )
        return response.content.decode()

    by_label = rows(event_type="HCP created")
    assert "HCP created" in by_label and "Interaction created" not in by_label
    by_word = rows(event_type="created")  # part of a label: every kind of record created
    assert "HCP created" in by_word and "Interaction created" in by_word
    full_page = client.get(reverse("compliance:audit_list")).content.decode()
    assert '<option value="HCP created">hcp.created</option>' in full_page


def test_codes_are_shown_with_labels():
    from liaison.core.labels import code_label

    assert code_label("hcp.updated") == "HCP updated"
    assert code_label("not_drug_question") == "Not a drug question"
    assert code_label("open_payments_profile_id") == "Open Payments profile ID"
    assert code_label("safety_report.acknowledged") == "Safety report acknowledged"


def test_bad_filters_show_errors_next_to_the_field_and_never_fail(world, hcp):
    response = client_for(world["carla"]).get(
        reverse("compliance:audit_list"),
        {"object_uuid": "nope", "date_from": "2025-02-30", "actor": "a\x00b"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_object_uuid_error"' in body and 'id="id_date_from_error"' in body


def test_a_future_date_range_finds_nothing(world, hcp):
    body = (
        client_for(world["carla"])
        .get(reverse("compliance:audit_list"), {"date_from": "2999-01-01"})
        .content.decode()
    )
    assert "No audit events match these filters" in body


def test_the_log_is_paginated(world, hcp, monkeypatch):
    from liaison.compliance import views

    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    client = client_for(world["carla"])
    pages = -(-AuditEvent.objects.count() // 5)
    body = client.get(reverse("compliance:audit_list")).content.decode()
    assert f"Page 1 of {pages}" in body and "page=2" in body
    last = client.get(reverse("compliance:audit_list"), {"page": str(pages)}).content.decode()
    assert f"Page {pages} of {pages}" in last


def test_verifying_reports_an_intact_chain_and_records_the_verification(world, hcp):
    response = client_for(world["carla"]).post(reverse("compliance:audit_verify"))
    body = response.content.decode()
    assert response.status_code == 200 and "Audit trail verified" in body
    assert "audit chain intact" in body and "match their audit history" in body
    event = AuditEvent.objects.get(event_type="audit.verified")
    assert event.actor_username == "carla" and event.object_type == "compliance.chain"
    assert "intact" in event.object_repr


def test_verification_names_the_first_broken_event(world, hcp):
    victim = AuditEvent.objects.order_by("seq")[3]
    # simulate tampering below the application, with the append-only triggers lifted
    tamper("UPDATE compliance_auditevent SET reason = 'tampered' WHERE seq = %s", [victim.seq])
    response = client_for(world["otto"]).post(
        reverse("compliance:audit_verify"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="verify-result"
    )
    body = response.content.decode()
    assert "Audit trail does not verify" in body and f"BROKEN at event #{victim.seq}" in body
    assert "<html" not in body


def test_verification_names_a_record_changed_directly_in_the_database(world, hcp):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_user SET role = 'admin' WHERE username = 'dave'")
    response = client_for(world["otto"]).post(
        reverse("compliance:audit_verify"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="verify-result"
    )
    body = response.content.decode()
    assert "Audit trail does not verify" in body
    assert f"accounts_user record {world['dave'].uuid}, field role" in body


def test_the_verify_button_is_shown_to_roles_that_may_verify(world):
    body = client_for(world["otto"]).get(reverse("compliance:audit_list")).content.decode()
    assert reverse("compliance:audit_verify") in body
