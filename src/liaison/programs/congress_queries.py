"""Restricted reads of a congress: its programme, the coverage plan with its gaps, and the congress report's data
(coverage by kind, the themes heard, the key notes per session). docs/programs.md, "Congresses"."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from liaison.accounts.models import User
from liaison.insights.models import Insight, ListeningPriority
from liaison.intel.priority_matching import assigned_priorities

from .models import CongressSession, CoverageAssignment, Event, EventInsight, SessionKind, SessionNote

# The shortest topic that can match a listening priority by its words (shorter ones, "IO", "RT", match too much).
MIN_TOPIC_LENGTH = 3
# How many notes per session the report quotes (the page links to all of them).
KEY_NOTES = 3


def matching_priorities(
    priorities: Iterable[ListeningPriority], *, title: str, topics: Iterable[str]
) -> list[ListeningPriority]:
    """The priorities a session answers: one of its topics appears as words in the priority's title or
    description, or the priority's title appears in the session's title (all case-insensitive)."""
    words = [t.lower() for t in topics if len(t) >= MIN_TOPIC_LENGTH]
    out = []
    for priority in priorities:
        text = f"{priority.title} {priority.description}".lower()
        if any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text) for w in words) or (
            priority.title.lower() in title.lower()
        ):
            out.append(priority)
    return out


def sessions_of(event: Event, user: User) -> QuerySet[CongressSession]:
    """The congress's sessions the user may see, with their priorities and coverage loaded."""
    return (
        CongressSession.objects.restrict(user, "view")
        .filter(event=event)
        .prefetch_related(
            "listening_priorities",
            Prefetch("coverage", queryset=CoverageAssignment.objects.select_related("user").order_by("pk")),
        )
    )


@dataclass
class PlanRow:
    """One session in the plan: who covers it, whether it answers a listening priority, and whether that makes
    it a gap (a priority session nobody covers)."""

    session: CongressSession
    assignments: list[CoverageAssignment]
    priorities: list[ListeningPriority]

    @property
    def priority(self) -> bool:
        return bool(self.priorities)

    @property
    def covered(self) -> bool:
        return any(a.covered_at is not None for a in self.assignments)

    @property
    def gap(self) -> bool:
        return self.priority and not self.assignments


@dataclass
class CoveragePlan:
    """The plan grouped by the congress's days (in its time zone), with its totals."""

    days: list[tuple[dt.date, list[PlanRow]]]

    @property
    def rows(self) -> list[PlanRow]:
        return [row for _, rows in self.days for row in rows]

    @property
    def gaps(self) -> list[PlanRow]:
        return [row for row in self.rows if row.gap]

    def by_user(self) -> list[tuple[User, int, int]]:
        """(colleague, sessions assigned, sessions covered), most assigned first."""
        users: dict[int, User] = {}
        assigned: dict[int, int] = defaultdict(int)
        covered: dict[int, int] = defaultdict(int)
        for row in self.rows:
            for a in row.assignments:
                users[a.user_id] = a.user
                assigned[a.user_id] += 1
                covered[a.user_id] += a.covered_at is not None
        out = [(users[pk], assigned[pk], covered[pk]) for pk in users]
        return sorted(out, key=lambda e: (-e[1], e[0].display_name))


def coverage_plan(event: Event, user: User) -> CoveragePlan:
    """Who covers what, day by day; priority sessions are those linked to listening priorities at import or
    whose topics match the congress's priorities now."""
    linked = list(event.listening_priorities.all()) or list(
        ListeningPriority.objects.filter(therapeutic_area=event.therapeutic_area, active=True)
    )
    days: dict[dt.date, list[PlanRow]] = defaultdict(list)
    for session in sessions_of(event, user):
        priorities = list(session.listening_priorities.all())
        for p in matching_priorities(linked, title=session.title, topics=session.topics):
            if p not in priorities:
                priorities.append(p)
        day = timezone.localtime(session.starts_at, event.zone).date()
        days[day].append(PlanRow(session, list(session.coverage.all()), priorities))
    return CoveragePlan(days=sorted(days.items()))


@dataclass
class KindCoverage:
    kind: str
    label: str
    sessions: int = 0
    assigned: int = 0
    covered: int = 0

    @property
    def uncovered(self) -> int:
        return self.sessions - self.covered


@dataclass
class SessionSummary:
    session: CongressSession
    notes: list[SessionNote]
    insights: list[Insight]
    covered_by: list[User] = field(default_factory=list)


@dataclass
class CongressReport:
    """What the congress report adds to the event report."""

    coverage: list[KindCoverage]
    total: KindCoverage
    themes: list[tuple[str, list[Insight]]]
    sessions: list[SessionSummary]
    gaps: list[CongressSession]


def congress_report(event: Event, user: User) -> CongressReport:
    """The congress part of the report as `user` may read it: coverage (sessions, assigned, covered, uncovered)
    by kind; the insights of the congress grouped by the listening priority each is assigned to (a reviewer's
    decision, the author's tag, or the priority matching; docs/insight-intelligence.md); and per session its
    key notes and insights."""
    plan = coverage_plan(event, user)
    labels = dict(SessionKind.choices)
    by_kind: dict[str, KindCoverage] = {}
    total = KindCoverage("all", "All sessions")
    for row in plan.rows:
        kind = row.session.kind
        entry = by_kind.setdefault(kind, KindCoverage(kind, str(labels.get(kind, kind))))
        for target in (entry, total):
            target.sessions += 1
            target.assigned += bool(row.assignments)
            target.covered += row.covered
    order = {k: i for i, k in enumerate(SessionKind.values)}
    tagged = EventInsight.objects.restrict(user, "view").filter(event=event)
    session_of = dict(tagged.values_list("insight_id", "session_id"))
    insights = list(
        Insight.objects.restrict(user, "view")
        .filter(pk__in=list(session_of))
        .select_related("listening_priority", "author")
        .order_by("created_at", "pk")
    )
    assigned = assigned_priorities(insights)
    names = dict(
        ListeningPriority.objects.filter(
            pk__in={a.priority_id for a in assigned.values() if a.priority_id}
        ).values_list("pk", "title")
    )
    grouped: dict[str, list[Insight]] = defaultdict(list)
    for insight in insights:
        pid = assigned[insight.pk].priority_id
        grouped[names.get(pid, "Other themes") if pid else "Other themes"].append(insight)
    themes = sorted(grouped.items(), key=lambda t: (t[0] == "Other themes", -len(t[1]), t[0]))
    notes: dict[int, list[SessionNote]] = defaultdict(list)
    for note in (
        SessionNote.objects.restrict(user, "view")
        .filter(session__event=event)
        .select_related("author")
        .order_by("created_at", "pk")
    ):
        notes[note.session_id].append(note)
    by_session: dict[int, list[Insight]] = defaultdict(list)
    for insight in insights:
        if session_of.get(insight.pk):
            by_session[session_of[insight.pk]].append(insight)
    summaries = [
        SessionSummary(
            row.session,
            notes[row.session.pk][:KEY_NOTES],
            by_session[row.session.pk],
            [a.user for a in row.assignments if a.covered_at is not None],
        )
        for row in plan.rows
        if notes[row.session.pk] or by_session[row.session.pk]
    ]
    return CongressReport(
        coverage=sorted(by_kind.values(), key=lambda k: order.get(k.kind, 99)),
        total=total,
        themes=themes,
        sessions=summaries,
        gaps=[row.session for row in plan.rows if row.priority and not row.covered],
    )


def report_due(event: Event) -> dt.date | None:
    """The day the report is due: the event's last day (in its zone) plus `report_due_days`; None without."""
    if event.report_due_days is None:
        return None
    return timezone.localtime(event.ends_at, event.zone).date() + dt.timedelta(days=event.report_due_days)


def report_due_label(event: Event, today: dt.date | None = None) -> str:
    """ "report due in 3 days", "report due today", "report overdue by 2 days", "report sent 2026-11-14", or ""
    when no deadline is set."""
    due = report_due(event)
    if due is None:
        return ""
    if event.report_shared_at is not None:
        return f"report sent {timezone.localtime(event.report_shared_at, event.zone):%Y-%m-%d}"
    days = (due - (today or timezone.localdate())).days
    if days == 0:
        return "report due today"
    if days > 0:
        return f"report due in {days} day{'s' if days != 1 else ''}"
    return f"report overdue by {-days} day{'s' if days != -1 else ''}"
