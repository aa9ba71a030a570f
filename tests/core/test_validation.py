"""Bad input reaches the write path from the CLI, jobs and imports too: every action refuses it with a
ValidationError on the right field, and nothing at all is written (no row, no audit event)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from liaison.core.validation import clean_text, error_messages

BAD_TEXT = {
    "nul": "before\x00after",
    "control": "bell\x07here",
    "escape": "colour\x1b[31m",
    "lone_surrogate": "broken \ud800 text",
    "one_megabyte": "x" * 1_000_000,
    "number": 12345,
    "list": ["a", "b"],
}


def _now() -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=1)


def _interaction_data(**extra: Any) -> dict[str, Any]:
    return {
        "occurred_at": _now(),
        "channel": "phone",
        "purpose": "education",
        "ae_attestation": "no",
        **extra,
    }


# (actor, field the error must name, call(world, fixtures, bad_value)). Text fields get every BAD_TEXT value.
TEXT_CASES: dict[str, tuple[str, str, Callable[..., Any]]] = {
    "hcp.last_name": (
        "alice",
        "last_name",
        lambda w, f, v: __import__("liaison.people.actions", fromlist=["x"]).create_hcp(
            acting_user=w["alice"], data={"first_name": "A", "last_name": v}
        ),
    ),
    "hcp.city": (
        "alice",
        "city",
        lambda w, f, v: __import__("liaison.people.actions", fromlist=["x"]).update_hcp(
            f["hcp"], acting_user=w["alice"], data={"city": v}
        ),
    ),
    "organization.name": (
        "alice",
        "name",
        lambda w, f, v: __import__("liaison.people.actions", fromlist=["x"]).save_organization(
            None, acting_user=w["alice"], data={"name": v}
        ),
    ),
    "interaction.notes": (
        "alice",
        "notes",
        lambda w, f, v: __import__("liaison.engagement.actions", fromlist=["x"]).log_interaction(
            acting_user=w["alice"], attendees=[f["hcp"]], data=_interaction_data(notes=v)
        ),
    ),
    "interaction.reason": (
        "alice",
        "reason",
        lambda w, f, v: __import__("liaison.engagement.actions", fromlist=["x"]).update_interaction(
            f["interaction"], acting_user=w["alice"], data={"notes": "x"}, reason=v
        ),
    ),
    "follow_up.description": (
        "alice",
        "description",
        lambda w, f, v: __import__("liaison.engagement.actions", fromlist=["x"]).create_follow_up(
            acting_user=w["alice"], description=v, due_date=timezone.localdate(), hcp=f["hcp"]
        ),
    ),
    "insight.text": (
        "alice",
        "text",
        lambda w, f, v: __import__("liaison.insights.actions", fromlist=["x"]).create_insight(
            acting_user=w["alice"], text=v, therapeutic_area=w["oncology"], submit=True
        ),
    ),
    "inquiry.question": (
        "alice",
        "question",
        lambda w, f, v: __import__("liaison.medinfo.actions", fromlist=["x"]).capture_inquiry(
            acting_user=w["alice"],
            question=v,
            channel="email",
            unsolicited_attested=True,
            requester_name="Dr X",
        ),
    ),
    "inquiry.answer": (
        "iris",
        "answer",
        lambda w, f, v: __import__("liaison.medinfo.actions", fromlist=["x"]).answer_inquiry(
            f["inquiry"], acting_user=w["iris"], answer=v
        ),
    ),
    "safety.event_description": (
        "sam",
        "event_description",
        lambda w, f, v: __import__("liaison.safety.actions", fromlist=["x"]).raise_manual_report(
            acting_user=w["sam"], day_zero=_now(), event_description=v
        ),
    ),
    "safety.note": (
        "sam",
        "note",
        lambda w, f, v: __import__("liaison.safety.actions", fromlist=["x"]).triage_report(
            f["report"], acting_user=w["sam"], status="in_review", note=v
        ),
    ),
    "merge.reason": (
        "mona",
        "reason",
        lambda w, f, v: __import__("liaison.people.actions", fromlist=["x"]).merge_hcps(
            f["hcp"], f["other_hcp"], acting_user=w["mona"], reason=v
        ),
    ),
}

# Wrong types and shapes for structured arguments: (actor, field, call(world, fixtures)).
TYPE_CASES: dict[str, tuple[str, str, Callable[..., Any]]] = {
    "occurred_at as text": (
        "alice",
        "occurred_at",
        lambda w, f: _log(w, f, data=_interaction_data(occurred_at="yesterday")),
    ),
    "duration as text": (
        "alice",
        "duration_minutes",
        lambda w, f: _log(w, f, data=_interaction_data(duration_minutes="30")),
    ),
    "duration as bool": (
        "alice",
        "duration_minutes",
        lambda w, f: _log(w, f, data=_interaction_data(duration_minutes=True)),
    ),
    "channel unknown": (
        "alice",
        "channel",
        lambda w, f: _log(w, f, data=_interaction_data(channel="telepathy")),
    ),
    "topics as number": ("alice", "topics", lambda w, f: _log(w, f, data=_interaction_data(topics=7))),
    "attestation unknown": (
        "alice",
        "ae_attestation",
        lambda w, f: _log(w, f, data=_interaction_data(ae_attestation="maybe")),
    ),
    "therapeutic_area as text": (
        "alice",
        "therapeutic_area",
        lambda w, f: _log(w, f, data=_interaction_data(therapeutic_area="Oncology")),
    ),
    "attendees as names": ("alice", "attendees", lambda w, f: _log(w, f, attendees=["Grace Hopkins"])),
    "attendees as a string": ("alice", "attendees", lambda w, f: _log(w, f, attendees="Grace Hopkins")),
    "attendees empty": ("alice", "attendees", lambda w, f: _log(w, f, attendees=[])),
    "products as names": ("alice", "products", lambda w, f: _log(w, f, products=["Onkotrex"])),
    "data not a dict": ("alice", "__all__", lambda w, f: _log(w, f, data=["occurred_at"])),
    "follow-up date as text": (
        "alice",
        "due_date",
        lambda w, f: __import__("liaison.engagement.actions", fromlist=["x"]).create_follow_up(
            acting_user=w["alice"], description="x", due_date="2030-01-01", hcp=f["hcp"]
        ),
    ),
    "follow-up hcp as text": (
        "alice",
        "hcp",
        lambda w, f: __import__("liaison.engagement.actions", fromlist=["x"]).create_follow_up(
            acting_user=w["alice"], description="x", due_date=timezone.localdate(), hcp="Grace"
        ),
    ),
    "insight area as text": (
        "alice",
        "therapeutic_area",
        lambda w, f: __import__("liaison.insights.actions", fromlist=["x"]).create_insight(
            acting_user=w["alice"], text="x", therapeutic_area="Oncology"
        ),
    ),
    "insight hcp as text": (
        "alice",
        "hcp",
        lambda w, f: __import__("liaison.insights.actions", fromlist=["x"]).create_insight(
            acting_user=w["alice"], text="x", therapeutic_area=w["oncology"], hcp="Grace"
        ),
    ),
    "inquiry received_at as text": (
        "alice",
        "received_at",
        lambda w, f: __import__("liaison.medinfo.actions", fromlist=["x"]).capture_inquiry(
            acting_user=w["alice"],
            question="q",
            channel="email",
            unsolicited_attested=True,
            requester_name="Dr X",
            received_at="2024-01-01",
        ),
    ),
    "inquiry requester as text": (
        "alice",
        "requester_hcp",
        lambda w, f: __import__("liaison.medinfo.actions", fromlist=["x"]).capture_inquiry(
            acting_user=w["alice"],
            question="q",
            channel="email",
            unsolicited_attested=True,
            requester_hcp="Grace",
        ),
    ),
    "hcp tier out of range": (
        "alice",
        "tier",
        lambda w, f: __import__("liaison.people.actions", fromlist=["x"]).update_hcp(
            f["hcp"], acting_user=w["alice"], data={"tier": 9}
        ),
    ),
    "hcp specialties as number": (
        "alice",
        "specialties",
        lambda w, f: __import__("liaison.people.actions", fromlist=["x"]).update_hcp(
            f["hcp"], acting_user=w["alice"], data={"specialties": 3}
        ),
    ),
    "hcp identifiers as list": (
        "alice",
        "identifiers",
        lambda w, f: __import__("liaison.people.actions", fromlist=["x"]).update_hcp(
            f["hcp"], acting_user=w["alice"], data={"identifiers": ["npi"]}
        ),
    ),
    "hcp owner as text": (
        "alice",
        "owner",
        lambda w, f: __import__("liaison.people.actions", fromlist=["x"]).update_hcp(
            f["hcp"], acting_user=w["alice"], data={"owner": "alice"}
        ),
    ),
    "report age as text": (
        "sam",
        "patient_age",
        lambda w, f: __import__("liaison.safety.actions", fromlist=["x"]).triage_report(
            f["report"], acting_user=w["sam"], patient_age="fifty"
        ),
    ),
    "report product as text": (
        "sam",
        "suspect_product",
        lambda w, f: __import__("liaison.safety.actions", fromlist=["x"]).triage_report(
            f["report"], acting_user=w["sam"], suspect_product="Onkotrex"
        ),
    ),
    "priority order as text": (
        "lena",
        "order",
        lambda w, f: __import__("liaison.insights.actions", fromlist=["x"]).save_listening_priority(
            None, acting_user=w["lena"], therapeutic_area=w["oncology"], title="T", order="first"
        ),
    ),
}


def _log(w: dict[str, Any], f: dict[str, Any], **kwargs: Any) -> Any:
    from liaison.engagement.actions import log_interaction

    args = {"acting_user": w["alice"], "attendees": [f["hcp"]], "data": _interaction_data(), **kwargs}
    return log_interaction(**args)


@pytest.fixture
def targets(world, hcp, interaction, acting, system_context) -> dict[str, Any]:
    """Existing records the update actions work on."""
    from liaison.medinfo.actions import capture_inquiry
    from liaison.people.actions import create_hcp
    from liaison.safety.actions import raise_manual_report

    with acting(world["alice"]):
        inquiry = capture_inquiry(
            acting_user=world["alice"],
            question="Dose in renal impairment?",
            channel="email",
            unsolicited_attested=True,
            requester_hcp=hcp,
        )
        report = raise_manual_report(acting_user=world["alice"], day_zero=_now(), event_description="Rash")
        other = create_hcp(acting_user=world["alice"], data={"first_name": "Kary", "last_name": "Mullis"})
    return {"hcp": hcp, "interaction": interaction, "inquiry": inquiry, "report": report, "other_hcp": other}


def _footprint() -> dict[str, int]:
    """Row counts of every liaison table, audit trail included."""
    return {
        m._meta.label: m._base_manager.count()
        for m in apps.get_models()
        if m.__module__.startswith("liaison.")
    }


def _assert_refused(
    world: dict[str, Any],
    targets: dict[str, Any],
    acting: Any,
    actor: str,
    field: str,
    call: Callable[[], Any],
) -> None:
    before = _footprint()
    with acting(world[actor]), pytest.raises(ValidationError) as exc:
        call()
    messages = error_messages(exc.value)
    assert field in messages, messages
    assert all(m.strip() for msgs in messages.values() for m in msgs)
    assert _footprint() == before


@pytest.mark.parametrize("case", list(TEXT_CASES))
def test_it_refuses_every_kind_of_bad_text_on_the_right_field_and_writes_nothing(
    world, targets, acting, case
):
    actor, field, call = TEXT_CASES[case]
    # One test per field, all bad values in turn: the set-up (every persona and record) is the costly part.
    for bad, value in BAD_TEXT.items():
        try:
            _assert_refused(world, targets, acting, actor, field, lambda v=value: call(world, targets, v))
        except AssertionError as exc:
            raise AssertionError(f"{case} with {bad} text: {exc}") from exc
        except BaseException as exc:  # pytest.raises' failure is not an AssertionError
            raise AssertionError(f"{case} with {bad} text was not refused: {exc!r}") from exc


@pytest.mark.parametrize("case", list(TYPE_CASES))
def test_it_refuses_wrong_types_on_the_right_field_and_writes_nothing(world, targets, acting, case):
    actor, field, call = TYPE_CASES[case]
    _assert_refused(world, targets, acting, actor, field, lambda: call(world, targets))


def test_it_normalises_text_to_nfc_and_strips_it():
    assert clean_text("  Cafe\u0301  ", "name") == "Caf\u00e9"


def test_it_keeps_tabs_and_newlines_in_free_text():
    assert clean_text("line one\n\tline two", "notes") == "line one\n\tline two"


def test_it_accepts_text_at_the_limit_and_refuses_one_character_more(settings):
    settings.MAX_TEXT_LENGTH = 50
    assert clean_text("x" * 50, "notes") == "x" * 50
    with pytest.raises(ValidationError):
        clean_text("x" * 51, "notes")
