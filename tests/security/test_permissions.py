"""The role x resource x action matrix, cell by cell, and the row policies that narrow it.

Every cell of core.permissions.MATRIX is checked against `role_can`, including actions the matrix does not
list (denied), and against what `Model.objects.restrict(user, "view")` returns from the database.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.utils import timezone

from liaison.core.permissions import ACTIONS, MATRIX, RESOURCES, can, role_can
from liaison.core.roles import Role

# Extra verbs that appear nowhere in the matrix: nobody may do them.
UNLISTED = ("delete", "purge", "sudo", "")
ALL_ACTIONS = tuple(sorted(set(ACTIONS) | set(UNLISTED)))
FIREWALLED = (
    "interaction",
    "follow_up",
    "hcp_feedback",
    "insight",
    "listening_priority",
    "inquiry",
    "safety_report",
    "audit_event",
    "engagement_plan",
    "standing_interest",
    "transfer_of_value",
    "event",
)

MODELS = {
    "hcp": "people.HCP",
    "organization": "people.Organization",
    "external_person": "people.ExternalPerson",
    "interaction": "engagement.Interaction",
    "follow_up": "engagement.FollowUp",
    "hcp_feedback": "engagement.HcpFeedback",
    "insight": "insights.Insight",
    "listening_priority": "insights.ListeningPriority",
    "inquiry": "medinfo.MedicalInquiry",
    "safety_report": "safety.SafetyReport",
    "audit_event": "core.AuditEvent",
    "user": "accounts.User",
    "therapeutic_area": "accounts.TherapeuticArea",
    "product": "accounts.Product",
    "kol_score": "kol.KolScore",
    "kol_evidence": "kol.Publication",
    "identity_link": "kol.IdentityLink",
    "engagement_plan": "planning.EngagementPlan",
    "standing_interest": "planning.StandingInterest",
    "insight_rating": "loop.InsightRating",
    "insight_theme": "loop.Theme",
    "insight_action": "loop.InsightAction",
    "notification": "loop.Notification",
    "stakeholder": "stakeholders.Stakeholder",
    "digest": "stakeholders.DigestDelivery",
    "transfer_of_value": "transparency.TransferOfValue",
    "event": "programs.Event",
}
# Resources that guard a derived, de-identified view rather than a model: no rows for restrict() to narrow.
DERIVED = {
    "pre_call_brief": "liaison.briefs.queries",
    "insight_report": "liaison.insights.aggregate_report",
    "metrics": "liaison.metrics.dashboard",
    "advisory_portal": "liaison.programs.portal",
}


@pytest.mark.parametrize(
    ("role", "resource", "action"), list(itertools.product(Role.values, RESOURCES, ALL_ACTIONS))
)
def test_it_grants_exactly_the_cells_of_the_matrix(role, resource, action):
    assert role_can(role, resource, action) is (role in MATRIX[resource].get(action, set()))


@pytest.mark.parametrize("resource", RESOURCES)
def test_it_denies_unknown_roles_and_no_role(resource):
    for action in ACTIONS:
        assert not role_can(None, resource, action)
        assert not role_can("superuser", resource, action)


def test_it_denies_an_unknown_resource_to_every_role():
    assert not any(role_can(role, "secret_thing", "view") for role in Role.values)


def test_it_names_only_real_roles_in_the_matrix():
    assert all(set(roles) <= set(Role.values) for actions in MATRIX.values() for roles in actions.values())


@pytest.mark.parametrize("resource", FIREWALLED)
def test_it_never_lets_commercial_view_medical_records(resource):
    assert not role_can(Role.COMMERCIAL, resource, "view")
    granted = {a for a in MATRIX[resource] if role_can(Role.COMMERCIAL, resource, a)}
    # The one-way hand-off is the only thing commercial may do with any of these.
    assert granted <= ({"add"} if resource == "inquiry" else set())


def test_it_maps_every_resource_of_the_matrix_to_a_model():
    from django.apps import apps

    assert set(MODELS) | set(DERIVED) == set(RESOURCES)
    assert not set(MODELS) & set(DERIVED)
    for resource, label in MODELS.items():
        assert apps.get_model(label).permission_resource == resource


def test_it_backs_every_derived_resource_with_a_module_that_checks_it():
    import importlib
    import inspect

    for resource, module in DERIVED.items():
        assert f'"{resource}"' in inspect.getsource(importlib.import_module(module))


def test_it_gives_every_liaison_model_with_restrict_a_resource_of_the_matrix():
    from django.apps import apps

    for model in apps.get_models():
        if model.__module__.startswith("liaison.") and hasattr(model.objects, "restrict"):
            assert model.permission_resource in MATRIX, model


def test_it_refuses_inactive_and_anonymous_users(world):
    from django.contrib.auth.models import AnonymousUser

    alice = world["alice"]
    alice.is_active = False
    assert not can(alice, "hcp", "view")
    assert not can(AnonymousUser(), "hcp", "view")
    assert not can(None, "hcp", "view")


# --- restrict() agrees with the matrix, role by role ----------------------------------------------------------


def _rows_owned_by(user: Any, w: dict[str, Any], hcp: Any) -> None:
    """One row of every owned resource, owned by `user`, so that row policies cannot hide it from them."""
    from liaison.engagement.models import FollowUp, Interaction
    from liaison.insights.models import Insight
    from liaison.medinfo.models import MedicalInquiry
    from liaison.people.models import ExternalPerson, Organization
    from liaison.safety.models import SafetyReport

    now = timezone.now() - dt.timedelta(hours=1)
    Organization.objects.get_or_create(name="Probe Hospital")
    ExternalPerson.objects.get_or_create(first_name="Probe", last_name="Payer")
    interaction = Interaction.objects.create(
        owner=user, occurred_at=now, channel="phone", purpose="education"
    )
    FollowUp.objects.create(
        owner=user, description="x", due_date=dt.date(2030, 1, 1), interaction=interaction
    )
    from liaison.engagement.models import HcpFeedback

    HcpFeedback.objects.create(
        interaction=interaction, hcp=hcp, recorded_by=user, value=4, source="survey", received_on=now.date()
    )
    insight = Insight.objects.create(author=user, therapeutic_area=w["oncology"], text="x")
    from liaison.loop.models import InsightAction, InsightRating, Notification, Theme

    InsightRating.objects.create(insight=insight, reviewer=user, specific=3, actionable=3, new=True)
    theme = Theme.objects.create(name="Probe", therapeutic_area=w["oncology"], created_by=user)
    theme.insights.add(insight)
    action = InsightAction.objects.create(
        theme=theme, title="Probe", owner_function="HEOR", due_date=dt.date(2030, 1, 1), created_by=user
    )
    Notification.objects.create(user=user, text="Probe", action=action)
    MedicalInquiry.objects.create(
        captured_by=user, channel="email", question="x", received_at=now, requester_name="Dr X"
    )
    SafetyReport.objects.create(reported_by=user, day_zero=now, trigger="manual")
    from liaison.planning.models import EngagementPlan, StandingInterest

    EngagementPlan.objects.create(owner=user, kind="kol", hcp=hcp, year=2025, planned_per_quarter=1)
    StandingInterest.objects.create(
        hcp=hcp, recorded_by=user, topic="x", recorded_on=dt.date(2025, 1, 1), expires_on=dt.date(2026, 1, 1)
    )
    from liaison.transparency.models import TransferOfValue

    TransferOfValue.objects.create(
        recipient_hcp=hcp,
        recorded_by=user,
        nature="consulting_fee",
        paid_on=dt.date(2026, 1, 2),
        amount=100,
        currency="USD",
        country="US",
    )
    from liaison.programs.models import Event

    Event.objects.create(
        kind="webinar",
        title="x",
        starts_at=now,
        ends_at=now + dt.timedelta(hours=1),
        therapeutic_area=w["oncology"],
        owner=user,
    )
    # Public-data KOL records are not owned by anyone: one of each, visible to every role that may view them.
    from liaison.kol.models import IdentityLink, KolScore, KolSnapshot, Publication

    Publication.objects.get_or_create(pmid=1, defaults={"title": "Probe"})
    snapshot, _ = KolSnapshot.objects.get_or_create(
        area=w["oncology"], version=1, defaults={"as_of_year": 2025}
    )
    KolScore.objects.get_or_create(snapshot=snapshot, person_id="P0", defaults={"rank": 1, "score": 1.0})
    IdentityLink.objects.get_or_create(
        person_id="P0", target="hcp", target_id="x", defaults={"confidence": 0.6, "status": "suggested"}
    )
    # Stakeholders (liaison.stakeholders): one owned by the user and a digest they sent.
    from liaison.stakeholders.models import DigestDelivery, Stakeholder

    stakeholder = Stakeholder.objects.create(name="Probe R&D", function="rnd", owner=user)
    DigestDelivery.objects.create(
        stakeholder=stakeholder,
        sent_by=user,
        sent_at=now,
        period_start=now,
        period_end=now,
        recipient="x@example.org",
        channel="email",
        form="insights",
        subject="x",
        status="sent",
    )


@pytest.mark.parametrize("role", Role.values)
def test_it_returns_rows_from_restrict_exactly_when_the_role_may_view(world, hcp, system_context, role):
    from django.apps import apps

    from liaison.accounts.actions import create_user

    user = create_user(
        username=f"probe-{role}",
        role=role,
        password=None,
        team=world["teams"]["Oncology East"] if role in ("msl", "msl_manager") else None,
    )
    _rows_owned_by(user, world, hcp)
    for resource, label in MODELS.items():
        model = apps.get_model(label)
        assert model._base_manager.exists(), f"fixture has no {resource} row"
        visible = model.objects.restrict(user, "view").exists()
        assert visible is role_can(role, resource, "view"), f"{role} view {resource}"


# --- row policies ---------------------------------------------------------------------------------------------


@pytest.fixture
def alices_records(world, interaction, acting):
    """Alice's interaction (with insight and follow-up), plus a safety report she raised."""
    from liaison.safety.actions import raise_manual_report

    with acting(world["alice"]):
        report = raise_manual_report(
            acting_user=world["alice"], day_zero=timezone.now(), event_description="Rash"
        )
    return {
        "interaction": interaction,
        "insight": interaction.insights.get(),
        "follow_up": interaction.follow_ups.get(),
        "report": report,
    }


def _sees(user: Any, obj: Any) -> bool:
    return type(obj).objects.restrict(user, "view").filter(pk=obj.pk).exists()


@pytest.mark.parametrize("key", ["interaction", "insight", "follow_up"])
def test_it_hides_alices_field_records_from_bob_in_another_team(world, alices_records, key):
    assert _sees(world["alice"], alices_records[key])
    assert not _sees(world["bob"], alices_records[key])


@pytest.mark.parametrize("key", ["interaction", "insight", "follow_up"])
def test_it_shows_her_teams_records_to_manager_mona(world, alices_records, key):
    assert _sees(world["mona"], alices_records[key])


def test_it_hides_another_teams_records_from_manager_mona(world, hcp, acting):
    from liaison.engagement.actions import log_interaction

    with acting(world["bob"]):
        bobs = log_interaction(
            acting_user=world["bob"],
            attendees=[hcp],
            data={
                "occurred_at": timezone.now(),
                "channel": "phone",
                "purpose": "education",
                "ae_attestation": "no",
            },
        )
    assert not _sees(world["mona"], bobs)
    assert _sees(world["lena"], bobs)


@pytest.mark.parametrize("key", ["interaction", "insight", "follow_up", "report"])
def test_it_hides_every_field_record_from_commercial(world, alices_records, key):
    assert not _sees(world["dave"], alices_records[key])


def test_it_shows_drug_safety_every_safety_report(world, alices_records, acting):
    from liaison.safety.actions import raise_manual_report

    with acting(world["bob"]):
        bobs = raise_manual_report(
            acting_user=world["bob"], day_zero=timezone.now(), event_description="Fall"
        )
    from liaison.safety.models import SafetyReport

    assert set(SafetyReport.objects.restrict(world["sam"], "view")) == {alices_records["report"], bobs}


def test_it_shows_an_msl_only_the_safety_reports_they_raised(world, alices_records, acting):
    from liaison.safety.actions import raise_manual_report
    from liaison.safety.models import SafetyReport

    with acting(world["bob"]):
        bobs = raise_manual_report(
            acting_user=world["bob"], day_zero=timezone.now(), event_description="Fall"
        )
    assert list(SafetyReport.objects.restrict(world["alice"], "view")) == [alices_records["report"]]
    assert list(SafetyReport.objects.restrict(world["bob"], "view")) == [bobs]
    assert not SafetyReport.objects.restrict(world["mona"], "view").exists()


def test_it_shows_an_msl_only_inquiries_they_captured_or_about_their_hcps(world, hcp, acting):
    from liaison.medinfo.actions import capture_inquiry
    from liaison.medinfo.models import MedicalInquiry

    with acting(world["bob"]):
        about_alices_hcp = capture_inquiry(
            acting_user=world["bob"],
            question="Dose?",
            channel="phone",
            unsolicited_attested=True,
            requester_hcp=hcp,
        )
        bobs_own = capture_inquiry(
            acting_user=world["bob"],
            question="Dose?",
            channel="phone",
            unsolicited_attested=True,
            requester_name="Dr Y",
        )
    assert set(MedicalInquiry.objects.restrict(world["alice"], "view")) == {about_alices_hcp}
    assert set(MedicalInquiry.objects.restrict(world["bob"], "view")) == {about_alices_hcp, bobs_own}
