"""Congress pages: the programme and coverage plan (with the programme upload and its preview, the assignments
and the report's delivery), and a session's page (notes and insights). Reads through restrict()
(programs.congress_queries); writes through programs.actions.congress. docs/programs.md, "Congresses"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from liaison.core.forms import AccessibleForm, LongText, TextList, UUIDModelChoiceField, add_action_errors
from liaison.core.permissions import can
from liaison.core.views import AuthenticatedRequest, get_restricted_or_404
from liaison.insights.models import Insight, ListeningPriority

from .actions import congress
from .congress_queries import coverage_plan, report_due, report_due_label
from .forms import _colleagues
from .models import (
    CongressSession,
    CoverageAssignment,
    Event,
    EventInsight,
    EventKind,
    EventStatus,
    SessionNote,
)

MAX_IMPORT_BYTES = 2 * 1024 * 1024


class ProgrammeForm(AccessibleForm):
    file = forms.FileField(label="Programme (CSV)", help_text="UTF-8 CSV with the columns listed below.")
    dry_run = forms.BooleanField(required=False, initial=True, label="Preview only (dry run): write nothing")


class AssignForm(AccessibleForm):
    session = UUIDModelChoiceField(CongressSession.objects.none(), label="Session or poster")
    user = UUIDModelChoiceField(_colleagues(("event", "change")), label="Colleague")

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = event.sessions.all()  # type: ignore[attr-defined]
        self.fields["user"].queryset = _colleagues(("event", "change"))  # type: ignore[attr-defined]


class DeliveryForm(AccessibleForm):
    report_due_days = forms.IntegerField(
        required=False, min_value=0, max_value=90, label="Report due (days after the end)"
    )
    report_recipients = TextList(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Report recipients",
        help_text="E-mail addresses, separated by commas or lines.",
    )


class NoteForm(AccessibleForm):
    text = LongText(required=True, label="Note", widget=forms.Textarea(attrs={"rows": 4}))


class SessionInsightForm(AccessibleForm):
    text = LongText(max_length=5000, required=True, label="Insight", widget=forms.Textarea(attrs={"rows": 3}))
    listening_priority = UUIDModelChoiceField(ListeningPriority.objects.none(), required=False)

    def __init__(self, *args: Any, user: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, choices_for=user, **kwargs)
        self.fields["listening_priority"].queryset = ListeningPriority.objects.restrict(  # type: ignore[attr-defined]
            user, "view"
        ).filter(active=True, therapeutic_area=event.therapeutic_area)


def _may_change(user: Any, event: Event) -> bool:
    return (
        can(user, "event", "change") and Event.objects.restrict(user, "change").filter(pk=event.pk).exists()
    )


def _congress(user: Any, uuid: Any, action: str = "view") -> Event:
    return get_restricted_or_404(
        Event,
        user,
        uuid,
        action,
        queryset=Event.objects.filter(kind=EventKind.CONGRESS).select_related("owner", "therapeutic_area"),
    )


def _page(request: AuthenticatedRequest, event: Event, status: int = 200, **bound: Any) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {
        "programme_form": ProgrammeForm(),
        "assign_form": AssignForm(event=event),
        "delivery_form": DeliveryForm(
            initial={
                "report_due_days": event.report_due_days,
                "report_recipients": ", ".join(event.report_recipients),
            }
        ),
        "import_report": None,
    }
    context.update(bound)
    return render(
        request,
        "programs/congress.html",
        {
            "event": event,
            "plan": coverage_plan(event, user),
            "can_change": _may_change(user, event),
            "is_open": event.status not in (EventStatus.COMPLETED, EventStatus.CANCELLED),
            "due": report_due(event),
            "due_label": report_due_label(event),
            "columns": list(congress.COLUMNS),
            "aliases": congress.COLUMNS,
            **context,
        },
        status=status,
    )


def congress_url(event: Event, anchor: str = "") -> str:
    return reverse("programs:congress", kwargs={"uuid": event.uuid}) + (f"#{anchor}" if anchor else "")


@login_required
@require_GET
def congress_page(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """The programme by day: who covers each session, the priority sessions nobody covers (gaps), and the forms
    to upload the programme, assign colleagues and deliver the report."""
    return _page(request, _congress(request.user, uuid))


def _messages_of(exc: ValidationError) -> str:
    return (
        "; ".join(m for ms in exc.message_dict.values() for m in ms)
        if hasattr(exc, "error_dict")
        else exc.messages[0]
    )


def _act(
    request: AuthenticatedRequest, event: Event, write: Callable[[], Any], done: str, anchor: str
) -> HttpResponse:
    try:
        write()
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(request, done)
    return redirect(congress_url(event, anchor))


def _import(request: AuthenticatedRequest, event: Event) -> HttpResponse:
    form = ProgrammeForm(request.POST, request.FILES)
    report = None
    if form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            form.add_error("file", f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
        else:
            try:
                report = congress.import_sessions(
                    event, acting_user=request.user, data=upload.read(), dry_run=form.cleaned_data["dry_run"]
                )
            except ValidationError as exc:
                add_action_errors(form, exc)
    status = 422 if report is None or report.refused else 200
    return _page(request, event, status=status, programme_form=form, import_report=report)


def _assign(request: AuthenticatedRequest, event: Event) -> HttpResponse:
    form = AssignForm(request.POST, event=event)
    if form.is_valid():
        try:
            congress.assign_coverage(
                form.cleaned_data["session"], acting_user=request.user, user=form.cleaned_data["user"]
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, "Colleague assigned.")
            return redirect(congress_url(event, "plan"))
    return _page(request, event, status=422, assign_form=form)


def _unassign(request: AuthenticatedRequest, event: Event) -> HttpResponse:
    row = get_restricted_or_404(
        CoverageAssignment,
        request.user,
        request.POST.get("assignment"),
        "change",
        queryset=CoverageAssignment.objects.filter(session__event=event).select_related("session__event"),
    )
    return _act(
        request,
        event,
        lambda: congress.unassign_coverage(row, acting_user=request.user),
        "Assignment removed.",
        "plan",
    )


def _delivery(request: AuthenticatedRequest, event: Event) -> HttpResponse:
    form = DeliveryForm(request.POST)
    if form.is_valid():
        try:
            congress.set_report_delivery(
                event,
                acting_user=request.user,
                report_due_days=form.cleaned_data["report_due_days"],
                report_recipients=form.cleaned_data["report_recipients"],
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, "Report delivery saved.")
            return redirect(congress_url(event, "report"))
    return _page(request, event, status=422, delivery_form=form)


def _send(request: AuthenticatedRequest, event: Event) -> HttpResponse:
    base = request.build_absolute_uri("/").rstrip("/")
    return _act(
        request,
        event,
        lambda: congress.send_report(event, acting_user=request.user, base_url=base),
        f"Report sent to {len(event.report_recipients)} recipient(s).",
        "report",
    )


FORMS: dict[str, Callable[[AuthenticatedRequest, Event], HttpResponse]] = {
    "import": _import,
    "assign": _assign,
    "unassign": _unassign,
    "delivery": _delivery,
    "send": _send,
}


@login_required
@require_POST
def congress_post(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """The congress page's forms, named by `form`: import, assign, unassign, delivery, send."""
    event = _congress(request.user, uuid, "change")
    handler = FORMS.get(request.POST.get("form", ""))
    if handler is None:
        return HttpResponseBadRequest("Unknown form")
    return handler(request, event)


# --- a session ------------------------------------------------------------------------------------------------


def _session(user: Any, uuid: Any) -> CongressSession:
    return get_restricted_or_404(
        CongressSession,
        user,
        uuid,
        queryset=CongressSession.objects.select_related("event__therapeutic_area", "event__owner"),
    )


def _session_page(
    request: AuthenticatedRequest, session: CongressSession, status: int = 200, **bound: Any
) -> HttpResponse:
    user = request.user
    event = session.event
    forms_: dict[str, Any] = {
        "note_form": NoteForm(),
        "insight_form": SessionInsightForm(user=user, event=event),
    }
    forms_.update(bound)
    links = EventInsight.objects.restrict(user, "view").filter(session=session).values("insight_id")
    return render(
        request,
        "programs/session_detail.html",
        {
            "event": event,
            "session": session,
            "notes": SessionNote.objects.restrict(user, "view")
            .filter(session=session)
            .select_related("author"),
            "insights": Insight.objects.restrict(user, "view")
            .filter(pk__in=links)
            .select_related("listening_priority"),
            "coverage": CoverageAssignment.objects.restrict(user, "view")
            .filter(session=session)
            .select_related("user"),
            "can_change": _may_change(user, event),
            "is_held": event.starts_at <= timezone.now() and event.status != EventStatus.CANCELLED,
            **forms_,
        },
        status=status,
    )


@login_required
@require_GET
def session_detail(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """One session or poster: its facts, who covers it, the notes and the insights heard in it."""
    return _session_page(request, _session(request.user, uuid))


@login_required
@require_POST
def session_post(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """Add a note (`form=note`) or an insight (`form=insight`) on the session."""
    user = request.user
    session = _session(user, uuid)
    get_restricted_or_404(Event, user, session.event.uuid, "change")
    kind = request.POST.get("form", "")
    target = reverse("programs:session_detail", kwargs={"uuid": session.uuid})
    if kind == "note":
        form: forms.Form = NoteForm(request.POST)
        if form.is_valid():
            try:
                congress.add_session_note(session, acting_user=user, text=form.cleaned_data["text"])
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, "Note added.")
                return redirect(f"{target}#notes")
        return _session_page(request, session, status=422, note_form=form)
    if kind == "insight":
        form = SessionInsightForm(request.POST, user=user, event=session.event)
        if form.is_valid():
            try:
                congress.add_session_insight(
                    session,
                    acting_user=user,
                    text=form.cleaned_data["text"],
                    listening_priority=form.cleaned_data["listening_priority"],
                )
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, "Insight captured and submitted for review.")
                return redirect(f"{target}#insights")
        return _session_page(request, session, status=422, insight_form=form)
    return HttpResponseBadRequest("Unknown form")


@login_required
@require_GET
def session_note(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """A note by its uuid (the safety report's link to what was screened): its session's page, at the note."""
    note = get_restricted_or_404(
        SessionNote, request.user, uuid, queryset=SessionNote.objects.select_related("session")
    )
    return redirect(
        reverse("programs:session_detail", kwargs={"uuid": note.session.uuid}) + f"#note-{note.uuid}"
    )
