"""Periodic jobs: work that must happen on a clock, not only when some request queues it.

An app registers its periodic jobs once, at start-up, from its `AppConfig.ready()`:

    from liaison.core.schedule import register_periodic

    class SafetyConfig(AppConfig):
        def ready(self) -> None:
            register_periodic("safety.deliver", 30, deliver_and_escalate)

`register_periodic(name, every_seconds, func)`: `func` takes no arguments and runs in the `liaison worker`
process (every worker runs the schedule; `liaison serve` starts one) under an audit context with source "job"
and the reason "periodic job <name>", so what it writes is audited like any job's writes. A job is due
`every_seconds` after its previous start (and at once the first time). Which worker runs it does not matter:
one row per job in `core.PeriodicRun` is moved forward in a single conditional UPDATE before the job runs, so
however many workers poll, a due job runs once. A job that raises is logged, its error kept on that row, and it
runs again at its next time; a worker that dies while running one simply leaves it to the next time.
`every_seconds` can be a callable returning the interval, for intervals that come from settings.

Keep periodic jobs short and idempotent (they may run again after a crash); long work should enqueue a task.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from .context import audit_context
from .models import PeriodicRun

logger = logging.getLogger("liaison.worker")

Interval = float | Callable[[], float]


@dataclass(frozen=True)
class PeriodicJob:
    """A registered periodic job: its unique name, its interval in seconds and the function to run."""

    name: str
    every: Interval
    func: Callable[[], object]

    @property
    def every_seconds(self) -> float:
        """The interval now (a callable interval is read each time, so settings changes apply)."""
        return float(self.every() if callable(self.every) else self.every)


_registry: dict[str, PeriodicJob] = {}


def register_periodic(name: str, every_seconds: Interval, func: Callable[[], object]) -> None:
    """Run `func` every `every_seconds` in the worker (see the module docstring). Registering the same name
    again replaces the job, so a re-run `ready()` is harmless."""
    if not name or len(name) > 100:
        raise ValueError("a periodic job needs a name of 1 to 100 characters")
    if not callable(every_seconds) and float(every_seconds) <= 0:
        raise ValueError("every_seconds must be positive")
    _registry[name] = PeriodicJob(name=name, every=every_seconds, func=func)


def periodic_jobs() -> list[PeriodicJob]:
    """Every registered periodic job, by name."""
    return [_registry[name] for name in sorted(_registry)]


def _claim(job: PeriodicJob, *, worker_id: str, now: dt.datetime, known: bool) -> bool:
    """Move the job's next run forward if it is due; True when this worker won it."""
    if not known:
        try:
            with transaction.atomic():
                PeriodicRun.objects.create(name=job.name, next_run_at=now)
        except IntegrityError:  # another worker created the row at the same moment
            pass
    claimed = PeriodicRun.objects.filter(name=job.name, next_run_at__lte=now).update(
        next_run_at=now + dt.timedelta(seconds=job.every_seconds),
        last_started_at=now,
        last_worker_id=worker_id[:64],
    )
    return bool(claimed)


def run_due_periodic_jobs(*, worker_id: str, now: dt.datetime | None = None) -> list[str]:
    """Run every registered job that is due and that no other worker claimed first; returns their names."""
    ran = []
    # Read first, write only for a due job: workers poll every second, and on SQLite every write takes the
    # database's write lock.
    next_runs = dict(PeriodicRun.objects.values_list("name", "next_run_at"))
    for job in periodic_jobs():
        started = now or timezone.now()
        if job.name in next_runs and next_runs[job.name] > started:
            continue
        if not _claim(job, worker_id=worker_id, now=started, known=job.name in next_runs):
            continue
        error = ""
        try:
            with audit_context(actor=None, source="job", reason=f"periodic job {job.name}"):
                job.func()
        except Exception:  # noqa: BLE001 - one failing job must not stop the others or the worker
            error = traceback.format_exc()
            logger.exception("periodic job %s failed", job.name)
        PeriodicRun.objects.filter(name=job.name).update(last_finished_at=timezone.now(), last_error=error)
        ran.append(job.name)
    return ran
