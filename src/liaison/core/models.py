"""Base classes every domain record builds on: public uuids, timestamps, audit on write, restrict() on read."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, cast

from django.db import models, transaction
from django.db.models.options import Options
from django.db.models.signals import class_prepared, m2m_changed, post_delete, pre_delete
from django.dispatch import receiver

from .audit import diff, json_value, object_type_of, record_event, snapshot
from .context import current_context
from .permissions import can

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from liaison.accounts.models import User


class Restricted(Protocol):
    """A model class as restrict() and the generic reads use it (every PublicModel, and AuditEvent): its resource
    in the permission matrix, its row policy and its manager built on RestrictQuerySet. The class object itself
    implements this protocol, so its class attributes are written here as plain members."""

    permission_resource: str
    _meta: Options[Any]
    objects: Any  # each model's own manager type, built from a RestrictQuerySet

    def scope(self, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet: ...


class RestrictQuerySet(models.QuerySet):
    """A queryset with the one permission-aware read choke point."""

    def restrict(self, user: User | AnonymousUser | None, action: str = "view") -> Self:
        """Rows `user` may `action`: none unless the matrix grants it, then narrowed by the row policy."""
        model = cast(Restricted, self.model)
        if not can(user, model.permission_resource, action):
            return self.none()
        # The row policy only filters this queryset, which keeps its class.
        return cast(Self, model.scope(self, user, action))


class AuditEvent(models.Model):
    """One change to a regulated record, or one regulated act (routing, forwarding, signing, verifying).

    It lives in core, beside `AuditedModel` whose writes append it (core/audit.py `record_event`). Its table
    keeps the name it had when compliance owned it. Rows are never updated or deleted: database triggers
    (compliance migrations 0002-0003) reject both on SQLite and PostgreSQL. `hash` = HMAC-SHA256 under the audit key `key_id` of (prev_hash + canonical JSON of the other
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
        db_table = "compliance_auditevent"
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_uuid", "seq"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.event_type} {self.object_repr}"

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
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


class ImmutableField(ValueError):
    """A write tried to change a field that its model declares immutable (see `AuditedModel.immutable_fields`)."""


def _refuse_immutable(model: type[models.Model], fields: Any) -> None:
    """Bulk writes may not touch immutable fields either: there is no old value check to fall back on."""
    names = {model._meta.get_field(f).name for f in fields}
    touched = sorted(names & set(getattr(model, "immutable_fields", ())))
    if touched:
        raise getattr(model, "immutable_error", ImmutableField)(
            f"{', '.join(touched)} of {model._meta.verbose_name} cannot be changed"
        )


class AuditedQuerySet(RestrictQuerySet):
    """Bulk writes on audited records write one audit event per row, in the same transaction."""

    def update(self, **kwargs: Any) -> int:
        """QuerySet.update, with one audit event (old and new values) per changed row."""
        _refuse_immutable(self.model, kwargs)
        with transaction.atomic():
            # Lock through a primary-key subquery: FOR UPDATE on the queryset itself fails on PostgreSQL when it
            # has DISTINCT or an outer join (a row policy with an OR across a nullable foreign key).
            pks = list(self.values_list("pk", flat=True))
            base = cast("type[AuditedModel]", self.model)._base_manager
            before = {row.pk: snapshot(row) for row in base.select_for_update().filter(pk__in=pks)}
            count = super().update(**kwargs)
            for row in base.filter(pk__in=before).order_by("pk"):
                changes = diff(before[row.pk], snapshot(row))
                if changes:
                    record_event(f"{row.audit_name}.updated", obj=row, action="update", changes=changes)
        return count

    def delete(self) -> tuple[int, dict[str, int]]:
        """QuerySet.delete, one row at a time so that each row (and each cascaded row) writes its event."""
        total = 0
        per_model: dict[str, int] = {}
        with transaction.atomic():
            for row in cast("list[AuditedModel]", list(self)):
                n, detail = row.delete()
                total += n
                for label, k in detail.items():
                    per_model[label] = per_model.get(label, 0) + k
        return total, per_model

    # As on Django's QuerySet: `Model.objects.delete()` (everything, by accident) must not exist on the manager.
    delete.queryset_only = True  # type: ignore[attr-defined]

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        """QuerySet.bulk_create, with one `created` event per row."""
        with transaction.atomic():
            created = super().bulk_create(objs, *args, **kwargs)
            for obj in cast("list[AuditedModel]", created):
                record_event(f"{obj.audit_name}.created", obj=obj, action="create", changes=_created(obj))
        return created

    def bulk_update(self, objs: Any, fields: Any, *args: Any, **kwargs: Any) -> int:
        """QuerySet.bulk_update, with one event per changed row.

        Django implements it as one `update()` per batch on this queryset, so `update` above writes the events
        (with the values read back from the database); recording them here as well would double them.
        """
        _refuse_immutable(self.model, fields)
        with transaction.atomic():
            return super().bulk_update(objs, fields, *args, **kwargs)


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
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        """Row-level policy; the default lets every holder of the permission see every row."""
        return queryset


class AuditedModel(PublicModel):
    """A regulated record: every create, update and delete writes a hash-chained audit event.

    The event holds the old and new value of each changed field; `audit_exclude` names fields that are not
    worth auditing (bookkeeping timestamps); `audit_fingerprint` names secrets audited only as a keyed fingerprint
    (core.audit.fingerprint). Saving with no audit context raises MissingAuditContext.
    `immutable_fields` can never change once stored, whether through save(), update() or bulk_update().
    `audit_label` keeps the "app_label.modelname" a renamed model's events were written under (object type, and
    the model part of event types); empty means the model's own label.
    Deletes are audited by signal receivers, so rows removed by a cascade write their events too.
    """

    audit_label: ClassVar[str] = ""
    audit_exclude: ClassVar[tuple[str, ...]] = ("created_at", "updated_at")
    audit_fingerprint: ClassVar[tuple[str, ...]] = ()
    immutable_fields: ClassVar[tuple[str, ...]] = ()
    immutable_error: ClassVar[type[ImmutableField]] = ImmutableField

    objects = AuditedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save and write a `created` event, or an `updated` event with the fields that changed."""
        update_fields = kwargs.get("update_fields")
        with transaction.atomic():
            old = None
            # Whenever a pk is set the row may exist (Django then UPDATEs it), so compare with what is stored.
            if self.pk is not None:
                stored = type(self)._base_manager.filter(pk=self.pk).first()
                if stored is not None:
                    self._check_immutable(stored)
                    old = snapshot(stored)
            super().save(*args, **kwargs)
            if old is None:
                record_event(f"{self.audit_name}.created", obj=self, action="create", changes=_created(self))
                return
            changes = diff(old, snapshot(self))
            if update_fields is not None:
                # Only the listed fields were written; other in-memory edits did not reach the database.
                written = {self._meta.get_field(f).name for f in update_fields}
                changes = {k: v for k, v in changes.items() if k in written}
            if changes:
                record_event(f"{self.audit_name}.updated", obj=self, action="update", changes=changes)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """Delete in one transaction; `_before_delete`/`_after_delete` write one event per deleted row."""
        with transaction.atomic():
            return super().delete(*args, **kwargs)

    @property
    def audit_name(self) -> str:
        """The model part of this record's event types, e.g. "interaction" in "interaction.updated"."""
        return object_type_of(self).rpartition(".")[2] or type(self).__name__.lower()

    def _check_immutable(self, stored: models.Model) -> None:
        for name in self.immutable_fields:
            attname = cast("models.Field[Any, Any]", self._meta.get_field(name)).attname
            before, after = getattr(stored, attname), getattr(self, attname)
            if before is not None and before != after:
                raise self.immutable_error(f"{name} of {self._meta.verbose_name} cannot be changed")


def _before_delete(sender: Any, instance: AuditedModel, **_: Any) -> None:
    # Runs for the record and for every row its deletion cascades to, before any row is gone: fail here
    # (no context) and nothing is deleted; snapshot here, while related records can still be resolved.
    current_context()
    instance._audit_deleted = (  # type: ignore[attr-defined]
        snapshot(instance),
        object_type_of(instance),
        str(instance.uuid),
        str(instance),
    )


def _after_delete(sender: Any, instance: AuditedModel, **_: Any) -> None:
    old, label, obj_uuid, obj_repr = instance.__dict__.pop("_audit_deleted")
    record_event(
        f"{instance.audit_name}.deleted",
        action="delete",
        changes={k: [v, None] for k, v in old.items() if v not in (None, "", [], {})},
        object_type=label,
        object_uuid=obj_uuid,
        object_repr=obj_repr,
    )


@receiver(class_prepared)
def _audit_deletes_of(sender: Any, **_: Any) -> None:
    """Connect the delete receivers to each concrete audited model (not to every model: that would turn off
    Django's fast deletes everywhere)."""
    if issubclass(sender, AuditedModel) and not sender._meta.abstract:
        pre_delete.connect(
            _before_delete, sender=sender, dispatch_uid=f"audit-pre-delete-{sender._meta.label}"
        )
        post_delete.connect(
            _after_delete, sender=sender, dispatch_uid=f"audit-post-delete-{sender._meta.label}"
        )


def _m2m_labels(model: Any, pks: Any) -> list[Any]:
    if not pks:
        return []
    if hasattr(model, "uuid"):
        return sorted(str(v) for v in model._base_manager.filter(pk__in=pks).values_list("uuid", flat=True))
    return sorted(pks)


@receiver(m2m_changed)
def audit_many_to_many(
    sender: Any, instance: Any, action: str, reverse: bool, model: Any, pk_set: Any, **_: Any
) -> None:
    """Many-to-many changes on audited records (products on an interaction, areas on an HCP) are audited too.

    Changes are recorded on the record that holds the field, also when made from the other side
    (`area.hcps.add(hcp)` is audited on the HCP). Added values appear as [None, added], removed or cleared ones
    as [removed, None].
    """
    if reverse:
        holder_model, target = model, instance
    else:
        holder_model, target = type(instance), None
    if not (isinstance(holder_model, type) and issubclass(holder_model, AuditedModel)):
        return
    field = next((f for f in holder_model._meta.many_to_many if f.remote_field.through is sender), None)
    if field is None:
        return
    if action.startswith("pre_"):
        current_context()  # refuse before the through rows are written
        if action == "pre_clear":
            if reverse:
                holders = list(holder_model._base_manager.filter(**{field.name: target}))
                instance._audit_m2m_cleared = (field.name, holders)
            else:
                instance._audit_m2m_cleared = (
                    field.name,
                    _m2m_labels(model, getattr(instance, field.name).values_list("pk", flat=True)),
                )
        return
    verb = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
    if reverse:
        if verb == "cleared":
            _, holders = instance.__dict__.pop("_audit_m2m_cleared", (None, []))
        else:
            holders = list(holder_model._base_manager.filter(pk__in=pk_set or []))
        labels = [str(target.uuid)] if hasattr(target, "uuid") else [target.pk]
        pairs = [(holder, labels) for holder in holders]
    else:
        if verb == "cleared":
            _, labels = instance.__dict__.pop("_audit_m2m_cleared", (None, []))
        else:
            labels = _m2m_labels(model, pk_set)
        pairs = [(instance, labels)] if labels else []
    for holder, values in pairs:
        record_event(
            f"{holder.audit_name}.updated",
            obj=holder,
            action="update",
            changes={field.name: [None, values] if verb == "added" else [values, None]},
        )


class WorkerHeartbeat(models.Model):
    """A running `liaison worker` process and its lease: the jobs it claimed are its own while it beats.

    The worker writes its row before it claims anything and renews `beat_at` every few seconds from a thread,
    also while a long job runs. A row older than LIAISON_WORKER_LEASE_SECONDS means the process is gone (killed,
    crashed, its machine lost): any worker then hands its RUNNING jobs back to the queue (core/worker.py).
    Bookkeeping, not a regulated record, so not audited.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True)
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"worker {self.worker_id} (pid {self.pid} on {self.hostname})"


class PeriodicRun(models.Model):
    """When a periodic job registered with `core.schedule.register_periodic` last ran and runs next.

    One row per job name shared by every worker: a worker runs a job only after moving `next_run_at` forward in
    one conditional UPDATE, so two workers never run the same due job twice. Not audited (bookkeeping).
    """

    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField()
    last_started_at = models.DateTimeField(null=True)
    last_finished_at = models.DateTimeField(null=True)
    last_worker_id = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"periodic job {self.name}"
