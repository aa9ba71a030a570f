"""API schemas of insight intelligence (Dispatch style: XRead / XBrief / XCreate)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from ninja import Field, Schema

from liaison.core.api_common import SearchText


class SearchQuery(Schema):
    q: SearchText = Field(..., min_length=1, description="words or a question; at most 200 characters")
    kind: Literal["insight", "interaction", "inquiry"] | None = None
    limit: int = Field(20, ge=1, le=50)


class SearchHitRead(Schema):
    kind: str
    uuid: UUID
    title: str
    snippet: str
    when: dt.datetime | None
    score: float
    keyword: bool = Field(description="found by its words (BM25)")
    meaning: bool = Field(description="found by its meaning (vector index)")


class SearchResultRead(Schema):
    query: str
    semantic: bool = Field(description="false when the model was unavailable and only keywords ranked")
    items: list[SearchHitRead]


class ThemeScoreRead(Schema):
    priority: UUID
    title: str
    score: float
    cosine: float
    matched: bool


class InsightThemeRead(Schema):
    insight: UUID
    theme: UUID | None = Field(description="the insight's theme: reviewer's decision, author's tag, or match")
    source: Literal["reviewer", "author", "model", "none"]
    scores: list[ThemeScoreRead]
    voices: int = Field(description="distinct authors of the near-duplicates you may see, this one included")
    duplicates: list[UUID]


class ThemeDecisionCreate(Schema):
    priority: UUID | None = Field(None, description="the right listening priority; null: none fits")
    note: Annotated[str, Field(max_length=2000)] = ""


class ThemeDecisionRead(Schema):
    uuid: UUID
    insight: UUID
    priority: UUID | None
    suggested: UUID | None
    verdict: str
    created_at: dt.datetime


class TrendQuery(Schema):
    area: str | None = Field(None, max_length=40, description="therapeutic area code")
    months: int = Field(12, ge=4, le=36)


class TrendPointRead(Schema):
    month: str
    count: int
    baseline: float | None
    z: float | None
    p_value: float | None
    emerging: bool


class TrendRowRead(Schema):
    theme: str
    area: str
    total: int
    emerging: list[str]
    points: list[TrendPointRead]


class TrendTableRead(Schema):
    months: list[str]
    insights: int
    signals: int
    items: list[TrendRowRead]


class ClusterRead(Schema):
    area: str
    keywords: list[str]
    insights: list[UUID]
