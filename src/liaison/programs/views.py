"""Event pages: the list, the plan form, the event page (plan, people, outputs) and the report (HTML and PDF).

Reads go through restrict() (programs.queries); writes through programs.actions. A refused form re-renders
the event page with the message next to its field (422).
"""

from __future__ import annotations

import zoneinfo
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
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liaison.accounts.models import TherapeuticArea, User
from liaison.core.forms import add_action_errors
from liaison.core.permissions import can, require
from liaison.core.validation import error_messages
from liaison.core.views import AuthenticatedRequest, get_restricted_or_404, requested_page
from liaison.people.models import HCP, ExternalPerson

from . import actions
from .forms import (
    ActionItemForm,
    AttendanceForm,
    DocumentForm,
    EventForm,
    EventInsightForm,
    InviteForm,
    MinutesForm,
    StaffForm,
    WalkInForm,
    agenda_text,
)
from .models import TRANSITIONS, Event, EventActionItem, EventKind, EventParticipant, EventStaff, EventStatus
from .queries import event_report, filter_events, visible_events, with_counts
from .report import render_pdf


def _choice(value: str | None, allowed: Any) -> str:
    """A filter's value when it is one of `allowed`, else "" (an unknown value filters nothing)."""
    return value if value and value in allowed else ""


@login_required
@require_GET
def event_list(request: AuthenticatedRequest) -> HttpResponse:
    """Events the user may see: upcoming (soonest first) or past, filtered by kind, status, area and owner."""
    user = request.user
    require(user, "event", "view")
    get = request.GET
    when = _choice(get.get("when"), ("upcoming", "past", "all")) or "upcoming"
    kind = _choice(get.get("kind"), EventKind.values)
    status = _choice(get.get("status"), EventStatus.values)
    areas = list(TherapeuticArea.objects.order_by("name"))
    area = get.get("area") if get.get("area") in {str(a.uuid) for a in areas} else ""
    owner = get.get("owner") if get.get("owner") == str(user.uuid) else ""
    q = (get.get("q") or "").strip()[:200]
    events = filter_events(
        with_counts(visible_events(user)),
        when="" if when == "all" else when,
        kind=kind,
        status=status,
        area=area,
        owner=owner,
        q=q,
    )
    return render(
        request,
        "programs/event_list.html",
        {
            "page": requested_page(request, events),
            "when": when,
            "filters": {"kind": kind, "status": status, "area": area, "owner": owner, "q": q},
            "kinds": EventKind.choices,
            "statuses": EventStatus.choices,
            "areas": areas,
            "can_add": can(user, "event", "add"),
        },
    )


def _in_zone(data: dict[str, Any]) -> dict[str, Any]:
    """The form's date-times read as wall-clock times in the event's own time zone (a Tokyo board is entered in
    Tokyo time), when that zone is valid; the action checks it again."""
    try:
        zone = zoneinfo.ZoneInfo(data.get("time_zone") or "")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return data
    for name in ("starts_at", "ends_at"):
        value = data.get(name)
        if value is not None:
            naive = timezone.make_naive(value, timezone.get_current_timezone())
            data[name] = timezone.make_aware(naive, zone)
    return data


@login_required
@require_http_methods(["GET", "POST"])
def event_new(request: AuthenticatedRequest) -> HttpResponse:
    """Plan a new event."""
    user = request.user
    require(user, "event", "add")
    form = EventForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            event = actions.create_event(
                acting_user=user,
                data=_in_zone(form.action_data()),
                listening_priorities=list(form.cleaned_data["listening_priorities"]),
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, f"Event planned: {event.title}.")
            return redirect("programs:event_detail", uuid=event.uuid)
    return render(request, "programs/event_form.html", {"form": form, "event": None})


@login_required
@require_http_methods(["GET", "POST"])
def event_edit(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """Change the plan of an event (until it is completed or cancelled)."""
    user = request.user
    event = get_restricted_or_404(Event, user, uuid, "change")
    zone = event.zone
    initial = {
        "kind": event.kind,
        "title": event.title,
        # Shown as wall-clock times in the event's zone; `_in_zone` reads them back the same way.
        "starts_at": timezone.make_naive(event.starts_at, zone),
        "ends_at": timezone.make_naive(event.ends_at, zone),
        "time_zone": event.time_zone,
        "venue": event.venue,
        "city": event.city,
        "country": event.country,
        "virtual": event.virtual,
        "virtual_link": event.virtual_link,
        "therapeutic_area": event.therapeutic_area.uuid,
        "owner": event.owner.uuid,
        "objectives": "\n".join(event.objectives),
        "listening_priorities": [p.uuid for p in event.listening_priorities.all()],
        "agenda": agenda_text(event.agenda),
        "budget": event.budget,
        "currency": event.currency,
        "report_due_days": event.report_due_days,
        "report_recipients": event.report_recipients,
    }
    form = EventForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_event(
                event,
                acting_user=user,
                data=_in_zone(form.action_data()),
                listening_priorities=list(form.cleaned_data["listening_priorities"]),
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, "Event updated.")
            return redirect("programs:event_detail", uuid=event.uuid)
    return render(request, "programs/event_form.html", {"form": form, "event": event})


def _event(user: User, uuid: str, action: str = "view") -> Event:
    return get_restricted_or_404(
        Event,
        user,
        uuid,
        action,
        queryset=Event.objects.select_related("owner", "therapeutic_area").prefetch_related("documents"),
    )


def _detail(request: AuthenticatedRequest, event: Event, status: int = 200, **bound: Any) -> HttpResponse:
    """The event page; `bound` replaces a blank form with the one just refused (its errors beside its fields)."""
    user = request.user
    report = event_report(event, user)
    can_change = can(user, "event", "change") and (
        Event.objects.restrict(user, "change").filter(pk=event.pk).exists()
    )
    started = event.starts_at <= timezone.now()
    forms_: dict[str, Any] = {
        "staff_form": StaffForm(),
        "invite_form": InviteForm(choices_for=user),
        "walk_in_form": WalkInForm(),
        "minutes_form": MinutesForm(initial={"minutes": event.minutes}),
        "insight_form": EventInsightForm(user=user, event=event),
        "action_form": ActionItemForm(),
        "document_form": DocumentForm(),
    }
    forms_.update(bound)
    return render(
        request,
        "programs/event_detail.html",
        {
            "event": event,
            "report": report,
            "can_change": can_change,
            "is_open": event.status not in (EventStatus.COMPLETED, EventStatus.CANCELLED),
            "is_held": started and event.status != EventStatus.CANCELLED,
            "next_statuses": [(s, EventStatus(s).label) for s in sorted(TRANSITIONS[event.status])],
            "completion_problems": actions.completion_problems(event)
            if EventStatus.COMPLETED in TRANSITIONS[event.status]
            else [],
            "attendance_choices": AttendanceForm.base_fields["attendance"].choices,  # type: ignore[attr-defined]
            **forms_,
        },
        status=status,
    )


@login_required
@require_GET
def event_detail(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """One event: plan (objectives, agenda, budget, documents), people (staff, participants, attendance,
    walk-ins), outputs (minutes, insights captured here, action items) and the report links."""
    return _detail(request, _event(request.user, uuid))


def _messages_of(exc: ValidationError) -> str:
    return "; ".join(m for ms in error_messages(exc).values() for m in ms)


def _form(
    request: AuthenticatedRequest,
    event: Event,
    form_name: str,
    form: forms.Form,
    write: Callable[[dict[str, Any]], Any],
    done: str,
    anchor: str,
) -> HttpResponse:
    """Validate `form`, call `write(cleaned_data)`; success: back to the event page with `done`; refusal: the
    event page with the form and its errors beside its fields (422)."""
    if form.is_valid():
        try:
            write(form.cleaned_data)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect(f"{event_detail_url(event)}#{anchor}")
    return _detail(request, event, status=422, **{form_name: form})


def _act(
    request: AuthenticatedRequest, event: Event, write: Callable[[], Any], done: str, anchor: str
) -> HttpResponse:
    """A one-button change (status, attendance, done ...): its refusal is a message at the top of the page."""
    try:
        write()
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(request, done)
    return redirect(f"{event_detail_url(event)}#{anchor}")


def _row(model: Any, user: User, event: Event, value: str | None) -> Any:
    """A row of this event (staff, participant, action item) named by the posted uuid; 404 otherwise."""
    return get_restricted_or_404(model, user, value, "change", queryset=model.objects.filter(event=event))


def _status(request: AuthenticatedRequest, event: Event) -> HttpResponse:
    user, post = request.user, request.POST
    return _act(
        request,
        event,
        lambda: actions.change_status(
            event, acting_user=user, status=post.get("status", ""), reason=post.get("reason", "")
        ),
        "Status changed.",
        "top",
    )


def _staff(request: AuthenticatedRequest, event: Event) -> HttpResponse:
    user = request.user
    return _form(
        request,
        event,
        "staff_form",
        StaffForm(request.POST),
        lambda d: actions.add_staff(event, acting_user=user, user=d["user"], role=d["role"]),
        "Colleague added to the staff.",
        "people",
    )


def _staff_remove(request: AuthenticatedRequest, event: Event) -> HttpResponse:
    row = _row(EventStaff, request.user, event, request.POST.get("staff"))
    return _act(
        request,
        event,
        lambda: actions.remove_staff(row, acting_user=request.user),
        "Removed from staff.",
        "people",
    )


def _invite(request: AuthenticatedRequest, event: Event) -> HttpResponse:
    user = request.user
    return _form(
        request,
        event,
        "invite_form",
        InviteForm(request.POST, choices_for=user),
        lambda d: actions.invite_participant(
            event, acting_user=user, hcp=d["hcp"], external_person=d["external_person"], role=d["role"]
        ),
        "Invitation recorded.",
        "people",
    )


def _attendance(request: AuthenticatedRequest, event: Event) -> HttpResponse:
    """Confirm one participant's attendance, or record their answer to the invitation (`invitation`)."""
    user, post = request.user, request.POST
    row = _row(EventParticipant, user, event, post.get("participant"))
    if "invitation" in post:
        return _act(
            request,
            event,
            lambda: actions.answer_invitation(row, acting_user=user, invitation=post["invitation"]),
            "Answer recorded.",
            "people",
        )
    return _act(
        request,
        event,
        lambda: actions.confirm_attendance(row, acting_user=user, attendance=post.get("attendance", "")),
        "Attendance confirmed.",
        "people",
    )


def _walk_in(request: AuthenticatedRequest, event: Event) -> HttpResponse:
    """Add a walk-in; a likely duplicate re-renders the form with the candidates to pick from (nothing saved)."""
    user = request.user
    form = WalkInForm(request.POST)
    picked = request.POST.get("pick_hcp") or request.POST.get("pick_external")
    if form.is_valid() or picked:
        data = form.cleaned_data if form.is_valid() else {}
        try:
            result = actions.add_walk_in(
                event,
                acting_user=user,
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                city=data.get("city", ""),
                external_role=data.get("external_role", ""),
                hcp=_picked(user, HCP, request.POST.get("pick_hcp")),
                external_person=_picked(user, ExternalPerson, request.POST.get("pick_external")),
                role=data.get("role") or "attendee",
                create_anyway=bool(data.get("create_anyway")),
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            if result.participant is not None:
                messages.success(request, f"{result.participant.name} recorded as attended.")
                return redirect(f"{event_detail_url(event)}#people")
            return _detail(
                request,
                event,
                status=409,
                walk_in_form=form,
                walk_in_candidates=[
                    ("pick_hcp" if isinstance(c, HCP) else "pick_external", c) for c in result.candidates
                ],
            )
    return _detail(request, event, status=422, walk_in_form=form)


def _picked(user: User, model: Any, value: str | None) -> Any:
    """The candidate record the user picked (HCPs and external people are directory entries all may see)."""
    return get_restricted_or_404(model, user, value) if value else None


def _minutes(request: AuthenticatedRequest, event: Event) -> HttpResponse:
    user = request.user
    return _form(
        request,
        event,
        "minutes_form",
        MinutesForm(request.POST),
        lambda d: actions.save_minutes(event, acting_user=user, minutes=d["minutes"]),
        "Minutes saved.",
        "outputs",
    )


def _insight(request: AuthenticatedRequest, event: Event) -> HttpResponse:
    user = request.user
    return _form(
        request,
        event,
        "insight_form",
        EventInsightForm(request.POST, user=user, event=event),
        lambda d: actions.capture_insight(
            event, acting_user=user, text=d["text"], listening_priority=d["listening_priority"], hcp=d["hcp"]
        ),
        "Insight captured and submitted for review.",
        "outputs",
    )


def _action_item(request: AuthenticatedRequest, event: Event) -> HttpResponse:
    user = request.user
    return _form(
        request,
        event,
        "action_form",
        ActionItemForm(request.POST),
        lambda d: actions.add_action_item(
            event, acting_user=user, title=d["title"], owner=d["owner"], due_date=d["due_date"]
        ),
        "Action item added.",
        "outputs",
    )


def _action_done(request: AuthenticatedRequest, event: Event) -> HttpResponse:
    row = _row(EventActionItem, request.user, event, request.POST.get("item"))
    return _act(
        request,
        event,
        lambda: actions.complete_action_item(row, acting_user=request.user),
        "Marked done.",
        "outputs",
    )


def _document(request: AuthenticatedRequest, event: Event) -> HttpResponse:
    user = request.user
    return _form(
        request,
        event,
        "document_form",
        DocumentForm(request.POST),
        lambda d: actions.add_document(
            event, acting_user=user, title=d["title"], reference=d["reference"], kind=d["kind"]
        ),
        "Document added.",
        "plan",
    )


def _report_shared(request: AuthenticatedRequest, event: Event) -> HttpResponse:
    _act(
        request,
        event,
        lambda: actions.mark_report_shared(event, acting_user=request.user),
        "Recorded: the report was shared.",
        "top",
    )
    return redirect("programs:report_page", uuid=event.uuid)


# The event page's forms, by the `form` value each posts: one URL for all of them keeps the event's pages few.
FORMS: dict[str, Callable[[AuthenticatedRequest, Event], HttpResponse]] = {
    "status": _status,
    "staff": _staff,
    "staff_remove": _staff_remove,
    "invite": _invite,
    "attendance": _attendance,
    "walk_in": _walk_in,
    "minutes": _minutes,
    "insight": _insight,
    "action_item": _action_item,
    "action_done": _action_done,
    "document": _document,
    "report_shared": _report_shared,
}


@login_required
@require_POST
def event_post(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """Every form of the event page posts here, naming itself in `form` (status, staff, invite, attendance,
    walk_in, minutes, insight, action_item, action_done, document, report_shared)."""
    event = _event(request.user, uuid, "change")
    handler = FORMS.get(request.POST.get("form", ""))
    if handler is None:
        return HttpResponseBadRequest("Unknown form")
    return handler(request, event)


def event_detail_url(event: Event) -> str:
    """The event page's path."""
    return reverse("programs:event_detail", kwargs={"uuid": event.uuid})


@login_required
@require_GET
def report_page(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """The event report as a page, for internal stakeholders (an internal medical report)."""
    user = request.user
    event = _event(user, uuid)
    can_change = can(user, "event", "change") and (
        Event.objects.restrict(user, "change").filter(pk=event.pk).exists()
    )
    return render(
        request,
        "programs/event_report.html",
        {"event": event, "report": event_report(event, user), "can_change": can_change},
    )


@login_required
@require_GET
def report_pdf(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """The event report as a PDF download."""
    user = request.user
    event = _event(user, uuid)
    response = HttpResponse(render_pdf(event_report(event, user)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="event-report-{event.uuid}.pdf"'
    return response
