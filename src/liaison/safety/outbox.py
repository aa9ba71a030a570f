"""The safety outbox: the message drug safety receives, the back-off, and delivery of what is due.

Delivery sends what is due, collects acknowledgements and escalates against the SLA (`sla.py`). It is run by
the delivery job (`tasks.py`, processed by `liaison worker`) and by `liaison safety deliver`. Every write goes
through `safety.actions` under a "job" (or "cli") audit context set by the caller.

Exactly-once in effect: a row is claimed (attempt counted, next try pushed out) before it is sent, and its
acknowledgement stored after. A crash between the two leaves the row pending; the resend carries the same
idempotency key and the same bytes, and the receiver answers with the case it already holds.

Rows are sent SEND_CONCURRENCY at a time: claimed one by one, sent in parallel threads (the channels touch no
database), then their results stored one by one. A backlog after an outage thus drains at several times the
pace one request at a time would allow against a receiver that takes a fraction of a second per case.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from . import actions, sla
from .channels import Ack, Channel, DeliveryError, configured_channel
from .models import OutboxStatus, SafetyOutbox

# How many rows are in flight to the safety database at once.
SEND_CONCURRENCY = 8
_senders = ThreadPoolExecutor(max_workers=SEND_CONCURRENCY, thread_name_prefix="safety-send")


@dataclass
class DeliveryRun:
    """What one delivery run did, for the job log and `liaison safety deliver`."""

    acknowledged: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    escalated: int = 0
    errors: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for logs and the CLI."""
        return (
            f"{len(self.acknowledged)} acknowledged, {len(self.sent)} sent awaiting acknowledgement, "
            f"{len(self.retrying)} to retry, {len(self.failed)} failed, {self.escalated} escalation(s)"
        )


def _channel_for(row: SafetyOutbox, cache: dict[str, Channel], override: Channel | None) -> Channel:
    if override is not None:
        return override
    if row.channel not in cache:
        cache[row.channel] = configured_channel(row.channel)
    return cache[row.channel]


def deliver(
    *, now: dt.datetime | None = None, channel: Channel | None = None, limit: int = 500
) -> DeliveryRun:
    """Send every due pending row, collect acknowledgements of sent rows, then escalate against the SLA.

    `channel` replaces the configured channels (tests use it to point at a local receiver).
    """
    now = now or timezone.now()
    run = DeliveryRun()
    channels: dict[str, Channel] = {}
    due = SafetyOutbox.objects.filter(status=OutboxStatus.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    rows = list(due.order_by("next_attempt_at", "pk")[:limit])
    for start in range(0, len(rows), SEND_CONCURRENCY):
        batch = [
            (row, _channel_for_safe(row, channels, channel, run))
            for row in rows[start : start + SEND_CONCURRENCY]
        ]
        _deliver_batch(batch, now=now, run=run)
    for row in SafetyOutbox.objects.filter(status=OutboxStatus.SENT).order_by("pk")[:limit]:
        try:
            ack = _channel_for(row, channels, channel).collect_ack(row.idempotency_key)
        except ValueError as exc:  # a channel that can no longer be built from the settings
            run.errors[row.idempotency_key] = str(exc)
            continue
        if ack is not None:
            actions.record_acknowledgement(row, case_id=ack.case_id, now=max(now, timezone.now()))
            run.acknowledged.append(row.idempotency_key)
            if row.idempotency_key in run.sent:  # sent and acknowledged within this run: count it once
                run.sent.remove(row.idempotency_key)
    run.escalated = len(sla.escalate_reports(now=now))
    return run


def _channel_for_safe(
    row: SafetyOutbox, cache: dict[str, Channel], override: Channel | None, run: DeliveryRun
) -> Channel | None:
    try:
        return _channel_for(row, cache, override)
    except ValueError as exc:
        run.errors[row.idempotency_key] = str(exc)
        return None


def _send(channel: Channel, row: SafetyOutbox) -> Ack | DeliveryError | None:
    """One send, in a sender thread: the Ack (or None), or the DeliveryError to store. No database here."""
    try:
        return channel.send(row.idempotency_key, row.payload)
    except DeliveryError as exc:
        return exc


def _deliver_batch(
    batch: list[tuple[SafetyOutbox, Channel | None]], *, now: dt.datetime, run: DeliveryRun
) -> None:
    """Claim each row, send the claimed ones in parallel, then store each outcome (claims and results are
    database writes, made by this thread only)."""
    sending = []
    for row, channel in batch:
        key = row.idempotency_key
        if not actions.claim_delivery(row, now=now):
            continue  # another worker has it
        if channel is None:
            actions.record_failure(row, error=run.errors[key], retry=True)
            run.retrying.append(key)
            continue
        sending.append((row, _senders.submit(_send, channel, row)))
    for row, future in sending:
        key = row.idempotency_key
        outcome = future.result()
        if isinstance(outcome, DeliveryError):
            row = actions.record_failure(row, error=str(outcome), retry=outcome.retry)
            (run.failed if row.status == OutboxStatus.FAILED else run.retrying).append(key)
            run.errors[key] = str(outcome)
            continue
        # The acknowledgement's time is when it arrived, not when a long run started.
        store_result(row, ack=outcome, now=max(now, timezone.now()))
        (run.acknowledged if outcome is not None else run.sent).append(key)


def store_result(row: SafetyOutbox, *, ack: Ack | None, now: dt.datetime) -> None:
    """Store what the send achieved; separate so tests can make it crash right after a successful send."""
    if ack is not None:
        actions.record_acknowledgement(row, case_id=ack.case_id, now=now)
    else:
        actions.record_sent(row, now=now)


def next_run_at(now: dt.datetime | None = None) -> dt.datetime | None:
    """When the delivery job should run next: the earliest retry, an acknowledgement poll while files are
    awaited, or the next SLA threshold of an open report; None when there is nothing to wait for."""
    now = now or timezone.now()
    times = []
    pending = (
        SafetyOutbox.objects.filter(status=OutboxStatus.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if SafetyOutbox.objects.filter(status=OutboxStatus.PENDING).exists():
        times.append(pending or now)
    if SafetyOutbox.objects.filter(status=OutboxStatus.SENT).exists():
        times.append(now + dt.timedelta(seconds=int(settings.SAFETY_ACK_POLL_SECONDS)))
    limit = dt.timedelta(hours=float(settings.SAFETY_SLA_HOURS))
    for fraction in (0.75, 1.0):
        threshold = limit * fraction
        upcoming = (
            sla.open_reports()
            .filter(day_zero__gt=now - threshold)
            .order_by("day_zero")
            .values_list("day_zero", flat=True)
            .first()
        )
        if upcoming is not None:
            times.append(upcoming + threshold + dt.timedelta(seconds=1))
    return max(min(times), now) if times else None
