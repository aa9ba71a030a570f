"""API schemas for insights and listening priorities (Dispatch style: XCreate / XUpdate / XRead / XBrief)."""

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from ninja import Field, Schema

from liaison.accounts.schemas import ProductBrief, TherapeuticAreaBrief, UserBrief
from liaison.core.api_common import PageQuery, SearchText, choices_of
from liaison.engagement.schemas import ComplianceFlagRead
from liaison.people.schemas import HCPBrief

from .models import InsightStatus


class ListeningPriorityBrief(Schema):
    uuid: UUID
    title: str


class ListeningPriorityRead(Schema):
    uuid: UUID
    title: str
    description: str
    therapeutic_area: TherapeuticAreaBrief
    active: bool
    order: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ListeningPriorityFilters(PageQuery):
    therapeutic_area: UUID | None = None
    active: bool | None = None
    q: SearchText | None = None


class InsightBrief(Schema):
    uuid: UUID
    status: str


class InsightRead(Schema):
    uuid: UUID
    author: UserBrief
    interaction: UUID | None
    hcp: HCPBrief | None
    therapeutic_area: TherapeuticAreaBrief
    listening_priority: ListeningPriorityBrief | None
    product: ProductBrief | None
    text: str
    status: str
    submitted_at: dt.datetime | None
    reviewed_by: UserBrief | None
    reviewed_at: dt.datetime | None
    review_note: str
    compliance_flags: list[ComplianceFlagRead] = Field(
        description="flags in the text that the author overrode (empty when none remained)"
    )
    flag_override_reason: str
    released_summary: str = Field(
        description="the reviewer's rewrite released for audiences beyond medical (empty when none); the only "
        "insight wording the aggregate report may show"
    )
    released_by: UserBrief | None
    released_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_interaction(obj: Any) -> UUID | None:
        return obj.interaction.uuid if obj.interaction_id else None


class InsightCreate(Schema):
    text: Annotated[str, Field(max_length=5000)]
    therapeutic_area: UUID
    hcp: UUID | None = None
    interaction: UUID | None = None
    listening_priority: UUID | None = Field(None, description="must belong to the same therapeutic area")
    product: UUID | None = None
    submit: bool = Field(False, description="true submits it for review (and screens it for safety)")
    flag_override_reason: Annotated[str, Field(max_length=500)] = Field(
        "",
        description="saves despite compliance flags (superlative, comparative, off-label); stored and audited",
    )


class InsightUpdate(Schema):
    """Only the author may edit, and only a draft."""

    text: Annotated[str, Field(max_length=5000)] | None = None
    listening_priority: UUID | None = None
    submit: bool = False
    flag_override_reason: Annotated[str, Field(max_length=500)] = Field(
        "",
        description="saves despite compliance flags (superlative, comparative, off-label); stored and audited",
    )


class InsightReview(Schema):
    note: Annotated[str, Field(max_length=2000)] = ""
    listening_priority: UUID | None = Field(None, description="re-assign the listening priority")


class InsightRelease(Schema):
    summary: Annotated[str, Field(max_length=1000)] = Field(
        description="rewritten for audiences beyond medical: not the insight's own wording, and no name, "
        "identifier, contact detail or date"
    )


class InsightReportCell(Schema):
    month: str
    value: str = Field(
        description='the count, "<5" for a group of fewer than five HCPs, "\u2014" when hidden'
    )


class InsightReportRow(Schema):
    therapeutic_area: str
    priority: str = Field(description='the listening priority (theme), or "No listening priority"')
    cells: list[InsightReportCell]
    total: str
    summaries: list[str] = Field(
        description="summaries medical reviewers released for this group, de-identified"
    )


class InsightReportRead(Schema):
    """The aggregate insight report: counts with small cells suppressed and released summaries, nothing else."""

    minimum_hcps: int
    months: list[str]
    rows: list[InsightReportRow]
    month_totals: list[InsightReportCell]
    total: str


class InsightFilters(PageQuery):
    status: Annotated[str, choices_of(InsightStatus)] | None = None
    therapeutic_area: UUID | None = None
    listening_priority: UUID | None = None
    hcp: UUID | None = None
    author: UUID | None = None
    interaction: UUID | None = None
