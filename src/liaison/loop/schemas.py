"""API schemas of the insight-to-action loop (XCreate / XUpdate / XRead)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

from ninja import Field, Schema

from liaison.accounts.schemas import TherapeuticAreaBrief, UserBrief
from liaison.core.api_common import Day, PageQuery, choices_of

from .models import ActionStatus


class InsightRatingRead(Schema):
    uuid: UUID
    insight: UUID
    reviewer: UserBrief
    specific: int
    actionable: int
    new: bool
    note: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_insight(obj: Any) -> UUID:
        return obj.insight.uuid


class InsightRatingCreate(Schema):
    """Rating again replaces your earlier rating of the same insight."""

    insight: UUID
    specific: int = Field(..., ge=1, le=5, description="1 vague … 5 precise")
    actionable: int = Field(..., ge=1, le=5, description="1 nothing to do … 5 clear next step")
    new: bool = Field(..., description="new to the company?")
    note: Annotated[str, Field(max_length=2000)] = ""


class InsightRatingFilters(PageQuery):
    insight: UUID | None = None


class ThemeRead(Schema):
    uuid: UUID
    name: str
    therapeutic_area: TherapeuticAreaBrief
    listening_priority: UUID | None
    description: str
    seed: str
    insights: list[UUID] = Field(description="the theme's insights you may see")
    hidden_insights: int = Field(description="how many of its insights are other teams' (not listed)")
    created_by: UserBrief
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_listening_priority(obj: Any) -> UUID | None:
        return obj.listening_priority.uuid if obj.listening_priority_id else None

    @staticmethod
    def resolve_insights(obj: Any) -> list[UUID]:
        # api._theme_out attaches the reader's visible insights; never the raw relation (other teams').
        return getattr(obj, "insights_visible", [])

    @staticmethod
    def resolve_hidden_insights(obj: Any) -> int:
        return getattr(obj, "hidden_count", 0)


class ThemeCreate(Schema):
    name: Annotated[str, Field(max_length=200)]
    therapeutic_area: UUID
    description: Annotated[str, Field(max_length=5000)] = ""
    listening_priority: UUID | None = Field(None, description="seed: the priority's insights are added")
    insights: list[UUID] = Field([], max_length=500)


class ThemeUpdate(Schema):
    name: Annotated[str, Field(max_length=200)] | None = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    add: list[UUID] = Field([], max_length=500)
    remove: list[UUID] = Field([], max_length=500)


class ThemeFilters(PageQuery):
    therapeutic_area: UUID | None = None


class ActionRead(Schema):
    uuid: UUID
    theme: UUID
    title: str
    description: str
    owner_user: UserBrief | None
    owner_function: str
    due_date: dt.date
    status: str
    outcome: str
    completed_at: dt.datetime | None
    created_by: UserBrief
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_theme(obj: Any) -> UUID:
        return obj.theme.uuid


class ActionCreate(Schema):
    theme: UUID
    title: Annotated[str, Field(max_length=200)]
    description: Annotated[str, Field(max_length=5000)] = ""
    owner_user: UUID | None = Field(None, description="a person; or give owner_function")
    owner_function: Annotated[str, Field(max_length=120)] = Field(
        "", description="an internal function, e.g. HEOR"
    )
    due_date: Day


class ActionUpdate(Schema):
    """Change an open action; closing needs the outcome (POST .../complete)."""

    title: Annotated[str, Field(max_length=200)] | None = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    owner_user: UUID | None = None
    owner_function: Annotated[str, Field(max_length=120)] | None = None
    due_date: Day | None = None
    status: Literal["open", "in_progress"] | None = None


class ActionComplete(Schema):
    outcome: Annotated[str, Field(max_length=5000)]
    status: Literal["done", "cancelled"] = "done"


class ActionFilters(PageQuery):
    status: Annotated[str, choices_of(ActionStatus)] | None = None
    theme: UUID | None = None


class NotificationRead(Schema):
    uuid: UUID
    text: str
    link: str
    action: UUID | None
    read_at: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_action(obj: Any) -> UUID | None:
        return obj.action.uuid if obj.action_id else None


class NotificationFilters(PageQuery):
    unread: bool | None = None


class MarkedRead(Schema):
    marked: int


class ReportRowRead(Schema):
    label: str
    reviewed: int
    fed_action: int
    rate: float | None
    with_outcome: int
    median_days_to_action: float | None
    median_days_to_outcome: float | None


class LoopReportRead(Schema):
    since: dt.date | None
    until: dt.date | None
    definitions: dict[str, str]
    by_area: list[ReportRowRead]
    by_team: list[ReportRowRead]
    total: ReportRowRead


class ReportQuery(Schema):
    since: Day | None = None
    until: Day | None = None
