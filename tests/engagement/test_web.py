"""Web pages for interactions and follow-ups: the one-page log, the live AE check, lists, detail and edit."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from personas import PASSWORD

pytestmark = pytest.mark.django_db


def without_tokens(content: bytes) -> bytes:
    """A page without its per-response CSRF token, so two pages can be compared byte for byte."""
    return re.sub(
        rb'"X-CSRFToken": "[^"]*"', b"", re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)
    )


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def log_form(hcp, world, **overrides):
    when = timezone.localtime() - dt.timedelta(hours=2)
    data = {
        "attendees": [str(hcp.uuid)],
        "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "45",
        "channel": "in_person",
        "purpose": "scientific_exchange",
        "therapeutic_area": str(world["oncology"].uuid),
        "initiation": "reactive",
        "topics": "biomarkers, dosing",
        "products": [str(world["product"].uuid)],
        "materials_shared": "",
        "notes": "Discussed the phase 3 design.",
        "ae_attestation": "no",
        "insight_text": [""],
        "insight_priority": [""],
        "followup_description": [""],
        "followup_due": [""],
        "action": "submit",
    }
    data.update(overrides)
    return data, when


def test_it_renders_the_log_page_prefilled_with_the_hcp(client, world, hcp):
    login(client, world["alice"])
    response = client.get(reverse("engagement:interaction_new"), {"hcp": str(hcp.uuid)})
    assert response.status_code == 200
    body = response.content.decode()
    assert f'name="attendees" value="{hcp.uuid}"' in body
    assert f'hx-get="{reverse("people:hcp_autocomplete")}"' in body
    assert "Did the HCP mention an adverse event or special situation?" in body
    # The attestation has no default answer.
    assert 'value="yes" checked' not in body and 'value="no" checked' not in body


def test_it_logs_an_interaction_with_insight_follow_up_and_ae_report(client, world, hcp):
    from liaison.engagement.models import FollowUp, Interaction
    from liaison.insights.models import Insight
    from liaison.safety.models import SafetyReport

    login(client, world["alice"])
    data, when = log_form(
        hcp,
        world,
        ae_attestation="yes",
        notes="She said one patient developed a severe rash after the second cycle.",
        insight_text=["Community oncologists wait three weeks for PD-L1 results."],
        insight_priority=[str(world["priority"].uuid)],
        followup_description=["Send the subgroup analysis"],
        followup_due=[(timezone.localdate() + dt.timedelta(days=7)).isoformat()],
    )
    response = client.post(reverse("engagement:interaction_new"), data, follow=True)

    interaction = Interaction.objects.get()
    assert response.redirect_chain[-1][0] == reverse("engagement:interaction_detail", args=[interaction.uuid])
    assert list(interaction.attendees.all()) == [hcp]
    assert interaction.status == "submitted" and interaction.ae_attestation == "yes"
    assert interaction.topics == ["biomarkers", "dosing"]
    assert list(interaction.products.all()) == [world["product"]]
    insight = Insight.objects.get(interaction=interaction)
    assert insight.listening_priority == world["priority"]
    follow_up = FollowUp.objects.get(interaction=interaction)
    assert follow_up.description == "Send the subgroup analysis"
    report = SafetyReport.objects.get(interaction=interaction)
    assert report.day_zero == interaction.occurred_at
    assert report.day_zero.strftime("%Y-%m-%dT%H:%M") == timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")
    assert "rash" in report.detected_terms
    body = response.content.decode()
    assert f"Drug safety has been notified: report {str(report.uuid)[:8]}" in body
    assert reverse("safety:report_detail", args=[report.uuid]) in body


def test_it_refuses_to_submit_without_the_attestation_and_saves_nothing(client, world, hcp):
    from liaison.engagement.models import FollowUp, Interaction
    from liaison.insights.models import Insight

    login(client, world["alice"])
    data, _ = log_form(
        hcp,
        world,
        ae_attestation="",
        insight_text=["An insight that must not be saved."],
        insight_priority=[""],
        followup_description=["A follow-up that must not be saved"],
        followup_due=[timezone.localdate().isoformat()],
    )
    response = client.post(reverse("engagement:interaction_new"), data)

    assert response.status_code == 200
    form = response.context["form"]
    assert "ae_attestation" in form.errors
    body = response.content.decode()
    # The message sits in the attestation's own error list, which its fieldset points at.
    assert 'id="id_ae_attestation_error"' in body
    error_list = body.split('id="id_ae_attestation_error"', 1)[1].split("</ul>", 1)[0]
    assert "adverse event" in error_list
    assert Interaction.objects.count() == 0 and Insight.objects.count() == 0 and FollowUp.objects.count() == 0
    # What was typed is kept, attendee chip included.
    assert "An insight that must not be saved." in body
    assert f'name="attendees" value="{hcp.uuid}"' in body


def test_it_saves_a_draft_without_the_attestation(client, world, hcp):
    from liaison.engagement.models import Interaction

    login(client, world["alice"])
    data, _ = log_form(hcp, world, ae_attestation="", action="draft")
    response = client.post(reverse("engagement:interaction_new"), data)
    interaction = Interaction.objects.get()
    assert response.status_code == 302 and interaction.status == "draft"


def test_it_requires_an_attendee(client, world, hcp):
    from liaison.engagement.models import Interaction

    login(client, world["alice"])
    data, _ = log_form(hcp, world, attendees=[])
    response = client.post(reverse("engagement:interaction_new"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["attendees"]
    assert 'id="attendees-error"' in response.content.decode()
    assert Interaction.objects.count() == 0


@pytest.mark.parametrize("notes", ["nul \x00 byte", "x" * (1024 * 1024), "bidi \u202e control \x07 bell"])
def test_it_turns_hostile_notes_into_a_form_error(client, world, hcp, notes):
    from liaison.engagement.models import Interaction

    login(client, world["alice"])
    data, _ = log_form(hcp, world, notes=notes)
    response = client.post(reverse("engagement:interaction_new"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["notes"]
    assert Interaction.objects.count() == 0


def test_it_rejects_a_future_time_next_to_the_field(client, world, hcp):
    login(client, world["alice"])
    future = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    data, _ = log_form(hcp, world, occurred_at=future)
    response = client.post(reverse("engagement:interaction_new"), data)
    assert "future" in " ".join(response.context["form"].errors["occurred_at"])


def test_the_ae_check_returns_the_detected_terms_and_categories(client, world):
    login(client, world["alice"])
    response = client.post(
        reverse("engagement:ae_check"),
        {"text": "The patient became pregnant and developed nausea."},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "ae-box" in body
    assert "nausea" in body and "pregnant" in body
    assert "Pregnancy or breastfeeding exposure" in body
    assert "Yes" in body


def test_the_ae_check_says_nothing_about_clean_text(client, world):
    login(client, world["alice"])
    response = client.post(reverse("engagement:ae_check"), {"text": "We discussed trial design."})
    assert response.status_code == 200
    assert "ae-box" not in response.content.decode()


def test_the_list_filters_by_hcp_name_and_channel(client, world, interaction):
    login(client, world["alice"])
    url = reverse("engagement:interaction_list")
    detail = reverse("engagement:interaction_detail", args=[interaction.uuid])
    assert detail in client.get(url, {"hcp": "Hopkins"}).content.decode()
    assert detail not in client.get(url, {"hcp": "Nobody"}).content.decode()
    assert detail not in client.get(url, {"channel": "phone"}).content.decode()
    assert client.get(url, {"date_from": "not-a-date", "page": "x"}).status_code == 200


def test_the_detail_page_shows_attendees_insights_follow_ups_and_changelog(client, world, interaction, hcp):
    login(client, world["alice"])
    url = reverse("engagement:interaction_detail", args=[interaction.uuid])
    body = client.get(url).content.decode()
    assert "Grace Hopkins" in body
    assert "Community oncologists wait three weeks" in body
    assert "Send the subgroup analysis" in body
    assert client.get(url, {"tab": "changelog"}).status_code == 200
    login(client, world["carla"])
    changelog = client.get(url, {"tab": "changelog"}).content.decode()
    assert "interaction.created" in changelog


def test_it_marks_a_follow_up_done_with_htmx(client, world, interaction):
    from liaison.engagement.models import FollowUp

    follow_up = FollowUp.objects.get(interaction=interaction)
    login(client, world["alice"])
    response = client.post(
        reverse("engagement:follow_up_update", args=[follow_up.uuid]),
        {"status": "done"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Done" in response.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.status == "done" and follow_up.completed_at is not None


def test_the_follow_up_list_shows_overdue_first(client, world, hcp, acting):
    from liaison.engagement.actions import create_follow_up

    today = timezone.localdate()
    with acting(world["alice"]):
        create_follow_up(
            acting_user=world["alice"],
            description="Later one",
            due_date=today + dt.timedelta(days=5),
            hcp=hcp,
        )
        create_follow_up(
            acting_user=world["alice"],
            description="Overdue one",
            due_date=today - dt.timedelta(days=3),
            hcp=hcp,
        )
    login(client, world["alice"])
    body = client.get(reverse("engagement:follow_up_list")).content.decode()
    assert body.index("Overdue one") < body.index("Later one")
    assert "1 overdue" in body


def test_editing_a_submitted_interaction_needs_a_reason(client, world, interaction, hcp):
    login(client, world["alice"])
    url = reverse("engagement:interaction_edit", args=[interaction.uuid])
    data, _ = log_form(hcp, world, notes="Updated notes.", action="save")
    response = client.post(url, data)
    assert response.status_code == 200 and response.context["form"].errors["reason"]
    interaction.refresh_from_db()
    assert interaction.notes != "Updated notes."
    data["reason"] = "Typo in the notes"
    response = client.post(url, data)
    assert response.status_code == 302
    interaction.refresh_from_db()
    assert interaction.notes == "Updated notes."


def test_a_draft_can_be_edited_and_submitted(client, world, hcp):
    from liaison.engagement.models import Interaction

    login(client, world["alice"])
    data, _ = log_form(hcp, world, ae_attestation="", action="draft")
    client.post(reverse("engagement:interaction_new"), data)
    interaction = Interaction.objects.get()
    data.update(ae_attestation="no", action="submit")
    response = client.post(reverse("engagement:interaction_edit", args=[interaction.uuid]), data)
    assert response.status_code == 302
    interaction.refresh_from_db()
    assert interaction.status == "submitted"


def test_another_team_cannot_open_the_interaction(client, world, interaction):
    login(client, world["bob"])
    assert client.get(reverse("engagement:interaction_detail", args=[interaction.uuid])).status_code == 404
    assert client.get(reverse("engagement:interaction_edit", args=[interaction.uuid])).status_code == 404


@pytest.mark.parametrize(
    "name", ["engagement:interaction_list", "engagement:interaction_new", "engagement:follow_up_list"]
)
def test_commercial_gets_403_on_interaction_pages(client, world, name):
    login(client, world["dave"])
    assert client.get(reverse(name)).status_code == 403


def test_commercial_gets_the_same_answer_for_existing_and_missing_interactions(client, world, interaction):
    login(client, world["dave"])
    existing = client.get(reverse("engagement:interaction_detail", args=[interaction.uuid]))
    missing = client.get(reverse("engagement:interaction_detail", args=[uuid.uuid4()]))
    assert existing.status_code == missing.status_code == 403
    assert without_tokens(existing.content) == without_tokens(missing.content)
