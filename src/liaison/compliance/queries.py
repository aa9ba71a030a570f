"""Restricted reads of the audit trail, including the changelog of one record."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from .models import AuditEvent


def changelog_for(obj: Any, user: Any, *, related: bool = True) -> QuerySet[AuditEvent]:
    """Audit events about `obj` (and, with `related`, about its attendees, which are stored as their own rows),
    newest first; empty for users who may not view the audit trail."""
    events = AuditEvent.objects.restrict(user, "view")
    query = Q(object_uuid=str(obj.uuid))
    if related and obj._meta.model_name == "interaction":
        from liaison.engagement.models import InteractionAttendee

        attendee_uuids = [
            str(u) for u in InteractionAttendee.objects.filter(interaction=obj).values_list("uuid", flat=True)
        ]
        query |= Q(object_uuid__in=attendee_uuids)
    return events.filter(query).order_by("-seq")
