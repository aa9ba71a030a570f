"""REST endpoints for safety reports: reading them, and drug safety's triage (through safety.actions only)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ninja import Query, Router

from liaison.accounts.models import Product
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
from liaison.core.views import get_restricted_or_404

from . import actions
from .models import SafetyReport
from .schemas import SafetyReportFilters, SafetyReportRead, SafetyReportTriage

safety_reports_router = Router(tags=["safety-reports"])


def _reports() -> RestrictQuerySet:
    return SafetyReport.objects.select_related(
        "reported_by", "interaction", "inquiry", "insight", "suspect_product", "assigned_to"
    ).prefetch_related("outbox")


@safety_reports_router.get(
    "", response=responses({200: page_of(SafetyReportRead)}), operation_id="safety_reports_list"
)
def list_safety_reports(request: ApiRequest, filters: Query[SafetyReportFilters]) -> Any:
    """Safety reports you may see, oldest Day 0 first; filter by `status`, `trigger`, `since`/`until`."""
    qs = apply_filters(
        visible(SafetyReport, request.user, queryset=_reports()),
        filters,
        {"status": "status", "trigger": "trigger", "since": "day_zero__gte", "until": "day_zero__lte"},
    )
    return limit_offset_page(qs, filters)


@safety_reports_router.get(
    "/{uuid}", response=responses({200: SafetyReportRead}), operation_id="safety_reports_read"
)
def read_safety_report(request: ApiRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(SafetyReport, request.user, uuid, queryset=_reports())


@safety_reports_router.post(
    "/{uuid}/triage", response=responses({200: SafetyReportRead}), operation_id="safety_reports_triage"
)
def triage_safety_report(request: ApiRequest, uuid: UUID, payload: SafetyReportTriage) -> Any:
    """Complete a report and record drug safety's decision (status, note, safety database case id)."""
    user = request.user
    report = get_restricted_or_404(SafetyReport, user, uuid, "triage")
    fields = payload.model_dump(exclude_unset=True, exclude={"status", "note", "safety_case_id"})
    if "suspect_product" in fields:
        fields["suspect_product"] = resolve(Product, user, fields["suspect_product"], "suspect_product")
    actions.triage_report(
        report,
        acting_user=user,
        status=payload.status,
        note=payload.note,
        safety_case_id=payload.safety_case_id,
        **fields,
    )
    return _reports().get(pk=report.pk)
