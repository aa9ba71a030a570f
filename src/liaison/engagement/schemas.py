"""API schemas for interactions, follow-ups and HCP feedback (Dispatch style: XCreate / XUpdate / XRead / XBrief)."""

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from ninja import Field, Schema

from liaison.accounts.schemas import ProductBrief, TherapeuticAreaBrief, UserBrief
from liaison.core.api_common import LONG_TEXT, Day, Instant, PageQuery, choices_of
from liaison.people.models import Channel
from liaison.people.schemas import ExternalPersonBrief, HCPBrief

from .models import AEAttestation, FeedbackSource, FollowUpStatus, Initiation, InteractionStatus, Purpose


class SafetyReportRef(Schema):
    """A safety report raised from a record, as its reporter sees it in the record."""

    uuid: UUID
    status: str
    trigger: str
    day_zero: dt.datetime


class ComplianceFlagRead(Schema):
    """A compliance flag the author saved past: what was flagged, where, and why it is a flag."""

    kind: str = Field(description="superlative, comparative, promotional or off_label")
    field: str
    start: int
    end: int
    text: str
    message: str


class InteractionBrief(Schema):
    uuid: UUID
    occurred_at: dt.datetime
    channel: str
    status: str


class InteractionRead(Schema):
    uuid: UUID
    owner: UserBrief
    attendees: list[HCPBrief]
    external_attendees: list[ExternalPersonBrief] = Field(
        description="attendees who are not HCP records: payers, pharmacists, patient advocates ..."
    )
    occurred_at: dt.datetime
    duration_minutes: int
    channel: str
    purpose: str
    therapeutic_area: TherapeuticAreaBrief | None
    topics: list[str]
    products: list[ProductBrief]
    materials_shared: str
    notes: str
    initiation: str
    ae_attestation: str
    status: str
    submitted_at: dt.datetime | None
    compliance_flags: list[ComplianceFlagRead] = Field(
        description="flags in the notes that the author overrode (empty when none remained)"
    )
    flag_override_reason: str
    safety_reports: list[SafetyReportRef] = Field(
        description="safety reports raised from this interaction that you may see"
    )
    insights: list[UUID] = Field(description="insights captured on this interaction that you may see")
    follow_ups: list[UUID] = Field(description="follow-ups of this interaction that you may see")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_attendees(obj: Any) -> list[Any]:
        return [a.hcp for a in obj.attendance.all()]

    @staticmethod
    def resolve_external_attendees(obj: Any) -> list[Any]:
        return list(obj.external_attendees.all())

    @staticmethod
    def resolve_products(obj: Any) -> list[Any]:
        return list(obj.products.all())

    @staticmethod
    def resolve_safety_reports(obj: Any) -> list[Any]:
        return list(getattr(obj, "visible_safety_reports", []))

    @staticmethod
    def resolve_insights(obj: Any) -> list[UUID]:
        return [i.uuid for i in getattr(obj, "visible_insights", [])]

    @staticmethod
    def resolve_follow_ups(obj: Any) -> list[UUID]:
        return [f.uuid for f in getattr(obj, "visible_follow_ups", [])]


class InlineInsight(Schema):
    """An insight captured with the interaction; area defaults to the interaction's, HCP to the sole attendee
    (with several and none given, the insight is about the meeting and shows in each attendee's brief), product
    to the only product discussed."""

    text: Annotated[str, Field(max_length=5000)]
    therapeutic_area: UUID | None = None
    listening_priority: UUID | None = None
    product: UUID | None = None
    hcp: UUID | None = None


class InlineFollowUp(Schema):
    """A follow-up promised in the interaction; the HCP defaults to the sole attendee and must be given (one of
    the attendees) when several HCPs attended."""

    description: Annotated[str, Field(max_length=2000)]
    due_date: Day
    hcp: UUID | None = None


class InteractionCreate(Schema):
    attendees: list[UUID] = Field([], max_length=200, description="HCP uuids")
    external_attendees: list[UUID] = Field(
        [],
        max_length=200,
        description="external-person uuids (payers, pharmacists ...); at least one attendee of either kind",
    )
    occurred_at: Instant = Field(
        description="when it happened (Day 0 for any safety report); not in the future, except for a draft "
        "(`submit: false`), which is then a planned meeting"
    )
    channel: Annotated[str, choices_of(Channel)]
    purpose: Annotated[str, choices_of(Purpose)]
    duration_minutes: int = Field(30, ge=1, le=1440)
    therapeutic_area: UUID | None = None
    topics: list[Annotated[str, Field(max_length=200)]] = Field([], max_length=50)
    products: list[UUID] = Field([], max_length=50)
    materials_shared: Annotated[str, Field(max_length=LONG_TEXT)] = ""
    notes: Annotated[str, Field(max_length=LONG_TEXT)] = ""
    initiation: Annotated[str, choices_of(Initiation)] = Initiation.PROACTIVE.value
    ae_attestation: Annotated[str, choices_of(AEAttestation)] | None = Field(
        None, description="required to submit: did the HCP mention an adverse event or special situation?"
    )
    submit: bool = Field(True, description="false saves a draft")
    insights: list[InlineInsight] = Field([], max_length=20)
    follow_ups: list[InlineFollowUp] = Field([], max_length=20)
    flag_override_reason: Annotated[str, Field(max_length=500)] = Field(
        "",
        description="saves despite compliance flags (superlative, comparative, off-label); stored and audited",
    )


class InteractionUpdate(Schema):
    """Only the fields sent are changed (null leaves a field as it is, except `therapeutic_area`, which null
    clears). A submitted interaction needs a `reason`, and its time is fixed: it is Day 0 for safety."""

    occurred_at: Instant | None = None
    channel: Annotated[str, choices_of(Channel)] | None = None
    purpose: Annotated[str, choices_of(Purpose)] | None = None
    duration_minutes: int | None = Field(None, ge=1, le=1440)
    therapeutic_area: UUID | None = None
    topics: list[Annotated[str, Field(max_length=200)]] | None = Field(None, max_length=50)
    materials_shared: Annotated[str, Field(max_length=LONG_TEXT)] | None = None
    notes: Annotated[str, Field(max_length=LONG_TEXT)] | None = None
    initiation: Annotated[str, choices_of(Initiation)] | None = None
    ae_attestation: Annotated[str, choices_of(AEAttestation)] | None = None
    attendees: list[UUID] | None = Field(None, max_length=200)
    external_attendees: list[UUID] | None = Field(None, max_length=200)
    products: list[UUID] | None = Field(None, max_length=50)
    submit: bool | None = Field(None, description="true submits a draft")
    reason: Annotated[str, Field(max_length=500)] = ""
    flag_override_reason: Annotated[str, Field(max_length=500)] = Field(
        "",
        description="saves despite compliance flags (superlative, comparative, off-label); stored and audited",
    )


class InteractionFilters(PageQuery):
    hcp: UUID | None = Field(None, description="an attendee's uuid")
    since: Instant | None = None
    until: Instant | None = None
    channel: Annotated[str, choices_of(Channel)] | None = None
    status: Annotated[str, choices_of(InteractionStatus)] | None = None
    owner: UUID | None = None
    therapeutic_area: UUID | None = None


class FollowUpRead(Schema):
    uuid: UUID
    owner: UserBrief
    hcp: HCPBrief | None
    interaction: UUID | None
    description: str
    due_date: dt.date
    status: str
    completed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_interaction(obj: Any) -> UUID | None:
        return obj.interaction.uuid if obj.interaction_id else None


class FollowUpCreate(Schema):
    description: Annotated[str, Field(max_length=2000)]
    due_date: Day
    hcp: UUID | None = None
    interaction: UUID | None = None


class FollowUpUpdate(Schema):
    status: Annotated[str, choices_of(FollowUpStatus)] | None = None
    due_date: Day | None = None
    description: Annotated[str, Field(max_length=2000)] | None = None


class FollowUpFilters(PageQuery):
    status: Annotated[str, choices_of(FollowUpStatus)] | None = None
    hcp: UUID | None = None
    interaction: UUID | None = None
    due_before: Day | None = None
    owner: UUID | None = None


class HcpFeedbackRead(Schema):
    """What one attendee said the interaction was worth, as the MSL recorded it."""

    uuid: UUID
    interaction: UUID
    hcp: HCPBrief
    recorded_by: UserBrief
    value: int = Field(description="how valuable the HCP found the exchange: 1 (not at all) to 5 (very)")
    source: str = Field(description="during_meeting, afterwards or survey")
    received_on: dt.date
    comment: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_interaction(obj: Any) -> UUID:
        return obj.interaction.uuid


class HcpFeedbackCreate(Schema):
    """Feedback from an attendee of a submitted interaction; sending it again for the same HCP updates it."""

    hcp: UUID = Field(description="an attendee of the interaction")
    value: int = Field(ge=1, le=5, description="1 (not valuable) to 5 (very valuable)")
    source: Annotated[str, choices_of(FeedbackSource)]
    received_on: Day = Field(
        description="when the HCP said it: not before the interaction, not in the future"
    )
    comment: Annotated[str, Field(max_length=2000)] = ""
