"""What a forwarding to drug safety carries and when it is sent: the frozen payload, the retry back-off and the
request to the worker to deliver now. Actions write outbox rows with these; `outbox.py` delivers them."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings

from .models import SafetyReport


def build_payload(report: SafetyReport, *, key: str, sequence: int) -> dict[str, Any]:
    """The minimal E2B-like message drug safety receives: who, what product, what happened, to whom, when.

    Frozen into the outbox row when the report is forwarded, so every resend carries the same content.
    """
    reporter = report.reported_by
    product = report.suspect_product
    return {
        "schema": "liaison.safety-report/1",
        "idempotency_key": key,
        "report_id": str(report.uuid),
        "sequence": sequence,
        "day_zero": report.day_zero.astimezone(dt.UTC).isoformat(),
        "trigger": report.trigger,
        "reporter": {
            "name": report.reporter_name,
            "captured_by": reporter.get_full_name() or reporter.username,
            "captured_by_role": reporter.role,
        },
        "product": {"name": product.name, "generic_name": product.generic_name} if product else None,
        "event": {"description": report.event_description, "terms": list(report.detected_terms)},
        "patient": {
            "initials": report.patient_initials,
            "age": report.patient_age,
            "sex": report.patient_sex,
        },
        "categories": list(report.categories),
        "excerpt": report.excerpt,
        "missing_minimum_criteria": report.missing_minimum_criteria,
    }


def backoff(attempt: int) -> dt.timedelta:
    """Wait before attempt `attempt + 1`: SAFETY_RETRY_SECONDS doubled each time, at most an hour."""
    seconds = int(settings.SAFETY_RETRY_SECONDS) * 2 ** max(0, attempt - 1)
    return dt.timedelta(seconds=min(seconds, 3600))


def queue_delivery() -> None:
    """Ask the worker to deliver now; if the queue is unavailable the row waits for the next delivery run."""
    # Deferred: safety.tasks imports the delivery (outbox.py), which writes through actions, which import this.
    from .tasks import schedule_delivery

    try:
        schedule_delivery()
    except Exception:  # noqa: BLE001 - the outbox row is already committed; `liaison safety deliver` sends it
        logging.getLogger("liaison.safety.outbox").exception("could not queue the safety outbox delivery job")
