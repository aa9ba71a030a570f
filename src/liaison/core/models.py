"""Base classes every domain record builds on: public uuids, timestamps, audit on write, restrict() on read."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, Self

from django.db import models, transaction
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from .audit import diff, record_event, snapshot
from .permissions import can


class RestrictQuerySet(models.QuerySet):
    """A queryset with the one permission-aware read choke point."""

    def restrict(self, user: Any, action: str = "view") -> Self:
        """Rows `user` may `action`: none unless the matrix grants it, then narrowed by the row policy."""
        resource = self.model.permission_resource
        if not can(user, resource, action):
            return self.none()
        return self.model.scope(self, user, action)


class AuditedQuerySet(RestrictQuerySet):
    """Bulk writes on audited records write one audit event per row, in the same transaction."""

    def update(self, **kwargs: Any) -> int:
        with transaction.atomic():
            rows = list(self.select_for_update())
            before = {row.pk: snapshot(row) for row in rows}
            count = super().update(**kwargs)
            for row in self.model._base_manager.filter(pk__in=before):
                changes = diff(before[row.pk], snapshot(row))
                if changes:
                    record_event(f"{row.audit_name}.updated", obj=row, action="update", changes=changes)
        return count

    def delete(self) -> tuple[int, dict[str, int]]:
        total, per_model = 0, {}
        with transaction.atomic():
            for row in list(self):
                n, detail = row.delete()
                total += n
                for label, k in detail.items():
                    per_model[label] = per_model.get(label, 0) + k
        return total, per_model

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        with transaction.atomic():
            created = super().bulk_create(objs, *args, **kwargs)
            for obj in created:
                record_event(f"{obj.audit_name}.created", obj=obj, action="create", changes=_created(obj))
        return created

    def bulk_update(self, objs: Any, fields: Any, *args: Any, **kwargs: Any) -> int:
        with transaction.atomic():
            objs = list(objs)
            olds = {
                row.pk: snapshot(row) for row in self.model._base_manager.filter(pk__in=[o.pk for o in objs])
            }
            count = super().bulk_update(objs, fields, *args, **kwargs)
            for obj in objs:
                changes = diff(olds.get(obj.pk, {}), snapshot(obj))
                if changes:
                    record_event(f"{obj.audit_name}.updated", obj=obj, action="update", changes=changes)
        return count


def _created(obj: models.Model) -> dict[str, list[Any]]:
    return {k: [None, v] for k, v in snapshot(obj).items() if v not in (None, "", [], {})}


class PublicModel(models.Model):
    """A record with a public uuid (the only id that appears in URLs and the API) and timestamps."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    permission_resource: ClassVar[str] = ""

    class Meta:
        abstract = True

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: Any, action: str) -> models.QuerySet:
        """Row-level policy; the default lets every holder of the permission see every row."""
        return queryset


class AuditedModel(PublicModel):
    """A regulated record: every create, update and delete writes a hash-chained audit event.

    The event holds the old and new value of each changed field; `audit_exclude` names fields that are not
    worth auditing (bookkeeping timestamps). Saving with no audit context raises MissingAuditContext.
    """

    audit_exclude: ClassVar[tuple[str, ...]] = ("created_at", "updated_at")

    objects = AuditedQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def audit_name(self) -> str:
        return self._meta.model_name or type(self).__name__.lower()

    def save(self, *args: Any, **kwargs: Any) -> None:
        with transaction.atomic():
            old = None
            if not self._state.adding and self.pk is not None:
                stored = type(self)._base_manager.filter(pk=self.pk).first()
                old = snapshot(stored) if stored is not None else None
            super().save(*args, **kwargs)
            if old is None:
                record_event(f"{self.audit_name}.created", obj=self, action="create", changes=_created(self))
                return
            changes = diff(old, snapshot(self))
            if changes:
                record_event(f"{self.audit_name}.updated", obj=self, action="update", changes=changes)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        with transaction.atomic():
            old = snapshot(self)
            label, obj_uuid, obj_repr = self._meta.label_lower, str(self.uuid), str(self)
            result = super().delete(*args, **kwargs)
            record_event(
                f"{self.audit_name}.deleted",
                action="delete",
                changes={k: [v, None] for k, v in old.items() if v not in (None, "", [], {})},
                object_type=label,
                object_uuid=obj_uuid,
                object_repr=obj_repr,
            )
        return result


@receiver(m2m_changed)
def audit_many_to_many(sender: Any, instance: Any, action: str, reverse: bool, model: Any, pk_set: Any, **_: Any) -> None:
    """Many-to-many changes on audited records (products on an interaction, areas on an HCP) are audited too."""
    if reverse or not isinstance(instance, AuditedModel) or action not in {"post_add", "post_remove", "post_clear"}:
        return
    field = next(
        (f for f in instance._meta.many_to_many if f.remote_field.through is sender),
        None,
    )
    if field is None or not pk_set and action != "post_clear":
        return
    labels = (
        [str(v) for v in model._base_manager.filter(pk__in=pk_set).values_list("uuid", flat=True)]
        if pk_set and hasattr(model, "uuid")
        else sorted(pk_set or [])
    )
    verb = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
    record_event(
        f"{instance.audit_name}.updated",
        obj=instance,
        action="update",
        changes={field.name: [None if verb == "added" else labels, labels if verb == "added" else None]},
        reason=None,
    )
