"""API schemas for the audit trail (read-only) and the chain verification report."""

import datetime as dt
from typing import Any
from uuid import UUID

from ninja import Field, Schema

from liaison.core.api_common import Instant, PageQuery, SearchText


class AuditEventRead(Schema):
    uuid: UUID
    occurred_at: dt.datetime
    actor_uuid: str
    actor_username: str
    actor_role: str
    source: str
    request_id: str
    event_type: str
    action: str
    object_type: str
    object_uuid: str
    object_repr: str
    changes: dict[str, Any] = Field(description="{field: [old, new]}")
    reason: str
    prev_hash: str
    hash: str


class AuditEventFilters(PageQuery):
    object_uuid: UUID | None = None
    event_type: SearchText | None = Field(None, description="exact, or a prefix ending in '.' (e.g. 'hcp.')")
    object_type: SearchText | None = Field(None, description="e.g. people.hcp")
    actor: SearchText | None = Field(None, description="the actor's uuid or username")
    since: Instant | None = None
    until: Instant | None = None


class RecordDifference(Schema):
    table: str
    record: str
    field: str
    stored: Any
    audited: Any


class AuditChainReport(Schema):
    ok: bool
    checked: int = Field(description="events whose hash and link were verified")
    broken_event: UUID | None = Field(description="the first event whose link or content does not match")
    problem: str
    message: str
    head_seq: int | None = Field(description="the newest event of the chain")
    head_hash: str
    anchors_checked: int = Field(
        description="signed anchors of this chain, outside the database, that were checked"
    )
    anchor_problems: list[str] = Field(
        description="anchored positions missing or changed (truncation, re-chaining)"
    )
    records_checked: int = Field(description="audited records compared with the replay of their audit events")
    record_differences: list[RecordDifference] = Field(
        description="records changed outside the application: table, record uuid, field, stored and audited value"
    )
