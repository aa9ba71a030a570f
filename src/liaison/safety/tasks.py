"""Background jobs of drug safety, run by `liaison worker` (django-tasks with the database backend).

The delivery job sends the outbox, collects acknowledgements and escalates against the SLA, then schedules its
own next run (the next retry, acknowledgement poll or SLA threshold). At most one run waits in the queue at a
time, however many reports are forwarded. Every worker also runs the delivery every DELIVERY_EVERY_SECONDS
(`deliver_on_schedule`, a periodic job of `core.schedule`), so neither a lost job nor a crashed worker can stall
delivery or escalation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django_tasks import task

from liaison.core.context import audit_context

from . import outbox

# How often every worker delivers and escalates, whatever the queue holds.
DELIVERY_EVERY_SECONDS = 30
# Ahead of everything else in the queue (indexing, digests, imports): a forward must not wait behind them.
DELIVERY_PRIORITY = 50


@task(priority=DELIVERY_PRIORITY)
def deliver_safety_outbox() -> dict[str, Any]:
    """Deliver due outbox rows, collect acknowledgements, escalate; then schedule the next run."""
    with audit_context(actor=None, source="job", reason="safety outbox delivery"):
        run = outbox.deliver()
    next_run = outbox.next_run_at()
    if (
        next_run is not None
    ):  # nothing pending, awaited or coming up on the SLA: the next forward queues a run
        schedule_delivery(at=next_run)
    return {
        "acknowledged": run.acknowledged,
        "sent": run.sent,
        "retrying": run.retrying,
        "failed": run.failed,
        "escalated": run.escalated,
    }


def deliver_on_schedule() -> None:
    """The periodic delivery run (registered in `SafetyConfig.ready`, run by every `liaison worker`).

    Delivery must not depend on the chain of self-scheduled jobs alone: a forward whose job was never queued
    (the server died between the commit and the enqueue) or a chain broken by a crash is picked up here, and
    the SLA is escalated even when nothing is forwarded. The worker sets the audit context.
    """
    outbox.deliver()


def schedule_delivery(at: dt.datetime | None = None) -> Any:
    """Queue the delivery job to run at `at` (default now) unless a run is already waiting by then."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    at = at or timezone.now()
    waiting = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY,
        task_path=deliver_safety_outbox.module_path,
        run_after__lte=at,
    )
    if waiting.exists():
        return None
    return deliver_safety_outbox.using(run_after=at).enqueue()
