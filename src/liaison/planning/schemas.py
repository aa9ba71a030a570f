"""API schemas for engagement plans and standing interests (XCreate / XUpdate / XRead / XBrief)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from django.utils import timezone
from ninja import Field, Schema

from liaison.accounts.schemas import ProductBrief, UserBrief
from liaison.core.api_common import Day, PageQuery, choices_of
from liaison.insights.schemas import ListeningPriorityBrief
from liaison.people.schemas import HCPBrief

from .models import InterestStatus, PlanKind


class TerritoryBrief(Schema):
    uuid: UUID
    name: str


class ProgressRowRead(Schema):
    """Planned and done interactions; for a territory tier also its active HCPs and how many were reached."""

    label: str
    planned: int
    done: int
    percent: int
    hcps: int | None = None
    reached: int | None = None


class PlanProgressRead(Schema):
    total: ProgressRowRead
    tiers: list[ProgressRowRead] = Field(description="territory plans: one row per tier with a target")
    elapsed_percent: int = Field(description="share of the plan's period that has passed")
    on_track: bool


class EngagementPlanRead(Schema):
    uuid: UUID
    kind: str
    owner: UserBrief
    hcp: HCPBrief | None
    territory: TerritoryBrief | None
    year: int
    quarter: int | None
    period_start: dt.date
    period_end: dt.date = Field(description="exclusive")
    objectives: list[str]
    planned_per_quarter: int | None
    tier_targets: dict[str, int]
    listening_priorities: list[ListeningPriorityBrief]
    progress: PlanProgressRead = Field(description="counted from the submitted interactions you may see")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_period_start(obj: Any) -> dt.date:
        return obj.period_bounds()[0]

    @staticmethod
    def resolve_period_end(obj: Any) -> dt.date:
        return obj.period_bounds()[1]

    @staticmethod
    def resolve_listening_priorities(obj: Any) -> list[Any]:
        return list(obj.listening_priorities.all())

    @staticmethod
    def resolve_progress(obj: Any) -> dict[str, Any]:
        progress = obj.computed_progress

        def row(r: Any) -> dict[str, Any]:
            return {
                "label": r.label,
                "planned": r.planned,
                "done": r.done,
                "percent": r.percent,
                "hcps": r.hcps,
                "reached": r.reached,
            }

        return {
            "total": row(progress.total),
            "tiers": [row(r) for r in progress.rows],
            "elapsed_percent": progress.elapsed_percent,
            "on_track": progress.on_track,
        }


class EngagementPlanCreate(Schema):
    kind: Annotated[str, choices_of(PlanKind)]
    year: int = Field(ge=2000, le=2100)
    quarter: int | None = Field(None, ge=1, le=4, description="empty: the whole year")
    hcp: UUID | None = Field(None, description="KOL plans: the HCP")
    territory: UUID | None = Field(None, description="territory plans: the territory")
    objectives: list[Annotated[str, Field(max_length=500)]] = Field([], max_length=20)
    planned_per_quarter: int | None = Field(None, ge=0, le=1000, description="KOL plans")
    tier_targets: dict[str, int] | None = Field(
        None, description='territory plans: interactions per quarter by tier, e.g. {"1": 6, "2": 4}'
    )
    listening_priorities: list[UUID] = Field([], max_length=50)


class EngagementPlanUpdate(Schema):
    """Only the fields sent change; the kind, subject and period of a plan are fixed."""

    objectives: list[Annotated[str, Field(max_length=500)]] | None = Field(None, max_length=20)
    planned_per_quarter: int | None = Field(None, ge=0, le=1000)
    tier_targets: dict[str, int] | None = None
    listening_priorities: list[UUID] | None = Field(None, max_length=50)
    reason: Annotated[str, Field(max_length=500)] = ""


class EngagementPlanFilters(PageQuery):
    kind: Annotated[str, choices_of(PlanKind)] | None = None
    year: int | None = Field(None, ge=2000, le=2100)
    quarter: int | None = Field(None, ge=1, le=4)
    hcp: UUID | None = None
    territory: UUID | None = None
    owner: UUID | None = None


class InterestReminderRead(Schema):
    """A follow-up raised by the interest, and the record that matched."""

    follow_up: UUID
    source: str
    source_key: str
    source_title: str
    matched_on: list[str]
    created_at: dt.datetime

    @staticmethod
    def resolve_follow_up(obj: Any) -> UUID:
        return obj.follow_up.uuid


class StandingInterestRead(Schema):
    uuid: UUID
    hcp: HCPBrief
    recorded_by: UserBrief
    topic: str
    mesh_terms: list[str]
    product: ProductBrief | None
    recorded_on: dt.date
    renewed_on: dt.date | None
    expires_on: dt.date
    withdrawn_on: dt.date | None
    status: str = Field(description="active, expired (renew it with the HCP) or withdrawn")
    reminders: list[InterestReminderRead]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_status(obj: Any) -> str:
        return obj.status_on(timezone.localdate())

    @staticmethod
    def resolve_reminders(obj: Any) -> list[Any]:
        return list(obj.reminders.all())


class StandingInterestCreate(Schema):
    hcp: UUID
    topic: Annotated[str, Field(max_length=300)]
    mesh_terms: list[Annotated[str, Field(max_length=200)]] = Field(
        [], max_length=20, description="MeSH descriptor names or ids"
    )
    product: UUID | None = None
    recorded_on: Day | None = Field(None, description="when the HCP asked; default today")


class StandingInterestRenew(Schema):
    renewed_on: Day | None = Field(None, description="when the HCP confirmed it; default today")


class StandingInterestFilters(PageQuery):
    hcp: UUID | None = None
    status: Annotated[str, choices_of(InterestStatus)] | None = None
