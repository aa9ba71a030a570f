"""The write path for safety reports: raising them from field text, and drug safety's triage."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from liaison.accounts.models import Product, User
from liaison.core.audit import record_event
from liaison.core.permissions import require
from liaison.core.validation import clean_choice, clean_text
from liaison_text import ae_lexicon
from liaison_text.ae_lexicon import Detection

from .models import ReportStatus, ReportTrigger, SafetyReport, Sex

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


def _excerpt(text: str, detection: Detection) -> str:
    """The text around the detector's hits, so drug safety sees the context without the whole note."""
    if not detection.spans:
        return text[: 2 * EXCERPT_CHARS]
    first, last = detection.spans[0], detection.spans[-1]
    start = max(0, first.start - EXCERPT_CHARS)
    end = min(len(text), last.end + EXCERPT_CHARS)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def run_detector(text: str) -> Detection | None:
    """The detector, guarded: None means it failed, and the caller must route the record to triage."""
    try:
        # Looked up on the module at call time, so a replaced or patched detector is the one that runs.
        return ae_lexicon.detect(text)
    except Exception:  # noqa: BLE001 - any detector failure routes to triage rather than passing silently
        return None


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
    or when the detector failed. Day 0 is `day_zero`, the time the company learned of the event.
    """
    link = {source._meta.model_name: source}
    field_names = {"interaction": "interaction", "medicalinquiry": "inquiry", "insight": "insight"}
    link = {field_names[k]: v for k, v in link.items()}
    hits: list[tuple[str, str, Detection]] = []
    failed: list[str] = []
    for field, text in texts.items():
        if not text:
            continue
        detection = run_detector(text)
        if detection is None:
            failed.append(field)
        elif detection.flagged:
            hits.append((field, text, detection))
    if not (attested or hits or failed):
        return []
    terms = sorted({t for _, _, d in hits for t in d.terms})
    categories = sorted({c for _, _, d in hits for c in d.categories})
    trigger = ReportTrigger.ATTESTATION if attested else ReportTrigger.DETECTOR
    excerpt = "\n".join(f"[{f}] {_excerpt(t, d)}" for f, t, d in hits)
    if failed:
        excerpt += (
            "\n" if excerpt else ""
        ) + f"[detector failed on: {', '.join(failed)}; review the full text]"
    report = SafetyReport.objects.create(
        reported_by=reporter,
        day_zero=day_zero,
        trigger=trigger,
        source_field=", ".join([f for f, _, _ in hits] + failed)[:60],
        excerpt=excerpt,
        detected_terms=terms,
        categories=categories,
        suspect_product=product,
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
    report.save()
    if status == ReportStatus.FORWARDED:
        record_event("safetyreport.forwarded", obj=report, action="forward", reason=note or "forwarded")
    return report
