"""API schemas of stakeholders, their feedback and digest deliveries."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from ninja import Field, Schema

from liaison.core.api_common import PageQuery, Text, choices_of, page_of

from .models import Cadence, DeliveryStatus, DigestChannel, DigestForm, DigestFormat, Function, Verdict


class StakeholderCreate(Schema):
    name: str = Field(max_length=200)
    function: choices_of(Function)  # type: ignore[valid-type]
    owner: UUID | None = Field(
        None,
        description="The medical user who sends their digests (manager, medical lead, admin); default: you",
    )
    email: str = Field("", max_length=254)
    preferred_channel: choices_of(DigestChannel) = DigestChannel.EMAIL  # type: ignore[valid-type]
    cadence: choices_of(Cadence) = Cadence.MONTHLY  # type: ignore[valid-type]
    format: choices_of(DigestFormat) = DigestFormat.BOTH  # type: ignore[valid-type]
    expectations: Text(5000) = ""  # type: ignore[valid-type]
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
    verdict: choices_of(Verdict)  # type: ignore[valid-type]
    comment: Text(5000) = ""  # type: ignore[valid-type]
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
    channel: choices_of(DigestChannel)  # type: ignore[valid-type]
    form: choices_of(DigestForm)  # type: ignore[valid-type]
    subject: str
    insight_count: int
    status: choices_of(DeliveryStatus)  # type: ignore[valid-type]
    error: str

    @staticmethod
    def resolve_stakeholder(obj: Any) -> UUID:
        return obj.stakeholder.uuid


class DeliveryQuery(PageQuery):
    stakeholder: UUID | None = None


StakeholderPage = page_of(StakeholderRead)
DeliveryPage = page_of(DeliveryRead)
