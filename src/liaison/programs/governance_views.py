"""Advisory-board governance pages: an event's needs assessment, advisor contracts and honoraria (mounted at
/events/<uuid>/governance/), and the fair-market-value rate card with the yearly caps (/events/rate-card/).

Everyone who may see the event reads its page; the field team writes the assessment and the contracts, and
compliance decides the assessment, overrides blocked contracts and keeps the rate card. Writes go through
programs.actions.governance, which checks every permission again; a refused form re-renders the page with the
message next to its field (422).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liaison.accounts.models import User
from liaison.core.permissions import can, require
from liaison.core.validation import error_messages
from liaison.core.views import AuthenticatedRequest, get_restricted_or_404
from liaison.people.models import HCP, HCPStatus

from .actions import governance
from .models import (
    AdvisorContract,
    AssessmentStatus,
    ContractActivity,
    ContractStatus,
    Event,
    EventKind,
    EventStatus,
    FmvCap,
    FmvRate,
    NeedsAssessment,
)

# How many HCPs of the event's area the candidate picker lists (the best-tiered first).
CANDIDATE_CHOICES = 300
Errors = dict[str, dict[str, list[str]]]


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    """The refusal's messages by field; those of the form as a whole under "general" (templates cannot read
    "__all__")."""
    return {("general" if k == "__all__" else k): v for k, v in error_messages(exc).items()}


def _uuid(value: str | None) -> uuid.UUID | None:
    """A form's uuid value, or None when it is missing or not a uuid (which then finds nothing: 404)."""
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


def _may_change(user: User, event: Event) -> bool:
    return (
        can(user, "event", "change") and Event.objects.restrict(user, "change").filter(pk=event.pk).exists()
    )


def governance_page(
    request: AuthenticatedRequest, event: Event, errors: Errors | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    assessment = (
        NeedsAssessment.objects.filter(event=event).select_related("submitted_by", "decided_by").first()
    )
    contracts = list(
        AdvisorContract.objects.restrict(user, "view")
        .filter(participant__event=event)
        .select_related("participant__hcp", "rate_card", "override_by", "transfer")
    )
    may_change = _may_change(user, event)
    board = event.kind == EventKind.ADVISORY_BOARD
    roles = governance.CONTRACT_ROLES[board]
    contracted = {c.participant_id for c in contracts}
    eligible = [
        p
        for p in event.participants.filter(hcp__isnull=False, role__in=roles).select_related("hcp")
        if p.pk not in contracted
    ]
    editable = assessment is None or assessment.status in (AssessmentStatus.DRAFT, AssessmentStatus.REJECTED)
    candidates: list[HCP] = []
    if board and may_change and editable:
        candidates = list(
            HCP.objects.restrict(user, "view")
            .filter(therapeutic_areas=event.therapeutic_area, status=HCPStatus.ACTIVE)
            .order_by("tier", "last_name", "first_name")[:CANDIDATE_CHOICES]
        )
    proposed = {c.get("hcp") for c in (assessment.candidates if assessment else []) if isinstance(c, dict)}
    context = {
        "event": event,
        "board": board,
        "assessment": assessment,
        "editable": editable,
        "may_change": may_change,
        "is_open": event.status not in (EventStatus.COMPLETED, EventStatus.CANCELLED),
        "is_compliance": can(user, "event", "approve"),
        "may_pay": event.status == EventStatus.COMPLETED
        and can(user, "transfer_of_value", "add")
        and (may_change or can(user, "event", "approve")),
        "contracts": contracts,
        "eligible": eligible,
        "candidate_choices": [(h, h.pk in proposed) for h in candidates],
        "activities": ContractActivity.choices,
        "default_currency": event.currency or "EUR",
        "errors": errors or {},
    }
    return render(request, "programs/governance.html", context, status=status)


@login_required
@require_GET
def event_governance(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """The event's needs assessment (advisory boards), contracts and honoraria."""
    return governance_page(request, get_restricted_or_404(Event, request.user, uuid))


def _assessment_data(post: Any, user: User) -> dict[str, Any]:
    ids = [v for v in post.getlist("candidates") if v]
    hcps = {str(h.uuid): h for h in HCP.objects.restrict(user, "view").filter(uuid__in=ids)}
    if len(hcps) != len(set(ids)):
        raise ValidationError({"candidates": "unknown HCP"})
    return {
        "questions": [line.strip() for line in post.get("questions", "").splitlines() if line.strip()],
        "rationale": post.get("rationale", ""),
        "advisor_count": post.get("advisor_count", "").strip() or None,
        "advisor_count_rationale": post.get("advisor_count_rationale", ""),
        "selection_criteria": post.get("selection_criteria", ""),
        "candidates": list(hcps.values()),
    }


@login_required
@require_POST
def governance_post(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """One of the page's forms, by its `form` field: assessment, submit, decide, contract, override, cancel,
    pay."""
    user = request.user
    event: Event = get_restricted_or_404(Event, user, uuid)
    data = request.POST
    form = data.get("form", "")
    try:
        if form == "assessment":
            governance.save_assessment(event, acting_user=user, data=_assessment_data(data, user))
            done = "Needs assessment saved."
        elif form == "submit":
            governance.submit_assessment(event, acting_user=user)
            done = "Needs assessment submitted to compliance."
        elif form == "decide":
            require(user, "event", "approve")
            assessment = get_object_or_404(NeedsAssessment, event=event)
            approve = data.get("decision") == "approve"
            if data.get("decision") not in ("approve", "reject"):
                raise ValidationError({"decision": "choose approve or reject"})
            governance.decide_assessment(
                assessment, acting_user=user, approve=approve, note=data.get("note", "")
            )
            done = "Needs assessment approved." if approve else "Needs assessment rejected."
        elif form == "contract":
            picked = _uuid(data.get("participant"))
            participant = event.participants.filter(uuid=picked).first() if picked else None
            if participant is None:
                raise ValidationError({"participant": "choose a participant"})
            contract = governance.create_contract(
                participant,
                acting_user=user,
                activity=data.get("activity", ""),
                services=data.get("services", ""),
                hours=data.get("hours", ""),
                hourly_rate=data.get("hourly_rate", ""),
                currency=data.get("currency", ""),
            )
            done = (
                "Contract blocked: it needs a compliance override."
                if contract.status == ContractStatus.BLOCKED
                else "Contract created."
            )
        elif form == "override":
            require(user, "event", "approve")
            contract = get_object_or_404(
                AdvisorContract.objects.restrict(user, "approve").filter(participant__event=event),
                uuid=_uuid(data.get("contract")),
            )
            governance.override_contract(contract, acting_user=user, reason=data.get("reason", ""))
            done = "Contract overridden: it is active."
        elif form == "cancel":
            contract = get_object_or_404(
                AdvisorContract.objects.restrict(user, "view").filter(participant__event=event),
                uuid=_uuid(data.get("contract")),
            )
            governance.cancel_contract(contract, acting_user=user, reason=data.get("reason", ""))
            done = "Contract cancelled: it will not be paid; the advisor may be contracted again."
        elif form == "pay":
            payout = governance.pay_honoraria(event, acting_user=user)
            done = f"{len(payout.paid)} honoraria paid into the ledger; {len(payout.unpaid)} not paid."
        else:
            raise Http404("no such form")
    except ValidationError as exc:
        return governance_page(request, event, {form: _errors(exc)}, status=422)
    messages.success(request, done)
    return redirect(reverse("programs:governance", kwargs={"uuid": event.uuid}))


@login_required
@require_http_methods(["GET", "POST"])
def rate_card(request: AuthenticatedRequest) -> HttpResponse:
    """The fair-market-value rate card and the yearly caps; compliance adds lines and sets caps here."""
    user = request.user
    require(user, "event", "view")
    errors: Errors = {}
    status = 200
    if request.method == "POST":
        require(user, "event", "approve")
        data = request.POST
        form = data.get("form", "")
        try:
            if form == "rate":
                governance.save_fmv_rate(
                    None,
                    acting_user=user,
                    data={
                        name: data.get(name, "")
                        for name in (
                            "activity",
                            "tier",
                            "specialty",
                            "country",
                            "hourly_rate",
                            "currency",
                            "valid_from",
                            "valid_until",
                        )
                    },
                )
                done = "Rate card line added."
            elif form == "end":
                line = get_object_or_404(FmvRate, uuid=_uuid(data.get("rate")))
                governance.save_fmv_rate(
                    line, acting_user=user, data={"valid_until": data.get("valid_until", "")}
                )
                done = "Rate card line changed."
            elif form == "cap":
                governance.save_fmv_cap(
                    acting_user=user,
                    country=data.get("country", ""),
                    amount=data.get("amount", ""),
                    currency=data.get("currency", ""),
                )
                done = "Yearly cap saved."
            else:
                raise Http404("no such form")
        except ValidationError as exc:
            errors, status = {form: _errors(exc)}, 422
        else:
            messages.success(request, done)
            return redirect(reverse("programs:rate_card"))
    context = {
        "rates": list(FmvRate.objects.restrict(user, "view")),
        "caps": list(FmvCap.objects.restrict(user, "view")),
        "is_compliance": can(user, "event", "approve"),
        "activities": ContractActivity.choices,
        "errors": errors,
        "posted": request.POST if errors else {},
    }
    return render(request, "programs/rate_card.html", context, status=status)
