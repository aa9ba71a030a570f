"""Compliance flags as the MSL types and saves: superlatives, comparative claims, promotional calls and
indications outside a product's approved list are shown next to the field, refuse the save unless the author
keeps the wording with a reason, and the override is stored on the record and audited. Web (with and without
htmx) and API alike.

The world's product Onkotrex (generic onkotrexumab) is approved for "metastatic NSCLC" only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from api_support import detail_of
from personas import PASSWORD

pytestmark = pytest.mark.django_db

SUPERLATIVE = "Dr Hopkins said Onkotrex is the best option for her patients."
COMPARATIVE = "She thinks onkotrexumab is better than pembrolizumab in this setting."
OFF_LABEL = "She asked about using Onkotrex in pancreatic cancer."
ON_LABEL = "She asked about using Onkotrex in metastatic NSCLC."
CLEAN = "Discussed the phase 3 design and biomarker strategy."


def login(client: Any, user: Any) -> Any:
    assert client.login(username=user.username, password=PASSWORD)
    return client


def log_form(hcp: Any, world: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    when = timezone.localtime() - dt.timedelta(hours=2)
    data = {
        "attendees": [str(hcp.uuid)],
        "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "30",
        "channel": "in_person",
        "purpose": "scientific_exchange",
        "therapeutic_area": str(world["oncology"].uuid),
        "initiation": "reactive",
        "topics": "",
        "products": [str(world["product"].uuid)],
        "materials_shared": "",
        "notes": CLEAN,
        "ae_attestation": "no",
        "insight_text": [""],
        "insight_priority": [""],
        "followup_description": [""],
        "followup_due": [""],
        "action": "submit",
    }
    data.update(overrides)
    return data


def flag_check(client: Any, text: str) -> Any:
    return client.post(reverse("engagement:flag_check"), {"text": text}, headers={"HX-Request": "true"})


# --- what is flagged --------------------------------------------------------------------------------------------


def test_it_flags_a_superlative_as_the_msl_types(client, world):
    login(client, world["alice"])
    response = flag_check(client, SUPERLATIVE)

    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-flags="1"' in body
    assert '<mark class="flag-term">best</mark>' in body


def test_it_flags_a_comparative_claim_naming_the_generic_name(client, world):
    login(client, world["alice"])
    body = flag_check(client, COMPARATIVE).content.decode()

    assert '<mark class="flag-term">better than</mark>' in body
    assert "head-to-head" in body


def test_it_flags_an_indication_outside_the_products_approved_list(client, world):
    login(client, world["alice"])
    body = flag_check(client, OFF_LABEL).content.decode()

    assert '<mark class="flag-term">pancreatic cancer</mark>' in body
    assert "metastatic NSCLC" in body  # the approved list it was compared with


def test_it_follows_the_approved_list_that_admins_keep_on_the_product(client, world, system_context):
    from liaison.accounts.actions import save_product

    login(client, world["alice"])
    assert "pancreatic cancer" in flag_check(client, OFF_LABEL).content.decode()
    product = world["product"]
    save_product(
        product,
        acting_user=None,
        name=product.name,
        generic_name=product.generic_name,
        therapeutic_area=product.therapeutic_area,
        approved_indications=["metastatic NSCLC", "metastatic pancreatic cancer"],
    )

    assert flag_check(client, OFF_LABEL).content.decode().strip() == ""


def test_it_says_nothing_about_an_approved_indication_or_clean_text(client, world):
    login(client, world["alice"])

    assert flag_check(client, ON_LABEL).content.decode().strip() == ""
    assert flag_check(client, CLEAN).content.decode().strip() == ""


def test_it_does_not_take_an_adverse_event_for_an_off_label_indication(world):
    from liaison.compliance.flags import compliance_flags

    # An AE goes to drug safety; a compliance hurdle in front of it would only delay the report.
    assert compliance_flags("Patient on Onkotrex developed pneumonitis.") == []
    assert compliance_flags("On Onkotrex the patient had a myocardial infarction.") == []
    assert [f["text"] for f in compliance_flags(OFF_LABEL)] == ["pancreatic cancer"]


def test_it_does_not_take_everyday_words_for_an_indication(world):
    from liaison.compliance.flags import compliance_flags

    # The demo's own notes say this; a false flag here would block every such note.
    assert compliance_flags("Walked through the mechanism of action of Onkotrex and its metabolism.") == []
    assert compliance_flags("Shared the subgroup analysis of Onkotrex and the diagnosis criteria.") == []


def test_it_answers_an_over_long_text_with_a_notice_not_an_error(client, world, settings):
    login(client, world["alice"])
    response = flag_check(client, "best " * (settings.MAX_TEXT_LENGTH // 5 + 10))

    assert response.status_code == 200
    assert "could not be checked" in response.content.decode()


def test_it_refuses_the_flag_check_to_commercial_users(client, world):
    login(client, world["dave"])

    assert flag_check(client, SUPERLATIVE).status_code == 403


def test_the_log_page_checks_the_notes_as_the_msl_types(client, world, hcp):
    login(client, world["alice"])
    body = client.get(reverse("engagement:interaction_new")).content.decode()

    assert f'hx-post="{reverse("engagement:flag_check")}"' in body
    assert "from:#id_notes" in body
    assert 'name="flag_override"' in body and 'name="flag_override_reason"' in body


# --- saving on the web (no JavaScript needed) ------------------------------------------------------------------


def test_it_refuses_to_save_flagged_notes_and_shows_the_flags_next_to_the_field(client, world, hcp):
    from liaison.engagement.models import Interaction

    login(client, world["alice"])
    response = client.post(reverse("engagement:interaction_new"), log_form(hcp, world, notes=SUPERLATIVE))

    assert response.status_code == 200
    assert Interaction.objects.count() == 0
    assert "notes" in response.context["form"].errors
    body = response.content.decode()
    notes_errors = body.split('id="id_notes_error"', 1)[1].split("</ul>", 1)[0]
    assert "Compliance flag (Superlative)" in notes_errors
    assert '<mark class="flag-term">best</mark>' in body
    assert SUPERLATIVE in body  # what was typed is kept


def test_it_saves_flagged_notes_with_an_override_reason_and_audits_it(client, world, hcp):
    from liaison.core.models import AuditEvent
    from liaison.engagement.models import Interaction

    login(client, world["alice"])
    reason = "Verbatim quote of the HCP's opinion; not our claim."
    data = log_form(hcp, world, notes=SUPERLATIVE, flag_override="on", flag_override_reason=reason)
    response = client.post(reverse("engagement:interaction_new"), data)

    interaction = Interaction.objects.get()
    assert response.status_code == 302
    assert interaction.flag_override_reason == reason
    assert [(f["kind"], f["text"], f["field"]) for f in interaction.compliance_flags] == [
        ("superlative", "best", "notes")
    ]
    events = AuditEvent.objects.filter(object_uuid=str(interaction.uuid))
    created = events.get(event_type="interaction.created")
    assert created.reason == f"compliance flags overridden: {reason}"
    override = events.get(event_type="interaction.flags_overridden")
    assert override.reason == f"compliance flags overridden: {reason}"
    assert override.actor_username == "alice"
    assert override.changes["compliance_flags"][1][0]["text"] == "best"


def test_it_asks_for_a_reason_when_the_override_is_ticked_without_one(client, world, hcp):
    from liaison.engagement.models import Interaction

    login(client, world["alice"])
    data = log_form(hcp, world, notes=SUPERLATIVE, flag_override="on", flag_override_reason="  ")
    response = client.post(reverse("engagement:interaction_new"), data)

    assert response.status_code == 200
    assert "flag_override_reason" in response.context["form"].errors
    assert Interaction.objects.count() == 0


def test_a_reason_without_the_tick_does_not_override(client, world, hcp):
    from liaison.engagement.models import Interaction

    login(client, world["alice"])
    data = log_form(hcp, world, notes=SUPERLATIVE, flag_override_reason="because")
    client.post(reverse("engagement:interaction_new"), data)

    assert Interaction.objects.count() == 0


def test_it_stores_no_flag_and_no_reason_for_clean_notes(client, world, hcp):
    from liaison.core.models import AuditEvent
    from liaison.engagement.models import Interaction

    login(client, world["alice"])
    data = log_form(hcp, world, flag_override="on", flag_override_reason="just in case")
    client.post(reverse("engagement:interaction_new"), data)

    interaction = Interaction.objects.get()
    assert interaction.compliance_flags == [] and interaction.flag_override_reason == ""
    assert not AuditEvent.objects.filter(event_type="interaction.flags_overridden").exists()


def test_it_shows_a_flagged_inline_insight_on_its_own_row(client, world, hcp):
    from liaison.engagement.models import Interaction
    from liaison.insights.models import Insight

    login(client, world["alice"])
    data = log_form(
        hcp,
        world,
        insight_text=["Tumour boards wait three weeks for PD-L1 results.", OFF_LABEL],
        insight_priority=["", ""],
    )
    response = client.post(reverse("engagement:interaction_new"), data)

    assert response.status_code == 200
    assert Interaction.objects.count() == 0 and Insight.objects.count() == 0
    rows = response.context["insight_rows"]
    assert not rows[0].errors
    assert "Compliance flag (Off-label)" in str(rows[1].errors["insight_text"])
    assert not response.context["form"].errors.get("notes")


def test_the_override_reaches_the_inline_insight_too(client, world, hcp):
    from liaison.insights.models import Insight

    login(client, world["alice"])
    data = log_form(
        hcp,
        world,
        insight_text=[OFF_LABEL],
        insight_priority=[""],
        flag_override="on",
        flag_override_reason="The HCP asked; recorded as an unsolicited question.",
    )
    assert client.post(reverse("engagement:interaction_new"), data).status_code == 302

    insight = Insight.objects.get()
    assert insight.flag_override_reason.startswith("The HCP asked")
    assert [f["kind"] for f in insight.compliance_flags] == ["off_label"]
    assert insight.interaction.compliance_flags == []  # its notes were clean


def test_an_edit_that_adds_flagged_wording_needs_a_reason_and_an_unchanged_one_does_not(
    world, hcp, interaction, acting
):
    from django.core.exceptions import ValidationError

    from liaison.core.models import AuditEvent
    from liaison.engagement.actions import update_interaction

    alice = world["alice"]
    with acting(alice), pytest.raises(ValidationError) as refused:
        update_interaction(interaction, acting_user=alice, data={"notes": COMPARATIVE}, reason="typo")
    assert "notes" in refused.value.message_dict
    interaction.refresh_from_db()
    assert interaction.notes != COMPARATIVE

    with acting(alice):
        update_interaction(
            interaction,
            acting_user=alice,
            data={"notes": COMPARATIVE},
            reason="added the HCP's view",
            flag_override_reason="Her opinion, quoted",
        )
        interaction.refresh_from_db()
        assert interaction.compliance_flags[0]["kind"] == "comparative"
        update = AuditEvent.objects.filter(
            object_uuid=str(interaction.uuid), event_type="interaction.updated"
        ).latest("seq")
        assert update.reason == "added the HCP's view; compliance flags overridden: Her opinion, quoted"
        # The same notes again, with another change: no new reason is asked for.
        update_interaction(interaction, acting_user=alice, data={"duration_minutes": 50}, reason="length")
    interaction.refresh_from_db()
    assert interaction.flag_override_reason == "Her opinion, quoted"


# --- standalone insights --------------------------------------------------------------------------------------


def test_the_insight_form_refuses_flagged_text_then_saves_it_with_a_reason(client, world):
    from liaison.insights.models import Insight

    login(client, world["alice"])
    data = {
        "therapeutic_area": str(world["oncology"].uuid),
        "product": str(world["product"].uuid),
        "text": SUPERLATIVE,
        "action": "submit",
    }
    refused = client.post(reverse("insights:insight_new"), data)
    assert refused.status_code == 200 and Insight.objects.count() == 0
    assert '<mark class="flag-term">best</mark>' in refused.content.decode()
    assert "text" in refused.context["form"].errors

    saved = client.post(
        reverse("insights:insight_new"),
        {**data, "flag_override": "on", "flag_override_reason": "Quote from the advisory board"},
    )
    assert saved.status_code == 302
    insight = Insight.objects.get()
    assert insight.flag_override_reason == "Quote from the advisory board"
    assert insight.compliance_flags[0]["field"] == "text"


# --- the API -----------------------------------------------------------------------------------------------


def interaction_body(hcp: Any, world: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body = {
        "attendees": [str(hcp.uuid)],
        "occurred_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "channel": "phone",
        "purpose": "scientific_exchange",
        "ae_attestation": "no",
        "products": [str(world["product"].uuid)],
        "notes": SUPERLATIVE + " " + OFF_LABEL,
    }
    body.update(overrides)
    return body


def test_the_api_refuses_flagged_notes_with_a_422_listing_every_flag(api, world, hcp):
    from liaison.engagement.models import Interaction

    response = api("alice").post("/interactions", interaction_body(hcp, world))

    assert response.status_code == 422
    detail = detail_of(response)
    assert {tuple(d["loc"]) for d in detail} == {("body", "notes")}
    messages = " ".join(d["msg"] for d in detail)
    assert "Superlative" in messages and "pancreatic cancer" in messages
    assert len(detail) == 2
    assert Interaction.objects.count() == 0


def test_the_api_saves_with_a_flag_override_reason_and_returns_the_flags(api, world, hcp):
    response = api("alice").post(
        "/interactions", interaction_body(hcp, world, flag_override_reason="Quoting the HCP")
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["flag_override_reason"] == "Quoting the HCP"
    assert [(f["kind"], f["text"]) for f in body["compliance_flags"]] == [
        ("superlative", "best"),
        ("off_label", "pancreatic cancer"),
    ]


def test_the_api_names_the_inline_insight_that_is_flagged(api, world, hcp):
    response = api("alice").post(
        "/interactions",
        interaction_body(hcp, world, notes=CLEAN, insights=[{"text": "fine"}, {"text": COMPARATIVE}]),
    )

    assert response.status_code == 422
    assert [d["loc"] for d in detail_of(response)] == [["body", "insights.1.text"]]


def test_the_insight_api_refuses_then_accepts_with_a_reason(api, world):
    client = api("alice")
    body = {"text": COMPARATIVE, "therapeutic_area": str(world["oncology"].uuid)}

    refused = client.post("/insights", body)
    assert refused.status_code == 422
    assert "Comparative claim" in detail_of(refused)[0]["msg"]

    saved = client.post("/insights", {**body, "flag_override_reason": "HCP's words"})
    assert saved.status_code == 201
    assert saved.json()["compliance_flags"][0]["text"] == "better than"


def test_the_api_refuses_an_over_long_override_reason_without_saving(api, world, hcp):
    from liaison.engagement.models import Interaction

    response = api("alice").post(
        "/interactions", interaction_body(hcp, world, flag_override_reason="x" * 501)
    )

    assert response.status_code == 422
    assert Interaction.objects.count() == 0
