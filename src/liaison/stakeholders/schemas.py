"""API schemas of stakeholders, their feedback and digest deliveries."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from ninja import Field, Schema

from liaison.core.api_common import PageQuery, choices_of, page_of

from .models import Cadence, DeliveryStatus, DigestChannel, DigestForm, DigestFormat, Function, Verdict


class StakeholderCreate(Schema):
    name: str = Field(max_length=200)
    function: Annotated[str, choices_of(Function)]
    owner: UUID | None = Field(
        None,
        description="The medical user who sends their digests (manager, medical lead, admin); default: you",
    )
    email: str = Field("", max_length=254)
    preferred_channel: Annotated[str, choices_of(DigestChannel)] = DigestChannel.EMAIL
    cadence: Annotated[str, choices_of(Cadence)] = Cadence.MONTHLY
    format: Annotated[str, choices_of(DigestFormat)] = DigestFormat.BOTH
    expectations: Annotated[str, Field(max_length=5000)] = ""
    therapeutic_areas: list[UUID] = Field(default_factory=list, max_length=50)


class StakeholderRead(Schema):
    uuid: UUID
    name: str
    function: str
    email: str
    preferred_channel: str
    cadence: str
    format: str
    expectations: str
    commercial: bool = Field(description="Behind the firewall: receives the de-identified aggregate only")
    active: bool
    last_sent_at: dt.datetime | None
    owner: UUID
    therapeutic_areas: list[UUID]

    @staticmethod
    def resolve_owner(obj: Any) -> UUID:
        return obj.owner.uuid

    @staticmethod
    def resolve_therapeutic_areas(obj: Any) -> list[UUID]:
        return [a.uuid for a in obj.therapeutic_areas.all()]


class FeedbackCreate(Schema):
    verdict: Annotated[str, choices_of(Verdict)]
    comment: Annotated[str, Field(max_length=5000)] = ""
    delivery: UUID | None = None


class FeedbackRead(Schema):
    uuid: UUID
    stakeholder: UUID
    verdict: str
    comment: str
    created_at: dt.datetime

    @staticmethod
    def resolve_stakeholder(obj: Any) -> UUID:
        return obj.stakeholder.uuid


class DeliveryRead(Schema):
    uuid: UUID
    stakeholder: UUID
    sent_at: dt.datetime
    period_start: dt.datetime
    period_end: dt.datetime
    recipient: str
    channel: Annotated[str, choices_of(DigestChannel)]
    form: Annotated[str, choices_of(DigestForm)]
    subject: str
    insight_count: int
    status: Annotated[str, choices_of(DeliveryStatus)]
    error: str

    @staticmethod
    def resolve_stakeholder(obj: Any) -> UUID:
        return obj.stakeholder.uuid


class DeliveryQuery(PageQuery):
    stakeholder: UUID | None = None


StakeholderPage = page_of(StakeholderRead)
DeliveryPage = page_of(DeliveryRead)
