"""REST endpoints of congresses (mounted under /events beside the events router): the programme and its CSV
import, the coverage plan, session notes and insights, the report's delivery and its data. Writes go through
programs.actions.congress only; bad input is a 4xx with a JSON `detail`. docs/api.md, "Congresses"."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from ninja import Field, Router, Schema, Status

from liaison.accounts.models import User
from liaison.accounts.schemas import UserBrief
from liaison.core.api_common import ApiRequest, resolve, responses
from liaison.core.views import get_restricted_or_404
from liaison.insights.models import ListeningPriority
from liaison.insights.schemas import ListeningPriorityBrief
from liaison.people.models import HCP

from .actions import congress
from .congress_queries import congress_report, coverage_plan, report_due, report_due_label, sessions_of
from .models import CongressSession, CoverageAssignment, Event, EventKind, SessionNote
from .schemas import EventInsightRead

congress_router = Router(tags=["congresses"])
MAX_CSV = 2 * 1024 * 1024


class SessionRead(Schema):
    uuid: UUID
    code: str
    kind: str
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    room: str
    presenters: str
    topics: list[str]
    listening_priorities: list[ListeningPriorityBrief]

    @staticmethod
    def resolve_listening_priorities(obj: Any) -> list[Any]:
        return list(obj.listening_priorities.all())


class ProgrammeImport(Schema):
    """The programme as CSV text (columns in docs/programs.md, "Congresses")."""

    csv: Annotated[str, Field(max_length=MAX_CSV)]
    dry_run: bool = False


class RefusedRow(Schema):
    line: int
    field: str
    message: str


class ProgrammeImportRead(Schema):
    rows: int
    created: int
    updated: int
    unchanged: int
    refused: list[RefusedRow]
    dry_run: bool
    summary: str


class CoverageCreate(Schema):
    session: UUID
    user: UUID


class CoverageRead(Schema):
    uuid: UUID
    session: UUID
    session_code: str
    user: UserBrief
    covered_at: dt.datetime | None

    @staticmethod
    def resolve_session(obj: Any) -> UUID:
        return obj.session.uuid

    @staticmethod
    def resolve_session_code(obj: Any) -> str:
        return obj.session.code


class PlanSession(Schema):
    session: SessionRead
    assignments: list[CoverageRead]
    priority: bool = Field(description="linked to, or matching, a listening priority")
    gap: bool = Field(description="a priority session nobody is assigned to")


class PlanDay(Schema):
    day: dt.date
    sessions: list[PlanSession]


class CoveragePlanRead(Schema):
    days: list[PlanDay]
    gaps: int


class NoteCreate(Schema):
    text: Annotated[str, Field(max_length=20000)]


class NoteRead(Schema):
    uuid: UUID
    session: UUID
    author: UserBrief
    text: str
    created_at: dt.datetime

    @staticmethod
    def resolve_session(obj: Any) -> UUID:
        return obj.session.uuid


class SessionInsightCreate(Schema):
    text: Annotated[str, Field(max_length=5000)]
    listening_priority: UUID | None = None
    hcp: UUID | None = None
    flag_override_reason: Annotated[str, Field(max_length=2000)] = ""


class ReportDelivery(Schema):
    report_due_days: int | None = Field(
        None, ge=0, le=90, description="days after the end; null: no deadline"
    )
    report_recipients: list[Annotated[str, Field(max_length=254)]] = Field(
        default_factory=list, max_length=30
    )


class ReportDeliveryRead(Schema):
    report_due_days: int | None
    report_recipients: list[str]
    due_on: dt.date | None
    due: str = Field(
        description='"report due in 3 days", "report overdue by 2 days", "report sent ..." or ""'
    )
    report_shared_at: dt.datetime | None


class KindCoverageRead(Schema):
    kind: str
    label: str
    sessions: int
    assigned: int
    covered: int
    uncovered: int


class CongressThemeRead(Schema):
    theme: str
    insights: list[EventInsightRead]


class SessionSummaryRead(Schema):
    session: SessionRead
    notes: list[NoteRead]
    insights: list[EventInsightRead]


class CongressReportRead(Schema):
    coverage: list[KindCoverageRead]
    total: KindCoverageRead
    themes: list[CongressThemeRead]
    sessions: list[SessionSummaryRead]
    gaps: list[SessionRead]


def _congress(user: User, uuid: UUID, action: str = "view") -> Event:
    return get_restricted_or_404(
        Event, user, uuid, action, queryset=Event.objects.filter(kind=EventKind.CONGRESS)
    )


def _session(user: User, event: Event, uuid: UUID) -> CongressSession:
    return get_restricted_or_404(
        CongressSession, user, uuid, queryset=CongressSession.objects.filter(event=event)
    )


def _delivery(event: Event) -> dict[str, Any]:
    return {
        "report_due_days": event.report_due_days,
        "report_recipients": event.report_recipients,
        "due_on": report_due(event),
        "due": report_due_label(event),
        "report_shared_at": event.report_shared_at,
    }


@congress_router.get(
    "/{uuid}/sessions", response=responses({200: list[SessionRead]}), operation_id="events_sessions_list"
)
def list_sessions(request: ApiRequest, uuid: UUID) -> Any:
    """The congress's programme, in time order."""
    return list(sessions_of(_congress(request.user, uuid), request.user))


@congress_router.post(
    "/{uuid}/sessions/import",
    response=responses({200: ProgrammeImportRead}),
    operation_id="events_sessions_import",
)
def import_sessions(request: ApiRequest, uuid: UUID, payload: ProgrammeImport) -> Any:
    """Import the programme CSV: rows created, updated (same code), unchanged or refused by line and field;
    `dry_run` reports the same and writes nothing. A file-level problem (columns) is a 422."""
    user = request.user
    event = _congress(user, uuid, "change")
    report = congress.import_sessions(event, acting_user=user, data=payload.csv, dry_run=payload.dry_run)
    return {
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "refused": report.refused,
        "dry_run": report.dry_run,
        "summary": report.summary(),
    }


@congress_router.get(
    "/{uuid}/coverage", response=responses({200: CoveragePlanRead}), operation_id="events_coverage"
)
def read_coverage(request: ApiRequest, uuid: UUID) -> Any:
    """The coverage plan by day: who covers each session, which are priority sessions, and the gaps."""
    plan = coverage_plan(_congress(request.user, uuid), request.user)
    return {
        "days": [
            {
                "day": day,
                "sessions": [
                    {"session": r.session, "assignments": r.assignments, "priority": r.priority, "gap": r.gap}
                    for r in rows
                ],
            }
            for day, rows in plan.days
        ],
        "gaps": len(plan.gaps),
    }


@congress_router.post(
    "/{uuid}/coverage", response=responses({201: CoverageRead}), operation_id="events_coverage_assign"
)
def assign_coverage(request: ApiRequest, uuid: UUID, payload: CoverageCreate) -> Any:
    """Assign a colleague to a session (one who cannot see the congress joins its staff as a note-taker)."""
    user = request.user
    event = _congress(user, uuid, "change")
    colleague = resolve(User, user, payload.user, "user", queryset=User.objects.filter(is_active=True))
    assignment = congress.assign_coverage(
        _session(user, event, payload.session), acting_user=user, user=colleague
    )
    return Status(201, assignment)


@congress_router.delete(
    "/{uuid}/coverage/{assignment}", response=responses({204: None}), operation_id="events_coverage_unassign"
)
def unassign_coverage(request: ApiRequest, uuid: UUID, assignment: UUID) -> Any:
    """Take a colleague off a session (not once they covered it)."""
    user = request.user
    event = _congress(user, uuid, "change")
    row = get_restricted_or_404(
        CoverageAssignment,
        user,
        assignment,
        "change",
        queryset=CoverageAssignment.objects.filter(session__event=event),
    )
    congress.unassign_coverage(row, acting_user=user)
    return Status(204, None)


@congress_router.get(
    "/{uuid}/sessions/{session}/notes",
    response=responses({200: list[NoteRead]}),
    operation_id="events_session_notes_list",
)
def list_notes(request: ApiRequest, uuid: UUID, session: UUID) -> Any:
    user = request.user
    row = _session(user, _congress(user, uuid), session)
    return list(
        SessionNote.objects.restrict(user, "view").filter(session=row).select_related("author", "session")
    )


@congress_router.post(
    "/{uuid}/sessions/{session}/notes",
    response=responses({201: NoteRead}),
    operation_id="events_session_notes_add",
)
def add_note(request: ApiRequest, uuid: UUID, session: UUID, payload: NoteCreate) -> Any:
    """Add a note on a session (screened for adverse events; marks your coverage of it done)."""
    user = request.user
    row = _session(user, _congress(user, uuid, "change"), session)
    return Status(201, congress.add_session_note(row, acting_user=user, text=payload.text))


@congress_router.post(
    "/{uuid}/sessions/{session}/insights",
    response=responses({201: EventInsightRead}),
    operation_id="events_session_insights_capture",
)
def add_insight(request: ApiRequest, uuid: UUID, session: UUID, payload: SessionInsightCreate) -> Any:
    """Capture an insight heard in a session: submitted, screened and reviewed like any other, tagged to the
    congress and the session."""
    user = request.user
    row = _session(user, _congress(user, uuid, "change"), session)
    link = congress.add_session_insight(
        row,
        acting_user=user,
        text=payload.text,
        listening_priority=resolve(ListeningPriority, user, payload.listening_priority, "listening_priority"),
        hcp=resolve(HCP, user, payload.hcp, "hcp"),
        flag_override_reason=payload.flag_override_reason,
    )
    return Status(201, link.insight)


@congress_router.get(
    "/{uuid}/report-delivery",
    response=responses({200: ReportDeliveryRead}),
    operation_id="events_report_delivery",
)
def read_delivery(request: ApiRequest, uuid: UUID) -> Any:
    """When the report is due and who receives it."""
    return _delivery(get_restricted_or_404(Event, request.user, uuid))


@congress_router.put(
    "/{uuid}/report-delivery",
    response=responses({200: ReportDeliveryRead}),
    operation_id="events_report_delivery_set",
)
def set_delivery(request: ApiRequest, uuid: UUID, payload: ReportDelivery) -> Any:
    """Set the report's deadline (days after the end) and its recipients' e-mail addresses."""
    user = request.user
    event = get_restricted_or_404(Event, user, uuid, "change")
    congress.set_report_delivery(
        event,
        acting_user=user,
        report_due_days=payload.report_due_days,
        report_recipients=payload.report_recipients,
    )
    return _delivery(event)


@congress_router.post(
    "/{uuid}/report-send", response=responses({200: ReportDeliveryRead}), operation_id="events_report_send"
)
def send_report(request: ApiRequest, uuid: UUID) -> Any:
    """E-mail the report of a completed event to its recipients (HTML body, PDF attached) and record it shared."""
    user = request.user
    event = get_restricted_or_404(Event, user, uuid, "change")
    congress.send_report(event, acting_user=user, base_url=request.build_absolute_uri("/").rstrip("/"))
    return _delivery(event)


@congress_router.get(
    "/{uuid}/congress-report",
    response=responses({200: CongressReportRead}),
    operation_id="events_congress_report",
)
def read_congress_report(request: ApiRequest, uuid: UUID) -> Any:
    """The congress report's data: coverage by kind, the themes heard, the key notes per session, the gaps."""
    user = request.user
    data = congress_report(_congress(user, uuid), user)
    return {
        "coverage": data.coverage,
        "total": data.total,
        "themes": [{"theme": theme, "insights": insights} for theme, insights in data.themes],
        "sessions": [{"session": s.session, "notes": s.notes, "insights": s.insights} for s in data.sessions],
        "gaps": data.gaps,
    }
