"""Restricted reads every app needs: the changelog of one record, and the rows that a higher app links to a
record of a lower one (an interaction's safety reports), read through the relation the higher app declared."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from .models import AuditEvent

if TYPE_CHECKING:
    from liaison.accounts.models import User


def changelog_for(obj: Any, user: User, *, related: bool = True) -> QuerySet[AuditEvent]:
    """Audit events about `obj` (and, with `related`, about the rows it names in `audit_related_uuids()`, such as
    an interaction's attendees, which are stored as their own rows), newest first; empty for users who may not
    view the audit trail."""
    events = AuditEvent.objects.restrict(user, "view")
    query = Q(object_uuid=str(obj.uuid))
    if related and hasattr(obj, "audit_related_uuids"):
        query |= Q(object_uuid__in=[str(u) for u in obj.audit_related_uuids()])
    return events.filter(query).order_by("-seq")


def visible_related(obj: Any, related_name: str, user: User, action: str = "view") -> QuerySet[Any]:
    """Rows of `obj`'s reverse relation `related_name` that `user` may `action`, through restrict().

    The relation is declared by a model of an app above `obj`'s (SafetyReport.interaction, related name
    "safety_reports"), so the lower app's page reads it by name without importing the higher app.
    """
    return getattr(obj, related_name).restrict(user, action)


def related_restricted(
    model: type[Any], related_name: str, user: User, action: str = "view"
) -> QuerySet[Any]:
    """All rows of the model behind `model`'s reverse relation `related_name` that `user` may `action` (for a
    Prefetch over many records, where `visible_related` would query once per record)."""
    return model._meta.get_field(related_name).related_model.objects.restrict(user, action)
