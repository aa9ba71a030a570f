"""API schemas for unsolicited medical inquiries (Dispatch style: XCreate / XRead / XBrief)."""

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

from ninja import Field, Schema

from liaison.accounts.schemas import ProductBrief, UserBrief
from liaison.core.api_common import Instant, PageQuery, choices_of
from liaison.people.models import Channel
from liaison.people.schemas import HCPBrief

from .models import InquiryStatus


class InquiryBrief(Schema):
    uuid: UUID
    status: str


class InquiryRouted(Schema):
    """What a commercial user gets back: the request was routed to medical information, and nothing more."""

    uuid: UUID
    status: Literal["routed"]


class InquiryRead(Schema):
    uuid: UUID
    captured_by: UserBrief
    requester_hcp: HCPBrief | None
    requester_name: str
    requester_contact: str
    channel: str
    product: ProductBrief | None
    question: str
    off_label: bool
    unsolicited_attested: bool
    received_at: dt.datetime
    status: str
    assigned_to: UserBrief | None
    interaction: UUID | None
    answer: str
    answered_at: dt.datetime | None
    proposed_type: str = Field(description="question type proposed at capture (MedicationQA labels)")
    proposed_drug: str = Field(description="drug in focus proposed at capture (a company product first)")
    question_type: str = Field(description="question type confirmed by medical information; empty until then")
    drug: str = Field(description="drug in focus confirmed by medical information")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_interaction(obj: Any) -> UUID | None:
        return obj.interaction.uuid if obj.interaction_id else None


class InquiryCreate(Schema):
    question: Annotated[str, Field(max_length=10000)] = Field(
        description="the requester's question, verbatim"
    )
    channel: Annotated[str, choices_of(Channel)]
    unsolicited_attested: bool = Field(description="must be true: the requester asked unprompted")
    requester_hcp: UUID | None = None
    requester_name: Annotated[str, Field(max_length=200)] = Field(
        "", description="required when requester_hcp is not given"
    )
    requester_contact: Annotated[str, Field(max_length=200)] = ""
    product: UUID | None = None
    off_label: bool = False
    received_at: Instant | None = Field(None, description="defaults to now; not in the future")
    interaction: UUID | None = None


class InquiryAssign(Schema):
    assignee: UUID | None = Field(None, description="a medical information user; defaults to yourself")


class InquiryTriage(Schema):
    """Accept (send the proposal back) or correct the question type and drug in focus."""

    question_type: Annotated[str, Field(max_length=60)] = Field(
        description="one of the MedicationQA question types"
    )
    drug: Annotated[str, Field(max_length=200)] = ""


class InquiryAnswer(Schema):
    answer: Annotated[str, Field(max_length=20000)]


class InquiryClose(Schema):
    reason: Annotated[str, Field(max_length=500)]


class InquiryFilters(PageQuery):
    status: Annotated[str, choices_of(InquiryStatus)] | None = None
    hcp: UUID | None = Field(None, description="the requesting HCP")
    assigned_to: UUID | None = None
    off_label: bool | None = None
