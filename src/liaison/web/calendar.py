"""Each user's private calendar feed (ICS): planned meetings, follow-ups due and program events.

Outlook, Google Calendar and Apple Calendar subscribe to `/calendar/<token>.ics`. They cannot sign in, so the
secret in the URL is the credential (accounts.CalendarFeedToken: only its hash is stored); an unknown or
revoked token, or the token of a deactivated user, answers the same 404. Every record is read through
`restrict()` as the token's user, so the feed never shows more than that user may see in the app.

What goes in: title-level facts only. Calendar clients copy the feed to their own (third-party) servers, so a
meeting entry names its purpose, time, channel and attendees, and a follow-up names the HCP it is owed to;
notes, topics, materials, products, a follow-up's wording and anything else typed about the exchange never leave
Liaison this way. Each entry links back to the record, which opens only after signing in.

The feed is assembled from small source functions (`SOURCES`), one per kind of entry, each returning `Entry`
values for a user and a window; it lives in the assembly layer because it composes records of several apps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from icalendar import Calendar
from icalendar import Event as VEvent

from liaison.accounts.actions import note_calendar_feed_use
from liaison.accounts.models import CalendarFeedToken, User
from liaison.engagement.models import FollowUp, FollowUpStatus, Interaction, InteractionStatus
from liaison.programs.models import EventStatus
from liaison.programs.queries import events_for_calendar

# The window a client receives: recent history (so a meeting just held stays visible) and a year ahead.
WINDOW_BACK = dt.timedelta(days=60)
WINDOW_AHEAD = dt.timedelta(days=365)
# How often clients that honour it should refetch (Outlook and Google poll on their own schedule anyway).
REFRESH = "PT1H"


@dataclass(frozen=True)
class Entry:
    """One calendar entry: a timed event (datetimes, in UTC in the feed) or an all-day one (dates)."""

    uid: str
    summary: str
    start: dt.datetime | dt.date
    end: dt.datetime | dt.date
    location: str = ""
    description: str = ""
    url: str = ""
    status: str = "CONFIRMED"
    modified: dt.datetime | None = None


Source = Callable[[User, dt.datetime, dt.datetime, Callable[[str], str]], Iterable[Entry]]


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


def _attendees(interaction: Interaction) -> list[tuple[str, str]]:
    """(name, what they are) of every attendee: HCPs, then external people with their role."""
    people = [(h.full_name, "HCP") for h in interaction.attendees.all()]
    people += [(p.full_name, p.get_role_display()) for p in interaction.external_attendees.all()]
    return people


def planned_meetings(
    user: User, start: dt.datetime, end: dt.datetime, link: Callable[[str], str]
) -> Iterable[Entry]:
    """The user's own draft interactions in the window: meetings planned ahead (and drafts not yet logged)."""
    interactions = (
        Interaction.objects.restrict(user, "view")
        .filter(owner=user, status=InteractionStatus.DRAFT, occurred_at__gte=start, occurred_at__lt=end)
        .prefetch_related("attendees", "external_attendees")
    )
    for interaction in interactions:
        attendees = _attendees(interaction)
        names = [name for name, _ in attendees]
        when = _utc(interaction.occurred_at)
        url = link(reverse("engagement:interaction_detail", args=[interaction.uuid]))
        yield Entry(
            uid=f"{interaction.uuid}@liaison",
            summary=f"{interaction.get_purpose_display()}: {', '.join(names)}" if names else "Meeting",
            start=when,
            end=when + dt.timedelta(minutes=interaction.duration_minutes),
            location=interaction.get_channel_display(),
            description="\n".join(
                [
                    "Attendees:",
                    *(f"- {name} ({kind})" for name, kind in attendees),
                    "Log it in Liaison once it has taken place:",
                    url,
                ]
            ),
            url=url,
            status="TENTATIVE" if interaction.is_planned else "CONFIRMED",
            modified=interaction.updated_at,
        )


def follow_ups_due(
    user: User, start: dt.datetime, end: dt.datetime, link: Callable[[str], str]
) -> Iterable[Entry]:
    """The user's open follow-ups due in the window, as all-day entries (Outlook and Google both show an all-day
    VEVENT; VTODO is ignored by Google Calendar). The follow-up's wording stays in Liaison."""
    follow_ups = (
        FollowUp.objects.restrict(user, "view")
        .filter(
            owner=user,
            status=FollowUpStatus.OPEN,
            due_date__gte=timezone.localdate(start),
            due_date__lt=timezone.localdate(end),
        )
        .select_related("hcp")
    )
    for follow_up in follow_ups:
        url = link(reverse("engagement:follow_up_list"))
        yield Entry(
            uid=f"{follow_up.uuid}@liaison",
            summary=f"Follow-up due: {follow_up.hcp.full_name}" if follow_up.hcp else "Follow-up due",
            start=follow_up.due_date,
            end=follow_up.due_date + dt.timedelta(days=1),
            description=f"Open it in Liaison: {url}",
            url=url,
            modified=follow_up.updated_at,
        )


def program_events(
    user: User, start: dt.datetime, end: dt.datetime, link: Callable[[str], str]
) -> Iterable[Entry]:
    """Events (advisory boards, symposia ...) the user owns or staffs, from programs.queries."""
    for event in events_for_calendar(user, start, end):
        url = link(reverse("programs:event_detail", args=[event.uuid]))
        place = ", ".join(p for p in (event.venue, event.city, event.country) if p)
        yield Entry(
            uid=f"{event.uuid}@liaison",
            summary=event.title,
            start=_utc(event.starts_at),
            end=_utc(event.ends_at),
            location=place or ("Virtual" if event.virtual else ""),
            description=f"{event.get_kind_display()}\n{url}",
            url=url,
            status="CANCELLED" if event.status == EventStatus.CANCELLED else "CONFIRMED",
            modified=event.updated_at,
        )


SOURCES: tuple[Source, ...] = (planned_meetings, follow_ups_due, program_events)


def build_calendar(user: User, *, now: dt.datetime, link: Callable[[str], str]) -> bytes:
    """The ICS document of `user`'s entries in the window around `now`, every time in UTC."""
    start, end = now - WINDOW_BACK, now + WINDOW_AHEAD
    calendar = Calendar()
    calendar.add("prodid", "-//Liaison//Calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Liaison: {user.display_name}")
    calendar.add("x-published-ttl", REFRESH)
    stamp = _utc(now)
    for source in SOURCES:
        for entry in source(user, start, end, link):
            vevent = VEvent()
            vevent.add("uid", entry.uid)
            vevent.add("dtstamp", stamp)
            vevent.add("dtstart", entry.start)
            vevent.add("dtend", entry.end)
            vevent.add("summary", entry.summary)
            vevent.add("status", entry.status)
            if isinstance(entry.start, dt.datetime):
                vevent.add("transp", "OPAQUE")
            else:
                vevent.add("transp", "TRANSPARENT")  # a due date does not block the day
            if entry.location:
                vevent.add("location", entry.location)
            if entry.description:
                vevent.add("description", entry.description)
            if entry.url:
                vevent.add("url", entry.url)
            if entry.modified:
                vevent.add("last-modified", _utc(entry.modified))
            calendar.add_component(vevent)
    return bytes(calendar.to_ical())


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private ICS feed behind `token`; no session needed. Unknown, revoked or deactivated: 404."""
    feed = CalendarFeedToken.live_for_raw(token) if token.startswith("cal_") and len(token) < 100 else None
    if feed is None:
        raise Http404("Not found")
    now = timezone.now()
    note_calendar_feed_use(feed, now=now)
    body = build_calendar(feed.user, now=now, link=request.build_absolute_uri)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="liaison.ics"'
    # The URL is a secret: keep it and the feed out of shared caches, referrers and search engines.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response
