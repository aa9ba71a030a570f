"""The `liaison worker` loop: django-tasks-db's database queue, plus leases and the periodic schedule.

django-tasks-db marks a job RUNNING when a worker claims it and never looks at it again: a worker killed
mid-job (`kill -9`, out of memory, a lost machine) leaves it RUNNING forever, and jobs that reschedule
themselves at the end of each run (the safety outbox delivery) stop for good. Here every worker process holds a
lease instead:

- it writes a `core.WorkerHeartbeat` row before it claims anything and renews it from a thread every
  lease/3 seconds, also while a long job runs;
- on every poll, any worker hands the RUNNING jobs of workers silent for longer than
  LIAISON_WORKER_LEASE_SECONDS back to the queue (READY, to run again at once); a job that has already taken
  MAX_CLAIMS workers down with it is marked FAILED instead, so one poisonous job cannot crash-loop them all;
- it runs the periodic jobs registered with `core.schedule.register_periodic` (safety delivery and SLA
  escalation, audit anchors...), whichever worker gets to a due job first.

A job can therefore run twice (its worker was only stalled, or died after the work but before recording it):
jobs must be idempotent. The safety delivery is (claimed rows, idempotency keys; docs/safety.md).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import threading
import time
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.utils import DatabaseError, OperationalError
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from .models import WorkerHeartbeat
from .schedule import run_due_periodic_jobs

logger = logging.getLogger("liaison.worker")

# A job claimed by this many workers that all died running it is not handed out again.
MAX_CLAIMS = 3


def lease_seconds() -> float:
    """How long a worker may stay silent before its jobs are taken back (LIAISON_WORKER_LEASE_SECONDS)."""
    return float(settings.LIAISON_WORKER_LEASE_SECONDS)


def reclaim_abandoned_jobs(*, now: dt.datetime | None = None) -> list[str]:
    """Put back in the queue every RUNNING job whose worker's lease ran out; returns the job ids.

    A job's worker is the last of its `worker_ids`; it is alive while its heartbeat is younger than the lease.
    Jobs started less than a lease ago are left alone, whoever claimed them. The hand-back is a conditional
    UPDATE on the start time, so two workers reclaiming at once hand a job back once.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=lease_seconds())
    running = list(
        DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff).values(
            "id", "worker_ids", "started_at", "task_path"
        )
    )
    if not running:
        return []
    alive = set(WorkerHeartbeat.objects.filter(beat_at__gte=cutoff).values_list("worker_id", flat=True))
    reclaimed = []
    for job in running:
        owner = job["worker_ids"][-1] if job["worker_ids"] else ""
        if owner in alive:
            continue
        still = DBTaskResult.objects.filter(
            id=job["id"], status=TaskResultStatus.RUNNING, started_at=job["started_at"]
        )
        if len(job["worker_ids"]) >= MAX_CLAIMS:
            done = still.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path="liaison.core.worker.LeaseExpired",
                traceback=f"{len(job['worker_ids'])} workers died running this job; not retried again",
            )
            if done:
                logger.error("job %s (%s) failed: its workers kept dying", job["id"], job["task_path"])
            continue
        if still.update(status=TaskResultStatus.READY, started_at=None):
            logger.warning(
                "job %s (%s) reclaimed: worker %s silent for more than %g s",
                job["id"],
                job["task_path"],
                owner or "(unknown)",
                lease_seconds(),
            )
            reclaimed.append(str(job["id"]))
    return reclaimed


def prune_heartbeats(*, now: dt.datetime | None = None) -> int:
    """Forget workers silent for a day (their jobs were reclaimed long ago)."""
    now = now or timezone.now()
    deleted, _ = WorkerHeartbeat.objects.filter(beat_at__lt=now - dt.timedelta(days=1)).delete()
    return deleted


class LeasedWorker(Worker):
    """django-tasks-db's `Worker` with a heartbeat, reclaiming of abandoned jobs and the periodic schedule.

    `parent_pid`: the process that started this worker (`liaison serve`); when it is gone the worker finishes
    its current job and stops, so a killed server never leaves an orphaned worker behind.
    """

    def __init__(self, *, parent_pid: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.parent_pid = parent_pid
        self._stop_beating = threading.Event()
        self._last_prune = 0.0

    # -- lease ---------------------------------------------------------------------------------------------

    def _register(self) -> None:
        now = timezone.now()
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
                "started_at": now,
                "beat_at": now,
            },
        )

    def beat(self) -> None:
        """Renew this worker's lease (and notice a parent that is gone)."""
        if self.parent_pid is not None and os.getppid() != self.parent_pid:
            if self.running:
                logger.warning("the server that started this worker is gone; stopping after the current job")
            self.running = False
        WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(beat_at=timezone.now())

    def _beat_forever(self) -> None:
        every = max(0.5, lease_seconds() / 3)
        try:
            while not self._stop_beating.wait(every):
                try:
                    self.beat()
                except DatabaseError:  # a locked or unreachable database: try again at the next beat
                    logger.warning("could not renew the lease of worker %s", self.worker_id, exc_info=True)
        finally:
            connection.close()

    # -- the loop ------------------------------------------------------------------------------------------

    def reclaim(self) -> None:
        """Hand back the jobs of dead workers (before looking for work, so they are picked up at once)."""
        try:
            reclaim_abandoned_jobs()
            if time.monotonic() - self._last_prune > 3600:
                self._last_prune = time.monotonic()
                prune_heartbeats()
        except DatabaseError:
            logger.warning("could not reclaim abandoned jobs; retrying at the next poll", exc_info=True)

    def run_schedule(self) -> None:
        """Run the due periodic jobs (after each queued job, so a busy queue cannot starve them)."""
        try:
            run_due_periodic_jobs(worker_id=self.worker_id)
        except DatabaseError:
            logger.warning("could not run the periodic jobs; retrying at the next poll", exc_info=True)

    def _claim_next(self) -> tuple[DBTaskResult | None, bool]:
        """Claim the next ready job as django-tasks-db does: (job or None, whether the queue could be read)."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            try:
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
                return task_result, True
            except OperationalError as exc:
                if is_locked_database_exception(exc):
                    return None, False
                raise

    def run(self) -> None:
        """Poll until stopped: housekeeping, then one job at a time; `batch` stops once the queue is empty."""
        logger.info("Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names))
        self._register()
        beater = threading.Thread(target=self._beat_forever, name="liaison-worker-heartbeat", daemon=True)
        beater.start()
        try:
            while self.running:
                close_old_connections()
                self.reclaim()
                task_result, read = self._claim_next()
                if task_result is not None:
                    self.run_task(task_result)
                    self.beat()
                self.run_schedule()
                if self.batch and read and task_result is None:
                    logger.info("No more tasks to run for worker_id=%s - exiting.", self.worker_id)
                    return
                if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                    return
                close_old_connections()
                if self.running and task_result is None:
                    time.sleep(self.interval)
        finally:
            self._stop_beating.set()
            beater.join(timeout=5)
            with contextlib.suppress(DatabaseError):  # the lease then simply runs out
                WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
