"""The write path for safety reports: raised from field text, triage, outbox state changes, escalations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from liaison.accounts.models import Product, User
from liaison.core.audit import record_event
from liaison.core.permissions import require
from liaison.core.validation import clean_choice, clean_text

from . import forwarding
from .detection import DetectorFailure, Screening, excerpt_around_hits, screen_text
from .models import (
    EscalationLevel,
    OutboxStatus,
    ReportStatus,
    ReportTrigger,
    SafetyEscalation,
    SafetyOutbox,
    SafetyReport,
    Sex,
)

CASE_FIELDS = frozenset(
    {
        "patient_initials",
        "patient_age",
        "patient_sex",
        "reporter_name",
        "event_description",
        "suspect_product",
    }
)


@transaction.atomic
def screen_texts(
    texts: dict[str, str],
    *,
    reporter: User,
    day_zero: dt.datetime,
    attested: bool = False,
    source: models.Model,
    product: Product | None = None,
    source_kind: str = "",
    source_label: str = "",
) -> list[SafetyReport]:
    """Screen the free-text fields of one record and raise the safety reports it calls for.

    One report per record: with the attestation, or with any detector hit (hedged hits included, for review),
    or when the detector failed or ran out of time (the failure is stated on the report: never saved as
    clean). Day 0 is `day_zero`, the time the company learned of the event.

    An interaction, inquiry or insight is linked by its own field; any other record (event minutes, a congress
    session note ...) by `source_kind` (default its model's label), its uuid and `source_label` (default its
    str()), so that apps above safety can be screened without safety importing them.
    """
    field_names = {"interaction": "interaction", "medicalinquiry": "inquiry", "insight": "insight"}
    model_name = str(source._meta.model_name)
    link: dict[str, Any]
    if model_name in field_names:
        link = {field_names[model_name]: source}
    else:
        link = {
            "source_kind": (source_kind or source._meta.label_lower)[:40],
            "source_id": getattr(source, "uuid", None),
            "source_label": (source_label or str(source))[:300],
        }
    hits: list[tuple[str, str, Screening]] = []
    failed: list[tuple[str, str]] = []
    layers: set[str] = set()
    for field, text in texts.items():
        if not text:
            continue
        try:
            screening = screen_text(text)
        except DetectorFailure as exc:
            failed.append((field, str(exc)))
            continue
        layers.add(screening.layer)
        if screening.flagged:
            hits.append((field, text, screening))
    if not (attested or hits or failed):
        return []
    terms = sorted({t for _, _, d in hits for t in d.terms})
    categories = sorted({c for _, _, d in hits for c in d.categories})
    trigger = ReportTrigger.ATTESTATION if attested else ReportTrigger.DETECTOR
    excerpt = "\n".join(f"[{f}] {excerpt_around_hits(t, d)}" for f, t, d in hits)
    if failed:
        names = ", ".join(f for f, _ in failed)
        excerpt += ("\n" if excerpt else "") + f"[detector failed on: {names}; review the full text]"
    report = SafetyReport.objects.create(
        reported_by=reporter,
        day_zero=day_zero,
        trigger=trigger,
        source_field=", ".join([f for f, _, _ in hits] + [f for f, _ in failed])[:60],
        excerpt=excerpt,
        detected_terms=terms,
        categories=categories,
        suspect_product=product,
        detector_score=max((d.score for _, _, d in hits), default=None),
        detector_layer="failed" if failed and not layers else "+".join(sorted(layers)),
        detector_spans=[{"field": f, **span} for f, _, d in hits for span in d.raw_spans],
        hedged=bool(hits) and all(d.hedged for _, _, d in hits),
        detector_error="; ".join(f"{f}: {reason}" for f, reason in failed),
        **link,
    )
    return [report]


@transaction.atomic
def raise_manual_report(
    *,
    acting_user: User,
    day_zero: dt.datetime,
    event_description: str,
    suspect_product: Product | None = None,
    **fields: Any,
) -> SafetyReport:
    """Raise a report by hand (for events learned outside an interaction or inquiry)."""
    require(acting_user, "safety_report", "add")
    if not isinstance(day_zero, dt.datetime):
        raise ValidationError({"day_zero": "the date and time the event became known is required"})
    if day_zero.tzinfo is None:
        raise ValidationError({"day_zero": "must include a time zone"})
    if day_zero > timezone.now() + dt.timedelta(minutes=10):
        raise ValidationError({"day_zero": "cannot be in the future"})
    unknown = sorted(set(fields) - CASE_FIELDS)
    if unknown:
        raise ValidationError({unknown[0]: "is not a field of a safety report"})
    if suspect_product is not None and not isinstance(suspect_product, Product):
        raise ValidationError({"suspect_product": "unknown product"})
    report = SafetyReport(
        reported_by=acting_user,
        day_zero=day_zero,
        trigger=ReportTrigger.MANUAL,
        event_description=clean_text(event_description, "event_description", required=True),
        suspect_product=suspect_product,
    )
    _apply_case_fields(report, fields)
    report.save()
    return report


def _apply_case_fields(report: SafetyReport, fields: dict[str, Any]) -> None:
    """Validate and set the case fields drug safety completes (patient, reporter, event, product)."""
    if "patient_initials" in fields:
        initials = clean_text(fields["patient_initials"], "patient_initials", max_length=5)
        if initials and not initials.replace(".", "").isalpha():
            raise ValidationError(
                {"patient_initials": "initials only (letters), never a name or record number"}
            )
        report.patient_initials = initials.upper()
    if "patient_age" in fields:
        age = fields["patient_age"]
        if age in ("", None):
            report.patient_age = None
        else:
            try:
                age = int(age)
            except (TypeError, ValueError) as exc:
                raise ValidationError({"patient_age": "must be a whole number of years"}) from exc
            if not 0 <= age <= 120:
                raise ValidationError({"patient_age": "must be between 0 and 120"})
            report.patient_age = age
    if "patient_sex" in fields:
        report.patient_sex = clean_choice(
            fields["patient_sex"] or "", "patient_sex", Sex.values, required=False
        )
    if "reporter_name" in fields:
        report.reporter_name = clean_text(fields["reporter_name"], "reporter_name", max_length=200)
    if "event_description" in fields:
        report.event_description = clean_text(fields["event_description"], "event_description")
    if "suspect_product" in fields:
        product = fields["suspect_product"]
        if product is not None and not isinstance(product, Product):
            raise ValidationError({"suspect_product": "unknown product"})
        report.suspect_product = product


@transaction.atomic
def triage_report(
    report: SafetyReport,
    *,
    acting_user: User,
    status: str | None = None,
    note: str = "",
    safety_case_id: str = "",
    **fields: Any,
) -> SafetyReport:
    """Drug safety completes a report, records a decision and, when forwarded, the safety database case id.

    Missing minimum criteria never block forwarding; they are listed on the report instead.
    """
    require(acting_user, "safety_report", "triage")
    if "day_zero" in fields:
        raise ValidationError({"day_zero": "Day 0 cannot be changed"})
    unknown = sorted(set(fields) - CASE_FIELDS)
    if unknown:
        raise ValidationError({unknown[0]: "is not a field drug safety can set"})
    stored_status = report.status
    _apply_case_fields(report, fields)
    if status is not None:
        report.status = clean_choice(status, "status", ReportStatus.values)
    note = clean_text(note, "note")
    # Closing as "not an AE" needs its own reason, given with that decision (a blank or whitespace note is none).
    if status == ReportStatus.NOT_AN_AE and report.status != stored_status and not note:
        raise ValidationError({"note": "a reason is required to close a report as not an AE"})
    if note:
        report.triage_note = note
    if safety_case_id:
        report.safety_case_id = clean_text(safety_case_id, "safety_case_id", max_length=60)
    if report.assigned_to_id is None:
        report.assigned_to = acting_user
    forwarding = report.status == ReportStatus.FORWARDED and stored_status != ReportStatus.FORWARDED
    # A case id on a forwarded report means the case exists in the safety database, whenever it is typed in:
    # with the forward decision (entered there by hand: sending it would make a second case), or later, before
    # or after the delivery. Either way it is the acknowledgement, and it stops the SLA clock.
    acknowledging = (
        report.status == ReportStatus.FORWARDED
        and bool(report.safety_case_id)
        and report.acknowledged_at is None
    )
    if acknowledging:
        report.acknowledged_at = timezone.now()
    report.save()
    if status == ReportStatus.FORWARDED:
        record_event("safetyreport.forwarded", obj=report, action="forward", reason=note or "forwarded")
    if acknowledging:
        _acknowledge_by_hand(report, acting_user=acting_user)
    if forwarding and report.acknowledged_at is None:
        enqueue_forwarding(report)
    return report


def _acknowledge_by_hand(report: SafetyReport, *, acting_user: User) -> None:
    """Record drug safety's typed-in case id as the acknowledgement, and close the report's outbox rows still
    open (pending, sent or failed): the case exists, so nothing more may be sent for it. In the caller's
    transaction."""
    case_id = report.safety_case_id
    keys = []
    open_rows = SafetyOutbox.objects.select_for_update().filter(
        report=report, status__in=(OutboxStatus.PENDING, OutboxStatus.SENT, OutboxStatus.FAILED)
    )
    for row in open_rows:
        row.status, row.case_id, row.acknowledged_at = (
            OutboxStatus.ACKNOWLEDGED,
            case_id,
            report.acknowledged_at,
        )
        row.next_attempt_at = None
        row.save()
        keys.append(row.idempotency_key)
    closed = f"; outbox {', '.join(keys)} closed, nothing more is sent" if keys else ""
    record_event(
        "safetyreport.acknowledged",
        obj=report,
        action="acknowledge",
        reason=f"case {case_id} entered by {acting_user.username}{closed}",
    )


def enqueue_forwarding(report: SafetyReport) -> SafetyOutbox:
    """Write the outbox row for a forward decision, in the caller's transaction (the transactional outbox).

    The row commits or rolls back with the decision, so a report is never marked forwarded without a message
    on its way, nor sent without the decision. The delivery job is queued only after the commit.
    """
    sequence = (report.outbox.aggregate(n=models.Max("sequence"))["n"] or 0) + 1
    key = f"{report.uuid}-{sequence}"
    row = SafetyOutbox.objects.create(
        report=report,
        sequence=sequence,
        idempotency_key=key,
        channel=settings.SAFETY_FORWARD_CHANNEL,
        payload=forwarding.build_payload(report, key=key, sequence=sequence),
        status=OutboxStatus.PENDING,
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(forwarding.queue_delivery)
    return row


@transaction.atomic
def claim_delivery(row: SafetyOutbox, *, now: dt.datetime) -> bool:
    """Count an attempt and push the next one out by the back-off before sending, so a crash mid-send leaves
    a row that is retried later (with the same key) rather than one that is lost or sent in a tight loop.

    False when another worker claimed the row first.
    """
    retry_at = now + forwarding.backoff(row.attempts + 1)
    claimed = SafetyOutbox.objects.filter(pk=row.pk, status=row.status, attempts=row.attempts).update(
        attempts=row.attempts + 1, next_attempt_at=retry_at
    )
    if claimed:
        row.attempts += 1
        row.next_attempt_at = retry_at
    return bool(claimed)


@transaction.atomic
def record_sent(row: SafetyOutbox, *, now: dt.datetime) -> SafetyOutbox:
    """The message is in the safety system's hands; its acknowledgement comes later (file drop)."""
    row.status, row.sent_at, row.last_error = OutboxStatus.SENT, now, ""
    row.next_attempt_at = None
    row.save()
    return row


@transaction.atomic
def record_failure(row: SafetyOutbox, *, error: str, retry: bool) -> SafetyOutbox:
    """A failed attempt: retried after the back-off set at claim time, or (refused, or out of attempts)
    marked failed for an operator. Never dropped: reconciliation lists it once past the SLA."""
    row.last_error = error[:2000]
    if not retry or row.attempts >= int(settings.SAFETY_MAX_ATTEMPTS):
        row.status, row.next_attempt_at = OutboxStatus.FAILED, None
    row.save()
    return row


@transaction.atomic
def record_acknowledgement(row: SafetyOutbox, *, case_id: str, now: dt.datetime) -> SafetyOutbox:
    """Store the safety database's case id on the outbox row and the report; this stops the SLA clock."""
    row = SafetyOutbox.objects.select_for_update().get(pk=row.pk)
    if row.status == OutboxStatus.ACKNOWLEDGED:
        return row
    case_id = clean_text(case_id, "case_id", max_length=60)
    row.status, row.case_id, row.acknowledged_at = OutboxStatus.ACKNOWLEDGED, case_id, now
    row.sent_at = row.sent_at or now
    row.next_attempt_at, row.last_error = None, ""
    row.save()
    report = SafetyReport.objects.select_for_update().get(pk=row.report_id)
    report.acknowledged_at = report.acknowledged_at or now
    if not report.safety_case_id:
        report.safety_case_id = case_id
    report.save()
    record_event(
        "safetyreport.acknowledged",
        obj=report,
        action="acknowledge",
        reason=f"case {case_id} acknowledged via {row.channel} ({row.idempotency_key})",
    )
    return row


@transaction.atomic
def retry_failed(*, acting_user: User | None = None) -> int:
    """Put failed outbox rows back in the queue (after an operator fixed the cause); returns how many."""
    if acting_user is not None:
        require(acting_user, "safety_report", "triage")
    rows = list(SafetyOutbox.objects.filter(status=OutboxStatus.FAILED))
    for row in rows:
        row.status, row.attempts, row.next_attempt_at = OutboxStatus.PENDING, 0, timezone.now()
        row.save()
    return len(rows)


@transaction.atomic
def record_escalation(
    report: SafetyReport, *, level: str, hours: float, sla_hours: float
) -> SafetyEscalation:
    """Escalate one report at one SLA level: the row drug safety leads see on the queue, and its audit event.

    IntegrityError when the report already holds that level (another worker escalated it at the same moment).
    """
    row = SafetyEscalation.objects.create(
        report=report, level=level, hours_since_day_zero=round(hours, 2), sla_hours=int(sla_hours)
    )
    record_event(
        "safetyreport.escalated",
        obj=report,
        action="escalate",
        reason=f"{EscalationLevel(level).label}: {hours:.1f} h since Day 0, not acknowledged",
    )
    return row
