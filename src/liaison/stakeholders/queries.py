"""Restricted reads of stakeholder records that other apps show: the feedback on digests, for the metrics
dashboard."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from .models import Function, StakeholderFeedback, Verdict

if TYPE_CHECKING:
    from liaison.accounts.models import User


def feedback_records(user: User, *, start: dt.datetime, end: dt.datetime) -> QuerySet:
    """Feedback recorded in [start, end) that `user` may see, newest first."""
    return (
        StakeholderFeedback.objects.restrict(user, "view")
        .filter(created_at__gte=start, created_at__lt=end)
        .select_related("stakeholder")
        .order_by("-created_at")
    )


def feedback_counts(user: User, *, start: dt.datetime, end: dt.datetime) -> dict[str, tuple[int, int]]:
    """{function label: (used, not relevant)} over the feedback `user` may see; one grouped query."""
    out: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
    rows = (
        feedback_records(user, start=start, end=end)
        .order_by()
        .values("stakeholder__function")
        .annotate(
            used=Count("id", filter=Q(verdict=Verdict.USED)),
            not_relevant=Count("id", filter=Q(verdict=Verdict.NOT_RELEVANT)),
        )
    )
    for r in rows:
        out[Function(r["stakeholder__function"]).label] = (r["used"], r["not_relevant"])
    return dict(out)
