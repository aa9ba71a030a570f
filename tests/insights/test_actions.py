"""Insights: capture, who may review which insight, and the draft -> submitted -> reviewed lifecycle."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from liaison.core.models import AuditEvent
from liaison.core.permissions import PermissionDenied
from liaison.insights.actions import create_insight, review_insight, save_listening_priority, update_insight
from liaison.insights.models import Insight, InsightStatus


@pytest.fixture
def submitted(world, acting):
    """Alice's submitted oncology insight."""
    with acting(world["alice"]):
        return create_insight(
            acting_user=world["alice"],
            text="Tumour boards want faster PD-L1 turnaround.",
            therapeutic_area=world["oncology"],
            submit=True,
        )


def test_it_creates_a_draft_insight_by_default(world, acting):
    with acting(world["alice"]):
        insight = create_insight(acting_user=world["alice"], text="Idea", therapeutic_area=world["oncology"])
    assert (insight.status, insight.submitted_at, insight.author) == (
        InsightStatus.DRAFT,
        None,
        world["alice"],
    )


def test_it_refuses_an_insight_without_a_therapeutic_area(world, acting):
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        create_insight(acting_user=world["alice"], text="Idea", therapeutic_area=None)
    assert list(exc.value.message_dict) == ["therapeutic_area"]


def test_it_refuses_a_listening_priority_of_another_area(world, acting):
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        create_insight(
            acting_user=world["alice"],
            text="Idea",
            therapeutic_area=world["cardio"],
            listening_priority=world["priority"],
        )
    assert list(exc.value.message_dict) == ["listening_priority"]


@pytest.mark.parametrize("reviewer", ["mona", "lena"])
def test_it_lets_a_manager_or_medical_lead_review_a_submitted_insight(world, submitted, acting, reviewer):
    with acting(world[reviewer]):
        review_insight(
            submitted, acting_user=world[reviewer], note="Actionable", listening_priority=world["priority"]
        )
    submitted.refresh_from_db()
    assert submitted.status == InsightStatus.REVIEWED
    assert (submitted.reviewed_by, submitted.review_note) == (world[reviewer], "Actionable")
    assert submitted.listening_priority == world["priority"]
    event = AuditEvent.objects.filter(object_uuid=str(submitted.uuid), event_type="insight.updated").latest(
        "seq"
    )
    assert event.changes["status"] == ["submitted", "reviewed"]


@pytest.mark.parametrize("reviewer", ["alice", "bob", "iris", "sam", "carla", "otto", "dave", "ada"])
def test_it_refuses_review_by_anyone_but_a_manager_or_lead(world, submitted, acting, reviewer):
    with acting(world[reviewer]), pytest.raises(PermissionDenied):
        review_insight(submitted, acting_user=world[reviewer])
    assert Insight.objects.get(pk=submitted.pk).status == InsightStatus.SUBMITTED


def test_it_refuses_a_manager_reviewing_another_teams_insight(world, acting, system_context):
    from liaison.accounts.actions import create_user

    other_manager = create_user(
        username="max", role="msl_manager", team=world["teams"]["Cardio West"], password=None
    )
    with acting(world["alice"]):
        insight = create_insight(
            acting_user=world["alice"], text="x", therapeutic_area=world["oncology"], submit=True
        )
    with acting(other_manager), pytest.raises(ValidationError):
        review_insight(insight, acting_user=other_manager)


def test_it_refuses_a_reviewer_reviewing_their_own_insight(world, acting):
    with acting(world["mona"]):
        own = create_insight(
            acting_user=world["mona"], text="Mine", therapeutic_area=world["oncology"], submit=True
        )
        with pytest.raises(ValidationError):
            review_insight(own, acting_user=world["mona"])
    assert Insight.objects.get(pk=own.pk).status == InsightStatus.SUBMITTED


def test_it_refuses_to_review_a_draft_or_an_already_reviewed_insight(world, submitted, acting):
    with acting(world["alice"]):
        draft = create_insight(acting_user=world["alice"], text="Draft", therapeutic_area=world["oncology"])
    with acting(world["lena"]):
        with pytest.raises(ValidationError) as exc:
            review_insight(draft, acting_user=world["lena"])
        assert list(exc.value.message_dict) == ["status"]
        review_insight(submitted, acting_user=world["lena"])
        with pytest.raises(ValidationError):
            review_insight(submitted, acting_user=world["lena"])


def test_it_lets_only_the_author_edit_and_only_while_draft(world, acting):
    with acting(world["alice"]):
        draft = create_insight(acting_user=world["alice"], text="Draft", therapeutic_area=world["oncology"])
    with acting(world["mona"]), pytest.raises(ValidationError):
        update_insight(draft, acting_user=world["mona"], text="Hijacked")
    with acting(world["alice"]):
        update_insight(draft, acting_user=world["alice"], text="Better draft", submit=True)
        with pytest.raises(ValidationError):
            update_insight(draft, acting_user=world["alice"], text="After submission")
    draft.refresh_from_db()
    assert (draft.text, draft.status) == ("Better draft", InsightStatus.SUBMITTED)


def test_it_screens_an_insight_when_it_is_submitted(world, acting):
    from liaison.safety.models import SafetyReport

    with acting(world["alice"]):
        insight = create_insight(
            acting_user=world["alice"],
            text="Her patient was pregnant while on therapy.",
            therapeutic_area=world["oncology"],
            submit=True,
        )
    report = SafetyReport.objects.get(insight=insight)
    assert report.categories == ["pregnancy_lactation"]
    assert report.day_zero == insight.created_at


def test_it_lets_only_leads_and_admins_define_listening_priorities(world, acting):
    with acting(world["alice"]), pytest.raises(PermissionDenied):
        save_listening_priority(
            None, acting_user=world["alice"], therapeutic_area=world["oncology"], title="T"
        )
    with acting(world["lena"]):
        priority = save_listening_priority(
            None,
            acting_user=world["lena"],
            therapeutic_area=world["oncology"],
            title="Sequencing after progression",
            order=2,
        )
    assert priority.order == 2
