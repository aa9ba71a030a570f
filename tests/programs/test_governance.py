"""Advisory-board governance: the needs assessment and compliance's decision, the rate card and yearly caps,
contracts blocked off-card or over the cap until overridden, and honoraria paid into the ledger (docs/programs.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from helpers_governance import approve_needs_assessment
from liaison.core.permissions import PermissionDenied
from liaison.programs import actions
from liaison.programs.actions import governance
from liaison.programs.models import AdvisorContract, FmvCap, FmvRate, NeedsAssessment
from liaison.transparency.models import TransferOfValue

from .conftest import event_data

ASSESSMENT = {
    "questions": ["Where does biomarker testing stall?"],
    "rationale": "We lack community-practice evidence on testing delays.",
    "advisor_count": 5,
}


@pytest.fixture
def advisor(world, hcp, system_context):
    """Grace Hopkins made a German tier-1 oncologist with a national register id, for the card and the ledger."""
    from liaison.people.actions import update_hcp

    return update_hcp(
        hcp,
        acting_user=None,
        data={
            "country": "Germany",
            "tier": 1,
            "specialties": ["Oncology"],
            "identifiers": {"LANR": "123456701"},
        },
    )


@pytest.fixture
def card(world, acting):
    """A small rate card (any, Germany, tier 1 in Germany) and the German yearly cap, kept by carla."""
    carla = world["carla"]
    with acting(carla):
        for tier, country, rate in ((None, "", "200.00"), (None, "DE", "250.00"), (1, "DE", "350.00")):
            governance.save_fmv_rate(
                None,
                acting_user=carla,
                data={
                    "activity": "advisory_board",
                    "tier": tier,
                    "country": country,
                    "hourly_rate": rate,
                    "currency": "EUR",
                    "valid_from": dt.date(2020, 1, 1),
                },
            )
        governance.save_fmv_cap(acting_user=carla, country="DE", amount="5000.00", currency="EUR")


def _new_board(world, acting, days: int = -1, **extra: Any):
    alice = world["alice"]
    with acting(alice):
        return actions.create_event(acting_user=alice, data=event_data(world, days=days, **extra))


def _contract(
    world,
    acting,
    participant,
    *,
    hours: str = "6",
    rate: str = "350.00",
    currency: str = "EUR",
    activity: str = "advisory_board",
):
    alice = world["alice"]
    with acting(alice):
        return governance.create_contract(
            participant,
            acting_user=alice,
            activity=activity,
            services="One-day advisory board",
            hours=hours,
            hourly_rate=rate,
            currency=currency,
        )


def _complete(world, acting, event):
    alice = world["alice"]
    with acting(alice):
        actions.change_status(event, acting_user=alice, status="confirmed")
        actions.change_status(event, acting_user=alice, status="completed")


# --- needs assessment -----------------------------------------------------------------------------------------


def test_it_refuses_to_invite_advisors_until_compliance_approves_the_assessment(world, acting, hcp):
    alice, carla = world["alice"], world["carla"]
    event = _new_board(world, acting)
    with acting(alice):
        with pytest.raises(ValidationError) as refused:
            actions.invite_participant(event, acting_user=alice, hcp=hcp, role="advisor")
        assert "needs assessment" in str(refused.value.message_dict["role"])
        governance.save_assessment(event, acting_user=alice, data=ASSESSMENT)
        assessment = governance.submit_assessment(event, acting_user=alice)
        with pytest.raises(ValidationError):
            actions.invite_participant(event, acting_user=alice, hcp=hcp, role="advisor")
        # Other roles are not held back.
        actions.invite_participant(event, acting_user=alice, hcp=hcp, role="attendee")
    with acting(carla):
        governance.decide_assessment(assessment, acting_user=carla, approve=True)
    with acting(alice):
        payer_event = _new_board(world, acting)
        with pytest.raises(ValidationError):
            actions.add_walk_in(payer_event, acting_user=alice, hcp=hcp, role="advisor")
    other = _new_board(world, acting)
    approve_needs_assessment(other, compliance=carla, acting=acting)
    with acting(alice):
        p = actions.invite_participant(other, acting_user=alice, hcp=hcp, role="advisor")
    assert p.role == "advisor"


def test_submitting_needs_the_questions_the_rationale_and_the_advisor_count(world, acting):
    alice = world["alice"]
    event = _new_board(world, acting)
    with acting(alice):
        governance.save_assessment(event, acting_user=alice, data={"selection_criteria": "Community sites"})
        with pytest.raises(ValidationError) as refused:
            governance.submit_assessment(event, acting_user=alice)
        assert set(refused.value.message_dict) == {"questions", "rationale", "advisor_count"}
        with pytest.raises(ValidationError) as bad:
            governance.save_assessment(event, acting_user=alice, data={"advisor_count": 0})
        assert "advisor_count" in bad.value.message_dict
    assert NeedsAssessment.objects.get(event=event).status == "draft"


def test_it_snapshots_candidates_from_kol_intelligence(world, acting, advisor):
    from liaison.kol.models import Authorship, KolScore, KolSnapshot, Publication

    snapshot = KolSnapshot.objects.create(area=world["oncology"], version=1, as_of_year=2026, persons=40)
    KolScore.objects.create(snapshot=snapshot, person_id="P1", hcp=advisor, rank=3, score=87.46)
    for pmid, names in ((1, ["Lung Neoplasms", "Biomarkers"]), (2, ["Lung Neoplasms"])):
        paper = Publication.objects.create(
            pmid=pmid, title="Paper", mesh=[{"ui": "D1", "name": n, "major": True} for n in names]
        )
        Authorship.objects.create(publication=paper, position=1, person_id="P1")
    alice = world["alice"]
    event = _new_board(world, acting)
    with acting(alice):
        governance.save_assessment(event, acting_user=alice, data={**ASSESSMENT, "candidates": [advisor]})
        assessment = governance.submit_assessment(event, acting_user=alice)
    [candidate] = assessment.candidates
    assert candidate["hcp"] == advisor.pk and candidate["tier"] == 1
    assert candidate["score"] == 87.5 and candidate["rank"] == 3
    assert candidate["expertise"] == ["Lung Neoplasms", "Biomarkers"]
    assert assessment.submitted_by == alice and assessment.status == "submitted"


def test_an_msl_cannot_approve_and_compliance_cannot_write_the_assessment(world, acting):
    alice, carla = world["alice"], world["carla"]
    event = _new_board(world, acting)
    with acting(alice):
        governance.save_assessment(event, acting_user=alice, data=ASSESSMENT)
        assessment = governance.submit_assessment(event, acting_user=alice)
        with pytest.raises(PermissionDenied):
            governance.decide_assessment(assessment, acting_user=alice, approve=True)
    with acting(carla), pytest.raises(PermissionDenied):
        governance.save_assessment(event, acting_user=carla, data={"rationale": "changed by compliance"})
    with acting(world["bob"]), pytest.raises(ValidationError):
        # bob (another team's MSL) may not touch alice's board
        governance.save_assessment(event, acting_user=world["bob"], data={"rationale": "x"})
    assert NeedsAssessment.objects.get(event=event).status == "submitted"


def test_a_rejection_needs_a_note_and_a_rejected_assessment_is_revised_and_resubmitted(world, acting):
    alice, carla = world["alice"], world["carla"]
    event = _new_board(world, acting)
    with acting(alice):
        governance.save_assessment(event, acting_user=alice, data=ASSESSMENT)
        assessment = governance.submit_assessment(event, acting_user=alice)
    with acting(carla):
        with pytest.raises(ValidationError) as refused:
            governance.decide_assessment(assessment, acting_user=carla, approve=False)
        assert "note" in refused.value.message_dict
        rejected = governance.decide_assessment(
            assessment, acting_user=carla, approve=False, note="Five advisors is too many"
        )
    assert rejected.status == "rejected" and rejected.decided_by == carla
    with acting(alice):
        revised = governance.save_assessment(event, acting_user=alice, data={"advisor_count": 3})
        assert revised.status == "draft"
        governance.submit_assessment(event, acting_user=alice)
    with acting(carla):
        approved = governance.decide_assessment(revised, acting_user=carla, approve=True)
    with acting(alice), pytest.raises(ValidationError) as frozen:
        governance.save_assessment(event, acting_user=alice, data={"advisor_count": 4})
    assert "no longer changes" in str(frozen.value.message_dict["status"])
    assert approved.status == "approved" and NeedsAssessment.objects.get(event=event).advisor_count == 3


def test_a_commercial_user_sees_and_writes_nothing_of_governance(world, acting, board, advisor, card):
    participant = board.participants.get()
    _contract(world, acting, participant)
    dave = world["dave"]
    for model in (NeedsAssessment, AdvisorContract, FmvRate, FmvCap):
        assert model.objects.count() > 0
        assert not model.objects.restrict(dave, "view").exists()
    with acting(dave):
        with pytest.raises(PermissionDenied):
            governance.save_assessment(board, acting_user=dave, data={"rationale": "x"})
        with pytest.raises(PermissionDenied):
            governance.save_fmv_rate(None, acting_user=dave, data={})
        with pytest.raises(PermissionDenied):
            governance.pay_honoraria(board, acting_user=dave)


# --- rate card, caps and contracts ----------------------------------------------------------------------------


def test_the_most_specific_line_of_the_card_applies(world, acting, board, advisor, card):
    contract = _contract(world, acting, board.participants.get(), rate="350.00")
    assert contract.status == "active" and contract.problems == []
    assert contract.rate_card.tier == 1 and contract.rate_card.country == "DE"
    assert contract.amount == Decimal("2100.00")


def test_a_rate_above_the_card_or_in_another_currency_is_blocked(world, acting, board, advisor, card, hcp):
    above = _contract(world, acting, board.participants.get(), rate="360.00")
    assert above.status == "blocked"
    assert above.problems == ["The hourly rate 360.00 EUR is above the card's 350.00 EUR/h (tier 1, DE)."]
    other = _new_board(world, acting)
    approve_needs_assessment(other, compliance=world["carla"], acting=acting)
    with acting(world["alice"]):
        p = actions.invite_participant(other, acting_user=world["alice"], hcp=hcp, role="advisor")
    dollars = _contract(world, acting, p, rate="300.00", currency="USD")
    assert dollars.status == "blocked"
    assert any("in USD but the card's rate is 350.00 EUR" in m for m in dollars.problems)


def test_a_contract_without_a_line_on_the_card_is_blocked(world, acting, board, advisor):
    contract = _contract(world, acting, board.participants.get())
    assert contract.status == "blocked" and contract.rate_card is None
    assert "has no rate for advisory board participation" in contract.problems[0]


def test_a_contract_over_the_yearly_cap_is_blocked(world, acting, board, advisor, card, hcp):
    first = _contract(world, acting, board.participants.get(), hours="8", rate="350.00")  # 2,800 EUR
    assert first.status == "active"
    # A board of another calendar year does not count towards this year's cap.
    last_year = _new_board(world, acting, days=-400)
    approve_needs_assessment(last_year, compliance=world["carla"], acting=acting)
    with acting(world["alice"]):
        p = actions.invite_participant(last_year, acting_user=world["alice"], hcp=hcp, role="advisor")
    assert _contract(world, acting, p, hours="8").status == "active"
    same_year = _new_board(world, acting, days=0)
    if governance.event_day(same_year).year != governance.event_day(board).year:
        pytest.skip("the year turned between yesterday and today")
    approve_needs_assessment(same_year, compliance=world["carla"], acting=acting)
    with acting(world["alice"]):
        p = actions.invite_participant(same_year, acting_user=world["alice"], hcp=hcp, role="advisor")
    over = _contract(world, acting, p, hours="7")  # 2,450 EUR: 5,250 EUR in the year
    assert over.status == "blocked"
    assert over.problems == [
        f"In {governance.event_day(board).year} the contracts of Grace Hopkins, MD, PhD would total 5250.00 EUR, "
        "over the yearly cap of 5000.00 EUR (DE)."
    ]


def test_only_hcp_advisors_of_a_board_are_contracted(world, acting, board, advisor, card, payer):
    alice = world["alice"]
    with acting(alice):
        external = actions.invite_participant(board, acting_user=alice, external_person=payer, role="advisor")
    with pytest.raises(ValidationError) as refused:
        _contract(world, acting, external)
    assert "only HCPs" in str(refused.value.message_dict["participant"])
    _contract(world, acting, board.participants.get(hcp=advisor))
    with pytest.raises(ValidationError) as twice:
        _contract(world, acting, board.participants.get(hcp=advisor))
    assert "already has a contract" in str(twice.value.message_dict["participant"])


def test_only_compliance_overrides_a_blocked_contract_and_only_with_a_reason(
    world, acting, board, advisor, card
):
    blocked = _contract(world, acting, board.participants.get(), rate="400.00")
    alice, carla = world["alice"], world["carla"]
    with acting(alice), pytest.raises(PermissionDenied):
        governance.override_contract(blocked, acting_user=alice, reason="I think it is fine")
    with acting(carla):
        with pytest.raises(ValidationError) as refused:
            governance.override_contract(blocked, acting_user=carla, reason="  ")
        assert "reason" in refused.value.message_dict
        active = governance.override_contract(
            blocked, acting_user=carla, reason="Guideline author; FMV committee"
        )
    assert active.status == "active" and active.override_by == carla and active.override_at is not None
    assert (
        active.override_reason == "Guideline author; FMV committee" and active.problems
    )  # kept for the record


# --- honoraria ------------------------------------------------------------------------------------------------


def test_it_pays_attendees_once_and_leaves_no_shows_and_blocked_contracts_unpaid(
    world, acting, board, advisor, card, hcp
):
    from liaison.people.actions import create_hcp

    alice = world["alice"]
    with acting(alice):
        absent = create_hcp(
            acting_user=alice,
            data={"first_name": "Hans", "last_name": "Berg", "country": "DE", "owner": alice},
        )
        blocked_hcp = create_hcp(
            acting_user=alice,
            data={"first_name": "Ida", "last_name": "Lund", "country": "DE", "owner": alice},
        )
        no_show = actions.invite_participant(board, acting_user=alice, hcp=absent, role="advisor")
        blocked_p = actions.invite_participant(board, acting_user=alice, hcp=blocked_hcp, role="advisor")
    paid_c = _contract(world, acting, board.participants.get(hcp=advisor))
    no_show_c = _contract(world, acting, no_show, rate="250.00")
    blocked_c = _contract(world, acting, blocked_p, rate="900.00")
    assert blocked_c.status == "blocked"
    with acting(alice):
        with pytest.raises(ValidationError):
            governance.pay_honoraria(board, acting_user=alice)  # not completed yet
        for p, attendance in ((board.participants.get(hcp=advisor), "attended"), (no_show, "no_show")):
            actions.confirm_attendance(p, acting_user=alice, attendance=attendance)
        actions.confirm_attendance(blocked_p, acting_user=alice, attendance="attended")
    _complete(world, acting, board)
    with acting(alice):
        payout = governance.pay_honoraria(board, acting_user=alice)
    assert [c.pk for c in payout.paid] == [paid_c.pk] and [c.pk for c in payout.unpaid] == [no_show_c.pk]
    transfer = TransferOfValue.objects.get()
    assert transfer.source_kind == "contract" and transfer.source_id == paid_c.uuid
    assert (
        transfer.nature == "honorarium"
        and transfer.amount == Decimal("2100.00")
        and transfer.currency == "EUR"
    )
    assert transfer.country == "DE" and transfer.recipient_hcp == advisor
    assert transfer.register_ids == {"LANR": "123456701", "NPI": "1234567893"}
    paid_c.refresh_from_db()
    no_show_c.refresh_from_db()
    blocked_c.refresh_from_db()
    assert paid_c.status == "paid" and paid_c.transfer == transfer and paid_c.honorarium == Decimal("2100.00")
    assert (
        no_show_c.status == "active"
        and no_show_c.honorarium == 0
        and "did not attend" in no_show_c.honorarium_basis
    )
    assert blocked_c.status == "blocked" and blocked_c.transfer is None and blocked_c.honorarium is None
    # Again: nothing new is written.
    with acting(world["carla"]):
        again = governance.pay_honoraria(board, acting_user=world["carla"])
    assert again.paid == [] and TransferOfValue.objects.count() == 1


def test_an_asynchronous_board_pays_the_share_of_questions_answered(world, acting, board, advisor, card):
    from liaison.programs.models import BoardPost

    alice = world["alice"]
    now = timezone.now()
    with acting(alice):
        questions = [
            actions.board.save_board_question(board, acting_user=alice, title=f"Question {i}")
            for i in range(3)
        ]
        # Not open yet: not counted.
        actions.board.save_board_question(
            board, acting_user=alice, title="Later", opens_at=now + dt.timedelta(days=3)
        )
    participant = board.participants.get()
    contract = _contract(world, acting, participant, hours="6", rate="350.00")  # 2,100 EUR
    with acting(alice):
        for q in questions[:2]:
            BoardPost.objects.create(question=q, participant=participant, text="My answer")
        actions.confirm_attendance(participant, acting_user=alice, attendance="attended")
    _complete(world, acting, board)
    with acting(alice):
        governance.pay_honoraria(board, acting_user=alice)
    contract.refresh_from_db()
    assert contract.honorarium == Decimal("1400.00") and contract.status == "paid"
    assert contract.honorarium_basis.startswith("answered 2 of 3 board questions: 67%")
    assert contract.transfer.amount == Decimal("1400.00")


def test_paying_refuses_an_hcp_without_a_country_and_writes_nothing(world, acting, board, hcp, card):
    contract = _contract(world, acting, board.participants.get(), rate="200.00")
    assert contract.status == "active"  # the any-country line
    alice = world["alice"]
    with acting(alice):
        actions.confirm_attendance(board.participants.get(), acting_user=alice, attendance="attended")
    _complete(world, acting, board)
    with acting(alice), pytest.raises(ValidationError) as refused:
        governance.pay_honoraria(board, acting_user=alice)
    assert "Grace Hopkins" in str(refused.value)
    assert not TransferOfValue.objects.exists()


def test_rate_card_lines_are_validated(world, acting):
    carla = world["carla"]
    good = {
        "activity": "consulting",
        "hourly_rate": "300.00",
        "currency": "usd",
        "valid_from": "2026-01-01",
    }
    with acting(carla):
        line = governance.save_fmv_rate(None, acting_user=carla, data=good)
        assert line.currency == "USD" and line.tier is None
        for bad, field in (
            ({"tier": 7}, "tier"),
            ({"hourly_rate": "-5"}, "hourly_rate"),
            ({"currency": "EURO"}, "currency"),
            ({"valid_until": "2025-01-01"}, "valid_until"),
            ({"activity": "golf"}, "activity"),
        ):
            with pytest.raises(ValidationError) as refused:
                governance.save_fmv_rate(None, acting_user=carla, data={**good, **bad})
            assert field in refused.value.message_dict
        cap = governance.save_fmv_cap(acting_user=carla, country="", amount="20000", currency="EUR")
        again = governance.save_fmv_cap(acting_user=carla, country="", amount="25000", currency="EUR")
    assert cap.pk == again.pk and FmvCap.objects.get().amount == Decimal("25000.00")


def test_a_portal_link_waits_for_the_approval_too(world, acting, hcp):
    from liaison.programs.models import EventParticipant

    event = _new_board(world, acting)
    with acting(world["alice"]):
        # An advisor on the list from before the rule (legacy data) still gets no portal link.
        legacy = EventParticipant.objects.create(event=event, hcp=hcp, role="advisor")
        with pytest.raises(ValidationError) as refused:
            actions.board.invite_advisor(legacy, acting_user=world["alice"], email="grace@example.org")
    assert "needs assessment" in str(refused.value.message_dict["role"])


def test_a_speaker_of_another_event_is_contracted_and_paid_a_speaker_fee(world, acting, advisor):
    alice, carla = world["alice"], world["carla"]
    with acting(carla):
        governance.save_fmv_rate(
            None,
            acting_user=carla,
            data={
                "activity": "speaking",
                "hourly_rate": "300",
                "currency": "EUR",
                "valid_from": "2020-01-01",
            },
        )
    webinar = _new_board(world, acting, kind="webinar")
    with acting(alice):
        speaker = actions.invite_participant(
            webinar, acting_user=alice, hcp=advisor, role="speaker", invitation="accepted"
        )
        with pytest.raises(ValidationError):
            governance.save_assessment(webinar, acting_user=alice, data=ASSESSMENT)  # boards only
    contract = _contract(world, acting, speaker, hours="2", rate="300.00", activity="speaking")
    assert contract.status == "active" and contract.rate_card.activity == "speaking"
    with acting(alice):
        actions.confirm_attendance(speaker, acting_user=alice, attendance="attended")
    _complete(world, acting, webinar)
    with acting(carla):
        governance.pay_honoraria(webinar, acting_user=carla)
    transfer = TransferOfValue.objects.get()
    assert transfer.nature == "speaker_fee" and transfer.amount == Decimal("600.00")
    assert transfer.recorded_by == carla


# --- cancelling and contracting again -------------------------------------------------------------------------


def test_a_cancelled_contract_is_never_paid_and_new_terms_are_checked_afresh(
    world, acting, board, advisor, card
):
    participant = board.participants.get()
    alice, carla, bob = world["alice"], world["carla"], world["bob"]
    blocked = _contract(world, acting, participant, rate="400.00")
    with acting(carla):
        overridden = governance.override_contract(blocked, acting_user=carla, reason="FMV committee agreed")
    # Another team's MSL may not cancel it; a cancellation needs its reason.
    with acting(bob), pytest.raises(ValidationError):
        governance.cancel_contract(overridden, acting_user=bob, reason="not mine")
    with acting(world["dave"]), pytest.raises(PermissionDenied):
        governance.cancel_contract(overridden, acting_user=world["dave"], reason="commercial")
    with acting(alice):
        with pytest.raises(ValidationError) as refused:
            governance.cancel_contract(overridden, acting_user=alice, reason=" ")
        assert "reason" in refused.value.message_dict
        cancelled = governance.cancel_contract(overridden, acting_user=alice, reason="Terms were wrong")
    assert cancelled.status == "cancelled"
    # Contracted again: the same row with new terms, checked afresh; the earlier override does not carry over.
    again = _contract(world, acting, participant, rate="450.00")
    assert again.pk == cancelled.pk and again.status == "blocked" and again.override_at is None
    with acting(alice):
        governance.cancel_contract(again, acting_user=alice, reason="Advisor withdrew")
        actions.confirm_attendance(participant, acting_user=alice, attendance="attended")
    _complete(world, acting, board)
    with acting(alice):
        payout = governance.pay_honoraria(board, acting_user=alice)
    assert payout.paid == [] and not TransferOfValue.objects.exists()
    with acting(alice), pytest.raises(ValidationError) as twice:
        governance.cancel_contract(AdvisorContract.objects.get(), acting_user=alice, reason="again")
    assert "status" in twice.value.message_dict
