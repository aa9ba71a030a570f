"""REST endpoints of advisory-board governance (mounted under /events by programs/api.py): the needs assessment
and compliance's decision, advisor contracts and their override, the honoraria, the fair-market-value rate card
and yearly caps. Writes go through programs.actions.governance only (docs/programs.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from django.http import Http404
from ninja import Field, Router, Schema, Status

from liaison.accounts.schemas import UserBrief
from liaison.core.api_common import ApiRequest, Day, choices_of, resolve, resolve_many, responses, visible
from liaison.core.views import get_restricted_or_404
from liaison.people.models import HCP

from .actions import governance
from .models import (
    AdvisorContract,
    ContractActivity,
    Event,
    EventParticipant,
    FmvCap,
    FmvRate,
    NeedsAssessment,
)

governance_router = Router(tags=["advisory board governance"])

Text = Annotated[str, Field(max_length=5000)]


class NeedsAssessmentRead(Schema):
    uuid: UUID
    status: str
    questions: list[str]
    rationale: str
    advisor_count: int | None
    advisor_count_rationale: str
    selection_criteria: str
    candidates: list[dict[str, Any]]
    submitted_by: UserBrief | None
    submitted_at: dt.datetime | None
    decided_by: UserBrief | None
    decided_at: dt.datetime | None
    decision_note: str


class NeedsAssessmentSave(Schema):
    """Only the fields sent change; `candidates` are the uuids of the HCPs proposed as advisors."""

    questions: list[Annotated[str, Field(max_length=500)]] | None = Field(None, max_length=30)
    rationale: Text | None = None
    advisor_count: int | None = Field(None, ge=1, le=50)
    advisor_count_rationale: Text | None = None
    selection_criteria: Text | None = None
    candidates: list[UUID] | None = Field(None, max_length=40)


class NeedsAssessmentDecision(Schema):
    approve: bool
    note: Annotated[str, Field(max_length=2000)] = ""


class FmvRateRead(Schema):
    uuid: UUID
    activity: str
    tier: int | None
    specialty: str
    country: str
    hourly_rate: Decimal
    currency: str
    valid_from: dt.date
    valid_until: dt.date | None


class FmvRateCreate(Schema):
    activity: Annotated[str, choices_of(ContractActivity)]
    tier: int | None = Field(None, ge=1, le=4)
    specialty: Annotated[str, Field(max_length=120)] = ""
    country: Annotated[str, Field(max_length=80)] = ""
    hourly_rate: Decimal = Field(gt=0, max_digits=10, decimal_places=2)
    currency: Annotated[str, Field(min_length=3, max_length=3)]
    valid_from: Day
    valid_until: Day | None = None


class FmvCapRead(Schema):
    uuid: UUID
    country: str
    amount: Decimal
    currency: str


class FmvCapSave(Schema):
    country: Annotated[str, Field(max_length=80)] = ""
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    currency: Annotated[str, Field(min_length=3, max_length=3)]


class AdvisorContractRead(Schema):
    uuid: UUID
    participant: UUID
    name: str
    activity: str
    services: str
    hours: Decimal
    hourly_rate: Decimal
    currency: str
    amount: Decimal
    rate_card: FmvRateRead | None
    problems: list[str]
    status: str
    override_by: UserBrief | None
    override_at: dt.datetime | None
    override_reason: str
    honorarium: Decimal | None
    honorarium_basis: str
    transfer: UUID | None

    @staticmethod
    def resolve_participant(obj: AdvisorContract) -> UUID:
        return obj.participant.uuid

    @staticmethod
    def resolve_name(obj: AdvisorContract) -> str:
        return obj.participant.name

    @staticmethod
    def resolve_transfer(obj: AdvisorContract) -> UUID | None:
        return obj.transfer.uuid if obj.transfer is not None else None


class AdvisorContractCreate(Schema):
    participant: UUID
    activity: Annotated[str, choices_of(ContractActivity)] = ContractActivity.ADVISORY_BOARD
    services: Annotated[str, Field(min_length=1, max_length=2000)]
    hours: Decimal = Field(gt=0, max_digits=6, decimal_places=2)
    hourly_rate: Decimal = Field(gt=0, max_digits=10, decimal_places=2)
    currency: Annotated[str, Field(min_length=3, max_length=3)]


class ContractOverride(Schema):
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class PayoutRead(Schema):
    paid: list[AdvisorContractRead]
    unpaid: list[AdvisorContractRead]


def _assessment(event: Event) -> NeedsAssessment:
    """The event's assessment, or 404 while none is written."""
    found = NeedsAssessment.objects.filter(event=event).select_related("submitted_by", "decided_by").first()
    if found is None:
        raise Http404("Not found")
    return found


def _contracts(event: Event) -> Any:
    return AdvisorContract.objects.filter(participant__event=event).select_related(
        "participant__hcp", "participant__external_person", "rate_card", "override_by", "transfer"
    )


# --- needs assessment -----------------------------------------------------------------------------------------


@governance_router.get(
    "/{uuid}/needs-assessment",
    response=responses({200: NeedsAssessmentRead}),
    operation_id="events_needs_assessment_read",
)
def read_assessment(request: ApiRequest, uuid: UUID) -> Any:
    """The advisory board's needs assessment (404 until one is written)."""
    return _assessment(get_restricted_or_404(Event, request.user, uuid))


@governance_router.put(
    "/{uuid}/needs-assessment",
    response=responses({200: NeedsAssessmentRead}),
    operation_id="events_needs_assessment_save",
)
def save_assessment(request: ApiRequest, uuid: UUID, payload: NeedsAssessmentSave) -> Any:
    """Write or change the draft (or rejected) assessment; only the fields sent change."""
    user = request.user
    event = get_restricted_or_404(Event, user, uuid, "change")
    data = {
        k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None or k == "advisor_count"
    }
    if "candidates" in data:
        data["candidates"] = resolve_many(HCP, user, data["candidates"], "candidates")
    governance.save_assessment(event, acting_user=user, data=data)
    return _assessment(event)


@governance_router.post(
    "/{uuid}/needs-assessment/submit",
    response=responses({200: NeedsAssessmentRead}),
    operation_id="events_needs_assessment_submit",
)
def submit_assessment(request: ApiRequest, uuid: UUID) -> Any:
    """Send the assessment to compliance; the candidates are snapshotted from KOL intelligence."""
    user = request.user
    event = get_restricted_or_404(Event, user, uuid, "change")
    governance.submit_assessment(event, acting_user=user)
    return _assessment(event)


@governance_router.post(
    "/{uuid}/needs-assessment/decision",
    response=responses({200: NeedsAssessmentRead}),
    operation_id="events_needs_assessment_decide",
)
def decide_assessment(request: ApiRequest, uuid: UUID, payload: NeedsAssessmentDecision) -> Any:
    """Compliance approves the submitted assessment or rejects it (a note is then required)."""
    user = request.user
    event = get_restricted_or_404(Event, user, uuid, "approve")
    governance.decide_assessment(
        _assessment(event), acting_user=user, approve=payload.approve, note=payload.note
    )
    return _assessment(event)


# --- contracts and honoraria ----------------------------------------------------------------------------------


@governance_router.get(
    "/{uuid}/contracts",
    response=responses({200: list[AdvisorContractRead]}),
    operation_id="events_contracts_list",
)
def list_contracts(request: ApiRequest, uuid: UUID) -> Any:
    """The event's advisor contracts, with their problems, override and honorarium."""
    event = get_restricted_or_404(Event, request.user, uuid)
    return list(_contracts(event))


@governance_router.post(
    "/{uuid}/contracts",
    response=responses({201: AdvisorContractRead}),
    operation_id="events_contracts_create",
)
def create_contract(request: ApiRequest, uuid: UUID, payload: AdvisorContractCreate) -> Any:
    """Contract an HCP advisor (a speaker or faculty member of another event). Off the rate card or over the
    HCP's yearly cap, the contract is created blocked, with its `problems`."""
    user = request.user
    event = get_restricted_or_404(Event, user, uuid, "change")
    participant = resolve(
        EventParticipant,
        user,
        payload.participant,
        "participant",
        queryset=event.participants.select_related("hcp", "event"),
    )
    contract = governance.create_contract(
        participant,
        acting_user=user,
        activity=payload.activity,
        services=payload.services,
        hours=payload.hours,
        hourly_rate=payload.hourly_rate,
        currency=payload.currency,
    )
    return Status(201, _contracts(event).get(pk=contract.pk))


@governance_router.post(
    "/{uuid}/contracts/{contract}/override",
    response=responses({200: AdvisorContractRead}),
    operation_id="events_contracts_override",
)
def override_contract(request: ApiRequest, uuid: UUID, contract: UUID, payload: ContractOverride) -> Any:
    """Compliance lets a blocked contract go ahead, with the reason."""
    user = request.user
    event = get_restricted_or_404(Event, user, uuid, "approve")
    found = get_restricted_or_404(
        AdvisorContract,
        user,
        contract,
        "approve",
        queryset=AdvisorContract.objects.filter(participant__event=event),
    )
    governance.override_contract(found, acting_user=user, reason=payload.reason)
    return _contracts(event).get(pk=found.pk)


@governance_router.post(
    "/{uuid}/contracts/{contract}/cancel",
    response=responses({200: AdvisorContractRead}),
    operation_id="events_contracts_cancel",
)
def cancel_contract(request: ApiRequest, uuid: UUID, contract: UUID, payload: ContractOverride) -> Any:
    """Cancel a contract not yet paid, with the reason (the event's organisers or compliance); the participant
    may then be contracted again with new terms (`POST /{uuid}/contracts`), checked afresh."""
    user = request.user
    event = get_restricted_or_404(Event, user, uuid)
    found = get_restricted_or_404(
        AdvisorContract, user, contract, queryset=AdvisorContract.objects.filter(participant__event=event)
    )
    governance.cancel_contract(found, acting_user=user, reason=payload.reason)
    return _contracts(event).get(pk=found.pk)


@governance_router.post(
    "/{uuid}/honoraria",
    response=responses({200: PayoutRead}),
    operation_id="events_honoraria_pay",
)
def pay_honoraria(request: ApiRequest, uuid: UUID) -> Any:
    """Pay the completed event's honoraria into the transfers-of-value ledger (again: nothing new is written)."""
    user = request.user
    event = get_restricted_or_404(Event, user, uuid)
    payout = governance.pay_honoraria(event, acting_user=user)
    rows = {c.pk: c for c in _contracts(event)}
    return {"paid": [rows[c.pk] for c in payout.paid], "unpaid": [rows[c.pk] for c in payout.unpaid]}


# --- rate card and caps ---------------------------------------------------------------------------------------


@governance_router.get(
    "/rate-card/rates", response=responses({200: list[FmvRateRead]}), operation_id="events_fmv_rates_list"
)
def list_rates(request: ApiRequest) -> Any:
    """The fair-market-value rate card, every line (ended ones included), by activity."""
    return list(visible(FmvRate, request.user))


@governance_router.post(
    "/rate-card/rates", response=responses({201: FmvRateRead}), operation_id="events_fmv_rates_create"
)
def create_rate(request: ApiRequest, payload: FmvRateCreate) -> Any:
    """Add a line to the rate card (compliance)."""
    rate = governance.save_fmv_rate(None, acting_user=request.user, data=payload.dict())
    return Status(201, rate)


@governance_router.get(
    "/rate-card/caps", response=responses({200: list[FmvCapRead]}), operation_id="events_fmv_caps_list"
)
def list_caps(request: ApiRequest) -> Any:
    """The yearly caps per HCP, by country (empty: every other country)."""
    return list(visible(FmvCap, request.user))


@governance_router.put(
    "/rate-card/caps", response=responses({200: FmvCapRead}), operation_id="events_fmv_caps_save"
)
def save_cap(request: ApiRequest, payload: FmvCapSave) -> Any:
    """Set a country's yearly cap (compliance), replacing the earlier one."""
    return governance.save_fmv_cap(
        acting_user=request.user, country=payload.country, amount=payload.amount, currency=payload.currency
    )
