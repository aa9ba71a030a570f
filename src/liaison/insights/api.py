"""REST endpoints for insights and (read-only) listening priorities; writes go through insights.actions only."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Q
from ninja import Query, Router, Status

from liaison.accounts.models import Product, TherapeuticArea
from liaison.core.api_common import (
    ApiRequest,
    apply_filters,
    limit_offset_page,
    page_of,
    resolve,
    responses,
    visible,
)
from liaison.core.models import RestrictQuerySet
from liaison.core.permissions import require
from liaison.core.views import get_restricted_or_404
from liaison.engagement.models import Interaction
from liaison.people.models import HCP

from . import actions
from .aggregate_report import build_insight_report
from .models import Insight, ListeningPriority
from .schemas import (
    InsightCreate,
    InsightFilters,
    InsightRead,
    InsightRelease,
    InsightReportRead,
    InsightReview,
    InsightUpdate,
    ListeningPriorityFilters,
    ListeningPriorityRead,
)

insights_router = Router(tags=["insights"])
listening_priorities_router = Router(tags=["listening-priorities"])
insight_report_router = Router(tags=["insight-report"])


def _insights() -> RestrictQuerySet:
    return Insight.objects.select_related(
        "author",
        "interaction",
        "hcp",
        "therapeutic_area",
        "listening_priority",
        "product",
        "reviewed_by",
        "released_by",
    )


@insights_router.get("", response=responses({200: page_of(InsightRead)}), operation_id="insights_list")
def list_insights(request: ApiRequest, filters: Query[InsightFilters]) -> Any:
    """Insights you may see, newest first; filter by `status`, `therapeutic_area`, `listening_priority`, `hcp`,
    `author`, `interaction`."""
    qs = apply_filters(
        visible(Insight, request.user, queryset=_insights()),
        filters,
        {
            "therapeutic_area": "therapeutic_area__uuid",
            "listening_priority": "listening_priority__uuid",
            "hcp": "hcp__uuid",
            "author": "author__uuid",
            "interaction": "interaction__uuid",
            "status": "status",
        },
    )
    return limit_offset_page(qs, filters)


@insights_router.post("", response=responses({201: InsightRead}), operation_id="insights_create")
def create_insight(request: ApiRequest, payload: InsightCreate) -> Any:
    """Capture an insight; `submit: true` submits it for review and screens it for safety."""
    user = request.user
    require(user, "insight", "add")
    insight = actions.create_insight(
        acting_user=user,
        text=payload.text,
        therapeutic_area=resolve(TherapeuticArea, user, payload.therapeutic_area, "therapeutic_area"),
        hcp=resolve(HCP, user, payload.hcp, "hcp"),
        interaction=resolve(Interaction, user, payload.interaction, "interaction"),
        listening_priority=resolve(ListeningPriority, user, payload.listening_priority, "listening_priority"),
        product=resolve(Product, user, payload.product, "product"),
        submit=payload.submit,
        flag_override_reason=payload.flag_override_reason,
    )
    return Status(201, _insights().get(pk=insight.pk))


@insights_router.get("/{uuid}", response=responses({200: InsightRead}), operation_id="insights_read")
def read_insight(request: ApiRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(Insight, request.user, uuid, queryset=_insights())


@insights_router.patch("/{uuid}", response=responses({200: InsightRead}), operation_id="insights_update")
def update_insight(request: ApiRequest, uuid: UUID, payload: InsightUpdate) -> Any:
    """Edit your own draft insight, and optionally submit it."""
    user = request.user
    insight = get_restricted_or_404(Insight, user, uuid, "change")
    actions.update_insight(
        insight,
        acting_user=user,
        text=payload.text,
        submit=payload.submit,
        flag_override_reason=payload.flag_override_reason,
        listening_priority=resolve(ListeningPriority, user, payload.listening_priority, "listening_priority"),
    )
    return _insights().get(pk=insight.pk)


@insights_router.post(
    "/{uuid}/review", response=responses({200: InsightRead}), operation_id="insights_review"
)
def review_insight(request: ApiRequest, uuid: UUID, payload: InsightReview) -> Any:
    """Review a submitted insight (managers and medical leads; not your own)."""
    user = request.user
    insight = get_restricted_or_404(Insight, user, uuid, "review")
    actions.review_insight(
        insight,
        acting_user=user,
        note=payload.note,
        listening_priority=resolve(ListeningPriority, user, payload.listening_priority, "listening_priority"),
    )
    return _insights().get(pk=insight.pk)


@insights_router.post(
    "/{uuid}/release", response=responses({200: InsightRead}), operation_id="insights_release"
)
def release_insight_summary(request: ApiRequest, uuid: UUID, payload: InsightRelease) -> Any:
    """Release a rewritten summary of a reviewed insight for the aggregate report (managers and medical leads;
    not your own). Releasing again replaces the wording."""
    user = request.user
    insight = get_restricted_or_404(Insight, user, uuid, "release")
    actions.release_summary(insight, acting_user=user, summary=payload.summary)
    return _insights().get(pk=insight.pk)


@insights_router.post(
    "/{uuid}/release/withdraw",
    response=responses({200: InsightRead}),
    operation_id="insights_release_withdraw",
)
def withdraw_insight_summary(request: ApiRequest, uuid: UUID) -> Any:
    """Withdraw the released summary: the aggregate report stops showing it."""
    user = request.user
    insight = get_restricted_or_404(Insight, user, uuid, "release")
    actions.withdraw_summary(insight, acting_user=user)
    return _insights().get(pk=insight.pk)


@insight_report_router.get("", response=responses({200: InsightReportRead}), operation_id="insight_report")
def insight_report(request: ApiRequest) -> Any:
    """The aggregate insight report, the same for every role that may open it (commercial included): counts per
    therapeutic area x listening priority x month with no figure from fewer than five HCPs, and the summaries
    medical reviewers released. No text written in the field, no record, no filter (two slices could be
    subtracted)."""
    report = build_insight_report(request.user)
    return {
        "minimum_hcps": report.minimum,
        "months": report.months,
        "rows": [
            {
                "therapeutic_area": row.area,
                "priority": row.priority,
                "cells": [
                    {"month": m, "value": c.display} for m, c in zip(report.months, row.cells, strict=True)
                ],
                "total": row.total.display,
                "summaries": row.examples,
            }
            for row in report.rows
        ],
        "month_totals": [
            {"month": m, "value": c.display} for m, c in zip(report.months, report.month_totals, strict=True)
        ],
        "total": report.total.display,
    }


def _priorities() -> RestrictQuerySet:
    return ListeningPriority.objects.select_related("therapeutic_area")


@listening_priorities_router.get(
    "", response=responses({200: page_of(ListeningPriorityRead)}), operation_id="listening_priorities_list"
)
def list_listening_priorities(request: ApiRequest, filters: Query[ListeningPriorityFilters]) -> Any:
    """Listening priorities (key insight topics) by area; filter by `therapeutic_area`, `active`, `q`."""
    qs = apply_filters(
        visible(ListeningPriority, request.user, queryset=_priorities()),
        filters,
        {
            "therapeutic_area": "therapeutic_area__uuid",
            "active": "active",
            "q": lambda q: Q(title__icontains=q) | Q(description__icontains=q),
        },
    )
    return limit_offset_page(qs, filters)


@listening_priorities_router.get(
    "/{uuid}", response=responses({200: ListeningPriorityRead}), operation_id="listening_priorities_read"
)
def read_listening_priority(request: ApiRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(ListeningPriority, request.user, uuid, queryset=_priorities())
