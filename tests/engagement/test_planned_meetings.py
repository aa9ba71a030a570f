"""Planned meetings: a draft interaction dated in the future, shown on the MSL's home and list, logged later from
the plan (notes filled in, submitted), and screened for safety only then."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from liaison.engagement.actions import log_interaction, update_interaction
from liaison.engagement.models import Interaction, InteractionStatus
from liaison.safety.models import SafetyReport

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_http(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = False


def _plan(world: Any, hcp: Any, acting: Any, **extra: Any) -> Interaction:
    with acting(world["alice"]):
        return log_interaction(
            acting_user=world["alice"],
            attendees=[hcp],
            submit=False,
            data={
                "occurred_at": timezone.now() + dt.timedelta(days=4),
                "channel": "in_person",
                "purpose": "scientific_exchange",
                **extra,
            },
        )


def test_it_plans_a_meeting_as_a_future_draft(world: Any, hcp: Any, acting: Any) -> None:
    plan = _plan(world, hcp, acting)
    assert plan.status == InteractionStatus.DRAFT and plan.is_planned
    assert not SafetyReport.objects.exists()


def test_it_refuses_to_submit_an_interaction_in_the_future(world: Any, hcp: Any, acting: Any) -> None:
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        log_interaction(
            acting_user=world["alice"],
            attendees=[hcp],
            data={
                "occurred_at": timezone.now() + dt.timedelta(days=4),
                "channel": "in_person",
                "purpose": "scientific_exchange",
                "ae_attestation": "no",
            },
        )
    assert "occurred_at" in exc.value.message_dict


def test_it_refuses_to_log_a_plan_before_it_has_taken_place(world: Any, hcp: Any, acting: Any) -> None:
    plan = _plan(world, hcp, acting)
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        update_interaction(plan, acting_user=world["alice"], data={"ae_attestation": "no"}, submit=True)
    assert "still planned" in str(exc.value.message_dict["occurred_at"])
    plan.refresh_from_db()
    assert plan.status == InteractionStatus.DRAFT


def test_it_logs_the_plan_and_screens_it_for_safety(world: Any, hcp: Any, acting: Any) -> None:
    plan = _plan(world, hcp, acting)
    held = timezone.now() - dt.timedelta(minutes=30)
    with acting(world["alice"]):
        update_interaction(
            plan,
            acting_user=world["alice"],
            data={
                "occurred_at": held,
                "notes": "She described a patient hospitalised with severe neutropenia.",
                "ae_attestation": "no",
            },
            submit=True,
        )
    plan.refresh_from_db()
    assert plan.status == InteractionStatus.SUBMITTED and not plan.is_planned
    report = SafetyReport.objects.get(interaction=plan)
    assert report.day_zero == held


def test_it_plans_from_the_form_and_shows_the_plan_on_home_and_in_the_list(world: Any, hcp: Any) -> None:
    client = Client()
    client.force_login(world["alice"])
    when = timezone.localtime() + dt.timedelta(days=2)
    response = client.post(
        reverse("engagement:interaction_new"),
        {
            "attendees": [str(hcp.uuid)],
            "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "30",
            "channel": "video",
            "purpose": "insight_gathering",
            "initiation": "proactive",
            "insight_text": [""],
            "insight_priority": [""],
            "followup_description": [""],
            "followup_due": [""],
            "action": "draft",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    plan = Interaction.objects.get(owner=world["alice"])
    assert plan.is_planned
    home = client.get(reverse("home")).content.decode()
    assert "Planned meetings" in home and reverse("engagement:interaction_detail", args=[plan.uuid]) in home
    listing = client.get(reverse("engagement:interaction_list")).content.decode()
    assert '<span class="badge">Planned</span>' in listing
    detail = client.get(reverse("engagement:interaction_detail", args=[plan.uuid])).content.decode()
    assert "Edit the plan or log it" in detail
