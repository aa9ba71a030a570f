"""The write path of advisory-board governance: the needs assessment and compliance's decision on it, the
fair-market-value rate card and yearly caps, advisor contracts (blocked when off the card or over the cap until
compliance overrides them) and the honoraria they pay into the transfers-of-value ledger.

Like the rest of programs.actions, every function checks the acting user's permission (the matrix, then the
event's row rule), validates its input again and writes in one transaction inside the caller's audit context.
The rules are in docs/programs.md ("Advisory board governance").
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from liaison.accounts.models import User
from liaison.core.context import reason as audit_reason
from liaison.core.permissions import can, require
from liaison.core.validation import clean_choice, clean_text, clean_text_list
from liaison.kol.models import KolScore, Publication
from liaison.people.models import HCP, HCPStatus
from liaison.transparency.actions import record_transfer
from liaison.transparency.models import Nature, SourceKind

from ..models import (
    AdvisorContract,
    AssessmentStatus,
    Attendance,
    BoardPost,
    ContractActivity,
    ContractStatus,
    Event,
    EventKind,
    EventParticipant,
    EventStatus,
    FmvCap,
    FmvRate,
    Invitation,
    NeedsAssessment,
    ParticipantRole,
)
from . import _check_change, _require_open

MAX_QUESTIONS = 30
MAX_CANDIDATES = 40
MAX_ADVISORS = 50
MAX_HOURS = Decimal("200")
MAX_RATE = Decimal("100000")
MAX_CAP = Decimal("10000000")
TOP_TOPICS = 5
# Publications read per candidate to find their topics: enough for a stable top five, bounded for a big author.
TOPIC_SCAN = 300
CENT = Decimal("0.01")

# What the ledger calls each activity's payment (transparency.Nature): an advisory board pays an honorarium,
# speaking a speaker fee, consulting and preparation a consulting fee.
NATURE_OF: dict[str, str] = {
    ContractActivity.ADVISORY_BOARD: Nature.HONORARIUM,
    ContractActivity.SPEAKING: Nature.SPEAKER_FEE,
    ContractActivity.CONSULTING: Nature.CONSULTING_FEE,
    ContractActivity.PREPARATION: Nature.CONSULTING_FEE,
}
# Participants who may hold a contract: advisors of an advisory board, speakers and faculty of other events.
CONTRACT_ROLES: dict[bool, set[str]] = {
    True: {ParticipantRole.ADVISOR},
    False: {ParticipantRole.SPEAKER, ParticipantRole.FACULTY},
}
# Country names people type into an HCP record, as the ISO 3166 codes the ledger and the rate card use. A code
# ("DE") is taken as it is; an unknown name is compared as written.
COUNTRY_CODES = {
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "germany": "DE",
    "deutschland": "DE",
    "france": "FR",
    "spain": "ES",
    "españa": "ES",
    "italy": "IT",
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "netherlands": "NL",
    "belgium": "BE",
    "switzerland": "CH",
    "austria": "AT",
    "sweden": "SE",
    "denmark": "DK",
    "poland": "PL",
    "portugal": "PT",
    "ireland": "IE",
    "canada": "CA",
    "japan": "JP",
    "china": "CN",
    "korea": "KR",
    "south korea": "KR",
    "republic of korea": "KR",
    "taiwan": "TW",
    "hong kong": "HK",
    "singapore": "SG",
    "india": "IN",
    "australia": "AU",
    "new zealand": "NZ",
    "brazil": "BR",
    "mexico": "MX",
    "argentina": "AR",
    "chile": "CL",
    "colombia": "CO",
    "turkey": "TR",
    "greece": "GR",
    "israel": "IL",
    "norway": "NO",
    "finland": "FI",
    "czech republic": "CZ",
    "hungary": "HU",
    "romania": "RO",
    "croatia": "HR",
    "slovenia": "SI",
    "serbia": "RS",
    "luxembourg": "LU",
    "the netherlands": "NL",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "egypt": "EG",
    "iran": "IR",
    "saudi arabia": "SA",
    "south africa": "ZA",
    "russia": "RU",
    "thailand": "TH",
    "malaysia": "MY",
}


def country_code(value: str) -> str:
    """The ISO 3166-1 alpha-2 code of a country as written on a record ("Germany", "DE"), or "" if unknown."""
    text = (value or "").strip()
    if len(text) == 2 and text.isascii() and text.isalpha():
        return text.upper()
    return COUNTRY_CODES.get(text.lower(), "")


def same_country(a: str, b: str) -> bool:
    """Whether two countries as written are the same ("Germany" and "DE" are)."""
    ca, cb = country_code(a), country_code(b)
    if ca and cb:
        return ca == cb
    return (a or "").strip().lower() == (b or "").strip().lower()


def require_approved_assessment(event: Event, role: str) -> None:
    """Advisors join an advisory board only once compliance has approved its needs assessment (called by
    invite_participant, add_walk_in and invite_advisor)."""
    if role != ParticipantRole.ADVISOR or event.kind != EventKind.ADVISORY_BOARD:
        return
    if not NeedsAssessment.objects.filter(event=event, status=AssessmentStatus.APPROVED).exists():
        raise ValidationError(
            {"role": "advisors are invited once compliance has approved the board's needs assessment"}
        )


def _require_board(event: Event) -> None:
    """Only an advisory board has a needs assessment."""
    if event.kind != EventKind.ADVISORY_BOARD:
        raise ValidationError({"__all__": "only an advisory board has a needs assessment"})


def _require_compliance(user: User) -> None:
    """Only compliance (event `approve`) decides assessments, overrides contracts and keeps the rate card."""
    require(user, "event", "approve")


def _decimal(value: Any, name: str, *, maximum: Decimal) -> Decimal:
    """A positive amount with at most two decimals (text or Decimal; not a float, which has lost its cents)."""
    if isinstance(value, bool | float):
        raise ValidationError({name: "must be a number such as 250.00"})
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({name: "must be a number such as 250.00"}) from None
    if not number.is_finite() or number <= 0:
        raise ValidationError({name: "must be more than zero"})
    if number > maximum:
        raise ValidationError({name: f"must be at most {maximum}"})
    if number != number.quantize(CENT):
        raise ValidationError({name: "has more than two decimals"})
    return number.quantize(CENT)


def _currency(value: Any) -> str:
    """A three-letter ISO 4217 code, upper case."""
    code = clean_text(value, "currency", required=True, max_length=3).upper()
    if not (len(code) == 3 and code.isascii() and code.isalpha()):
        raise ValidationError({"currency": "must be a three-letter ISO 4217 code, e.g. EUR"})
    return code


def _date(value: Any, name: str) -> dt.date:
    """A date (or its ISO text) in a plausible year."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError({name: "must be a date (YYYY-MM-DD)"}) from None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValidationError({name: "must be a date (YYYY-MM-DD)"})
    if not 2000 <= value.year <= 2100:
        raise ValidationError({name: "must be between the years 2000 and 2100"})
    return value


def event_day(event: Event) -> dt.date:
    """The day the event starts, in its own time zone: the date the rate card and the cap year are read at."""
    return event.starts_at.astimezone(event.zone).date()


# --- needs assessment -----------------------------------------------------------------------------------------


def kol_profile(hcp: HCP, user: User, event: Event) -> dict[str, Any]:
    """What KOL intelligence says of `hcp`, as `user` may read it: tier, the newest score (the event's therapeutic
    area first, else any area) and the top expertise topics (the major MeSH headings of their publications;
    their specialties when no score links to them)."""
    scores = list(
        KolScore.objects.restrict(user, "view")
        .filter(hcp=hcp)
        .select_related("snapshot__area")
        .order_by("-snapshot__version", "-pk")[:20]
    )
    score = next((s for s in scores if s.snapshot.area_id == event.therapeutic_area_id), None)
    score = score or (scores[0] if scores else None)
    topics: list[str] = []
    if score is not None:
        counts: Counter[str] = Counter()
        every: Counter[str] = Counter()
        for mesh in (
            Publication.objects.restrict(user, "view")
            .filter(authorships__person_id=score.person_id)
            .values_list("mesh", flat=True)[:TOPIC_SCAN]
        ):
            for heading in mesh or []:
                if not isinstance(heading, dict) or not heading.get("name"):
                    continue
                every[heading["name"]] += 1
                if heading.get("major"):
                    counts[heading["name"]] += 1
        topics = [name for name, _ in (counts or every).most_common(TOP_TOPICS)]
    return {
        "hcp": hcp.pk,
        "uuid": str(hcp.uuid),
        "name": hcp.full_name,
        "tier": hcp.tier,
        "specialties": list(hcp.specialties or [])[:5],
        "score": round(score.score, 1) if score is not None else None,
        "rank": score.rank if score is not None else None,
        "area": score.snapshot.area.name if score is not None else "",
        "expertise": topics or list(hcp.specialties or [])[:TOP_TOPICS],
    }


def _clean_candidates(values: Any) -> list[dict[str, Any]]:
    """Proposed advisors (HCP records, resolved by the caller), as {"hcp", "uuid", "name"} until submission."""
    if values in (None, ""):
        return []
    if isinstance(values, str | bytes | dict) or not isinstance(values, Iterable):
        raise ValidationError({"candidates": "must be a list of HCPs"})
    out: dict[int, dict[str, Any]] = {}
    for hcp in values:
        if not isinstance(hcp, HCP):
            raise ValidationError({"candidates": "unknown HCP"})
        if hcp.status == HCPStatus.MERGED:
            raise ValidationError(
                {"candidates": f"{hcp.full_name}'s record was merged; propose the survivor"}
            )
        out.setdefault(hcp.pk, {"hcp": hcp.pk, "uuid": str(hcp.uuid), "name": hcp.full_name})
    if len(out) > MAX_CANDIDATES:
        raise ValidationError({"candidates": f"at most {MAX_CANDIDATES} candidates"})
    return list(out.values())


@transaction.atomic
def save_assessment(event: Event, *, acting_user: User, data: dict[str, Any]) -> NeedsAssessment:
    """Write (or change) the board's needs assessment: `questions` (list), `rationale`, `advisor_count`,
    `advisor_count_rationale`, `selection_criteria`, `candidates` (HCPs proposed as advisors); only the keys
    given change. A draft or a rejected assessment may change (a rejected one goes back to draft); a submitted
    one waits for compliance and an approved one is frozen."""
    _check_change(event, acting_user)
    _require_board(event)
    _require_open(event)
    if not isinstance(data, dict):
        raise ValidationError({"__all__": "assessment data must be an object"})
    known = {"questions", "rationale", "advisor_count", "advisor_count_rationale", "selection_criteria"}
    unknown = set(data) - known - {"candidates"}
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "is not a field of a needs assessment"})
    assessment = NeedsAssessment.objects.select_for_update().filter(event=event).first()
    assessment = assessment or NeedsAssessment(event=event)
    if assessment.status == AssessmentStatus.SUBMITTED:
        raise ValidationError({"status": "the assessment is with compliance; it changes once they decide"})
    if assessment.status == AssessmentStatus.APPROVED:
        raise ValidationError({"status": "an approved assessment no longer changes"})
    if "questions" in data:
        assessment.questions = clean_text_list(
            data["questions"], "questions", max_items=MAX_QUESTIONS, max_length=500
        )
    for name in ("rationale", "advisor_count_rationale", "selection_criteria"):
        if name in data:
            setattr(assessment, name, clean_text(data[name], name, max_length=5000))
    if "advisor_count" in data:
        count = data["advisor_count"]
        if count in (None, ""):
            assessment.advisor_count = None
        else:
            if isinstance(count, str) and count.strip().isdigit():
                count = int(count)
            if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_ADVISORS:
                raise ValidationError({"advisor_count": f"must be a whole number from 1 to {MAX_ADVISORS}"})
            assessment.advisor_count = count
    if "candidates" in data:
        assessment.candidates = _clean_candidates(data["candidates"])
    why = "needs assessment saved"
    if assessment.status == AssessmentStatus.REJECTED:
        assessment.status, why = AssessmentStatus.DRAFT, "needs assessment revised after rejection"
    with audit_reason(why):
        assessment.save()
    return assessment


@transaction.atomic
def submit_assessment(event: Event, *, acting_user: User) -> NeedsAssessment:
    """Send the assessment to compliance. It needs its questions, the rationale and the number of advisors; the
    candidates (those proposed, and the HCPs already on the event) are snapshotted from KOL intelligence."""
    _check_change(event, acting_user)
    _require_board(event)
    _require_open(event)
    assessment = NeedsAssessment.objects.select_for_update().filter(event=event).first()
    if assessment is None:
        raise ValidationError({"__all__": "write the needs assessment first"})
    if assessment.status not in (AssessmentStatus.DRAFT, AssessmentStatus.REJECTED):
        raise ValidationError({"status": f"a {assessment.status} assessment cannot be submitted"})
    missing = {}
    if not assessment.questions:
        missing["questions"] = "list the questions the board must answer"
    if not assessment.rationale:
        missing["rationale"] = "say why outside advice is needed"
    if not assessment.advisor_count:
        missing["advisor_count"] = "say how many advisors are needed"
    if missing:
        raise ValidationError(missing)
    ids = [c["hcp"] for c in assessment.candidates if isinstance(c, dict) and "hcp" in c]
    ids += list(
        EventParticipant.objects.filter(event=event, hcp__isnull=False).values_list("hcp_id", flat=True)
    )
    people = HCP.objects.in_bulk(list(dict.fromkeys(ids)))
    assessment.candidates = [
        kol_profile(people[pk], acting_user, event) for pk in dict.fromkeys(ids) if pk in people
    ]
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_by, assessment.submitted_at = acting_user, timezone.now()
    with audit_reason("needs assessment submitted to compliance"):
        assessment.save()
    return assessment


@transaction.atomic
def decide_assessment(
    assessment: NeedsAssessment, *, acting_user: User, approve: bool, note: str = ""
) -> NeedsAssessment:
    """Compliance approves the submitted assessment (advisors may then be invited) or rejects it with a note
    saying what to change."""
    _require_compliance(acting_user)
    if not Event.objects.restrict(acting_user, "approve").filter(pk=assessment.event_id).exists():
        raise ValidationError({"__all__": "you may not decide on this event"})
    if not isinstance(approve, bool):
        raise ValidationError({"approve": "must be true or false"})
    locked = NeedsAssessment.objects.select_for_update().get(pk=assessment.pk)
    if locked.status != AssessmentStatus.SUBMITTED:
        raise ValidationError(
            {"status": f"only a submitted assessment is decided (this one is {locked.status})"}
        )
    why = clean_text(note, "note", max_length=2000)
    if not approve and not why:
        raise ValidationError({"note": "say why it is rejected and what to change"})
    locked.status = AssessmentStatus.APPROVED if approve else AssessmentStatus.REJECTED
    locked.decided_by, locked.decided_at, locked.decision_note = acting_user, timezone.now(), why
    with audit_reason(f"needs assessment {locked.status}" + (f": {why}" if why else "")):
        locked.save()
    return locked


# --- rate card and caps ---------------------------------------------------------------------------------------


@transaction.atomic
def save_fmv_rate(rate: FmvRate | None, *, acting_user: User, data: dict[str, Any]) -> FmvRate:
    """Add a line to the rate card (or change one, e.g. end it with `valid_until`): `activity`, `tier` (1-4 or
    empty: any), `specialty`, `country` (empty: any), `hourly_rate`, `currency`, `valid_from`, `valid_until`."""
    _require_compliance(acting_user)
    if not isinstance(data, dict):
        raise ValidationError({"__all__": "rate data must be an object"})
    line = rate or FmvRate()
    line.activity = clean_choice(
        data.get("activity", line.activity or None), "activity", ContractActivity.values
    )
    tier = data.get("tier", line.tier)
    if tier in (None, ""):
        line.tier = None
    else:
        if isinstance(tier, str) and tier.strip().isdigit():
            tier = int(tier)
        if isinstance(tier, bool) or not isinstance(tier, int) or not 1 <= tier <= 4:
            raise ValidationError({"tier": "must be a KOL tier from 1 to 4, or empty for any"})
        line.tier = tier
    line.specialty = clean_text(data.get("specialty", line.specialty), "specialty", max_length=120)
    line.country = clean_text(data.get("country", line.country), "country", max_length=80)
    line.hourly_rate = _decimal(data.get("hourly_rate", line.hourly_rate), "hourly_rate", maximum=MAX_RATE)
    line.currency = _currency(data.get("currency", line.currency))
    line.valid_from = _date(data.get("valid_from", line.valid_from), "valid_from")
    until = data.get("valid_until", line.valid_until)
    line.valid_until = None if until in (None, "") else _date(until, "valid_until")
    if line.valid_until is not None and line.valid_until < line.valid_from:
        raise ValidationError({"valid_until": "must not be before valid_from"})
    with audit_reason("rate card line changed" if rate is not None else "rate card line added"):
        line.save()
    return line


@transaction.atomic
def save_fmv_cap(*, acting_user: User, country: str, amount: Any, currency: Any) -> FmvCap:
    """Set the yearly cap per HCP for a country (empty: every country without its own cap), replacing the
    country's earlier cap."""
    _require_compliance(acting_user)
    name = clean_text(country, "country", max_length=80)
    values = {
        "amount": _decimal(amount, "amount", maximum=MAX_CAP),
        "currency": _currency(currency),
    }
    cap = FmvCap.objects.select_for_update().filter(country__iexact=name).first()
    if cap is None:
        return FmvCap.objects.create(country=name, **values)
    for key, value in values.items():
        setattr(cap, key, value)
    with audit_reason("yearly cap changed"):
        cap.save()
    return cap


def find_rate(*, activity: str, hcp: HCP, on: dt.date) -> FmvRate | None:
    """The card's line for this activity, HCP (tier, specialty, country) and day: of the lines valid that day
    whose tier, specialty and country match or are empty, the most specific (most fields set; country before
    specialty before tier on a tie; then the newest `valid_from`)."""
    specialties = {s.strip().lower() for s in hcp.specialties or [] if isinstance(s, str)}
    lines = FmvRate.objects.filter(activity=activity, valid_from__lte=on).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=on)
    )
    matching = [
        line
        for line in lines
        if (line.tier is None or line.tier == hcp.tier)
        and (not line.specialty or line.specialty.strip().lower() in specialties)
        and (not line.country or same_country(line.country, hcp.country))
    ]
    if not matching:
        return None

    def specificity(line: FmvRate) -> tuple[int, bool, bool, bool, dt.date, int]:
        """How specific a matching line is: the number of fields set, then country, specialty, tier, date."""
        given = (bool(line.country), bool(line.specialty), line.tier is not None)
        return (sum(given), *given, line.valid_from, line.pk)

    return max(matching, key=specificity)


def find_cap(hcp: HCP) -> FmvCap | None:
    """The yearly cap of the HCP's country, else the cap for every other country (empty country)."""
    caps = list(FmvCap.objects.all())
    own = next((c for c in caps if c.country and same_country(c.country, hcp.country)), None)
    return own or next((c for c in caps if not c.country), None)


def _card_text(line: FmvRate) -> str:
    """A card line as a problem sentence quotes it: "350.00 EUR/h (tier 1, DE)"."""
    scope = [f"tier {line.tier}" if line.tier else "", line.specialty, line.country]
    where = ", ".join(s for s in scope if s) or "any HCP"
    return f"{line.hourly_rate} {line.currency}/h ({where})"


def contract_problems(
    *,
    participant: EventParticipant,
    activity: str,
    hours: Decimal,
    hourly_rate: Decimal,
    currency: str,
    exclude: AdvisorContract | None = None,
) -> tuple[FmvRate | None, list[str]]:
    """The card's line for the contract and what is wrong with it (human sentences; empty when nothing is):
    no line on the card, another currency than the line's, a rate above it, or a yearly total over the cap."""
    hcp, event = participant.hcp, participant.event
    assert hcp is not None
    day = event_day(event)
    problems = []
    line = find_rate(activity=activity, hcp=hcp, on=day)
    label = ContractActivity(activity).label.lower()
    if line is None:
        problems.append(
            f"The rate card has no rate for {label} for {hcp.full_name} (tier {hcp.tier or 'none'}, "
            f"{hcp.country or 'no country'}) on {day:%Y-%m-%d}."
        )
    elif line.currency != currency:
        problems.append(f"The contract is in {currency} but the card's rate is {_card_text(line)}.")
    elif hourly_rate > line.hourly_rate:
        problems.append(f"The hourly rate {hourly_rate} {currency} is above the card's {_card_text(line)}.")
    cap = find_cap(hcp)
    if cap is not None:
        year = day.year
        others = AdvisorContract.objects.filter(
            participant__hcp=hcp, status__in=(ContractStatus.ACTIVE, ContractStatus.PAID)
        ).select_related("participant__event")
        if exclude is not None:
            others = others.exclude(pk=exclude.pk)
        same_year = [c for c in others if event_day(c.participant.event).year == year]
        foreign = sorted(
            {c.currency for c in same_year if c.currency != cap.currency}
            | ({currency} if currency != cap.currency else set())
        )
        amount = (hours * hourly_rate).quantize(CENT)
        if foreign:
            problems.append(
                f"The yearly cap of {hcp.full_name} is in {cap.currency}; contracts in {', '.join(foreign)} "
                f"cannot be added to it."
            )
        else:
            total = sum((c.amount for c in same_year), Decimal("0")) + amount
            if total > cap.amount:
                problems.append(
                    f"In {year} the contracts of {hcp.full_name} would total {total} {cap.currency}, over the "
                    f"yearly cap of {cap.amount} {cap.currency} ({cap.country or 'any country'})."
                )
    return line, problems


# --- contracts ------------------------------------------------------------------------------------------------


@transaction.atomic
def create_contract(
    participant: EventParticipant,
    *,
    acting_user: User,
    activity: str,
    services: str,
    hours: Any,
    hourly_rate: Any,
    currency: Any,
) -> AdvisorContract:
    """Contract an HCP participant (an advisor of an advisory board; a speaker or faculty member of another
    event) for services, hours and an hourly rate. Checked against the rate card and the HCP's yearly cap: a
    problem blocks the contract (`problems` say why) until compliance overrides it."""
    event = participant.event
    _check_change(event, acting_user)
    _require_open(event)
    if participant.hcp_id is None:
        raise ValidationError({"participant": "only HCPs are contracted; an external person is not"})
    board = event.kind == EventKind.ADVISORY_BOARD
    if participant.role not in CONTRACT_ROLES[board]:
        who = "advisors" if board else "speakers and faculty"
        raise ValidationError({"participant": f"only {who} of this event are contracted"})
    if participant.invitation == Invitation.DECLINED:
        raise ValidationError({"participant": f"{participant.name} declined the invitation"})
    earlier = AdvisorContract.objects.select_for_update().filter(participant=participant).first()
    if earlier is not None and earlier.status != ContractStatus.CANCELLED:
        raise ValidationError({"participant": f"{participant.name} already has a contract for this event"})
    activity = clean_choice(activity, "activity", ContractActivity.values)
    clean_hours = _decimal(hours, "hours", maximum=MAX_HOURS)
    rate = _decimal(hourly_rate, "hourly_rate", maximum=MAX_RATE)
    code = _currency(currency)
    line, problems = contract_problems(
        participant=participant, activity=activity, hours=clean_hours, hourly_rate=rate, currency=code
    )
    terms = {
        "activity": activity,
        "services": clean_text(services, "services", required=True, max_length=2000),
        "hours": clean_hours,
        "hourly_rate": rate,
        "currency": code,
        "rate_card": line,
        "problems": problems,
        "status": ContractStatus.BLOCKED if problems else ContractStatus.ACTIVE,
    }
    if earlier is None:
        return AdvisorContract.objects.create(participant=participant, created_by=acting_user, **terms)
    # A cancelled contract is issued again with the new terms (one contract per participant and event): checked
    # afresh, so an earlier override does not carry over to terms compliance never saw.
    for name, value in terms.items():
        setattr(earlier, name, value)
    earlier.override_by, earlier.override_at, earlier.override_reason = None, None, ""
    earlier.created_by = acting_user
    with audit_reason("contract issued again after its cancellation"):
        earlier.save()
    return earlier


@transaction.atomic
def cancel_contract(contract: AdvisorContract, *, acting_user: User, reason: str) -> AdvisorContract:
    """Cancel a contract not yet paid, saying why (the services are not needed, the terms were wrong ...): the
    event's organisers or compliance. A cancelled contract is never paid; the participant may be contracted
    again with new terms, which are checked afresh."""
    event = contract.participant.event
    if not can(acting_user, "event", "approve"):
        _check_change(event, acting_user)
    elif not AdvisorContract.objects.restrict(acting_user, "approve").filter(pk=contract.pk).exists():
        raise ValidationError({"__all__": "you may not decide on this contract"})
    why = clean_text(reason, "reason", required=True, max_length=2000)
    locked = AdvisorContract.objects.select_for_update().get(pk=contract.pk)
    if locked.status in (ContractStatus.PAID, ContractStatus.CANCELLED):
        raise ValidationError(
            {"status": f"a {locked.get_status_display().lower()} contract cannot be cancelled"}
        )
    locked.status = ContractStatus.CANCELLED
    with audit_reason(f"contract cancelled: {why}"):
        locked.save()
    return locked


@transaction.atomic
def override_contract(contract: AdvisorContract, *, acting_user: User, reason: str) -> AdvisorContract:
    """Compliance lets a blocked contract go ahead, saying why; who, when and why are kept on the contract."""
    _require_compliance(acting_user)
    if not AdvisorContract.objects.restrict(acting_user, "approve").filter(pk=contract.pk).exists():
        raise ValidationError({"__all__": "you may not decide on this contract"})
    why = clean_text(reason, "reason", required=True, max_length=2000)
    locked = AdvisorContract.objects.select_for_update().get(pk=contract.pk)
    if locked.status != ContractStatus.BLOCKED:
        raise ValidationError(
            {"status": f"only a blocked contract is overridden (this one is {locked.status})"}
        )
    locked.status = ContractStatus.ACTIVE
    locked.override_by, locked.override_at, locked.override_reason = acting_user, timezone.now(), why
    with audit_reason(f"compliance override: {why}"):
        locked.save()
    return locked


# --- honoraria ------------------------------------------------------------------------------------------------


@dataclass
class Payout:
    """What `pay_honoraria` did: the contracts it paid now, and those it left unpaid (with the reason in their
    `honorarium_basis`)."""

    paid: list[AdvisorContract] = field(default_factory=list)
    unpaid: list[AdvisorContract] = field(default_factory=list)


def _engagement(contract: AdvisorContract, now: dt.datetime) -> tuple[Decimal, str]:
    """The honorarium and its basis for one contract of a completed event."""
    participant, event = contract.participant, contract.participant.event
    every = list(event.board_questions.all())
    if every:
        questions = [q for q in every if q.is_visible(now)]
        if not questions:
            return Decimal("0.00"), "no board question was opened: nothing to answer"
        answered = set(
            BoardPost.objects.filter(participant=participant, question__in=questions).values_list(
                "question_id", flat=True
            )
        )
        share = Decimal(len(answered)) / Decimal(len(questions))
        amount = (contract.amount * share).quantize(CENT)
        return amount, (
            f"answered {len(answered)} of {len(questions)} board questions: {share:.0%} of "
            f"{contract.amount} {contract.currency}"
        )
    if participant.attendance == Attendance.ATTENDED:
        return contract.amount, (
            f"attended: contracted {contract.hours} h x {contract.hourly_rate} {contract.currency}/h"
        )
    if participant.attendance == Attendance.NO_SHOW:
        return Decimal("0.00"), "did not attend: no honorarium"
    return Decimal("0.00"), "attendance not confirmed: no honorarium until it is"


def _register_ids(hcp: HCP) -> dict[str, str]:
    """The HCP's register identifiers ({"RPPS": ...}) as the ledger snapshots them (the NPI is added there)."""
    ids = hcp.identifiers if isinstance(hcp.identifiers, dict) else {}
    clean = {str(k)[:40]: str(v)[:100] for k, v in ids.items() if isinstance(v, str | int) and str(v)}
    return dict(sorted(clean.items())[:10])


@transaction.atomic
def pay_honoraria(event: Event, *, acting_user: User) -> Payout:
    """Compute each active contract's honorarium once the event is completed and write one transfer of value per
    paid contract (source: the contract). A live event pays the contracted amount to those who attended and
    nothing to a no-show; an asynchronous board (one with board questions) pays the share of its opened
    questions the advisor answered. Blocked and already paid contracts are left alone, so running it again
    writes nothing new. The event's owner and team, or compliance, may run it."""
    if not can(acting_user, "event", "approve"):
        _check_change(event, acting_user)
    elif not Event.objects.restrict(acting_user, "approve").filter(pk=event.pk).exists():
        raise ValidationError({"__all__": "you may not pay this event's honoraria"})
    require(acting_user, "transfer_of_value", "add")
    if event.status != EventStatus.COMPLETED:
        raise ValidationError({"status": "honoraria are paid once the event is completed"})
    contracts = list(
        # Only the contracts are locked: PostgreSQL locks no row on the nullable side of the HCP's outer join.
        AdvisorContract.objects.select_for_update(of=("self",))
        .filter(participant__event=event, status=ContractStatus.ACTIVE, transfer__isnull=True)
        .select_related("participant__hcp")
        .order_by("pk")
    )
    now, today = timezone.now(), timezone.localdate()
    owed = [(contract, *_engagement(contract, now)) for contract in contracts]
    # The ledger needs the recipient's country: refuse the run (nothing written) rather than pay some.
    nowhere = [
        c.participant.name
        for c, amount, _ in owed
        if amount > 0 and c.participant.hcp is not None and not country_code(c.participant.hcp.country)
    ]
    if nowhere:
        raise ValidationError(
            {"__all__": "set the country (ISO code, e.g. DE) on the HCP record of " + ", ".join(nowhere)}
        )
    out = Payout()
    for contract, amount, basis in owed:
        hcp = contract.participant.hcp
        assert hcp is not None
        if amount <= 0:
            if (contract.honorarium, contract.honorarium_basis) != (Decimal("0.00"), basis):
                contract.honorarium, contract.honorarium_basis = Decimal("0.00"), basis
                with audit_reason(f"honorarium not paid: {basis}"):
                    contract.save()
            out.unpaid.append(contract)
            continue
        transfer = record_transfer(
            acting_user=acting_user,
            recipient_hcp=hcp,
            nature=NATURE_OF[contract.activity],
            paid_on=today,
            amount=amount,
            currency=contract.currency,
            country=country_code(hcp.country),
            register_ids=_register_ids(hcp),
            description=f"{contract.services} ({basis})"[:4000],
            source_kind=SourceKind.CONTRACT,
            source_id=contract.uuid,
            source_label=f"{event.title}: {contract.get_activity_display()}"[:300],
        )
        contract.honorarium, contract.honorarium_basis = amount, basis[:300]
        contract.transfer, contract.status = transfer, ContractStatus.PAID
        with audit_reason("honorarium paid into the transfers-of-value ledger"):
            contract.save()
        out.paid.append(contract)
    return out
