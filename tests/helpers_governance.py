"""Advisory-board governance in test set-ups: advisors are invited only once compliance has approved the board's
needs assessment (docs/programs.md), so fixtures that invite advisors approve one first."""

from __future__ import annotations

from typing import Any


def approve_needs_assessment(event: Any, *, compliance: Any, acting: Any, author: Any = None) -> Any:
    """Write and submit the board's needs assessment as `author` (default: the event's owner), then approve it
    as `compliance`; returns the approved assessment."""
    from liaison.programs.actions import governance

    author = author or event.owner
    with acting(author):
        governance.save_assessment(
            event,
            acting_user=author,
            data={
                "questions": ["Where does biomarker testing stall in community practice?"],
                "rationale": "Field insights disagree on the causes of testing delays; we need practising experts.",
                "advisor_count": 6,
            },
        )
        assessment = governance.submit_assessment(event, acting_user=author)
    with acting(compliance):
        return governance.decide_assessment(assessment, acting_user=compliance, approve=True)


def contract_participant(participant: Any, *, compliance: Any, acting: Any, author: Any = None) -> Any:
    """A rate-card line and a yearly cap (kept by `compliance`) and a contract for `participant` at 10% above the
    card, so it is blocked; returns the contract."""
    from liaison.programs.actions import governance

    event = participant.event
    author = author or event.owner
    with acting(compliance):
        governance.save_fmv_rate(
            None,
            acting_user=compliance,
            data={
                "activity": "advisory_board",
                "hourly_rate": "250.00",
                "currency": "EUR",
                "valid_from": "2020-01-01",
            },
        )
        governance.save_fmv_cap(acting_user=compliance, country="", amount="20000.00", currency="EUR")
    with acting(author):
        return governance.create_contract(
            participant,
            acting_user=author,
            activity="advisory_board",
            services="Preparation and one-day advisory board",
            hours="6",
            hourly_rate="275.00",
            currency="EUR",
        )
