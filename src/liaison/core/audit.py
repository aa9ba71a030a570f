"""Writing audit events: snapshots of audited records and the keyed, hash-chained event itself.

The event row is written in the caller's transaction, so a change and its audit event commit or roll back
together (Zulip's pattern). The chain is kept strictly sequential: on PostgreSQL by a transaction-scoped
advisory lock, on SQLite because write transactions begin IMMEDIATE. Each link is an HMAC under the audit key
(core/audit_keys.py), which is never stored in the database.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from .audit_keys import AuditKey, keyring
from .context import current_context

GENESIS_HASH = "0" * 64
_CHAIN_LOCK_KEY = 71_650_512  # arbitrary, constant: the advisory lock that serialises the audit chain


def json_value(value: Any) -> Any:
    """A JSON-native, deterministic representation of a field value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return str(value)


FINGERPRINT_PREFIX = "hmac:"


def object_type_of(model: Any) -> str:
    """The object type that audit events name a record (or model) by: "app_label.modelname".

    A model renamed after its events were written keeps its old name in `audit_label`, so that its history
    (event types, object types, fingerprints, the reconciliation's replay) still reads as one.
    """
    return getattr(model, "audit_label", "") or model._meta.label_lower


def fingerprint(label: str, field: str, value: Any, key: AuditKey | None = None) -> str | None:
    """A keyed fingerprint of a secret value (a password hash, a token hash): it shows in the trail that the value
    changed, and lets `audit verify` notice one swapped in the database, without revealing anything about it."""
    if value in (None, ""):
        return None
    key = key or keyring().current
    mac = key.sign("chain", f"{label}.{field}\0{value}")[:32]
    return f"{FINGERPRINT_PREFIX}{key.key_id}:{mac}"


def snapshot(obj: models.Model) -> dict[str, Any]:
    """Audited field values of `obj`; foreign keys as the related record's public uuid where it has one, and
    secrets (`audit_fingerprint`) as their keyed fingerprint."""
    excluded = set(getattr(obj, "audit_exclude", ()))
    fingerprinted = set(getattr(obj, "audit_fingerprint", ()))
    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in excluded or field.primary_key:
            continue
        if field.name in fingerprinted:
            values[field.name] = fingerprint(object_type_of(obj), field.name, field.value_from_object(obj))
            continue
        if field.is_relation:
            related_id = getattr(obj, field.attname)
            if related_id is None:
                values[field.name] = None
                continue
            related_model = field.related_model
            if related_model is not None and hasattr(related_model, "uuid"):
                related_uuid = (
                    related_model._base_manager.filter(pk=related_id).values_list("uuid", flat=True).first()
                )
                values[field.name] = str(related_uuid) if related_uuid else related_id
            else:
                values[field.name] = related_id
        else:
            values[field.name] = json_value(field.value_from_object(obj))
    return values


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for every field whose value changed."""
    return {k: [old.get(k), new.get(k)] for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)}


def canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev_hash: str, payload: dict[str, Any], key: AuditKey | None) -> str:
    """The link of one event: HMAC-SHA256 under the audit key of the previous link and the event's content.

    `key=None` is the unkeyed SHA-256 of events written before the audit key existed (accepted by
    `verify_chain` only at the start of a chain, before its first keyed event).
    """
    message = prev_hash + canonical(payload)
    if key is None:
        return hashlib.sha256(message.encode("utf-8")).hexdigest()
    return key.sign("chain", message)


def record_event(
    event_type: str,
    *,
    obj: models.Model | None = None,
    action: str | None = None,
    changes: dict[str, list[Any]] | None = None,
    reason: str | None = None,
    object_type: str | None = None,
    object_uuid: str | None = None,
    object_repr: str | None = None,
) -> Any:
    """Append one event to the audit chain inside the current transaction and return it."""
    # Deferred: core.models imports this module (AuditedModel.save calls record_event) and defines AuditEvent.
    from .models import AuditEvent

    ctx = current_context()
    actor = ctx.actor
    key = keyring().current
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        last = AuditEvent.objects.order_by("-seq").values_list("hash", flat=True).first()
        prev_hash = last or GENESIS_HASH
        event = AuditEvent(
            occurred_at=timezone.now(),
            actor_uuid=str(actor.uuid) if actor is not None and getattr(actor, "uuid", None) else "",
            actor_username=getattr(actor, "username", "") or "system",
            actor_role=getattr(actor, "role", "") or "",
            source=ctx.source,
            request_id=ctx.request_id,
            event_type=event_type,
            action=action or event_type.rsplit(".", 1)[-1],
            object_type=object_type or (object_type_of(obj) if obj is not None else ""),
            object_uuid=object_uuid or (str(getattr(obj, "uuid", "") or "") if obj is not None else ""),
            object_repr=(object_repr if object_repr is not None else (str(obj) if obj is not None else ""))[
                :200
            ],
            changes=json_value(changes or {}),
            reason=reason if reason is not None else ctx.reason,
            prev_hash=prev_hash,
            key_id=key.key_id,
        )
        event.hash = event_hash(prev_hash, event.hash_payload(), key)
        event.save(force_insert=True)
    return event
