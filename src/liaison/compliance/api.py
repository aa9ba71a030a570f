"""REST endpoints for the audit trail: read it, and verify its hash chain (oversight roles only)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router

from liaison.core.api_common import page_of, paginate, responses, visible
from liaison.core.permissions import require
from liaison.core.views import get_restricted_or_404

from .models import AuditEvent
from .schemas import AuditChainReport, AuditEventFilters, AuditEventRead
from .verification import verify_all

audit_events_router = Router(tags=["audit-events"])


@audit_events_router.get(
    "", response=responses({200: page_of(AuditEventRead)}), operation_id="audit_events_list"
)
def list_audit_events(request: HttpRequest, filters: Query[AuditEventFilters]) -> Any:
    """Audit events, newest first; filter by `object_uuid`, `event_type`, `object_type`, `actor`,
    `since`/`until`."""
    qs = visible(AuditEvent, request.user)
    if filters.object_uuid:
        qs = qs.filter(object_uuid=str(filters.object_uuid))
    if filters.event_type:
        et = filters.event_type
        qs = qs.filter(event_type__startswith=et) if et.endswith(".") else qs.filter(event_type=et)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.actor:
        try:
            qs = qs.filter(actor_uuid=str(UUID(filters.actor)))
        except ValueError:
            qs = qs.filter(actor_username=filters.actor)
    if filters.since:
        qs = qs.filter(occurred_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(occurred_at__lte=filters.until)
    return paginate(qs, filters)


# Registered before "/{uuid}" so that "verify" is not taken for a malformed uuid.
@audit_events_router.get(
    "/verify", response=responses({200: AuditChainReport}), operation_id="audit_events_verify"
)
def verify_audit_chain(request: HttpRequest) -> Any:
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
def read_audit_event(request: HttpRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(AuditEvent, request.user, uuid)
