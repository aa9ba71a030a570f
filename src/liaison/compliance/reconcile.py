"""Reconciling audited records with their audit history: direct database edits are named, field by field.

Every write to an audited record through the application writes an event with the old and new value of each
field it changed, and the chain is keyed, so nobody without the audit key can add events. Replaying a record's
`created`, `updated` and `deleted` events therefore gives the values it must hold now. A row whose stored values
differ from that replay was changed behind the application's back (an UPDATE in a database shell, a restored
row, a deleted one, a row inserted by hand), and `liaison audit verify` names the table, the record and the
field.

Fields a model excludes from its audit (`audit_exclude`: bookkeeping timestamps, secrets) are not compared.
Memory grows with the records of one model at a time: the replay of one table is held, the rows are streamed.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models

from liaison.core.audit import FINGERPRINT_PREFIX, fingerprint, json_value, object_type_of
from liaison.core.audit_keys import keyring
from liaison.core.models import AuditedModel, AuditEvent

_EMPTY: tuple[Any, ...] = (None, "", [], {})
_DELETED = object()


@dataclass(frozen=True)
class Discrepancy:
    """One difference between a stored record and what its audit history says it holds."""

    table: str
    label: str
    record: str
    field: str
    stored: Any
    audited: Any

    def describe(self) -> str:
        if self.field == "(record)":
            return f"{self.table} record {self.record}: {self.stored}"
        return (
            f"{self.table} record {self.record}, field {self.field}: the database holds {self.stored!r}, "
            f"the audit trail says {self.audited!r}"
        )


@dataclass
class ReconcileReport:
    """How many records were compared, and every discrepancy (the first `limit` kept in full)."""

    models: int = 0
    records: int = 0
    discrepancies: list[Discrepancy] = field(default_factory=list)
    total: int = 0
    limit: int = 200

    @property
    def ok(self) -> bool:
        return self.total == 0

    def add(self, item: Discrepancy) -> None:
        self.total += 1
        if len(self.discrepancies) < self.limit:
            self.discrepancies.append(item)

    def record_problem(self, table: str, label: str, record: str, problem: str) -> None:
        """A whole record that should not exist, or should: no field to name."""
        self.add(Discrepancy(table, label, record, "(record)", problem, None))

    def describe(self) -> str:
        if self.ok:
            return f"{self.records} records of {self.models} audited tables match their audit history"
        return (
            f"{self.total} differences between {self.records} records of {self.models} audited tables and their "
            "audit history (changed outside the application)"
        )


def audited_models() -> list[type[AuditedModel]]:
    return [
        m
        for m in apps.get_models()
        if issubclass(m, AuditedModel) and not m._meta.abstract and m.__module__.startswith("liaison.")
    ]


def _compared_fields(model: type[models.Model]) -> list[models.Field]:
    excluded = set(getattr(model, "audit_exclude", ()))
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in excluded]


def _m2m_fields(model: type[models.Model]) -> list[models.ManyToManyField]:
    """Many-to-many fields audited on the record (an explicit through model is audited as its own records)."""
    excluded = set(getattr(model, "audit_exclude", ()))
    return [
        f
        for f in model._meta.many_to_many
        if f.name not in excluded
        and f.remote_field.through is not None
        and f.remote_field.through._meta.auto_created
    ]


def _norm(f: models.Field | None, value: Any) -> Any:
    """One form for a value from an event and from the database: empties as None, decimals by value, m2m as sets."""
    if f is not None and f.many_to_many:
        return frozenset(str(v) for v in value) if value else None
    if value in _EMPTY:
        return None
    if isinstance(f, models.DecimalField):
        try:
            return decimal.Decimal(str(value)).normalize()
        except decimal.InvalidOperation:
            return value
    if isinstance(f, models.FloatField) and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    if isinstance(f, models.FloatField) and isinstance(value, int | float):
        return float(value)
    return value


def replay(model: type[models.Model]) -> dict[str, Any]:
    """Each record's values as its `created`, `updated` and `deleted` events leave them, by record uuid.

    Events are found by the model's audit object type (`core.audit.object_type_of`: a renamed model's history
    keeps its old name). Many-to-many changes are events with [None, added] or [removed, None]; they are
    replayed as sets.
    """
    label = object_type_of(model)
    m2m = {f.name for f in _m2m_fields(model)}
    states: dict[str, Any] = {}
    events = (
        AuditEvent.objects.filter(object_type=label, action__in=("create", "update", "delete"))
        .exclude(object_uuid="")
        .order_by("seq")
        .values_list("object_uuid", "action", "changes")
    )
    for object_uuid, action, changes in events.iterator(chunk_size=5000):
        if action == "delete":
            states[object_uuid] = _DELETED
            continue
        state = states.get(object_uuid)
        if action == "create" or state is None or state is _DELETED:
            state = states[object_uuid] = {}
        for name, pair in (changes or {}).items():
            if not isinstance(pair, list) or len(pair) != 2:
                continue
            old, new = pair
            if name in m2m:
                values = state.setdefault(name, set())
                values |= {str(v) for v in new or ()}
                values -= {str(v) for v in old or ()} if new is None else set()
            else:
                state[name] = new
    return states


def current_values(model: type[models.Model], batch: int = 2000) -> Iterator[tuple[str, dict[str, Any]]]:
    """(uuid, values) for every stored row, in the form `core.audit.snapshot` gives (related records by uuid)."""
    compared = _compared_fields(model)
    columns: list[str] = []
    for f in compared:
        if f.is_relation and hasattr(f.related_model, "uuid"):
            columns.append(f"{f.name}__uuid")
        else:
            columns.append(f.attname)
    m2m = _m2m_fields(model)
    m2m_values: dict[str, dict[Any, set[str]]] = {}
    for f in m2m:
        through = f.remote_field.through
        assert through is not None  # set for every many-to-many field once the models are loaded
        source = f.m2m_field_name()
        target = f.m2m_reverse_field_name()
        target_has_uuid = hasattr(f.related_model, "uuid")
        lookup = f"{target}__uuid" if target_has_uuid else f"{target}_id"
        values: dict[Any, set[str]] = {}
        for holder, value in through._default_manager.values_list(f"{source}_id", lookup).iterator():
            values.setdefault(holder, set()).add(str(value))
        m2m_values[f.name] = values
    rows = model._base_manager.order_by("pk").values_list("pk", "uuid", *columns)
    for pk, record_uuid, *row in rows.iterator(chunk_size=batch):
        current = {f.name: json_value(v) for f, v in zip(compared, row, strict=True)}
        for f in compared:
            if f.is_relation and current[f.name] is not None and hasattr(f.related_model, "uuid"):
                current[f.name] = str(current[f.name])
        for f in m2m:
            current[f.name] = m2m_values[f.name].get(pk, set())
        yield str(record_uuid), current


def reconcile(progress: Callable[[str, int], None] | None = None, *, limit: int = 200) -> ReconcileReport:
    """Compare every audited record with the replay of its audit events."""
    report = ReconcileReport(limit=limit)
    for model in audited_models():
        label = object_type_of(model)
        table = model._meta.db_table
        fields_by_name: dict[str, models.Field] = {f.name: f for f in _compared_fields(model)}
        fields_by_name.update({f.name: f for f in _m2m_fields(model)})
        fingerprinted = set(getattr(model, "audit_fingerprint", ()))
        states = replay(model)
        report.models += 1
        count = 0
        for record_uuid, current in current_values(model):
            count += 1
            state = states.pop(record_uuid, None)
            if state is None:
                report.record_problem(table, label, record_uuid, "has no audit history (inserted directly)")
                continue
            if state is _DELETED:
                report.record_problem(table, label, record_uuid, "exists, but its audit history says deleted")
                continue
            for name, f in fields_by_name.items():
                stored, audited = _norm(f, current.get(name)), _norm(f, state.get(name))
                if name in fingerprinted:
                    stored = _fingerprint_like(label, name, stored, audited)
                if stored != audited:
                    report.add(Discrepancy(table, label, record_uuid, name, _show(stored), _show(audited)))
        for record_uuid, state in states.items():
            if state is not _DELETED:
                report.record_problem(
                    table, label, record_uuid, "is missing, but was never deleted through the application"
                )
        report.records += count
        if progress:
            progress(label, count)
    return report


def _fingerprint_like(label: str, name: str, stored: Any, audited: Any) -> Any:
    """The stored secret's fingerprint, under the key that made the audited one (keys rotate)."""
    key = None
    if isinstance(audited, str) and audited.startswith(FINGERPRINT_PREFIX):
        key = keyring().get(audited[len(FINGERPRINT_PREFIX) :].split(":", 1)[0])
    return fingerprint(label, name, stored, key) if stored is not None else None


def _show(value: Any) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value
