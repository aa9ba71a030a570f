"""Reconciliation: every report the safety database has not acknowledged within its SLA from Day 0.

The safety net behind the outbox: whatever went wrong (a failed channel, a lost acknowledgement file, a report
never forwarded), a report still open past the SLA shows up here, and `liaison safety reconcile` exits 1.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from .sla import open_reports


def unacknowledged_past_sla(now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """One row per open report past SLA_HOURS since Day 0, oldest first, with its latest outbox row."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=float(settings.SAFETY_SLA_HOURS))
    rows = []
    reports = open_reports().filter(day_zero__lt=cutoff).prefetch_related("outbox").order_by("day_zero")
    for report in reports:
        latest = max(report.outbox.all(), key=lambda row: row.sequence, default=None)
        rows.append(
            {
                "report": str(report.uuid),
                "day_zero": report.day_zero.astimezone(dt.UTC).isoformat(),
                "hours_since_day_zero": round((now - report.day_zero).total_seconds() / 3600, 1),
                "sla_hours": int(settings.SAFETY_SLA_HOURS),
                "status": report.status,
                "outbox_status": latest.status if latest else "",
                "idempotency_key": latest.idempotency_key if latest else "",
                "attempts": latest.attempts if latest else 0,
                "last_error": latest.last_error if latest else "",
            }
        )
    return rows
