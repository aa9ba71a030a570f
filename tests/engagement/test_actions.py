"""Interactions and follow-ups: the AE attestation, Day 0, and what a submitted record may still change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from liaison.core.models import AuditEvent
from liaison.core.permissions import PermissionDenied
from liaison.engagement.actions import create_follow_up, log_interaction, update_follow_up, update_interaction
from liaison.engagement.models import FollowUp, Interaction, InteractionStatus
from liaison.safety.models import ReportTrigger, SafetyReport


def _data(**extra):
    base = {
        "occurred_at": timezone.now() - dt.timedelta(hours=3),
        "channel": "video",
        "purpose": "scientific_exchange",
        "notes": "Reviewed the trial design.",
    }
    return {**base, **extra}


def test_it_refuses_to_submit_an_interaction_without_the_ae_attestation(world, hcp, acting):
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        log_interaction(acting_user=world["alice"], attendees=[hcp], data=_data())
    assert list(exc.value.message_dict) == ["ae_attestation"]
    assert not Interaction.objects.exists()


def test_it_saves_a_draft_without_the_attestation_and_raises_no_report(world, hcp, acting):
    with acting(world["alice"]):
        draft = log_interaction(
            acting_user=world["alice"],
            attendees=[hcp],
            submit=False,
            data=_data(notes="She had a rash after the second dose."),
        )
    assert (draft.status, draft.submitted_at) == (InteractionStatus.DRAFT, None)
    assert not SafetyReport.objects.exists(), "drafts are screened when submitted"


def test_it_refuses_an_interaction_in_the_future(world, hcp, acting):
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        log_interaction(
            acting_user=world["alice"],
            attendees=[hcp],
            data=_data(occurred_at=timezone.now() + dt.timedelta(hours=2), ae_attestation="no"),
        )
    assert list(exc.value.message_dict) == ["occurred_at"]


def test_it_refuses_commercial_users_logging_interactions(world, hcp, acting):
    with acting(world["dave"]), pytest.raises(PermissionDenied):
        log_interaction(acting_user=world["dave"], attendees=[hcp], data=_data(ae_attestation="no"))


def test_it_raises_a_report_with_day_zero_at_the_interaction_time_when_the_msl_attests_an_ae(
    world, hcp, acting
):
    when = timezone.now() - dt.timedelta(days=2)
    with acting(world["alice"]):
        interaction = log_interaction(
            acting_user=world["alice"], attendees=[hcp], data=_data(occurred_at=when, ae_attestation="yes")
        )
    report = SafetyReport.objects.get(interaction=interaction)
    assert report.trigger == ReportTrigger.ATTESTATION
    assert report.day_zero == when
    assert report.reported_by == world["alice"]


def test_it_raises_a_report_from_ae_words_in_the_notes_even_when_the_msl_attested_no(world, hcp, acting):
    when = timezone.now() - dt.timedelta(days=1)
    with acting(world["alice"]):
        interaction = log_interaction(
            acting_user=world["alice"],
            attendees=[hcp],
            products=[world["product"]],
            data=_data(
                occurred_at=when, ae_attestation="no", notes="One patient was hospitalized with pneumonitis."
            ),
        )
    report = SafetyReport.objects.get(interaction=interaction)
    assert report.trigger == ReportTrigger.DETECTOR and report.day_zero == when
    assert {"hospitalized", "pneumonitis"} <= set(report.detected_terms)
    assert report.suspect_product == world["product"]
    assert "[notes]" in report.excerpt


def test_it_screens_inline_insights_of_a_submitted_interaction(world, hcp, acting):
    with acting(world["alice"]):
        interaction = log_interaction(
            acting_user=world["alice"],
            attendees=[hcp],
            data=_data(ae_attestation="no", therapeutic_area=world["oncology"]),
            insights=[{"text": "A colleague reported an overdose in a nursing home."}],
        )
    report = SafetyReport.objects.get(interaction=interaction)
    assert "overdose" in report.categories
    assert "insight 1" in report.source_field


def test_it_refuses_a_change_to_a_submitted_interaction_without_a_reason(world, interaction, acting):
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        update_interaction(interaction, acting_user=world["alice"], data={"notes": "Edited."})
    assert list(exc.value.message_dict) == ["reason"]
    interaction.refresh_from_db()
    assert interaction.notes == "Discussed the phase 3 design and biomarker strategy."


def test_it_never_moves_the_time_of_a_submitted_interaction(world, interaction, acting):
    original = interaction.occurred_at
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        update_interaction(
            interaction,
            acting_user=world["alice"],
            reason="typo",
            data={"occurred_at": original - dt.timedelta(days=1)},
        )
    assert list(exc.value.message_dict) == ["occurred_at"]
    assert Interaction.objects.get(pk=interaction.pk).occurred_at == original


def test_it_lets_a_draft_move_its_time_and_then_submits_it_with_day_zero_at_the_new_time(world, hcp, acting):
    new_time = timezone.now() - dt.timedelta(days=4)
    with acting(world["alice"]):
        draft = log_interaction(acting_user=world["alice"], attendees=[hcp], submit=False, data=_data())
        update_interaction(
            draft,
            acting_user=world["alice"],
            submit=True,
            data={"occurred_at": new_time, "ae_attestation": "yes"},
        )
    draft.refresh_from_db()
    assert draft.status == InteractionStatus.SUBMITTED and draft.submitted_at is not None
    assert SafetyReport.objects.get(interaction=draft).day_zero == new_time


def test_it_raises_a_new_report_when_an_edit_adds_an_ae_to_the_notes_with_the_original_day_zero(
    world, interaction, acting
):
    assert not SafetyReport.objects.exists()
    with acting(world["alice"]):
        update_interaction(
            interaction,
            acting_user=world["alice"],
            reason="remembered a detail",
            data={"notes": "She mentioned a patient who developed severe neutropenia."},
        )
    report = SafetyReport.objects.get(interaction=interaction)
    assert report.day_zero == interaction.occurred_at
    assert "neutropenia" in report.detected_terms


def test_it_audits_an_edit_of_a_submitted_interaction_with_old_new_and_reason(world, interaction, acting):
    start = AuditEvent.objects.order_by("-seq").first().seq
    with acting(world["alice"]):
        update_interaction(
            interaction,
            acting_user=world["alice"],
            reason="added the congress name",
            data={"notes": "Discussed the phase 3 design at ASCO."},
        )
    event = AuditEvent.objects.get(seq__gt=start, event_type="interaction.updated")
    assert event.changes == {
        "notes": [
            "Discussed the phase 3 design and biomarker strategy.",
            "Discussed the phase 3 design at ASCO.",
        ]
    }
    assert event.reason == "added the congress name"


def test_it_refuses_bob_editing_alices_interaction(world, interaction, acting):
    with acting(world["bob"]), pytest.raises(ValidationError):
        update_interaction(interaction, acting_user=world["bob"], reason="x", data={"notes": "mine now"})


def test_it_audits_attendee_changes_on_their_own_rows(world, hcp, interaction, acting):
    from liaison.people.actions import create_hcp

    with acting(world["alice"]):
        other = create_hcp(acting_user=world["alice"], data={"first_name": "Kary", "last_name": "Mullis"})
        start = AuditEvent.objects.order_by("-seq").first().seq
        update_interaction(
            interaction, acting_user=world["alice"], reason="wrong attendee", data={}, attendees=[other]
        )
    types = sorted(e.event_type for e in AuditEvent.objects.filter(seq__gt=start))
    assert types == ["interactionattendee.created", "interactionattendee.deleted"]
    assert list(interaction.attendees.all()) == [other]


def test_it_creates_and_completes_a_follow_up(world, hcp, acting):
    with acting(world["alice"]):
        follow_up = create_follow_up(
            acting_user=world["alice"], description="Send the poster", due_date=timezone.localdate(), hcp=hcp
        )
        update_follow_up(follow_up, acting_user=world["alice"], status="done")
    follow_up.refresh_from_db()
    assert follow_up.status == "done" and follow_up.completed_at is not None
    assert follow_up.owner == world["alice"]


def test_it_refuses_a_follow_up_without_a_date(world, hcp, acting):
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        create_follow_up(acting_user=world["alice"], description="Send", due_date="tomorrow", hcp=hcp)
    assert list(exc.value.message_dict) == ["due_date"]
    assert not FollowUp.objects.exists()


def test_it_refuses_bob_completing_alices_follow_up(world, interaction, acting):
    follow_up = FollowUp.objects.get(interaction=interaction)
    with acting(world["bob"]), pytest.raises(ValidationError):
        update_follow_up(follow_up, acting_user=world["bob"], status="done")
    follow_up.refresh_from_db()
    assert follow_up.status == "open"


def test_it_does_not_report_an_attested_ae_again_when_an_unrelated_detail_is_edited(world, hcp, acting):
    with acting(world["alice"]):
        interaction = log_interaction(
            acting_user=world["alice"], attendees=[hcp], data=_data(ae_attestation="yes")
        )
        update_interaction(
            interaction,
            acting_user=world["alice"],
            reason="typo",
            data={"notes": "Reviewed the trial design in detail."},
        )
    assert SafetyReport.objects.filter(interaction=interaction).count() == 1


def test_it_reports_when_an_edit_changes_the_attestation_to_yes(world, interaction, acting):
    with acting(world["alice"]):
        update_interaction(
            interaction,
            acting_user=world["alice"],
            reason="she called back about a reaction",
            data={"ae_attestation": "yes"},
        )
    report = SafetyReport.objects.get(interaction=interaction)
    assert (report.trigger, report.day_zero) == (ReportTrigger.ATTESTATION, interaction.occurred_at)


def test_it_refuses_to_withdraw_a_submitted_adverse_event_attestation(world, hcp, acting):
    from django.core.exceptions import ValidationError

    from liaison.engagement.actions import log_interaction, update_interaction

    with acting(world["alice"]):
        logged = log_interaction(
            acting_user=world["alice"],
            attendees=[hcp],
            data={
                "occurred_at": timezone.now() - dt.timedelta(hours=3),
                "channel": "phone",
                "purpose": "scientific_exchange",
                "ae_attestation": "yes",
                "notes": "Discussed dosing.",
            },
        )
        with pytest.raises(ValidationError) as excinfo:
            update_interaction(
                logged, acting_user=world["alice"], data={"ae_attestation": "no"}, reason="typo"
            )
    assert "ae_attestation" in excinfo.value.error_dict
    logged.refresh_from_db()
    assert logged.ae_attestation == "yes"
