"""API schemas for events (XCreate / XUpdate / XRead / XBrief)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from ninja import Field, Schema

from liaison.accounts.schemas import TherapeuticAreaBrief, UserBrief
from liaison.core.api_common import Day, Instant, PageQuery, SearchText, choices_of
from liaison.insights.schemas import ListeningPriorityBrief
from liaison.people.models import ExternalRole
from liaison.people.schemas import ExternalPersonBrief, HCPBrief

from .models import (
    Attendance,
    DocumentKind,
    EventKind,
    EventStatus,
    Invitation,
    ParticipantRole,
    StaffRole,
)


class AgendaItem(Schema):
    time: Annotated[str, Field(max_length=20)] = ""
    title: Annotated[str, Field(max_length=300)]
    speaker: Annotated[str, Field(max_length=200)] = ""


class EventStaffRead(Schema):
    uuid: UUID
    user: UserBrief
    role: str


class EventParticipantRead(Schema):
    uuid: UUID
    hcp: HCPBrief | None
    external_person: ExternalPersonBrief | None
    name: str
    role: str
    invitation: str
    attendance: str
    attendance_confirmed_by: UserBrief | None
    attendance_confirmed_at: dt.datetime | None
    walk_in: bool


class EventDocumentRead(Schema):
    uuid: UUID
    kind: str
    title: str
    reference: str


class EventActionItemRead(Schema):
    uuid: UUID
    title: str
    owner: UserBrief
    due_date: dt.date | None
    done_at: dt.datetime | None


class EventInsightRead(Schema):
    """An insight tagged to the event (the insight itself: GET /insights/{uuid})."""

    uuid: UUID
    text: str
    status: str
    hcp: HCPBrief | None
    listening_priority: ListeningPriorityBrief | None


class EventRead(Schema):
    uuid: UUID
    kind: str
    title: str
    status: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    time_zone: str
    venue: str
    city: str
    country: str
    virtual: bool
    virtual_link: str
    therapeutic_area: TherapeuticAreaBrief
    owner: UserBrief
    objectives: list[str]
    listening_priorities: list[ListeningPriorityBrief]
    agenda: list[AgendaItem]
    budget: Decimal | None
    currency: str
    minutes: str
    report_shared_at: dt.datetime | None
    report_due_days: int | None
    report_recipients: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_listening_priorities(obj: Any) -> list[Any]:
        return list(obj.listening_priorities.all())


class EventCreate(Schema):
    kind: Annotated[str, choices_of(EventKind)]
    title: Annotated[str, Field(max_length=200)]
    starts_at: Instant
    ends_at: Instant
    time_zone: Annotated[str, Field(max_length=64)] = "UTC"
    venue: Annotated[str, Field(max_length=200)] = ""
    city: Annotated[str, Field(max_length=120)] = ""
    country: Annotated[str, Field(max_length=80)] = ""
    virtual: bool = False
    virtual_link: Annotated[str, Field(max_length=500)] = ""
    therapeutic_area: UUID
    owner: UUID | None = Field(None, description="a field colleague; default you")
    objectives: list[Annotated[str, Field(max_length=500)]] = Field([], max_length=20)
    listening_priorities: list[UUID] = Field([], max_length=50)
    agenda: list[AgendaItem] = Field([], max_length=60)
    budget: Decimal | None = Field(None, ge=0, lt=Decimal("10000000000"))
    currency: Annotated[str, Field(max_length=3)] = ""


class EventUpdate(Schema):
    """Only the fields sent change (until the event is completed or cancelled)."""

    kind: Annotated[str, choices_of(EventKind)] | None = None
    title: Annotated[str, Field(max_length=200)] | None = None
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    time_zone: Annotated[str, Field(max_length=64)] | None = None
    venue: Annotated[str, Field(max_length=200)] | None = None
    city: Annotated[str, Field(max_length=120)] | None = None
    country: Annotated[str, Field(max_length=80)] | None = None
    virtual: bool | None = None
    virtual_link: Annotated[str, Field(max_length=500)] | None = None
    therapeutic_area: UUID | None = None
    owner: UUID | None = None
    objectives: list[Annotated[str, Field(max_length=500)]] | None = Field(None, max_length=20)
    listening_priorities: list[UUID] | None = Field(None, max_length=50)
    agenda: list[AgendaItem] | None = Field(None, max_length=60)
    budget: Decimal | None = Field(None, ge=0, lt=Decimal("10000000000"))
    currency: Annotated[str, Field(max_length=3)] | None = None
    reason: Annotated[str, Field(max_length=500)] = ""


class EventStatusChange(Schema):
    status: Annotated[str, choices_of(EventStatus)]
    reason: Annotated[str, Field(max_length=500)] = Field("", description="required to cancel")


class EventFilters(PageQuery):
    when: Annotated[str, Field(pattern="^(upcoming|past)$")] | None = None
    kind: Annotated[str, choices_of(EventKind)] | None = None
    status: Annotated[str, choices_of(EventStatus)] | None = None
    therapeutic_area: UUID | None = None
    owner: UUID | None = None
    q: SearchText | None = None


class EventStaffCreate(Schema):
    user: UUID
    role: Annotated[str, choices_of(StaffRole)]


class EventParticipantCreate(Schema):
    """Exactly one of `hcp` and `external_person`."""

    hcp: UUID | None = None
    external_person: UUID | None = None
    role: Annotated[str, choices_of(ParticipantRole)] = ParticipantRole.ATTENDEE.value
    invitation: Annotated[str, choices_of(Invitation)] = Invitation.INVITED.value


class EventAttendance(Schema):
    participant: UUID
    attendance: Annotated[str, choices_of(Attendance)]


class EventWalkIn(Schema):
    """A known record (`hcp` or `external_person`), or a name: `external_role` empty for an HCP."""

    hcp: UUID | None = None
    external_person: UUID | None = None
    first_name: Annotated[str, Field(max_length=100)] = ""
    last_name: Annotated[str, Field(max_length=100)] = ""
    city: Annotated[str, Field(max_length=120)] = ""
    external_role: Annotated[str, choices_of(ExternalRole)] | None = None
    organization: UUID | None = None
    role: Annotated[str, choices_of(ParticipantRole)] = ParticipantRole.ATTENDEE.value
    create_anyway: bool = Field(False, description="create a new record although similar ones exist")


class EventInsightCreate(Schema):
    text: Annotated[str, Field(max_length=5000)]
    listening_priority: UUID | None = None
    hcp: UUID | None = Field(None, description="a participant of the event")
    product: UUID | None = None
    flag_override_reason: Annotated[str, Field(max_length=500)] = ""


class EventActionItemCreate(Schema):
    title: Annotated[str, Field(max_length=300)]
    owner: UUID | None = Field(None, description="default you")
    due_date: Day | None = None


class EventDocumentCreate(Schema):
    kind: Annotated[str, choices_of(DocumentKind)] = DocumentKind.OTHER.value
    title: Annotated[str, Field(max_length=200)]
    reference: Annotated[str, Field(max_length=500)]


class EventMinutes(Schema):
    minutes: Annotated[str, Field(max_length=20000)]
