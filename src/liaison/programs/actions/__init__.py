"""The write path for events: planning, staff, participants and attendance, walk-ins, and the outputs.

Every function checks the acting user's permission (the matrix, then the event's row rule), validates its input
again (the API, the demo loader and later the CLI call these directly) and writes in one transaction inside the
caller's audit context; the audit rows are written by the models. The rules are in docs/programs.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from liaison.accounts.models import Product, TherapeuticArea, User
from liaison.core.context import reason as audit_reason
from liaison.core.permissions import can, require
from liaison.core.validation import clean_choice, clean_text, clean_text_list
from liaison.insights.actions import create_insight
from liaison.insights.models import ListeningPriority
from liaison.people.actions import create_hcp, find_duplicates, save_external_person
from liaison.people.models import HCP, ExternalPerson, ExternalRole, HCPStatus, Organization

from .. import fields, screening
from ..models import (
    TRANSITIONS,
    Attendance,
    CongressSession,
    DocumentKind,
    Event,
    EventActionItem,
    EventDocument,
    EventInsight,
    EventKind,
    EventParticipant,
    EventStaff,
    EventStatus,
    Invitation,
    ParticipantRole,
    StaffRole,
)

MAX_OBJECTIVES = 20
MAX_AGENDA_ITEMS = 60
MAX_CANDIDATES = 10
# An event lasts at most this long (a congress with its satellite days); longer is a typo in a date.
MAX_DURATION = dt.timedelta(days=31)
EVENT_FIELDS = (
    "kind",
    "title",
    "starts_at",
    "ends_at",
    "time_zone",
    "venue",
    "city",
    "country",
    "virtual",
    "virtual_link",
    "therapeutic_area",
    "owner",
    "objectives",
    "agenda",
    "budget",
    "currency",
    "report_due_days",
    "report_recipients",
)


# --- checks ---------------------------------------------------------------------------------------------------


def _check_change(event: Event, user: User) -> None:
    """The role may change events and this event is one of the user's (own, team's, staffed)."""
    require(user, "event", "change")
    if not Event.objects.restrict(user, "change").filter(pk=event.pk).exists():
        raise ValidationError({"__all__": "you may not change this event"})


def _require_open(event: Event) -> None:
    """Plans (facts, staff, invitations) change until the event is completed or cancelled."""
    if event.status in (EventStatus.COMPLETED, EventStatus.CANCELLED):
        raise ValidationError({"status": f"the event is {event.status}; its plan can no longer change"})


def _require_held(event: Event) -> None:
    """Attendance, walk-ins and insights belong to an event that has started and was not cancelled."""
    if event.status == EventStatus.CANCELLED:
        raise ValidationError({"status": "the event was cancelled"})
    if event.starts_at > timezone.now():
        raise ValidationError({"__all__": "the event has not started yet"})


def _instant(value: Any, name: str) -> dt.datetime:
    """An aware datetime in a plausible year (a naive one would be read in the server's zone)."""
    if not isinstance(value, dt.datetime):
        raise ValidationError({name: "must be a date and time"})
    if timezone.is_naive(value):
        raise ValidationError({name: "must carry a time zone"})
    if not 2000 <= value.year <= 2100:
        raise ValidationError({name: "must be between the years 2000 and 2100"})
    return value


def parse_agenda(value: Any) -> list[dict[str, str]]:
    """The agenda as a list of {"time", "title", "speaker"}: from such dicts, or from lines of text
    "09:00 | Welcome and objectives | Dr Chen" (time and speaker optional)."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [line for line in value.splitlines() if line.strip()]
    if not isinstance(value, list | tuple):
        raise ValidationError({"agenda": "must be a list of items"})
    items = []
    for raw in value:
        if isinstance(raw, str):
            parts = [p.strip() for p in raw.split("|")]
            if len(parts) == 1:
                parts = ["", parts[0], ""]
            parts += [""] * (3 - len(parts))
            raw = {"time": parts[0], "title": parts[1], "speaker": "|".join(parts[2:]).strip("| ")}
        if not isinstance(raw, dict) or set(raw) - {"time", "title", "speaker"}:
            raise ValidationError({"agenda": "each item has a time, a title and a speaker"})
        item = {
            "time": clean_text(raw.get("time", ""), "agenda", max_length=20),
            "title": clean_text(raw.get("title", ""), "agenda", max_length=300),
            "speaker": clean_text(raw.get("speaker", ""), "agenda", max_length=200),
        }
        if not item["title"]:
            raise ValidationError({"agenda": "every agenda item needs a title"})
        items.append(item)
    if len(items) > MAX_AGENDA_ITEMS:
        raise ValidationError({"agenda": f"has more than {MAX_AGENDA_ITEMS} items"})
    return items


def _owner(value: Any) -> User:
    """An active colleague whose role may run events."""
    if not isinstance(value, User) or not value.is_active or not can(value, "event", "change"):
        raise ValidationError({"owner": "must be an active colleague in a field-medical role"})
    return value


def _clean_event(data: dict[str, Any], event: Event | None) -> dict[str, Any]:
    """The event fields present in `data` (all required ones on create), validated together."""
    if not isinstance(data, dict):
        raise ValidationError({"__all__": "event data must be an object"})
    unknown = set(data) - set(EVENT_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "is not a field of an event"})
    creating = event is None

    def given(name: str) -> bool:
        """Whether the field is to be set: sent, or required because the event is being created."""
        return name in data or creating

    out: dict[str, Any] = {}
    if given("kind"):
        out["kind"] = clean_choice(data.get("kind"), "kind", EventKind.values)
    if given("title"):
        out["title"] = clean_text(data.get("title"), "title", required=True, max_length=200)
    for name in ("starts_at", "ends_at"):
        if given(name):
            out[name] = _instant(data.get(name), name)
    starts = out.get("starts_at", getattr(event, "starts_at", None))
    ends = out.get("ends_at", getattr(event, "ends_at", None))
    if starts is not None and ends is not None:
        if ends <= starts:
            raise ValidationError({"ends_at": "must be after the start"})
        if ends - starts > MAX_DURATION:
            raise ValidationError({"ends_at": "an event lasts at most 31 days"})
    if given("time_zone"):
        out["time_zone"] = fields.time_zone(data.get("time_zone") or timezone.get_current_timezone_name())
    for name, limit in (("venue", 200), ("city", 120), ("country", 80)):
        if name in data:
            out[name] = clean_text(data[name], name, max_length=limit)
    if "virtual" in data:
        if not isinstance(data["virtual"], bool):
            raise ValidationError({"virtual": "must be true or false"})
        out["virtual"] = data["virtual"]
    if "virtual_link" in data:
        out["virtual_link"] = fields.meeting_link(data["virtual_link"])
    if given("therapeutic_area"):
        if not isinstance(data.get("therapeutic_area"), TherapeuticArea):
            raise ValidationError({"therapeutic_area": "an event needs its therapeutic area"})
        out["therapeutic_area"] = data["therapeutic_area"]
    if "owner" in data:
        out["owner"] = _owner(data["owner"])
    if "objectives" in data:
        out["objectives"] = clean_text_list(
            data["objectives"], "objectives", max_items=MAX_OBJECTIVES, max_length=500
        )
    if "agenda" in data:
        out["agenda"] = parse_agenda(data["agenda"])
    if "budget" in data or "currency" in data:
        budget = fields.budget(data.get("budget", getattr(event, "budget", None)))
        out["budget"] = budget
        out["currency"] = fields.currency(data.get("currency", getattr(event, "currency", "")), budget)
    out.update(fields.report_delivery(data))
    return out


def _clean_priorities(values: Iterable[Any], area: TherapeuticArea) -> list[ListeningPriority]:
    """Listening priorities of the event's area (resolved by the caller), de-duplicated."""
    if isinstance(values, str | bytes | dict) or not isinstance(values, Iterable):
        raise ValidationError({"listening_priorities": "must be a list of listening priorities"})
    values = list(dict.fromkeys(values))
    for priority in values:
        if not isinstance(priority, ListeningPriority):
            raise ValidationError({"listening_priorities": "unknown listening priority"})
        if priority.therapeutic_area_id != area.pk:
            raise ValidationError(
                {"listening_priorities": f"{priority.title!r} belongs to another therapeutic area"}
            )
    return values


# --- the event ------------------------------------------------------------------------------------------------


@transaction.atomic
def create_event(
    *,
    acting_user: User,
    data: dict[str, Any],
    listening_priorities: Iterable[ListeningPriority] = (),
) -> Event:
    """Plan an event: kind, title, dates, place, area, objectives (tied to listening priorities), agenda and
    budget. The acting user owns it unless `data["owner"]` names another field colleague."""
    require(acting_user, "event", "add")
    values = _clean_event(data, None)
    values.setdefault("owner", acting_user)
    _owner(values["owner"])
    priorities = _clean_priorities(listening_priorities, values["therapeutic_area"])
    event = Event.objects.create(**values)
    if priorities:
        event.listening_priorities.set(priorities)
    return event


@transaction.atomic
def update_event(
    event: Event,
    *,
    acting_user: User,
    data: dict[str, Any],
    listening_priorities: Iterable[ListeningPriority] | None = None,
    reason: str = "",
) -> Event:
    """Change the plan (only the fields given) until the event is completed or cancelled."""
    _check_change(event, acting_user)
    _require_open(event)
    values = _clean_event(data, event)
    for name, value in values.items():
        setattr(event, name, value)
    why = clean_text(reason, "reason", max_length=500) or "event updated"
    with audit_reason(why):
        event.save()
        if listening_priorities is not None:
            event.listening_priorities.set(_clean_priorities(listening_priorities, event.therapeutic_area))
        elif "therapeutic_area" in values:
            # Priorities of the old area no longer answer this event's questions.
            kept = event.listening_priorities.filter(therapeutic_area=event.therapeutic_area)
            event.listening_priorities.set(list(kept))
    return event


def completion_problems(event: Event) -> list[str]:
    """Why the event cannot be completed yet: not started, or accepted participants whose attendance is not
    confirmed (each named)."""
    problems = []
    if event.starts_at > timezone.now():
        problems.append("the event has not started yet")
    pending = [
        p.name
        for p in event.participants.select_related("hcp", "external_person").filter(
            invitation=Invitation.ACCEPTED, attendance=Attendance.UNKNOWN
        )
    ]
    if pending:
        problems.append("confirm the attendance of " + ", ".join(pending[:10]))
    return problems


@transaction.atomic
def change_status(event: Event, *, acting_user: User, status: str, reason: str = "") -> Event:
    """Move the event along planned -> confirmed -> completed (or cancelled; a cancelled one may be planned
    again). Completing needs the event started and attendance confirmed for every accepted participant."""
    _check_change(event, acting_user)
    status = clean_choice(status, "status", EventStatus.values)
    if status not in TRANSITIONS[event.status]:
        allowed = ", ".join(sorted(TRANSITIONS[event.status])) or "none: it is final"
        raise ValidationError(
            {"status": f"a {event.status} event cannot become {status} (allowed: {allowed})"}
        )
    if status == EventStatus.COMPLETED:
        problems = completion_problems(event)
        if problems:
            raise ValidationError({"status": "cannot complete: " + "; ".join(problems)})
    why = clean_text(reason, "reason", max_length=500)
    if status == EventStatus.CANCELLED and not why:
        raise ValidationError({"reason": "say why the event was cancelled"})
    previous = event.status
    event.status = status
    with audit_reason(why or f"{previous} -> {status}"):
        event.save()
    return event


# --- staff ----------------------------------------------------------------------------------------------------


@transaction.atomic
def add_staff(event: Event, *, acting_user: User, user: User | None, role: str) -> EventStaff:
    """Give a colleague a role at the event (organiser, chair, moderator, presenter, note-taker)."""
    _check_change(event, acting_user)
    _require_open(event)
    role = clean_choice(role, "role", StaffRole.values)
    if not isinstance(user, User) or not user.is_active or not can(user, "event", "view"):
        raise ValidationError({"user": "must be an active colleague in a medical role"})
    if EventStaff.objects.filter(event=event, user=user, role=role).exists():
        raise ValidationError({"user": f"{user.display_name} already has this role at the event"})
    return EventStaff.objects.create(event=event, user=user, role=role)


@transaction.atomic
def remove_staff(staff: EventStaff, *, acting_user: User) -> None:
    """Take a colleague's role at the event away."""
    _check_change(staff.event, acting_user)
    _require_open(staff.event)
    with audit_reason("removed from the event's staff"):
        staff.delete()


# --- participants and attendance ------------------------------------------------------------------------------


def _person(hcp: Any, external_person: Any) -> tuple[HCP | None, ExternalPerson | None]:
    """Exactly one of an HCP record and an external person."""
    if (hcp is None) == (external_person is None):
        raise ValidationError({"__all__": "name either an HCP or an external person, not both or neither"})
    if hcp is not None:
        if not isinstance(hcp, HCP):
            raise ValidationError({"hcp": "unknown HCP"})
        if hcp.status == HCPStatus.MERGED:
            raise ValidationError({"hcp": "this HCP record was merged; invite the record it was merged into"})
    if external_person is not None and not isinstance(external_person, ExternalPerson):
        raise ValidationError({"external_person": "unknown external person"})
    return hcp, external_person


def _existing(event: Event, hcp: HCP | None, external: ExternalPerson | None) -> EventParticipant | None:
    """The participant row of this person at the event, if any."""
    rows = EventParticipant.objects.filter(event=event)
    return (rows.filter(hcp=hcp) if hcp is not None else rows.filter(external_person=external)).first()


@transaction.atomic
def invite_participant(
    event: Event,
    *,
    acting_user: User,
    hcp: HCP | None = None,
    external_person: ExternalPerson | None = None,
    role: str = ParticipantRole.ATTENDEE,
    invitation: str = Invitation.INVITED,
) -> EventParticipant:
    """Invite an HCP or an external person (payer, pharmacist, patient advocate ...) in a role."""
    _check_change(event, acting_user)
    _require_open(event)
    hcp, external_person = _person(hcp, external_person)
    role = clean_choice(role, "role", ParticipantRole.values)
    invitation = clean_choice(invitation, "invitation", Invitation.values)
    governance.require_approved_assessment(event, role)
    if _existing(event, hcp, external_person) is not None:
        raise ValidationError({"__all__": "this person is already a participant of the event"})
    return EventParticipant.objects.create(
        event=event, hcp=hcp, external_person=external_person, role=role, invitation=invitation
    )


@transaction.atomic
def answer_invitation(
    participant: EventParticipant, *, acting_user: User, invitation: str
) -> EventParticipant:
    """Record the person's answer (accepted or declined) to the invitation."""
    _check_change(participant.event, acting_user)
    _require_open(participant.event)
    participant.invitation = clean_choice(invitation, "invitation", Invitation.values)
    participant.save()
    return participant


@transaction.atomic
def confirm_attendance(
    participant: EventParticipant, *, acting_user: User, attendance: str
) -> EventParticipant:
    """Confirm whether the person attended (or set it back to unconfirmed), once the event has started.

    Someone who declined but came is recorded as attended; their invitation then reads accepted.
    """
    event = participant.event
    _check_change(event, acting_user)
    _require_held(event)
    participant.attendance = clean_choice(attendance, "attendance", Attendance.values)
    if participant.attendance == Attendance.UNKNOWN:
        participant.attendance_confirmed_by, participant.attendance_confirmed_at = None, None
    else:
        participant.attendance_confirmed_by, participant.attendance_confirmed_at = acting_user, timezone.now()
    if participant.attendance == Attendance.ATTENDED:
        participant.invitation = Invitation.ACCEPTED
    participant.save()
    return participant


@dataclass
class WalkIn:
    """What adding a walk-in did: the participant, or (nothing written) the existing records that look like the
    same person, for the user to pick one of or to confirm a new record with `create_anyway`."""

    participant: EventParticipant | None = None
    candidates: list[HCP | ExternalPerson] = field(default_factory=list)
    created_record: bool = False


def _attend(
    event: Event, user: User, hcp: HCP | None, external: ExternalPerson | None, role: str
) -> EventParticipant:
    """The person attended: an existing participant (the invited came) is confirmed, anyone else is added as a
    walk-in."""
    now = timezone.now()
    participant = _existing(event, hcp, external)
    if participant is None:
        governance.require_approved_assessment(event, role)
        participant = EventParticipant(
            event=event, hcp=hcp, external_person=external, role=role, walk_in=True
        )
    participant.invitation = Invitation.ACCEPTED
    participant.attendance = Attendance.ATTENDED
    participant.attendance_confirmed_by, participant.attendance_confirmed_at = user, now
    participant.save()
    return participant


@transaction.atomic
def add_walk_in(
    event: Event,
    *,
    acting_user: User,
    first_name: str = "",
    last_name: str = "",
    city: str = "",
    external_role: str = "",
    organization: Organization | None = None,
    hcp: HCP | None = None,
    external_person: ExternalPerson | None = None,
    role: str = ParticipantRole.ATTENDEE,
    create_anyway: bool = False,
) -> WalkIn:
    """Someone came who was not invited. Name an existing record (`hcp` or `external_person`) or give the name:
    an HCP (no `external_role`) is matched with the duplicate-aware search of people, and likely duplicates
    come back as candidates with nothing written, unless `create_anyway`; an external person (a payer,
    pharmacist ...) is matched on the name likewise. A new record is created only when nothing matches."""
    _check_change(event, acting_user)
    _require_held(event)
    role = clean_choice(role, "role", ParticipantRole.values)
    if hcp is not None or external_person is not None:
        hcp, external_person = _person(hcp, external_person)
        return WalkIn(participant=_attend(event, acting_user, hcp, external_person, role))
    first = clean_text(first_name, "first_name", required=True, max_length=100)
    last = clean_text(last_name, "last_name", required=True, max_length=100)
    city = clean_text(city, "city", max_length=120)
    external_role = clean_choice(external_role, "external_role", ExternalRole.values, required=False)
    if not isinstance(create_anyway, bool):
        raise ValidationError({"create_anyway": "must be true or false"})
    if not external_role:
        candidates: list[HCP | ExternalPerson] = list(
            find_duplicates(first_name=first, last_name=last, city=city)[:MAX_CANDIDATES]
        )
        if candidates and not create_anyway:
            return WalkIn(candidates=candidates)
        new_hcp = create_hcp(
            acting_user=acting_user,
            data={"first_name": first, "last_name": last, "city": city},
            therapeutic_areas=[event.therapeutic_area],
            allow_duplicate=True,
        )
        return WalkIn(participant=_attend(event, acting_user, new_hcp, None, role), created_record=True)
    if organization is not None and not isinstance(organization, Organization):
        raise ValidationError({"organization": "unknown organisation"})
    same_name = ExternalPerson.objects.filter(first_name__iexact=first, last_name__iexact=last)
    candidates = list(same_name[:MAX_CANDIDATES])
    if candidates and not create_anyway:
        return WalkIn(candidates=candidates)
    person = save_external_person(
        None,
        acting_user=acting_user,
        data={"first_name": first, "last_name": last, "role": external_role, "organization": organization},
    )
    return WalkIn(participant=_attend(event, acting_user, None, person, role), created_record=True)


@transaction.atomic
def remove_participant(participant: EventParticipant, *, acting_user: User) -> None:
    """Take someone off the list before the event (a mistaken invitation); after it, record a no-show."""
    _check_change(participant.event, acting_user)
    _require_open(participant.event)
    if participant.attendance != Attendance.UNKNOWN:
        raise ValidationError({"__all__": "attendance is recorded; set it instead of removing the person"})
    with audit_reason("removed from the participants"):
        participant.delete()


# --- outputs --------------------------------------------------------------------------------------------------


@transaction.atomic
def save_minutes(event: Event, *, acting_user: User, minutes: str) -> Event:
    """Write (or correct) the minutes, once the event has started; changed minutes are screened for AEs."""
    _check_change(event, acting_user)
    _require_held(event)
    text = clean_text(minutes, "minutes")
    changed, event.minutes = text != event.minutes, text
    event.save()
    if changed:
        screening.screen_minutes(event, acting_user)
    return event


@transaction.atomic
def capture_insight(
    event: Event,
    *,
    acting_user: User,
    text: str,
    listening_priority: ListeningPriority | None = None,
    hcp: HCP | None = None,
    product: Product | None = None,
    flag_override_reason: str = "",
    session: CongressSession | None = None,
) -> EventInsight:
    """Capture an insight heard at the event and tag it to the event (and to a `session` of a congress's
    programme; actions/congress.py marks the session covered).

    The insight is created (submitted) by insights' own action in the event's therapeutic area, so it is
    screened for safety, checked for compliance flags and joins review and the insight-to-action loop like any
    other insight. An HCP it is attributed to must be a participant of the event.
    """
    _check_change(event, acting_user)
    _require_held(event)
    if session is not None and (not isinstance(session, CongressSession) or session.event_id != event.pk):
        raise ValidationError({"session": "is not a session of this event"})
    if hcp is not None:
        if not isinstance(hcp, HCP):
            raise ValidationError({"hcp": "unknown HCP"})
        if not EventParticipant.objects.filter(event=event, hcp=hcp).exists():
            raise ValidationError({"hcp": "is not a participant of this event"})
    insight = create_insight(
        acting_user=acting_user,
        text=text,
        therapeutic_area=event.therapeutic_area,
        hcp=hcp,
        listening_priority=listening_priority,
        product=product,
        submit=True,
        flag_override_reason=flag_override_reason,
    )
    return EventInsight.objects.create(event=event, insight=insight, session=session)


@transaction.atomic
def add_action_item(
    event: Event, *, acting_user: User, title: str, owner: User | None = None, due_date: dt.date | None = None
) -> EventActionItem:
    """Record something agreed at the event, for a colleague (default the acting user) to do by a date."""
    _check_change(event, acting_user)
    if event.status == EventStatus.CANCELLED:
        raise ValidationError({"status": "the event was cancelled"})
    owner = owner or acting_user
    if not isinstance(owner, User) or not owner.is_active or not can(owner, "event", "view"):
        raise ValidationError({"owner": "must be an active colleague in a medical role"})
    if due_date is not None and (not isinstance(due_date, dt.date) or isinstance(due_date, dt.datetime)):
        raise ValidationError({"due_date": "must be a date (YYYY-MM-DD)"})
    if due_date is not None and not 2000 <= due_date.year <= 2100:
        raise ValidationError({"due_date": "must be between the years 2000 and 2100"})
    return EventActionItem.objects.create(
        event=event,
        title=clean_text(title, "title", required=True, max_length=300),
        owner=owner,
        due_date=due_date,
    )


@transaction.atomic
def complete_action_item(item: EventActionItem, *, acting_user: User) -> EventActionItem:
    """Mark an action item done (again: a no-op)."""
    _check_change(item.event, acting_user)
    if item.done_at is None:
        item.done_at = timezone.now()
        item.save()
    return item


@transaction.atomic
def add_document(
    event: Event, *, acting_user: User, title: str, reference: str, kind: str = DocumentKind.OTHER
) -> EventDocument:
    """Attach a document by reference: a URL or its id in the document-management system."""
    _check_change(event, acting_user)
    if event.status == EventStatus.CANCELLED:
        raise ValidationError({"status": "the event was cancelled"})
    reference = clean_text(reference, "reference", required=True, max_length=500)
    if reference.lower().startswith(("javascript:", "data:", "vbscript:")):
        raise ValidationError({"reference": "must be a link (http or https) or a document id"})
    return EventDocument.objects.create(
        event=event,
        kind=clean_choice(kind, "kind", DocumentKind.values),
        title=clean_text(title, "title", required=True, max_length=200),
        reference=reference,
    )


@transaction.atomic
def mark_report_shared(event: Event, *, acting_user: User) -> Event:
    """Record that the event report went to the internal stakeholders (a completed event only; once)."""
    _check_change(event, acting_user)
    if event.status != EventStatus.COMPLETED:
        raise ValidationError({"status": "share the report of a completed event"})
    if event.report_shared_at is None:
        event.report_shared_at = timezone.now()
        with audit_reason("event report shared with internal stakeholders"):
            event.save()
    return event


def move_hcp_participations(duplicate: HCP, survivor: HCP) -> None:
    """An HCP merge step (people/extensions.py): the duplicate's event participations move to the survivor,
    audited; where both took part in one event, the survivor's participation stands and the duplicate's stays
    on the merged record (its attendance, contract and posts are not folded into another row)."""
    both = EventParticipant.objects.filter(hcp=survivor).values("event_id")
    for participant in EventParticipant.objects.filter(hcp=duplicate).exclude(event_id__in=both):
        participant.hcp = survivor
        participant.save()


# Advisory-board governance (needs assessment, contracts, honoraria) and the asynchronous board with its portal
# (actions.board) build on the helpers above.
from . import board, governance  # noqa: E402, F401 - submodules, so that `actions.board.x` works after `import actions`
