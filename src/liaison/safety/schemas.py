"""API schemas for safety reports (Dispatch style: XRead / XBrief, and the triage body)."""

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from django.utils import timezone
from ninja import Field, Schema

from liaison.accounts.schemas import ProductBrief, UserBrief
from liaison.core.api_common import LONG_TEXT, Instant, PageQuery, choices_of

from .models import ReportStatus, ReportTrigger, Sex
from .sla import sla_level


class SafetyReportBrief(Schema):
    uuid: UUID
    status: str
    trigger: str
    day_zero: dt.datetime


class SafetyOutboxRead(Schema):
    """One forwarding of the report to the safety database and where it stands."""

    idempotency_key: str
    channel: str
    status: str = Field(description="pending, sent, acknowledged or failed")
    attempts: int
    last_error: str
    next_attempt_at: dt.datetime | None
    case_id: str
    acknowledged_at: dt.datetime | None


class SafetyReportRead(Schema):
    uuid: UUID
    reported_by: UserBrief
    interaction: UUID | None
    inquiry: UUID | None
    insight: UUID | None
    source_kind: str = Field(description="another record screened (event_minutes, session_note ...), if any")
    source_id: UUID | None = Field(description="that record's uuid")
    source_label: str
    day_zero: dt.datetime = Field(description="when the company learned of the event; never changes")
    trigger: str
    source_field: str
    excerpt: str
    detected_terms: list[str]
    categories: list[str]
    suspect_product: ProductBrief | None
    event_description: str
    patient_initials: str
    patient_age: int | None
    patient_sex: str
    reporter_name: str
    status: str
    assigned_to: UserBrief | None
    triage_note: str
    safety_case_id: str
    missing_minimum_criteria: list[str]
    identifier_warnings: list[str] = Field(
        description="possible patient identifiers (names, record numbers, birth dates) in the report's text; "
        "warnings, never a block"
    )
    detector_score: float | None
    detector_layer: str = Field(description="lexicon, trained, or failed")
    detector_spans: list[dict[str, Any]] = Field(description="what the detector relied on: drug, event, ...")
    hedged: bool = Field(description="every mention was negated or hypothetical")
    detector_error: str = Field(description="why the detector could not screen the text, if it failed")
    acknowledged_at: dt.datetime | None = Field(description="when the safety database acknowledged the case")
    sla_state: str = Field(description='"", "at_risk" (past 75% of the SLA) or "overdue", until acknowledged')
    outbox: list[SafetyOutboxRead]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_sla_state(obj: Any) -> str:
        return str(sla_level(obj, timezone.now()))

    @staticmethod
    def resolve_outbox(obj: Any) -> list[Any]:
        return sorted(obj.outbox.all(), key=lambda row: row.sequence)

    @staticmethod
    def resolve_interaction(obj: Any) -> UUID | None:
        return obj.interaction.uuid if obj.interaction_id else None

    @staticmethod
    def resolve_inquiry(obj: Any) -> UUID | None:
        return obj.inquiry.uuid if obj.inquiry_id else None

    @staticmethod
    def resolve_insight(obj: Any) -> UUID | None:
        return obj.insight.uuid if obj.insight_id else None


class SafetyReportTriage(Schema):
    """Drug safety's decision and case details; only the fields sent are changed. Missing minimum criteria
    never block forwarding."""

    status: Annotated[str, choices_of(ReportStatus)] | None = None
    note: Annotated[str, Field(max_length=LONG_TEXT)] = Field(
        "", description="required to close a report as not_an_ae"
    )
    safety_case_id: Annotated[str, Field(max_length=60)] = ""
    patient_initials: Annotated[str, Field(max_length=5)] | None = Field(
        None, description="initials only, never a name"
    )
    patient_age: int | None = Field(None, ge=0, le=120)
    patient_sex: Annotated[str, choices_of(Sex)] | None = None
    reporter_name: Annotated[str, Field(max_length=200)] | None = None
    event_description: Annotated[str, Field(max_length=LONG_TEXT)] | None = None
    suspect_product: UUID | None = None


class SafetyReportFilters(PageQuery):
    status: Annotated[str, choices_of(ReportStatus)] | None = None
    trigger: Annotated[str, choices_of(ReportTrigger)] | None = None
    since: Instant | None = Field(None, description="Day 0 on or after")
    until: Instant | None = Field(None, description="Day 0 on or before")
