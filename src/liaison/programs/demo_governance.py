"""Advisory-board governance in the demo (called from programs/demo.py): needs assessments approved by compliance
before advisors are invited, a fair-market-value rate card with yearly caps, a contract per HCP advisor of the
completed live board (one above the card, blocked and then overridden by compliance) and their honoraria paid
into the transfers-of-value ledger (the no-show advisor is not paid). Everything goes through
programs.actions.governance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

from liaison.accounts.models import User
from liaison.core.roles import Role

from .actions import governance
from .models import AdvisorContract, Event, FmvRate, ParticipantRole

Acting = Callable[[Any], AbstractContextManager[Any]]

# (activity, tier, country, hourly rate, currency): a small card in the shape compliance keeps one.
RATE_CARD = (
    ("advisory_board", None, "", "220.00", "EUR"),
    ("advisory_board", None, "DE", "250.00", "EUR"),
    ("advisory_board", 1, "DE", "350.00", "EUR"),
    ("advisory_board", None, "US", "300.00", "USD"),
    ("advisory_board", 2, "US", "375.00", "USD"),
    ("advisory_board", 1, "US", "450.00", "USD"),
    ("preparation", None, "", "150.00", "EUR"),
    ("preparation", None, "US", "200.00", "USD"),
    ("speaking", None, "US", "400.00", "USD"),
)
CAPS = (("", "20000.00", "EUR"), ("DE", "25000.00", "EUR"), ("US", "60000.00", "USD"))
BOARD_HOURS = Decimal("7")
OVERRIDE_REASON = (
    "Senior author of the national testing guideline the board reviews; the FMV committee approved a premium "
    "of 15% for this engagement (minutes FMV-2026-07)."
)


def compliance_officer() -> User:
    """The demo's compliance officer, who approves assessments, keeps the card and overrides contracts."""
    officer = User.objects.filter(role=Role.COMPLIANCE, is_active=True).order_by("pk").first()
    if officer is None:
        raise RuntimeError("the demo needs an active compliance user to approve advisory boards")
    return officer


def approve_assessment(
    board: Event, *, acting: Acting, owner: Any, candidates: Sequence[Any], questions: Sequence[str]
) -> Any:
    """The board's needs assessment, written and submitted by `owner` and approved by compliance."""
    officer = compliance_officer()
    with acting(owner):
        governance.save_assessment(
            board,
            acting_user=owner,
            data={
                "questions": list(questions),
                "rationale": (
                    "Field insights disagree on where biomarker testing stalls in community practice; the "
                    "published data are from academic centres. Practising oncologists, a payer and a patient "
                    "advocate can tell us what the literature cannot."
                ),
                "advisor_count": len(candidates),
                "advisor_count_rationale": "One advisor per region of the network, plus payer and patient views.",
                "selection_criteria": "Community practice, KOL tier 1-3 in the area, regional spread.",
                "candidates": list(candidates),
            },
        )
        assessment = governance.submit_assessment(board, acting_user=owner)
    with acting(officer):
        return governance.decide_assessment(
            assessment, acting_user=officer, approve=True, note="Need and advisor count justified."
        )


def load_rate_card(*, acting: Acting, today: dt.date) -> None:
    """The rate card (valid from January of last year) and the yearly caps, once (a second load keeps them)."""
    officer = compliance_officer()
    if FmvRate.objects.exists():
        return
    with acting(officer):
        for activity, tier, country, rate, currency in RATE_CARD:
            governance.save_fmv_rate(
                None,
                acting_user=officer,
                data={
                    "activity": activity,
                    "tier": tier,
                    "country": country,
                    "hourly_rate": rate,
                    "currency": currency,
                    "valid_from": dt.date(today.year - 1, 1, 1),
                },
            )
        for country, amount, currency in CAPS:
            governance.save_fmv_cap(acting_user=officer, country=country, amount=amount, currency=currency)


def contract_advisors(board: Event, *, acting: Acting, owner: Any, today: dt.date) -> list[AdvisorContract]:
    """A contract per HCP advisor at the card's rate; the second is at 15% above it, so it is blocked and then
    overridden by compliance with the reason."""
    load_rate_card(acting=acting, today=today)
    officer = compliance_officer()
    contracts = []
    day = governance.event_day(board)
    advisors = board.participants.filter(role=ParticipantRole.ADVISOR, hcp__isnull=False).select_related(
        "hcp"
    )
    with acting(owner):
        for i, participant in enumerate(advisors):
            hcp = participant.hcp
            if hcp is None or not governance.country_code(hcp.country):
                continue
            line = governance.find_rate(activity="advisory_board", hcp=hcp, on=day)
            if line is None:
                continue
            rate = line.hourly_rate * (Decimal("1.15") if i == 1 else 1)
            contracts.append(
                governance.create_contract(
                    participant,
                    acting_user=owner,
                    activity="advisory_board",
                    services="Preparation, one-day advisory board participation and review of the summary",
                    hours=BOARD_HOURS,
                    hourly_rate=rate.quantize(Decimal("0.01")),
                    currency=line.currency,
                )
            )
    with acting(officer):
        for contract in contracts:
            if contract.status == "blocked":
                governance.override_contract(contract, acting_user=officer, reason=OVERRIDE_REASON)
    return contracts


def pay_honoraria(board: Event, *, acting: Acting) -> governance.Payout:
    """Compliance pays the completed board's honoraria into the ledger."""
    officer = compliance_officer()
    with acting(officer):
        return governance.pay_honoraria(board, acting_user=officer)
