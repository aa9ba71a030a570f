"""REST endpoints of the transparency ledger and its disclosure files; writes go through transparency.actions.

/transfers-of-value: list (filters), create, read, void; /transfers-of-value/consents: record an HCP's
disclosure consent for a year. /transparency/exports/{cms-general|cms-research|efpia}?year=&country=&format=:
the file as CSV (refusals counted in the X-Refusals header; ask format=json to read them) or, with
format=json, the columns, rows and refusals as JSON.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Q
from django.http import HttpResponse
from ninja import Query, Router, Status

from liaison.core.api_common import (
    ApiRequest,
    Message,
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
from liaison.people.models import HCP, Organization

from . import actions
from .exports import EXPORT_KINDS, build_export
from .models import DisclosureConsent, TransferOfValue
from .schemas import (
    ConsentCreate,
    ConsentRead,
    ExportQuery,
    ExportRead,
    TransferOfValueCreate,
    TransferOfValueFilters,
    TransferOfValueRead,
    TransferVoid,
)

transfers_router = Router(tags=["transfers-of-value"])
exports_router = Router(tags=["transparency"])


def _transfers() -> RestrictQuerySet:
    return TransferOfValue.objects.select_related(
        "recipient_hcp", "recipient_organization", "recorded_by", "replaced_by"
    )


def _recipient_name(words: str) -> Q:
    """Every word of `words` in the HCP's first or last name or the organisation's name."""
    query = Q()
    for word in words.split()[:4]:
        query &= (
            Q(recipient_hcp__last_name__icontains=word)
            | Q(recipient_hcp__first_name__icontains=word)
            | Q(recipient_organization__name__icontains=word)
        )
    return query


@transfers_router.get(
    "", response=responses({200: page_of(TransferOfValueRead)}), operation_id="transfers_of_value_list"
)
def list_transfers(request: ApiRequest, filters: Query[TransferOfValueFilters]) -> Any:
    """Transfers you may see, newest payment first; filter by `year`, `nature`, `kind`, `country`, `recipient`
    (part of a name), `hcp`; `include_void=false` leaves voided rows out."""
    qs = apply_filters(
        visible(TransferOfValue, request.user, queryset=_transfers()),
        filters,
        {
            "year": "paid_on__year",
            "nature": "nature",
            "kind": "kind",
            "country": _country,
            "recipient": _recipient_name,
            "hcp": "recipient_hcp__uuid",
        },
    )
    if not filters.include_void:
        qs = qs.filter(voided_at__isnull=True)
    return limit_offset_page(qs.order_by("-paid_on", "-created_at"), filters)


def _country(value: str) -> Q:
    """Countries are stored upper-case."""
    return Q(country=value.upper())


@transfers_router.post(
    "", response=responses({201: TransferOfValueRead}), operation_id="transfers_of_value_create"
)
def create_transfer(request: ApiRequest, payload: TransferOfValueCreate) -> Any:
    """Record a transfer of value to one HCP or one organisation."""
    user = request.user
    require(user, "transfer_of_value", "add")
    data = payload.dict()
    data["recipient_hcp"] = resolve(HCP, user, payload.recipient_hcp, "recipient_hcp")
    data["recipient_organization"] = resolve(
        Organization, user, payload.recipient_organization, "recipient_organization"
    )
    transfer = actions.record_transfer(acting_user=user, **data)
    return Status(201, _transfers().get(pk=transfer.pk))


@transfers_router.post(
    "/consents", response=responses({201: ConsentRead}), operation_id="transfers_of_value_consent"
)
def record_consent(request: ApiRequest, payload: ConsentCreate) -> Any:
    """Record whether an HCP consented to individual disclosure of a year's transfers (EFPIA)."""
    user = request.user
    require(user, "transfer_of_value", "add")
    consent = actions.record_consent(
        acting_user=user,
        hcp=resolve(HCP, user, payload.hcp, "hcp"),
        year=payload.year,
        consented=payload.consented,
        recorded_on=payload.recorded_on,
        note=payload.note,
    )
    return Status(201, DisclosureConsent.objects.select_related("hcp", "recorded_by").get(pk=consent.pk))


@transfers_router.get(
    "/{uuid}", response=responses({200: TransferOfValueRead}), operation_id="transfers_of_value_read"
)
def read_transfer(request: ApiRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(TransferOfValue, request.user, uuid, queryset=_transfers())


@transfers_router.post(
    "/{uuid}/void", response=responses({200: TransferOfValueRead}), operation_id="transfers_of_value_void"
)
def void_transfer(request: ApiRequest, uuid: UUID, payload: TransferVoid) -> Any:
    """Void a transfer recorded in error (it stays in the ledger, marked, and leaves every export)."""
    user = request.user
    transfer = get_restricted_or_404(TransferOfValue, user, uuid, "change")
    actions.void_transfer(transfer, acting_user=user, reason=payload.reason)
    return _transfers().get(pk=transfer.pk)


@exports_router.get(
    "/exports/{kind}",
    response=responses({200: ExportRead}),
    operation_id="transparency_export",
)
def export(request: ApiRequest, kind: str, query: Query[ExportQuery]) -> Any:
    """A disclosure file: `cms-general` or `cms-research` (program `year`) or `efpia` (`year` and `country`).

    format=csv (default) answers the file, with the number of refused transfers in the X-Refusals header;
    format=json answers the columns, rows and the refusals (transfer, field, message).
    """
    user = request.user
    require(user, "transfer_of_value", "export")
    if kind not in EXPORT_KINDS:
        return Status(404, Message(detail=f"unknown export; choose one of {', '.join(EXPORT_KINDS)}"))
    result = build_export(user, kind=kind, year=query.year, country=query.country)
    if query.format == "csv":
        response = HttpResponse(result.to_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
        response["X-Refusals"] = str(len(result.refusals))
        return response
    columns, rows = result.table()
    return {
        "kind": kind,
        "year": query.year,
        "country": result.country,
        "summary": result.summary(),
        "columns": columns,
        "rows": rows,
        "refusals": [vars(r) for r in result.refusals],
    }
