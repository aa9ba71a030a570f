"""API schemas of the transparency ledger and its exports (XCreate / XRead / XBrief)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from ninja import Field, Schema

from liaison.accounts.schemas import UserBrief
from liaison.core.api_common import Day, PageQuery, SearchText, choices_of
from liaison.people.schemas import HCPBrief, OrganizationBrief

from .models import Nature, PaymentForm, SourceKind, TransferKind


class TransferOfValueRead(Schema):
    uuid: UUID
    recipient_hcp: HCPBrief | None
    recipient_organization: OrganizationBrief | None
    kind: str
    nature: str
    form_of_payment: str
    paid_on: dt.date
    amount: Decimal
    currency: str
    country: str
    register_ids: dict[str, str]
    products: list[str]
    study_name: str
    nct_id: str
    description: str
    source_kind: str
    source_id: UUID | None
    source_label: str
    external_id: str | None
    recorded_by: UserBrief
    voided_at: dt.datetime | None
    void_reason: str
    replaced_by: UUID | None = Field(description="the corrected transfer, when this one was corrected")
    created_at: dt.datetime

    @staticmethod
    def resolve_replaced_by(obj: Any) -> UUID | None:
        return obj.replaced_by.uuid if obj.replaced_by_id else None


class TransferOfValueCreate(Schema):
    """Exactly one of `recipient_hcp` and `recipient_organization`. `kind` follows from the nature (research
    payments are the "research" nature)."""

    recipient_hcp: UUID | None = None
    recipient_organization: UUID | None = None
    nature: Annotated[str, choices_of(Nature)]
    form_of_payment: Annotated[str, choices_of(PaymentForm)] = PaymentForm.CASH
    paid_on: Day
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217, e.g. USD")
    country: str = Field(min_length=2, max_length=2, description="recipient's country, ISO 3166-1 alpha-2")
    register_ids: dict[Annotated[str, Field(max_length=40)], Annotated[str, Field(max_length=100)]] = Field(
        {},
        description='identifiers in national registers, e.g. {"RPPS": "10001234567"}; a teaching hospital\'s CCN',
    )
    products: list[Annotated[str, Field(max_length=500)]] = Field([], max_length=5)
    study_name: Annotated[str, Field(max_length=500)] = ""
    nct_id: Annotated[str, Field(max_length=11)] = ""
    description: Annotated[str, Field(max_length=4000)] = ""
    source_kind: Annotated[str, choices_of(SourceKind)] = SourceKind.MANUAL
    source_id: UUID | None = None
    source_label: Annotated[str, Field(max_length=300)] = ""
    external_id: Annotated[str, Field(max_length=100)] | None = None


class TransferVoid(Schema):
    reason: Annotated[str, Field(min_length=1, max_length=1000)]


class TransferOfValueFilters(PageQuery):
    year: int | None = Field(None, ge=2000, le=2100)
    nature: Annotated[str, choices_of(Nature)] | None = None
    kind: Annotated[str, choices_of(TransferKind)] | None = None
    country: str | None = Field(None, min_length=2, max_length=2)
    recipient: SearchText | None = Field(None, description="part of the recipient's name")
    hcp: UUID | None = None
    include_void: bool = True


class ConsentCreate(Schema):
    hcp: UUID
    year: int = Field(ge=2000, le=2100)
    consented: bool
    recorded_on: Day | None = None
    note: Annotated[str, Field(max_length=1000)] = ""


class ConsentRead(Schema):
    uuid: UUID
    hcp: HCPBrief
    year: int
    consented: bool
    recorded_on: dt.date
    recorded_by: UserBrief
    note: str


class ExportQuery(Schema):
    year: int = Field(ge=2000, le=2100)
    country: str = Field("US", min_length=2, max_length=2, description="EFPIA: the disclosure's country")
    format: str = Field("csv", pattern="^(csv|json)$", description="csv: the file; json: rows and refusals")


class ExportRefusalRead(Schema):
    transfer: UUID
    recipient: str
    field: str
    message: str


class ExportRead(Schema):
    """The JSON variant of an export: the file's columns and rows, and the transfers refused."""

    kind: str
    year: int
    country: str
    summary: str
    columns: list[str]
    rows: list[list[Any]]
    refusals: list[ExportRefusalRead]
