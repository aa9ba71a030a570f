"""The write path for safety reports: raising them from field text, and drug safety's triage."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from liaison.accounts.models import Product, User
from liaison.core.audit import record_event
from liaison.core.permissions import require
from liaison.core.validation import clean_choice, clean_text
from liaison_text import ae_lexicon
from liaison_text.ae_lexicon import Span

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

EXCERPT_CHARS = 160
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


# The detector's category names, in the app's vocabulary (stored reports and labels use these).
APP_CATEGORY = {"off_label": "off_label_use"}


class DetectorFailure(Exception):
    """The detector could not screen a text (an error or the time limit): the record goes to triage."""


@dataclass(frozen=True)
class Screening:
    """What the detector found in one text, in the shape the app's pages and reports use.

    `spans` are `ae_lexicon.Span`s (kind "event", "drug" or a special-situation category) for highlighting;
    `raw_spans` are the detector's own, stored on the report.
    """

    ae: bool
    score: float
    categories: tuple[str, ...]
    spans: tuple[Span, ...]
    hedged: bool
    layer: str
    raw_spans: tuple[dict[str, Any], ...] = ()

    @property
    def flagged(self) -> bool:
        """True when drug safety must look: an AE, a special situation, or a negated/hypothetical mention."""
        return self.ae or bool(self.categories) or (self.hedged and bool(self.spans))

    @property
    def terms(self) -> list[str]:
        """The event and special-situation words that raised it (drug names are in the spans)."""
        return sorted({s.text.lower() for s in self.spans if s.kind != "drug"})


def _from_lexicon(detection: ae_lexicon.Detection) -> Screening:
    """Adapt the bare lexicon's Detection (used only where `liaison_text.ae_detect` is not installed)."""
    spans = tuple(detection.spans)
    return Screening(
        ae=detection.ae,
        score=detection.score,
        categories=tuple(detection.categories),
        spans=spans,
        hedged=bool(spans) and all(s.hedged for s in spans),
        layer="lexicon",
        raw_spans=tuple(s.as_dict() for s in spans),
    )


def _from_result(result: Any) -> Screening:
    """Adapt `liaison_text.ae_detect.AEResult`: situation spans take their category as kind; hedge cues (the
    "no" of "no rash") are kept in `raw_spans` only."""
    spans = []
    for s in result.spans:
        if s.kind == "situation":
            kind = APP_CATEGORY.get(s.category, s.category)
        elif s.kind in ("event", "drug"):
            kind = s.kind
        else:
            continue
        spans.append(Span(s.start, s.end, s.text, kind, bool(s.hedged)))
    return Screening(
        ae=bool(result.ae),
        score=float(result.score),
        categories=tuple(APP_CATEGORY.get(c, c) for c in result.categories),
        spans=tuple(spans),
        hedged=bool(result.hedged),
        layer=str(result.layer),
        raw_spans=tuple(result.as_dict()["spans"]),
    )


_detector_lock = threading.Lock()
_detector_cache: dict[tuple[Any, ...], Any] = {}
# Detection runs in worker threads so that a hung detector cannot hang a save: past the time limit the record
# is routed to triage and the thread is left to finish (it cannot be killed; two threads bound the damage).
_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ae-detect")


def ae_model_dir() -> Path:
    """Where `liaison text train-ae` writes the trained model and where detection looks for it."""
    return Path(settings.LIAISON_AE_MODEL_DIR)


def _product_names() -> tuple[str, ...]:
    """The company's product names (brand and generic): the detector recognises them as drugs."""
    names = Product.objects.values_list("name", "generic_name")
    return tuple(sorted({n for pair in names for n in pair if n}))


def current_detector() -> Any:
    """The detector for this data directory: the trained layer when a model exists, else the lexicon layer.

    Cached per model file version and product list, so a newly trained model is picked up without a restart.
    None when `liaison_text.ae_detect` is not installed (the lexicon module is then used directly).
    """
    try:
        from liaison_text.ae_detect import load_detector
    except ImportError:
        return None
    model_dir = ae_model_dir()
    marker = model_dir / "model.json"
    version = marker.stat().st_mtime_ns if marker.exists() else None
    key = (str(model_dir), version, _product_names())
    with _detector_lock:
        detector = _detector_cache.get(key)
        if detector is None:
            _detector_cache.clear()
            detector = load_detector(model_dir if version is not None else None, product_names=key[2])
            # Vocabularies and model weights load on first use: do that here, outside the time limit, so the
            # first save after a start or a retraining is not routed to triage for being slow.
            detector.detect("warm-up")
            _detector_cache[key] = detector
    return detector


def _screen(detector: Any, text: str) -> Screening:
    """The detection itself, run in a worker thread under the time limit."""
    if detector is None:
        # Looked up on the module at call time, so a replaced or patched lexicon is the one that runs.
        return _from_lexicon(ae_lexicon.detect(text))
    return _from_result(detector.detect(text))


def screen_text(text: str, *, timeout: float | None = None) -> Screening:
    """Screen one text within the time limit (LIAISON_AE_TIMEOUT_SECONDS); DetectorFailure otherwise."""
    limit = float(settings.LIAISON_AE_TIMEOUT_SECONDS if timeout is None else timeout)
    try:
        detector = current_detector()
        future = _executor.submit(_screen, detector, text or "")
        return future.result(timeout=limit)
    except FutureTimeout as exc:
        raise DetectorFailure(f"timed out after {limit:g} s") from exc
    except Exception as exc:  # noqa: BLE001 - any detector failure routes to triage rather than passing silently
        raise DetectorFailure(f"{type(exc).__name__}: {exc}") from exc


def run_detector(text: str) -> Screening | None:
    """The detector, guarded: None means it failed, and the caller must route the record to triage."""
    try:
        return screen_text(text)
    except DetectorFailure:
        return None


def _excerpt(text: str, detection: Screening) -> str:
    """The text around the detector's hits, so drug safety sees the context without the whole note."""
    if not detection.spans:
        return text[: 2 * EXCERPT_CHARS]
    first, last = detection.spans[0], detection.spans[-1]
    start = max(0, first.start - EXCERPT_CHARS)
    end = min(len(text), last.end + EXCERPT_CHARS)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


@transaction.atomic
def screen_texts(
    texts: dict[str, str],
    *,
    reporter: User,
    day_zero: dt.datetime,
    attested: bool = False,
    source: models.Model,
    product: Product | None = None,
) -> list[SafetyReport]:
    """Screen the free-text fields of one record and raise the safety reports it calls for.

    One report per record: with the attestation, or with any detector hit (hedged hits included, for review),
    or when the detector failed or ran out of time (the failure is stated on the report: never saved as
    clean). Day 0 is `day_zero`, the time the company learned of the event.
    """
    link = {source._meta.model_name: source}
    field_names = {"interaction": "interaction", "medicalinquiry": "inquiry", "insight": "insight"}
    link = {field_names[k]: v for k, v in link.items()}
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
    excerpt = "\n".join(f"[{f}] {_excerpt(t, d)}" for f, t, d in hits)
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
        payload=build_payload(report, key=key, sequence=sequence),
        status=OutboxStatus.PENDING,
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(_queue_delivery)
    return row


def _queue_delivery() -> None:
    """Ask the worker to deliver now; if the queue is unavailable the row waits for the next delivery run."""
    from .tasks import schedule_delivery

    try:
        schedule_delivery()
    except Exception:  # noqa: BLE001 - the outbox row is already committed; `liaison safety deliver` sends it
        import logging

        logging.getLogger(__name__).exception("could not queue the safety outbox delivery job")


@transaction.atomic
def claim_delivery(row: SafetyOutbox, *, now: dt.datetime) -> bool:
    """Count an attempt and push the next one out by the back-off before sending, so a crash mid-send leaves
    a row that is retried later (with the same key) rather than one that is lost or sent in a tight loop.

    False when another worker claimed the row first.
    """
    retry_at = now + backoff(row.attempts + 1)
    claimed = SafetyOutbox.objects.filter(pk=row.pk, status=row.status, attempts=row.attempts).update(
        attempts=row.attempts + 1, next_attempt_at=retry_at
    )
    if claimed:
        row.attempts += 1
        row.next_attempt_at = retry_at
    return bool(claimed)


def backoff(attempt: int) -> dt.timedelta:
    """Wait before attempt `attempt + 1`: SAFETY_RETRY_SECONDS doubled each time, at most an hour."""
    seconds = int(settings.SAFETY_RETRY_SECONDS) * 2 ** max(0, attempt - 1)
    return dt.timedelta(seconds=min(seconds, 3600))


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


def open_reports() -> models.QuerySet:
    """Reports whose SLA clock runs: not acknowledged by drug safety and not closed as "not an AE"."""
    return SafetyReport.objects.filter(acknowledged_at__isnull=True).exclude(status=ReportStatus.NOT_AN_AE)


def sla_level(report: SafetyReport, now: dt.datetime) -> str:
    """ "overdue" past the SLA, "at_risk" past 75% of it, "" otherwise (or once acknowledged or closed)."""
    if report.acknowledged_at is not None or report.status == ReportStatus.NOT_AN_AE:
        return ""
    hours = (now - report.day_zero).total_seconds() / 3600
    sla = float(settings.SAFETY_SLA_HOURS)
    if hours > sla:
        return EscalationLevel.OVERDUE
    if hours > 0.75 * sla:
        return EscalationLevel.AT_RISK
    return ""


def escalate_reports(*, now: dt.datetime | None = None) -> list[SafetyEscalation]:
    """Escalate every open report that crossed 75% of the SLA or the SLA itself, once per level.

    Each escalation is a row drug safety leads see on the queue and an audit event; running this again
    changes nothing.
    """
    now = now or timezone.now()
    sla = float(settings.SAFETY_SLA_HOURS)
    created = []
    candidates = open_reports().filter(day_zero__lt=now - dt.timedelta(hours=0.75 * sla))
    done = set(SafetyEscalation.objects.filter(report__in=candidates).values_list("report_id", "level"))
    for report in candidates:
        level = sla_level(report, now)
        levels = [EscalationLevel.AT_RISK] + ([EscalationLevel.OVERDUE] if level == "overdue" else [])
        for lvl in levels:
            if (report.pk, lvl) in done:
                continue
            hours = (now - report.day_zero).total_seconds() / 3600
            try:
                with transaction.atomic():
                    row = SafetyEscalation.objects.create(
                        report=report, level=lvl, hours_since_day_zero=round(hours, 2), sla_hours=int(sla)
                    )
                    record_event(
                        "safetyreport.escalated",
                        obj=report,
                        action="escalate",
                        reason=f"{EscalationLevel(lvl).label}: {hours:.1f} h since Day 0, not acknowledged",
                    )
            except IntegrityError:  # another worker escalated it at the same moment
                continue
            created.append(row)
    return created


def triage_labels() -> list[dict[str, Any]]:
    """Drug safety's decisions as training labels: forwarded = AE (true), closed as not an AE = false.

    The text is the source record's full free text when it is still there (the excerpt otherwise), so the
    trained layer learns from what the MSL wrote, including AEs the lexicon missed.
    """
    decided = SafetyReport.objects.filter(
        status__in=(ReportStatus.FORWARDED, ReportStatus.NOT_AN_AE)
    ).select_related("interaction", "inquiry", "insight")
    labels = []
    for report in decided.order_by("created_at"):
        text = _source_text(report)
        if text:
            labels.append({"text": text, "ae": report.status == ReportStatus.FORWARDED})
    return labels


def _source_text(report: SafetyReport) -> str:
    """The full free text a report was raised on; the excerpt when the source is gone or had none."""
    if report.interaction_id:
        text = "\n".join(t for t in (report.interaction.notes, report.interaction.materials_shared) if t)
    elif report.inquiry_id:
        text = report.inquiry.question
    elif report.insight_id:
        text = report.insight.text
    else:
        text = report.event_description
    if not text:
        lines = [
            line.split("] ", 1)[-1] for line in report.excerpt.splitlines() if "detector failed" not in line
        ]
        text = "\n".join(lines)
    return text.strip()
