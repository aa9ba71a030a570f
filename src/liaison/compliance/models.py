"""Audit events: append-only in the database itself and chained by SHA-256 hashes."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.db import models

from liaison.core.audit import json_value
from liaison.core.models import RestrictQuerySet


class AuditEvent(models.Model):
    """One change to a regulated record, or one regulated act (routing, forwarding, signing, verifying).

    Rows are never updated or deleted: database triggers (migration 0002) reject both on SQLite and
    PostgreSQL. `hash` = HMAC-SHA256 under the audit key `key_id` of (prev_hash + canonical JSON of the other
    fields), so any edit, deletion, insertion or reordering breaks the chain at a point `liaison audit verify`
    names, and nobody without the key (which is not in the database) can re-chain it.
    """

    seq = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    occurred_at = models.DateTimeField(db_index=True)
    actor_uuid = models.CharField(max_length=36, blank=True, db_index=True)
    actor_username = models.CharField(max_length=150)
    actor_role = models.CharField(max_length=40, blank=True)
    source = models.CharField(max_length=20)
    request_id = models.CharField(max_length=64, db_index=True)
    event_type = models.CharField(max_length=80, db_index=True)
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=80, db_index=True)
    object_uuid = models.CharField(max_length=36, blank=True, db_index=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # The audit key that signed this event ("" for events written before the chain was keyed).
    key_id = models.CharField(max_length=32, blank=True, default="")

    objects = RestrictQuerySet.as_manager()
    permission_resource: ClassVar[str] = "audit_event"

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_uuid", "seq"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.event_type} {self.object_repr}"

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: Any, action: str) -> models.QuerySet:
        return queryset

    def hash_payload(self) -> dict[str, Any]:
        """What the link covers: every field but the links themselves (and key_id only once keyed, so that
        events written before the key existed keep their hashes)."""
        payload = {
            "uuid": str(self.uuid),
            "occurred_at": json_value(self.occurred_at),
            "actor_uuid": self.actor_uuid,
            "actor_username": self.actor_username,
            "actor_role": self.actor_role,
            "source": self.source,
            "request_id": self.request_id,
            "event_type": self.event_type,
            "action": self.action,
            "object_type": self.object_type,
            "object_uuid": self.object_uuid,
            "object_repr": self.object_repr,
            "changes": self.changes,
            "reason": self.reason,
        }
        if self.key_id:
            payload["key_id"] = self.key_id
        return payload
