"""Background jobs of insight intelligence, run by `liaison worker` (django-tasks, database backend).

A save of an insight, interaction or inquiry enqueues `index_record` once its transaction commits: the text is
embedded (only if it changed), and an insight is matched to its area's priorities and linked to its
near-duplicates. A reviewer's theme decision enqueues `rematch_area`, which re-scores the area with the moved
prototypes and re-clusters what is still unmatched. The tests run these with django-tasks' immediate backend.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django_tasks import task

from liaison.core.context import audit_context

from . import reindex
from .clusters import recluster_area
from .priority_matching import match_area

logger = logging.getLogger("liaison.intel")


@task()
def index_record(kind: str, object_id: int) -> dict[str, Any]:
    """Embed one record, and for an insight re-match its theme and re-link its near-duplicates."""
    with audit_context(actor=None, source="job", reason="index field text"):
        return reindex.index_record(kind, object_id)


@task()
def rematch_area(area_id: int) -> dict[str, int]:
    """Re-score every insight of an area (after a theme decision moved a prototype) and re-cluster it."""
    with audit_context(actor=None, source="job", reason="re-match themes after review"):
        matched = match_area(area_id)
        clusters = recluster_area(area_id)
    return {"matched": matched, "clusters": clusters}


def schedule_index(kind: str, object_id: int) -> None:
    """Enqueue `index_record` when the current transaction commits (never for a rolled-back save).

    A failure to enqueue is logged and left to `liaison text reindex`: indexing must never fail a save.
    """

    def enqueue() -> None:
        try:
            index_record.enqueue(str(kind), int(object_id))
        except Exception:  # noqa: BLE001 - the record is saved; the index catches up on the next rebuild
            logger.exception("could not index %s %s", kind, object_id)

    transaction.on_commit(enqueue)


def schedule_rematch(area_id: int) -> None:
    """Enqueue `rematch_area` when the current transaction commits."""

    def enqueue() -> None:
        try:
            rematch_area.enqueue(int(area_id))
        except Exception:  # noqa: BLE001 - the decision is saved; the next rebuild re-matches
            logger.exception("could not re-match area %s", area_id)

    transaction.on_commit(enqueue)
