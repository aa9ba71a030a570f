"""The write path of congresses: the programme import, the coverage plan, session notes and insights, and the
delivery of the congress report.

Same rules as the rest of programs.actions: each function checks the acting user's permission (the `event`
resource and the event's row rule), validates its input and writes in one transaction inside the caller's audit
context. The rules (CSV columns, matching, coverage, due dates) are in docs/programs.md, "Congresses".
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from liaison.accounts.models import Product, User
from liaison.core.audit import record_event
from liaison.core.context import reason as audit_reason
from liaison.core.permissions import can
from liaison.core.validation import clean_text, error_messages
from liaison.insights.models import ListeningPriority
from liaison.people.models import HCP
from liaison.transparency.actions import ImportReport, Refusal, read_import_file

from .. import fields, screening
from ..congress_queries import matching_priorities
from ..models import (
    CongressSession,
    CoverageAssignment,
    Event,
    EventInsight,
    EventKind,
    EventStaff,
    EventStatus,
    SessionKind,
    SessionNote,
    StaffRole,
)
from . import _check_change, _require_held, _require_open, capture_insight, mark_report_shared

# --- the programme CSV ----------------------------------------------------------------------------------------

# Each column's name and the other headers accepted for it (compared lower-case, spaces and dashes as "_").
COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("session_code", "session_id", "abstract", "abstract_number", "number", "id"),
    "kind": ("type", "session_type", "format"),
    "title": ("session_title", "name"),
    "date": ("day", "session_date"),
    "start": ("start_time", "starts_at", "time", "from"),
    "end": ("end_time", "ends_at", "to", "until"),
    "room": ("location", "hall"),
    "presenters": ("presenter", "speakers", "speaker", "authors", "faculty"),
    "topics": ("topic", "keywords", "tags"),
}
REQUIRED_COLUMNS = ("code", "title", "start")
# Kinds as organisers write them, besides our own values and labels.
KIND_ALIASES = {
    "oral abstract": SessionKind.ORAL,
    "oral presentation": SessionKind.ORAL,
    "proffered paper": SessionKind.ORAL,
    "mini oral": SessionKind.ORAL,
    "poster discussion": SessionKind.POSTER,
    "poster session": SessionKind.POSTER,
    "e-poster": SessionKind.POSTER,
    "industry symposium": SessionKind.SYMPOSIUM,
    "satellite symposium": SessionKind.SYMPOSIUM,
    "late breaking": SessionKind.LATE_BREAKING,
    "late-breaking": SessionKind.LATE_BREAKING,
    "lba": SessionKind.LATE_BREAKING,
    "education": SessionKind.EDUCATIONAL,
    "educational": SessionKind.EDUCATIONAL,
    "workshop": SessionKind.EDUCATIONAL,
}
MAX_ROWS = 5000
MAX_TOPICS = 20
COMPARED = ("kind", "title", "starts_at", "ends_at", "room", "presenters", "topics")


def _header_name(raw: str) -> str:
    """A header cell as a column name: our own name, one of its aliases, or the cell itself (unknown)."""
    key = re.sub(r"[\s\-]+", "_", raw.strip().lower())
    for name, aliases in COLUMNS.items():
        if key == name or key in aliases:
            return name
    return key


def _kind(value: str) -> str:
    """A session kind from our value, its label or an organiser's usual word; empty is "other"."""
    text = " ".join(value.strip().lower().replace("_", " ").split())
    if not text:
        return SessionKind.OTHER
    for choice, label in SessionKind.choices:
        if text in (choice.replace("_", " "), str(label).lower()):
            return choice
    if text in KIND_ALIASES:
        return KIND_ALIASES[text]
    raise ValidationError(
        {"kind": f"unknown kind {value.strip()!r} (one of: {', '.join(SessionKind.values)})"}
    )


def _date(value: str, name: str) -> dt.date:
    """A programme date as YYYY-MM-DD, else a field error on `name`."""
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError({name: f"{value.strip()!r} is not a date as YYYY-MM-DD"}) from None


def _time(value: str, name: str) -> dt.time:
    """A programme time as HH:MM (also H.MM and HhMM), else a field error on `name`."""
    text = value.strip()
    if re.fullmatch(r"\d{1,2}[:.h]\d{2}", text):
        hours, minutes = int(text[:-3]), int(text[-2:])
        if hours < 24 and minutes < 60:
            return dt.time(hours, minutes)
    raise ValidationError({name: f"{text!r} is not a time as HH:MM"})


def _moment(day: dt.date | None, value: str, name: str, event: Event) -> dt.datetime:
    """A start or end in the congress's own time zone: a time on `day`, or a full "YYYY-MM-DD HH:MM"."""
    text = value.strip()
    if re.match(r"\d{4}-\d{2}-\d{2}[ T]", text):
        when, _, clock = text.replace("T", " ").partition(" ")
        day, time = _date(when, "date"), _time(clock, name)
    elif day is None:
        raise ValidationError({"date": "is required (or give the start as YYYY-MM-DD HH:MM)"})
    else:
        time = _time(text, name)
    return timezone.make_aware(dt.datetime.combine(day, time), event.zone)


def _topics(value: str) -> list[str]:
    """The topics of a session, separated by ";" or "|", each once and at most MAX_TOPICS."""
    parts = [p.strip() for p in re.split(r"[;|]", value)]
    topics = list(dict.fromkeys(p for p in parts if p))
    if len(topics) > MAX_TOPICS:
        raise ValidationError({"topics": f"has more than {MAX_TOPICS} topics"})
    for topic in topics:
        clean_text(topic, "topics", max_length=100)
    return topics


def clean_session_row(event: Event, row: Mapping[str, str]) -> dict[str, Any]:
    """One programme row as a session's fields; every field at fault is named (a ValidationError of them all)."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}

    def take(name: str, parse: Any) -> None:
        """Keep `parse()` as field `name`, or its first message as that field's error."""
        try:
            out[name] = parse()
        except ValidationError as exc:
            for key, messages in error_messages(exc).items():
                errors.setdefault(key, messages[0])

    take("code", lambda: clean_text(row.get("code"), "code", required=True, max_length=40))
    take("kind", lambda: _kind(row.get("kind", "")))
    take("title", lambda: clean_text(row.get("title"), "title", required=True, max_length=500))
    take("room", lambda: clean_text(row.get("room"), "room", max_length=120))
    take("presenters", lambda: clean_text(row.get("presenters"), "presenters", max_length=500))
    take("topics", lambda: _topics(row.get("topics", "")))
    day = None
    if (row.get("date") or "").strip():
        try:
            day = _date(row["date"], "date")
        except ValidationError as exc:
            errors.setdefault("date", error_messages(exc)["date"][0])
    if "date" not in errors:
        if not (row.get("start") or "").strip():
            errors["start"] = "is required"
        else:
            take("starts_at", lambda: _moment(day, row["start"], "start", event))
        if (row.get("end") or "").strip() and "starts_at" in out:
            take(
                "ends_at",
                lambda: _moment(out["starts_at"].astimezone(event.zone).date(), row["end"], "end", event),
            )
    starts, ends = out.get("starts_at"), out.get("ends_at")
    if starts is not None and ends is not None and ends <= starts:
        errors.setdefault("end", "must be after the start")
    if starts is not None:
        first = timezone.localtime(event.starts_at, event.zone).date()
        last = timezone.localtime(event.ends_at, event.zone).date()
        local = timezone.localtime(starts, event.zone).date()
        if not first <= local <= last:
            errors.setdefault("date", f"{local} is outside the congress ({first} to {last})")
    if errors:
        raise ValidationError(errors)
    out.setdefault("ends_at", None)
    return out


@dataclass
class SessionImportReport(ImportReport):
    """What a programme import did (or would do): created, updated (same code, new values), unchanged, and the
    refused rows by line and field. `preview` holds the good rows as imported, for the dry run's page."""

    updated: int = 0
    preview: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The counts of the audit event, with the rows updated."""
        return {**super().counts(), "updated": self.updated}

    def summary(self) -> str:
        """One line for the page and the CLI."""
        would = "would be " if self.dry_run else ""
        return (
            f"{self.rows} row(s): {self.created} {would}created, {self.updated} {would}updated, "
            f"{self.unchanged} unchanged, {self.refused_rows} refused"
        )


def _check_congress(event: Event) -> None:
    """Sessions, coverage and notes belong to congresses only."""
    if event.kind != EventKind.CONGRESS:
        raise ValidationError({"event": "sessions and coverage belong to a congress"})


def _priorities_for(event: Event) -> list[ListeningPriority]:
    """The priorities a session can answer: the congress's own, else its area's active ones."""
    linked = list(event.listening_priorities.all())
    if linked:
        return linked
    return list(ListeningPriority.objects.filter(therapeutic_area=event.therapeutic_area, active=True))


def _import_row(
    event: Event,
    line: int,
    row: Mapping[str, str],
    seen: dict[str, int],
    priorities: list[ListeningPriority],
    report: SessionImportReport,
) -> None:
    """Import one data row of the programme: created, updated (same code, other values) or unchanged, counted on
    `report`; a bad row is counted as refused with its line and field, and nothing of it is written."""
    try:
        values = clean_session_row(event, row)
        code = values["code"]
        if code.lower() in seen:
            raise ValidationError({"code": f"{code} is also on line {seen[code.lower()]} of this file"})
        seen[code.lower()] = line
        matched = matching_priorities(priorities, title=values["title"], topics=values["topics"])
        session = CongressSession.objects.filter(event=event, code__iexact=code).first()
        with transaction.atomic():
            if session is None:
                session = CongressSession.objects.create(event=event, **values)
                report.created += 1
            else:
                changed = [n for n in COMPARED if getattr(session, n) != values[n]]
                if not changed:
                    report.unchanged += 1
                else:
                    for name in changed:
                        setattr(session, name, values[name])
                    with audit_reason(f"programme import: {', '.join(changed)} changed"):
                        session.save()
                    report.updated += 1
            if {p.pk for p in matched} - set(session.listening_priorities.values_list("pk", flat=True)):
                session.listening_priorities.add(*matched)
        report.preview.append(
            {
                **values,
                "kind_label": SessionKind(values["kind"]).label,
                "priorities": [p.title for p in matched],
            }
        )
    except ValidationError as exc:
        for name, messages in error_messages(exc).items():
            for message in messages:
                report.refused.append(Refusal(line=line, field=name, message=message))


@transaction.atomic
def import_sessions(
    event: Event, *, acting_user: User, data: bytes | str, dry_run: bool = False
) -> SessionImportReport:
    """Import a congress programme (CSV, columns COLUMNS; docs/programs.md): each row is created, updated (same
    code, other values), found unchanged, or refused with its line and each field at fault; nothing is lost.
    Importing the same file again changes nothing; sessions missing from the file are kept. Each session is
    linked to the listening priorities it answers. A dry run reports the same and writes nothing."""
    _check_change(event, acting_user)
    _check_congress(event)
    _require_open(event)
    report = SessionImportReport(dry_run=bool(dry_run))
    try:
        raw_header, rows = read_import_file(data)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValidationError({"file": f"not a UTF-8 CSV file ({exc})"}) from None
    header = [_header_name(h) for h in raw_header]
    unknown = [raw for raw, name in zip(raw_header, header, strict=True) if name not in COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    doubled = sorted({h for h in header if header.count(h) > 1 and h in COLUMNS})
    if unknown or missing or doubled:
        problems = (
            ([f"unknown column(s) {', '.join(unknown)}"] if unknown else [])
            + ([f"missing column(s) {', '.join(missing)}"] if missing else [])
            + ([f"column(s) given twice: {', '.join(doubled)}"] if doubled else [])
        )
        raise ValidationError({"file": f"line 1: {'; '.join(problems)}"})
    if len(rows) > MAX_ROWS:
        raise ValidationError({"file": f"has more than {MAX_ROWS} rows; split the programme"})
    priorities = _priorities_for(event)
    seen: dict[str, int] = {}
    for line, values in rows:
        report.rows += 1
        if len(values) != len(header):
            message = f"has {len(values)} values; the header has {len(header)} columns"
            report.refused.append(Refusal(line, "__all__", message))
            continue
        _import_row(event, line, dict(zip(header, values, strict=True)), seen, priorities, report)
    record_event(
        "congresssession.imported",
        obj=event,
        action="import",
        object_repr=report.summary()[:200],
        changes={"counts": [None, report.counts()]},
        reason="dry run" if dry_run else "",
    )
    if dry_run:
        transaction.set_rollback(True)
    return report


# --- the coverage plan ----------------------------------------------------------------------------------------


def _session_of(event: Event, session: Any) -> CongressSession:
    """`session` itself when it is a session of `event`, else a field error."""
    if not isinstance(session, CongressSession) or session.event_id != event.pk:
        raise ValidationError({"session": "is not a session of this congress"})
    return session


@transaction.atomic
def assign_coverage(session: CongressSession, *, acting_user: User, user: User | None) -> CoverageAssignment:
    """Assign a colleague to cover a session or poster. A colleague who cannot see the congress yet (another
    team's MSL) joins its staff as a note-taker, since staff see the event."""
    event = session.event
    _check_change(event, acting_user)
    _check_congress(event)
    _require_open(event)
    if not isinstance(user, User) or not user.is_active or not can(user, "event", "change"):
        raise ValidationError({"user": "must be an active colleague in a field-medical role"})
    if CoverageAssignment.objects.filter(session=session, user=user).exists():
        raise ValidationError({"user": f"{user.display_name} already covers {session.code}"})
    if not Event.objects.restrict(user, "view").filter(pk=event.pk).exists():
        EventStaff.objects.create(event=event, user=user, role=StaffRole.NOTE_TAKER)
    return CoverageAssignment.objects.create(session=session, user=user)


@transaction.atomic
def unassign_coverage(assignment: CoverageAssignment, *, acting_user: User) -> None:
    """Take a colleague off a session, unless they already covered it (their notes stand)."""
    event = assignment.session.event
    _check_change(event, acting_user)
    _require_open(event)
    if assignment.covered_at is not None:
        raise ValidationError({"__all__": "already covered: the notes and insights on it stand"})
    with audit_reason("taken off the coverage plan"):
        assignment.delete()


def _mark_covered(session: CongressSession, user: User) -> CoverageAssignment:
    """The user's assignment to the session, covered now (a colleague who was not assigned is recorded as
    having covered it, so that coverage counts what was heard)."""
    assignment = CoverageAssignment.objects.filter(session=session, user=user).first()
    if assignment is None:
        return CoverageAssignment.objects.create(session=session, user=user, covered_at=timezone.now())
    if assignment.covered_at is None:
        assignment.covered_at = timezone.now()
        assignment.save()
    return assignment


# --- notes and insights ---------------------------------------------------------------------------------------


@transaction.atomic
def add_session_note(session: CongressSession, *, acting_user: User, text: str) -> SessionNote:
    """Add a note on what was presented and discussed (notes are appended, never edited: a correction is a new
    note). The note is screened for adverse events (Day 0: now) and the author's coverage marked done."""
    event = session.event
    _check_change(event, acting_user)
    _check_congress(event)
    _require_held(event)
    note = SessionNote.objects.create(
        session=session, author=acting_user, text=clean_text(text, "text", required=True, max_length=20000)
    )
    _mark_covered(session, acting_user)
    screening.screen_note(note, acting_user)
    return note


@transaction.atomic
def add_session_insight(
    session: CongressSession,
    *,
    acting_user: User,
    text: str,
    listening_priority: ListeningPriority | None = None,
    hcp: HCP | None = None,
    product: Product | None = None,
    flag_override_reason: str = "",
) -> EventInsight:
    """Capture an insight heard in a session: through the event's capture (a submitted insight, screened and
    reviewed like any other, in the loop), tagged to the congress and the session; marks the coverage done."""
    _check_congress(session.event)
    link = capture_insight(
        session.event,
        acting_user=acting_user,
        text=text,
        listening_priority=listening_priority,
        hcp=hcp,
        product=product,
        flag_override_reason=flag_override_reason,
        session=_session_of(session.event, session),
    )
    _mark_covered(session, acting_user)
    return link


# --- the report's delivery ------------------------------------------------------------------------------------


def send_report(event: Event, *, acting_user: User, connection: Any = None, base_url: str = "") -> Event:
    """E-mail the report of a completed event to its `report_recipients` (an HTML body with a plain-text
    alternative, and the PDF attached) through Django's mail, then record it shared. A transport failure is a
    ValidationError and records nothing. Sent again, it goes again (the first sending time stays)."""
    # Deferred: the report modules read through queries, which import the models this package writes.
    from ..queries import event_report
    from ..report import render_pdf

    _check_change(event, acting_user)
    if event.status != EventStatus.COMPLETED:
        raise ValidationError({"status": "send the report of a completed event"})
    recipients = fields.report_recipients(event.report_recipients)
    if not recipients:
        raise ValidationError(
            {"report_recipients": "add the stakeholders' e-mail addresses to the event first"}
        )
    report = event_report(event, acting_user)
    context = {"event": event, "report": report, "base_url": base_url.rstrip("/"), "email": True}
    message = EmailMultiAlternatives(
        subject=f"Report: {event.title}",
        body=render_to_string("programs/report_email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        connection=connection,
    )
    message.attach_alternative(render_to_string("programs/report_email.html", context), "text/html")
    message.attach(f"event-report-{event.uuid}.pdf", render_pdf(report), "application/pdf")
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - any transport failure is the user's to see, and nothing is recorded
        raise ValidationError(
            {"__all__": f"the report could not be sent: {type(exc).__name__}: {exc}"}
        ) from None
    with transaction.atomic():
        mark_report_shared(event, acting_user=acting_user)
        record_event(
            "event.report_sent",
            obj=event,
            action="send",
            changes={"recipients": [None, recipients]},
        )
    return event


@transaction.atomic
def set_report_delivery(
    event: Event, *, acting_user: User, report_due_days: Any = None, report_recipients: Any = None
) -> Event:
    """Set when the report is due (days after the end) and who receives it; unlike the plan, this may change
    after the event is completed (the report goes out afterwards), not once it is cancelled."""
    _check_change(event, acting_user)
    if event.status == EventStatus.CANCELLED:
        raise ValidationError({"status": "the event was cancelled"})
    event.report_due_days = fields.report_due_days(report_due_days)
    event.report_recipients = fields.report_recipients(report_recipients)
    with audit_reason("report delivery changed"):
        event.save()
    return event
