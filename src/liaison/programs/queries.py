"""Restricted reads of events: the lists, the calendar of a user's own events, and the event report's data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from liaison.accounts.models import User
from liaison.insights.models import Insight, ListeningPriority
from liaison.people.models import HCP

from .congress_queries import CongressReport, congress_report
from .models import (
    Attendance,
    Event,
    EventActionItem,
    EventInsight,
    EventKind,
    EventParticipant,
    EventStaff,
    EventStatus,
    Invitation,
)


def visible_events(user: User, action: str = "view") -> QuerySet[Event]:
    """Events the user may see (or change), with what a list shows loaded."""
    return Event.objects.restrict(user, action).select_related("owner", "therapeutic_area")


def filter_events(
    queryset: QuerySet[Event],
    *,
    when: str = "",
    kind: str = "",
    status: str = "",
    area: Any = None,
    owner: Any = None,
    q: str = "",
) -> QuerySet[Event]:
    """Narrow a list: `when` "upcoming" (not yet ended, soonest first) or "past" (ended, latest first); kind,
    status, therapeutic area and owner by uuid; `q` in the title or city. Otherwise latest first."""
    now = timezone.now()
    if when == "upcoming":
        queryset = queryset.filter(ends_at__gte=now).order_by("starts_at", "pk")
    elif when == "past":
        queryset = queryset.filter(ends_at__lt=now).order_by("-starts_at", "-pk")
    else:
        # Explicit: a list annotated with counts (a GROUP BY) does not keep the model's default ordering.
        queryset = queryset.order_by("-starts_at", "-pk")
    if kind:
        queryset = queryset.filter(kind=kind)
    if status:
        queryset = queryset.filter(status=status)
    if area:
        queryset = queryset.filter(therapeutic_area__uuid=area)
    if owner:
        queryset = queryset.filter(owner__uuid=owner)
    if q:
        queryset = queryset.filter(Q(title__icontains=q) | Q(city__icontains=q))
    return queryset


def with_counts(queryset: QuerySet[Event]) -> QuerySet[Event]:
    """Each event with its number of participants and of those who attended."""
    return queryset.annotate(
        participant_count=Count("participants", distinct=True),
        attended_count=Count(
            "participants", filter=Q(participants__attendance=Attendance.ATTENDED), distinct=True
        ),
    )


def events_for_calendar(user: User, start: dt.datetime, end: dt.datetime) -> list[Event]:
    """The events the user owns or staffs that overlap [start, end), ordered by starts_at: what the user's own
    calendar (the ICS feed) shows. Cancelled events are included (a calendar marks them cancelled); only events
    the user may still view."""
    mine = Event._base_manager.filter(Q(owner=user) | Q(staff__user=user)).values("pk")
    return list(
        visible_events(user)
        .filter(pk__in=mine, starts_at__lt=end, ends_at__gt=start)
        .order_by("starts_at", "pk")
    )


@dataclass
class EventReport:
    """Everything the event report shows, read for one viewer."""

    event: Event
    priorities: list[ListeningPriority]
    staff: list[EventStaff]
    participants: list[EventParticipant]
    insights: list[Insight]
    action_items: list[EventActionItem]
    counts: dict[str, int] = field(default_factory=dict)
    # A congress's coverage, themes heard and session notes (congress_queries.congress_report).
    congress: CongressReport | None = None

    @property
    def attended(self) -> list[EventParticipant]:
        return [p for p in self.participants if p.attendance == Attendance.ATTENDED]


def event_report(event: Event, user: User) -> EventReport:
    """The report of one event as `user` may read it: facts, objectives and listening priorities, staff,
    participants with attendance, minutes, the insights tagged to it (those the viewer may see) and the action
    items."""
    participants = list(
        EventParticipant.objects.restrict(user, "view")
        .filter(event=event)
        .select_related("hcp", "external_person__organization", "attendance_confirmed_by")
        .order_by(F("external_person").asc(nulls_first=True), "pk")
    )
    tagged = EventInsight.objects.restrict(user, "view").filter(event=event).values("insight_id")
    insights = list(
        Insight.objects.restrict(user, "view")
        .filter(pk__in=tagged)
        .select_related("hcp", "listening_priority", "author")
        .order_by("created_at", "pk")
    )
    counts = {
        "invited": len(participants),
        "accepted": sum(p.invitation == Invitation.ACCEPTED for p in participants),
        "attended": sum(p.attendance == Attendance.ATTENDED for p in participants),
        "no_show": sum(p.attendance == Attendance.NO_SHOW for p in participants),
        "walk_ins": sum(p.walk_in for p in participants),
    }
    return EventReport(
        event=event,
        priorities=list(event.listening_priorities.all()),
        staff=list(EventStaff.objects.restrict(user, "view").filter(event=event).select_related("user")),
        participants=participants,
        insights=insights,
        action_items=list(
            EventActionItem.objects.restrict(user, "view").filter(event=event).select_related("owner")
        ),
        counts=counts,
        congress=congress_report(event, user) if event.kind == EventKind.CONGRESS else None,
    )


def is_upcoming(event: Event) -> bool:
    """Not yet ended and not cancelled."""
    return event.ends_at >= timezone.now() and event.status != EventStatus.CANCELLED


def hcp_events_tab(user: User, hcp: HCP) -> dict[str, Any]:
    """The HCP profile's "Events" tab: the events the HCP was invited to or attended that the user may see,
    newest first, with their role, invitation and attendance."""
    participations = (
        EventParticipant.objects.restrict(user, "view")
        .filter(hcp=hcp)
        .select_related("event", "event__therapeutic_area")
        .order_by("-event__starts_at", "-pk")
    )
    rows = list(participations[:100])
    attended = sum(1 for p in rows if p.attendance == Attendance.ATTENDED)
    return {"hcp_participations": rows, "hcp_events_attended": attended}
