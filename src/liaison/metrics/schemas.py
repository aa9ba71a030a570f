"""API schemas of the impact metrics."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema

from liaison.core.api_common import Day


class MetricQuery(Schema):
    """Filters: the period (default the last 90 days), team and territory uuids, therapeutic area code."""

    start: Day | None = None
    end: Day | None = None
    team: str | None = Field(None, max_length=60)
    territory: str | None = Field(None, max_length=60)
    area: str | None = Field(None, max_length=40)


class BarRead(Schema):
    label: str
    share: float = Field(description="0..1, what the chart bar draws")
    text: str


class MetricRead(Schema):
    """One metric: its definition, headline, the table behind its chart and the chart's bars."""

    key: str
    title: str
    definition: str
    headline: str
    available: bool
    columns: list[str]
    rows: list[list[Any]]
    bars: list[BarRead]


class DashboardRead(Schema):
    start: Day
    end: Day
    metrics: list[MetricRead]
