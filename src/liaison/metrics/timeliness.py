"""Timeliness metrics: follow-ups done by their due date, the medical inquiry and adverse event SLAs."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, F, Q
from django.utils import timezone

from liaison.engagement.models import FollowUpStatus
from liaison.medinfo.models import InquiryStatus

from .definitions import Metric, build_metric, percent, ratio
from .filters import Filters
from .querysets import Period, follow_ups, inquiries, safety_reports_for_sla

if TYPE_CHECKING:
    from liaison.accounts.models import User

ANSWERED = (InquiryStatus.ANSWERED, InquiryStatus.CLOSED)


def follow_up_timeliness(user: User, f: Filters, period: Period | None = None) -> Metric:
    today = timezone.localdate()
    done = Q(status=FollowUpStatus.DONE)
    counts = follow_ups(user, f).aggregate(
        on_time=Count("id", filter=done & Q(completed_at__date__lte=F("due_date"))),
        done=Count("id", filter=done),
        overdue=Count("id", filter=Q(status=FollowUpStatus.OPEN, due_date__lt=today)),
        pending=Count("id", filter=Q(status=FollowUpStatus.OPEN, due_date__gte=today)),
    )
    # A done follow-up not on time is late: completed after the due date, or with no completion time (the date
    # comparison is then unknown, never true). Subtracting spares a second per-row date conversion.
    late = counts.pop("done") - counts["on_time"]
    counts = {
        "on_time": counts["on_time"],
        "late": late,
        "overdue": counts["overdue"],
        "pending": counts["pending"],
    }
    return _buckets(
        "follow_up_timeliness",
        counts,
        {
            "on_time": "Done on time",
            "late": "Done late",
            "overdue": "Open, overdue",
            "pending": "Open, not yet due",
        },
        "on time",
        exclude_from_base=(),
    )


def inquiry_sla(user: User, f: Filters, period: Period | None = None) -> Metric:
    sla = dt.timedelta(hours=int(settings.INQUIRY_SLA_HOURS))
    now = timezone.now()
    answered = Q(status__in=ANSWERED)
    counts = inquiries(user, f).aggregate(
        within=Count("id", filter=answered & Q(answered_at__lte=F("received_at") + sla)),
        late=Count("id", filter=answered & (Q(answered_at__gt=F("received_at") + sla) | Q(answered_at=None))),
        overdue=Count("id", filter=~answered & Q(received_at__lt=now - sla)),
        pending=Count("id", filter=~answered & Q(received_at__gte=now - sla)),
    )
    labels = {
        "within": "Answered within SLA",
        "late": "Answered late",
        "overdue": "Open past SLA",
        "pending": "Open within SLA",
    }
    return _buckets("inquiry_sla", counts, labels, "within SLA", exclude_from_base=("pending",))


def ae_sla(user: User, f: Filters, period: Period | None = None) -> Metric:
    sla = dt.timedelta(hours=float(settings.SAFETY_SLA_HOURS))
    now = timezone.now()
    acked = Q(acknowledged_at__isnull=False)
    counts = safety_reports_for_sla(user, f).aggregate(
        within=Count("id", filter=acked & Q(acknowledged_at__lte=F("day_zero") + sla)),
        late=Count("id", filter=acked & Q(acknowledged_at__gt=F("day_zero") + sla)),
        overdue=Count("id", filter=~acked & Q(day_zero__lt=now - sla)),
        pending=Count("id", filter=~acked & Q(day_zero__gte=now - sla)),
    )
    labels = {
        "within": "Acknowledged within SLA",
        "late": "Acknowledged late",
        "overdue": "Unacknowledged past SLA",
        "pending": "Pending within SLA",
    }
    return _buckets("ae_sla", counts, labels, "within SLA", exclude_from_base=("pending",))


def _buckets(
    key: str, counts: dict[str, int], labels: dict[str, str], good: str, exclude_from_base: tuple[str, ...]
) -> Metric:
    """A metric whose rows are mutually exclusive buckets; the first bucket is the good one."""
    total = sum(counts.values())
    base = total - sum(counts[k] for k in exclude_from_base)
    first = next(iter(labels))
    rows = [[labels[k], counts[k], percent(counts[k], total)] for k in labels]
    bars = [(labels[k], ratio(counts[k], total), str(counts[k])) for k in labels]
    headline = f"{percent(counts[first], base)} {good} ({counts[first]} of {base})"
    return build_metric(key, headline, ["State", "Records", "Share"], rows, bars)
