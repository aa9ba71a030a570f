"""REST endpoints for the audit trail: read it, and verify its hash chain (oversight roles only)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Q
from ninja import Query, Router

from liaison.core.api_common import ApiRequest, apply_filters, limit_offset_page, page_of, responses, visible
from liaison.core.models import AuditEvent
from liaison.core.permissions import require
from liaison.core.views import get_restricted_or_404

from .schemas import AuditChainReport, AuditEventFilters, AuditEventRead
from .verification import verify_all

audit_events_router = Router(tags=["audit-events"])


def _event_type(value: str) -> Q:
    """One event type, or every type under a prefix that ends in "." ("hcp.")."""
    return Q(event_type__startswith=value) if value.endswith(".") else Q(event_type=value)


def _actor(value: str) -> Q:
    """The actor by uuid, or else by username."""
    try:
        return Q(actor_uuid=str(UUID(value)))
    except ValueError:
        return Q(actor_username=value)


@audit_events_router.get(
    "", response=responses({200: page_of(AuditEventRead)}), operation_id="audit_events_list"
)
def list_audit_events(request: ApiRequest, filters: Query[AuditEventFilters]) -> Any:
    """Audit events, newest first; filter by `object_uuid`, `event_type`, `object_type`, `actor`,
    `since`/`until`."""
    qs = apply_filters(
        visible(AuditEvent, request.user),
        filters,
        {
            "object_uuid": lambda value: Q(object_uuid=str(value)),
            "event_type": _event_type,
            "object_type": "object_type",
            "actor": _actor,
            "since": "occurred_at__gte",
            "until": "occurred_at__lte",
        },
    )
    return limit_offset_page(qs, filters)


# Registered before "/{uuid}" so that "verify" is not taken for a malformed uuid.
@audit_events_router.get(
    "/verify", response=responses({200: AuditChainReport}), operation_id="audit_events_verify"
)
def verify_audit_chain(request: ApiRequest) -> Any:
    """Verify the keyed chain, its anchors outside the database and every audited record."""
    require(request.user, "audit_event", "verify")
    report = verify_all()
    chain = report.chain
    broken = None
    if chain.broken_seq is not None:
        broken = AuditEvent.objects.filter(seq=chain.broken_seq).values_list("uuid", flat=True).first()
    return {
        "ok": report.ok,
        "checked": chain.checked,
        "broken_event": broken,
        "problem": chain.problem,
        "message": report.describe(),
        "head_seq": report.head.seq if report.head else None,
        "head_hash": report.head.hash if report.head else "",
        "anchors_checked": report.anchors.checked,
        "anchor_problems": report.anchors.problems,
        "records_checked": report.records.records,
        "record_differences": [
            {"table": d.table, "record": d.record, "field": d.field, "stored": d.stored, "audited": d.audited}
            for d in report.records.discrepancies
        ],
    }


@audit_events_router.get(
    "/{uuid}", response=responses({200: AuditEventRead}), operation_id="audit_events_read"
)
def read_audit_event(request: ApiRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(AuditEvent, request.user, uuid)
