"""Lifting the append-only guards on audit events, for tamper tests and for the flush after transactional tests.

This is what an attacker with direct database access would do; `liaison audit verify` must then catch any edit.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.db import connection

append_only = importlib.import_module("liaison.compliance.migrations.0002_append_only")


def set_audit_guards(enabled: bool, conn: Any = connection) -> None:
    """Drop (enabled=False) or restore (enabled=True) the triggers that make audit events append-only."""
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            statements = append_only.SQLITE if enabled else append_only.SQLITE_REVERSE
            for sql in statements:
                cursor.execute(sql)
        elif conn.vendor == "postgresql":
            verb = "ENABLE" if enabled else "DISABLE"
            cursor.execute(f"ALTER TABLE compliance_auditevent {verb} TRIGGER audit_event_no_update_delete")
            cursor.execute(f"ALTER TABLE compliance_auditevent {verb} TRIGGER audit_event_no_truncate")
        else:  # pragma: no cover - only the two supported databases
            raise NotImplementedError(conn.vendor)


def tamper(sql: str, params: list[Any] | None = None, conn: Any = connection) -> None:
    """Run one statement against the audit table with the guards lifted, then put them back."""
    set_audit_guards(False, conn)
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql, params or [])
    finally:
        set_audit_guards(True, conn)
