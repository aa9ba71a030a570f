"""The reminder job, run by `liaison worker` (django-tasks with the database backend).

It runs once a day on its own: each run schedules the next for the following day. Recording a standing
interest queues a run straight away, so that evidence already in the library is found without waiting a day.
At most one run waits in the queue at a time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django_tasks import task

from liaison.core.context import audit_context

from .actions import remind_standing_interests

REMIND_EVERY = dt.timedelta(days=1)


@task()
def remind_standing_interests_job() -> dict[str, Any]:
    """Raise follow-ups for new evidence matching standing interests; then schedule tomorrow's run."""
    with audit_context(actor=None, source="job", reason="standing interest reminders"):
        run = remind_standing_interests()
    schedule_reminders(at=timezone.now() + REMIND_EVERY)
    return {"interests": run.interests, "created": run.created, "already": run.already}


def schedule_reminders(at: dt.datetime | None = None) -> Any:
    """Queue the reminder job at `at` (default now) unless a run is already waiting by then."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    at = at or timezone.now()
    waiting = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY,
        task_path=remind_standing_interests_job.module_path,
        run_after__lte=at,
    )
    if waiting.exists():
        return None
    return remind_standing_interests_job.using(run_after=at).enqueue()
