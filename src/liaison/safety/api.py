"""REST endpoints for safety reports: reading them, and drug safety's triage (through safety.actions only)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router

from liaison.accounts.models import Product
from liaison.core.api_common import page_of, paginate, resolve, responses, visible
from liaison.core.views import get_restricted_or_404

from . import actions
from .models import SafetyReport
from .schemas import SafetyReportFilters, SafetyReportRead, SafetyReportTriage

safety_reports_router = Router(tags=["safety-reports"])


def _reports() -> QuerySet:
    return SafetyReport.objects.select_related(
        "reported_by", "interaction", "inquiry", "insight", "suspect_product", "assigned_to"
    ).prefetch_related("outbox")


@safety_reports_router.get(
    "", response=responses({200: page_of(SafetyReportRead)}), operation_id="safety_reports_list"
)
def list_safety_reports(request: HttpRequest, filters: Query[SafetyReportFilters]) -> Any:
    """Safety reports you may see, oldest Day 0 first; filter by `status`, `trigger`, `since`/`until`."""
    qs = (
        visible(SafetyReport, request.user)
        .select_related("reported_by", "interaction", "inquiry", "insight", "suspect_product", "assigned_to")
        .prefetch_related("outbox")
    )
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.trigger:
        qs = qs.filter(trigger=filters.trigger)
    if filters.since:
        qs = qs.filter(day_zero__gte=filters.since)
    if filters.until:
        qs = qs.filter(day_zero__lte=filters.until)
    return paginate(qs, filters)


@safety_reports_router.get(
    "/{uuid}", response=responses({200: SafetyReportRead}), operation_id="safety_reports_read"
)
def read_safety_report(request: HttpRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(SafetyReport, request.user, uuid, queryset=_reports())


@safety_reports_router.post(
    "/{uuid}/triage", response=responses({200: SafetyReportRead}), operation_id="safety_reports_triage"
)
def triage_safety_report(request: HttpRequest, uuid: UUID, payload: SafetyReportTriage) -> Any:
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
