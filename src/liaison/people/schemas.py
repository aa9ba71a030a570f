"""API schemas for HCPs and organisations (Dispatch style: XCreate / XUpdate / XRead / XBrief)."""

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from ninja import Field, Schema

from liaison.accounts.schemas import TherapeuticAreaBrief, UserBrief
from liaison.core.api_common import PageQuery, SearchText, choices_of

from .models import (
    Channel,
    ConsentStatus,
    ExternalRole,
    Frequency,
    HCPStatus,
    LawfulBasis,
    OrganizationKind,
)

ChannelName = Annotated[str, choices_of(Channel)]


class OrganizationBrief(Schema):
    uuid: UUID
    name: str


class OrganizationRead(Schema):
    uuid: UUID
    name: str
    kind: str
    city: str
    state: str
    country: str
    parent: OrganizationBrief | None
    created_at: dt.datetime
    updated_at: dt.datetime


class OrganizationCreate(Schema):
    name: Annotated[str, Field(max_length=300)]
    kind: Annotated[str, choices_of(OrganizationKind)] = OrganizationKind.OTHER.value
    city: Annotated[str, Field(max_length=120)] = ""
    state: Annotated[str, Field(max_length=80)] = ""
    country: Annotated[str, Field(max_length=80)] = ""


class OrganizationUpdate(Schema):
    """Only the fields sent are changed."""

    name: Annotated[str, Field(max_length=300)] | None = None
    kind: Annotated[str, choices_of(OrganizationKind)] | None = None
    city: Annotated[str, Field(max_length=120)] | None = None
    state: Annotated[str, Field(max_length=80)] | None = None
    country: Annotated[str, Field(max_length=80)] | None = None


class OrganizationFilters(PageQuery):
    q: SearchText | None = None
    kind: Annotated[str, choices_of(OrganizationKind)] | None = None
    country: SearchText | None = None


class HCPBrief(Schema):
    uuid: UUID
    full_name: str
    status: str


class AffiliationRead(Schema):
    uuid: UUID
    organization: OrganizationBrief
    title: str
    department: str
    primary: bool
    start_date: dt.date | None
    end_date: dt.date | None


class HCPRead(Schema):
    uuid: UUID
    prefix: str
    first_name: str
    middle_name: str
    last_name: str
    suffix: str
    credentials: str
    full_name: str
    specialties: list[str]
    npi: str | None
    orcid: str | None
    identifiers: dict[str, Any]
    email: str
    phone: str
    city: str
    state: str
    country: str
    therapeutic_areas: list[TherapeuticAreaBrief]
    tier: int | None
    owner: UserBrief | None
    preferred_channels: list[str]
    preferred_time_window: str
    preferred_frequency: str
    consent_status: str
    lawful_basis: str
    consent_recorded_at: dt.datetime | None
    status: str
    merged_into: UUID | None
    affiliations: list[AffiliationRead]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_therapeutic_areas(obj: Any) -> list[Any]:
        return list(obj.therapeutic_areas.all())

    @staticmethod
    def resolve_affiliations(obj: Any) -> list[Any]:
        return list(obj.affiliations.all())

    @staticmethod
    def resolve_merged_into(obj: Any) -> UUID | None:
        return obj.merged_into.uuid if obj.merged_into_id else None


class _HCPFields(Schema):
    prefix: Annotated[str, Field(max_length=20)] | None = None
    middle_name: Annotated[str, Field(max_length=100)] | None = None
    suffix: Annotated[str, Field(max_length=20)] | None = None
    credentials: Annotated[str, Field(max_length=100)] | None = None
    specialties: list[Annotated[str, Field(max_length=200)]] | None = Field(None, max_length=50)
    npi: Annotated[str, Field(max_length=10)] | None = Field(
        None, description="10-digit NPI with a valid check digit"
    )
    orcid: Annotated[str, Field(max_length=40)] | None = Field(None, description="0000-0000-0000-000X")
    identifiers: dict[Annotated[str, Field(max_length=40)], Annotated[str, Field(max_length=200)]] | None = (
        Field(None, max_length=50)
    )
    email: Annotated[str, Field(max_length=254)] | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None
    city: Annotated[str, Field(max_length=120)] | None = None
    state: Annotated[str, Field(max_length=80)] | None = None
    country: Annotated[str, Field(max_length=80)] | None = None
    therapeutic_areas: list[UUID] | None = Field(None, max_length=50)
    tier: int | None = Field(None, ge=1, le=4)
    owner: UUID | None = Field(None, description="uuid of the owning MSL (yourself, or a user you may see)")
    preferred_channels: list[ChannelName] | None = Field(None, max_length=10)
    preferred_time_window: Annotated[str, Field(max_length=120)] | None = None
    preferred_frequency: Annotated[str, choices_of(Frequency)] | None = None
    consent_status: Annotated[str, choices_of(ConsentStatus)] | None = None
    lawful_basis: Annotated[str, choices_of(LawfulBasis)] | None = None


class HCPCreate(_HCPFields):
    first_name: Annotated[str, Field(max_length=100)]
    last_name: Annotated[str, Field(max_length=100)]
    allow_duplicate: bool = Field(
        False, description="create even when likely duplicates exist (409 otherwise)"
    )


class HCPUpdate(_HCPFields):
    """Only the fields sent are changed; `reason` is recorded on the audit event."""

    first_name: Annotated[str, Field(max_length=100)] | None = None
    last_name: Annotated[str, Field(max_length=100)] | None = None
    reason: Annotated[str, Field(max_length=500)] = ""


class HCPMerge(Schema):
    duplicate: UUID = Field(description="the record merged into this one; it stays, marked merged")
    reason: Annotated[str, Field(max_length=500)]


class HCPFilters(PageQuery):
    q: SearchText | None = Field(None, description="name, NPI or ORCID")
    tier: int | None = Field(None, ge=1, le=4)
    therapeutic_area: UUID | None = None
    status: Annotated[str, choices_of(HCPStatus)] | None = None
    owner: UUID | None = None
    state: SearchText | None = None


class ExternalPersonBrief(Schema):
    """An external attendee as an interaction shows them: name, role and organisation."""

    uuid: UUID
    full_name: str
    role: str
    organization: OrganizationBrief | None


class ExternalPersonRead(Schema):
    uuid: UUID
    first_name: str
    last_name: str
    full_name: str
    role: str
    title: str
    organization: OrganizationBrief | None
    email: str
    country: str
    created_at: dt.datetime
    updated_at: dt.datetime


class ExternalPersonCreate(Schema):
    first_name: Annotated[str, Field(max_length=120)]
    last_name: Annotated[str, Field(max_length=120)]
    role: Annotated[str, choices_of(ExternalRole)] = ExternalRole.OTHER.value
    title: Annotated[str, Field(max_length=200)] = ""
    organization: UUID | None = None
    email: Annotated[str, Field(max_length=254)] = ""
    country: Annotated[str, Field(max_length=80)] = ""


class ExternalPersonUpdate(Schema):
    """Only the fields sent are changed; `organization: null` clears the organisation."""

    first_name: Annotated[str, Field(max_length=120)] | None = None
    last_name: Annotated[str, Field(max_length=120)] | None = None
    role: Annotated[str, choices_of(ExternalRole)] | None = None
    title: Annotated[str, Field(max_length=200)] | None = None
    organization: UUID | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    country: Annotated[str, Field(max_length=80)] | None = None


class ExternalPersonFilters(PageQuery):
    q: SearchText | None = None
    role: Annotated[str, choices_of(ExternalRole)] | None = None
    organization: UUID | None = None
