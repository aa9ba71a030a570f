"""REST endpoints for events; writes go through programs.actions only (docs/programs.md)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpResponse
from ninja import Query, Router, Status

from liaison.accounts.models import Product, TherapeuticArea, User
from liaison.core.api_common import (
    ApiRequest,
    apply_filters,
    limit_offset_page,
    page_of,
    resolve,
    resolve_many,
    responses,
    uuids,
    visible,
)
from liaison.core.models import RestrictQuerySet
from liaison.core.views import get_restricted_or_404
from liaison.insights.models import ListeningPriority
from liaison.people.models import HCP, ExternalPerson, Organization

from . import actions
from .models import Event, EventActionItem, EventParticipant
from .queries import event_report, filter_events
from .report import render_pdf
from .schemas import (
    EventActionItemCreate,
    EventActionItemRead,
    EventAttendance,
    EventCreate,
    EventDocumentCreate,
    EventDocumentRead,
    EventFilters,
    EventInsightCreate,
    EventInsightRead,
    EventMinutes,
    EventParticipantCreate,
    EventParticipantRead,
    EventRead,
    EventStaffCreate,
    EventStaffRead,
    EventStatusChange,
    EventUpdate,
    EventWalkIn,
)

events_router = Router(tags=["events"])


def _events() -> RestrictQuerySet:
    return Event.objects.select_related("owner", "therapeutic_area").prefetch_related("listening_priorities")


def _read(user: User, event: Event) -> Event:
    return get_restricted_or_404(Event, user, event.uuid, queryset=_events())


def _changeable(user: User, uuid: UUID) -> Event:
    return get_restricted_or_404(Event, user, uuid, "change")


def _user(user: User, value: UUID | None, field: str) -> User | None:
    # Colleagues are named by uuid; the "user" resource guards their administration, not their names.
    return resolve(User, user, value, field, queryset=User.objects.filter(is_active=True))


def _area(user: User, value: UUID | None) -> TherapeuticArea | None:
    return resolve(TherapeuticArea, user, value, "therapeutic_area")


def _event_data(user: User, payload: EventCreate | EventUpdate) -> dict[str, Any]:
    data = payload.dict(exclude_unset=True, exclude={"listening_priorities", "reason"})
    if "therapeutic_area" in data:
        data["therapeutic_area"] = _area(user, data["therapeutic_area"])
    if "owner" in data:
        data["owner"] = _user(user, data["owner"], "owner") if data["owner"] else None
        if data["owner"] is None:
            del data["owner"]
    if "agenda" in data and data["agenda"] is not None:
        data["agenda"] = [dict(item) for item in data["agenda"]]
    # A field sent as null means "not changed" on PATCH, as on the other resources.
    return {k: v for k, v in data.items() if v is not None or k == "budget"}


@events_router.get("", response=responses({200: page_of(EventRead)}), operation_id="events_list")
def list_events(request: ApiRequest, filters: Query[EventFilters]) -> Any:
    """Events you may see (your own, your team's, those you staff; oversight: all), latest first; filter by
    `when` (upcoming: soonest first; past), `kind`, `status`, `therapeutic_area`, `owner`, `q`."""
    qs = visible(Event, request.user, queryset=_events())
    qs = filter_events(qs, when=filters.when or "")
    qs = apply_filters(
        qs,
        filters,
        {
            "kind": "kind",
            "status": "status",
            "therapeutic_area": "therapeutic_area__uuid",
            "owner": "owner__uuid",
            "q": "title__icontains",
        },
    )
    return limit_offset_page(qs, filters)


@events_router.post("", response=responses({201: EventRead}), operation_id="events_create")
def create_event(request: ApiRequest, payload: EventCreate) -> Any:
    """Plan an event (kind, title, dates with a time zone, place, area, objectives, agenda, budget)."""
    user = request.user
    visible(Event, user, "add")
    event = actions.create_event(
        acting_user=user,
        data=_event_data(user, payload),
        listening_priorities=resolve_many(
            ListeningPriority, user, payload.listening_priorities, "listening_priorities"
        )
        or [],
    )
    return Status(201, _read(user, event))


@events_router.get("/{uuid}", response=responses({200: EventRead}), operation_id="events_read")
def read_event(request: ApiRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(Event, request.user, uuid, queryset=_events())


@events_router.patch("/{uuid}", response=responses({200: EventRead}), operation_id="events_update")
def update_event(request: ApiRequest, uuid: UUID, payload: EventUpdate) -> Any:
    """Change the plan (only the fields sent) until the event is completed or cancelled."""
    user = request.user
    event = _changeable(user, uuid)
    actions.update_event(
        event,
        acting_user=user,
        data=_event_data(user, payload),
        listening_priorities=resolve_many(
            ListeningPriority, user, payload.listening_priorities, "listening_priorities"
        ),
        reason=payload.reason,
    )
    return _read(user, event)


@events_router.post("/{uuid}/status", response=responses({200: EventRead}), operation_id="events_status")
def change_status(request: ApiRequest, uuid: UUID, payload: EventStatusChange) -> Any:
    """planned -> confirmed -> completed, or cancelled (with a reason). Completing needs attendance confirmed
    for every accepted participant."""
    user = request.user
    event = _changeable(user, uuid)
    actions.change_status(event, acting_user=user, status=payload.status, reason=payload.reason)
    return _read(user, event)


@events_router.get(
    "/{uuid}/staff", response=responses({200: list[EventStaffRead]}), operation_id="events_staff_list"
)
def list_staff(request: ApiRequest, uuid: UUID) -> Any:
    event = get_restricted_or_404(Event, request.user, uuid)
    return list(event.staff.select_related("user"))


@events_router.post(
    "/{uuid}/staff", response=responses({201: EventStaffRead}), operation_id="events_staff_add"
)
def add_staff(request: ApiRequest, uuid: UUID, payload: EventStaffCreate) -> Any:
    """Give a colleague a role: organiser, chair, moderator, presenter, note-taker."""
    user = request.user
    event = _changeable(user, uuid)
    staff = actions.add_staff(
        event, acting_user=user, user=_user(user, payload.user, "user"), role=payload.role
    )
    return Status(201, staff)


def _participants(event: Event) -> Any:
    return event.participants.select_related(
        "hcp", "external_person__organization", "attendance_confirmed_by"
    )


@events_router.get(
    "/{uuid}/participants",
    response=responses({200: list[EventParticipantRead]}),
    operation_id="events_participants_list",
)
def list_participants(request: ApiRequest, uuid: UUID) -> Any:
    event = get_restricted_or_404(Event, request.user, uuid)
    return list(_participants(event))


@events_router.post(
    "/{uuid}/participants",
    response=responses({201: EventParticipantRead}),
    operation_id="events_participants_invite",
)
def invite_participant(request: ApiRequest, uuid: UUID, payload: EventParticipantCreate) -> Any:
    """Invite an HCP (`hcp`) or an external person (`external_person`: payer, pharmacist ...), not both."""
    user = request.user
    event = _changeable(user, uuid)
    participant = actions.invite_participant(
        event,
        acting_user=user,
        hcp=resolve(HCP, user, payload.hcp, "hcp"),
        external_person=resolve(ExternalPerson, user, payload.external_person, "external_person"),
        role=payload.role,
        invitation=payload.invitation,
    )
    return Status(201, _participants(event).get(pk=participant.pk))


@events_router.post(
    "/{uuid}/attendance",
    response=responses({200: EventParticipantRead}),
    operation_id="events_attendance",
)
def confirm_attendance(request: ApiRequest, uuid: UUID, payload: EventAttendance) -> Any:
    """Confirm a participant's attendance (attended, no_show, or unknown to undo), once the event started."""
    user = request.user
    event = _changeable(user, uuid)
    participant = resolve(
        EventParticipant, user, payload.participant, "participant", queryset=event.participants.all()
    )
    actions.confirm_attendance(participant, acting_user=user, attendance=payload.attendance)
    return _participants(event).get(pk=participant.pk)


@events_router.post(
    "/{uuid}/walk-ins",
    response=responses({201: EventParticipantRead}, conflict=True),
    operation_id="events_walk_ins",
)
def add_walk_in(request: ApiRequest, uuid: UUID, payload: EventWalkIn) -> Any:
    """Add someone who came uninvited: a known record, or a name. When records that look like the same person
    exist, nothing is written and a 409 lists them: resend with one of them (`hcp` / `external_person`) or with
    `create_anyway: true`."""
    user = request.user
    event = _changeable(user, uuid)
    result = actions.add_walk_in(
        event,
        acting_user=user,
        hcp=resolve(HCP, user, payload.hcp, "hcp"),
        external_person=resolve(ExternalPerson, user, payload.external_person, "external_person"),
        first_name=payload.first_name,
        last_name=payload.last_name,
        city=payload.city,
        external_role=payload.external_role or "",
        organization=resolve(Organization, user, payload.organization, "organization"),
        role=payload.role,
        create_anyway=payload.create_anyway,
    )
    if result.participant is None:
        return Status(
            409,
            {
                "detail": "records that may be the same person exist; resend naming one of them, or with "
                "create_anyway=true",
                "candidates": uuids(result.candidates),
            },
        )
    return Status(201, _participants(event).get(pk=result.participant.pk))


@events_router.put("/{uuid}/minutes", response=responses({200: EventRead}), operation_id="events_minutes")
def save_minutes(request: ApiRequest, uuid: UUID, payload: EventMinutes) -> Any:
    """Write the minutes (once the event has started)."""
    user = request.user
    event = _changeable(user, uuid)
    actions.save_minutes(event, acting_user=user, minutes=payload.minutes)
    return _read(user, event)


@events_router.get(
    "/{uuid}/insights", response=responses({200: list[EventInsightRead]}), operation_id="events_insights_list"
)
def list_insights(request: ApiRequest, uuid: UUID) -> Any:
    """The insights tagged to the event that you may see."""
    user = request.user
    event = get_restricted_or_404(Event, user, uuid)
    return event_report(event, user).insights


@events_router.post(
    "/{uuid}/insights", response=responses({201: EventInsightRead}), operation_id="events_insights_capture"
)
def capture_insight(request: ApiRequest, uuid: UUID, payload: EventInsightCreate) -> Any:
    """Capture an insight heard at the event: a submitted insight in the event's area (screened, reviewed and
    acted on like any other), tagged to the event."""
    user = request.user
    event = _changeable(user, uuid)
    link = actions.capture_insight(
        event,
        acting_user=user,
        text=payload.text,
        listening_priority=resolve(ListeningPriority, user, payload.listening_priority, "listening_priority"),
        hcp=resolve(HCP, user, payload.hcp, "hcp"),
        product=resolve(Product, user, payload.product, "product"),
        flag_override_reason=payload.flag_override_reason,
    )
    return Status(201, link.insight)


@events_router.get(
    "/{uuid}/action-items",
    response=responses({200: list[EventActionItemRead]}),
    operation_id="events_action_items_list",
)
def list_action_items(request: ApiRequest, uuid: UUID) -> Any:
    event = get_restricted_or_404(Event, request.user, uuid)
    return list(event.action_items.select_related("owner"))


@events_router.post(
    "/{uuid}/action-items",
    response=responses({201: EventActionItemRead}),
    operation_id="events_action_items_add",
)
def add_action_item(request: ApiRequest, uuid: UUID, payload: EventActionItemCreate) -> Any:
    user = request.user
    event = _changeable(user, uuid)
    item = actions.add_action_item(
        event,
        acting_user=user,
        title=payload.title,
        owner=_user(user, payload.owner, "owner"),
        due_date=payload.due_date,
    )
    return Status(201, item)


@events_router.post(
    "/{uuid}/action-items/{item}/done",
    response=responses({200: EventActionItemRead}),
    operation_id="events_action_items_done",
)
def complete_action_item(request: ApiRequest, uuid: UUID, item: UUID) -> Any:
    user = request.user
    event = _changeable(user, uuid)
    row = resolve(EventActionItem, user, item, "item", queryset=event.action_items.all())
    return actions.complete_action_item(row, acting_user=user)


@events_router.get(
    "/{uuid}/documents", response=responses({200: list[EventDocumentRead]}), operation_id="events_documents"
)
def list_documents(request: ApiRequest, uuid: UUID) -> Any:
    event = get_restricted_or_404(Event, request.user, uuid)
    return list(event.documents.all())


@events_router.post(
    "/{uuid}/documents", response=responses({201: EventDocumentRead}), operation_id="events_documents_add"
)
def add_document(request: ApiRequest, uuid: UUID, payload: EventDocumentCreate) -> Any:
    """Attach a document by reference (a URL or a document-management id)."""
    user = request.user
    event = _changeable(user, uuid)
    doc = actions.add_document(
        event, acting_user=user, title=payload.title, reference=payload.reference, kind=payload.kind
    )
    return Status(201, doc)


@events_router.post(
    "/{uuid}/report-shared", response=responses({200: EventRead}), operation_id="events_report_shared"
)
def mark_report_shared(request: ApiRequest, uuid: UUID) -> Any:
    """Record that the report of a completed event went to the internal stakeholders."""
    user = request.user
    event = _changeable(user, uuid)
    actions.mark_report_shared(event, acting_user=user)
    return _read(user, event)


@events_router.get(
    "/{uuid}/report.pdf",
    response=responses({200: None}),
    operation_id="events_report_pdf",
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}}}},
)
def report_pdf(request: ApiRequest, uuid: UUID) -> Any:
    """The event report as a PDF (an internal medical report: names in any script, minutes, insights)."""
    user = request.user
    event = get_restricted_or_404(Event, user, uuid, queryset=_events())
    response = HttpResponse(render_pdf(event_report(event, user)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="event-{event.uuid}.pdf"'
    return response


# Advisory-board governance (needs assessment, contracts, honoraria, rate card) lives in its own module.
from .governance_api import governance_router  # noqa: E402

events_router.add_router("", governance_router)
