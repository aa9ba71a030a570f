"""Medical events: advisory boards, congresses, symposia and medical education, webinars, round tables and site
visits, with their staff, participants and attendance, and their outputs (minutes, insights, action items).

docs/programs.md explains the statuses, attendance and walk-ins, and the event report.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone

from liaison.accounts.models import TherapeuticArea, User
from liaison.core.models import AuditedModel
from liaison.core.roles import Role
from liaison.insights.models import Insight, ListeningPriority
from liaison.people.models import HCP, ExternalPerson


class EventKind(models.TextChoices):
    ADVISORY_BOARD = "advisory_board", "Advisory board"
    CONGRESS = "congress", "Congress"
    SYMPOSIUM = "symposium", "Symposium"
    MEDICAL_EDUCATION = "medical_education", "Medical education meeting"
    WEBINAR = "webinar", "Webinar"
    ROUND_TABLE = "round_table", "Round table"
    SITE_VISIT = "site_visit", "Site visit"


class EventStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    CONFIRMED = "confirmed", "Confirmed"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


# Where an event may go from each status. Completed is final (the report and its outputs stand); a cancelled
# event may be planned again.
TRANSITIONS: dict[str, set[str]] = {
    EventStatus.PLANNED: {EventStatus.CONFIRMED, EventStatus.CANCELLED},
    EventStatus.CONFIRMED: {EventStatus.PLANNED, EventStatus.COMPLETED, EventStatus.CANCELLED},
    EventStatus.COMPLETED: set(),
    EventStatus.CANCELLED: {EventStatus.PLANNED},
}


def _visible_events(user: User) -> Q:
    """The row rule of events for field roles: their own, their team's (by owner), and those they staff."""
    rule = Q(owner=user) | Q(staff__user=user)
    if user.team_id is not None:
        rule |= Q(owner__team_id=user.team_id)
    return rule


def event_scope(queryset: models.QuerySet, user: User, path: str = "") -> models.QuerySet:
    """Rows of `queryset` whose event (`path` to it, "" for events themselves) the user may see: MSLs and
    managers their own, their team's and the events they staff; other roles with the permission all of them."""
    if user.role not in (Role.MSL, Role.MSL_MANAGER):
        return queryset
    # A subquery of ids, so that the join through staff neither duplicates rows nor needs DISTINCT.
    ids = Event._base_manager.filter(_visible_events(user)).values("pk")
    return queryset.filter(**{f"{path}__in" if path else "pk__in": ids})


class Event(AuditedModel):
    """A medical event planned and run by field medical: what it is for, when and where, who runs it.

    Objectives answer listening priorities; the agenda is a list of items {"time", "title", "speaker"}; documents
    are references (`EventDocument`), not uploads. Outputs (minutes, insights, action items) are recorded once
    it has taken place, and the report is built from them (programs/report.py).
    """

    kind = models.CharField(max_length=30, choices=EventKind.choices)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=EventStatus.choices, default=EventStatus.PLANNED)
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    time_zone = models.CharField(max_length=64, default="UTC", help_text="IANA name, e.g. Europe/Paris")
    venue = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=120, blank=True)
    country = models.CharField(max_length=80, blank=True)
    virtual = models.BooleanField(default=False)
    virtual_link = models.URLField(max_length=500, blank=True)
    therapeutic_area = models.ForeignKey(TherapeuticArea, on_delete=models.PROTECT, related_name="events")
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="owned_events")
    objectives = models.JSONField(default=list, blank=True)
    listening_priorities = models.ManyToManyField(ListeningPriority, blank=True, related_name="events")
    agenda = models.JSONField(default=list, blank=True, help_text='[{"time", "title", "speaker"}]')
    budget = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, help_text="ISO 4217, e.g. EUR")
    minutes = models.TextField(blank=True)
    report_shared_at = models.DateTimeField(null=True, blank=True)
    # The report is due this many days after the event ends (a congress report within 5 days, say); empty: no
    # deadline. It goes by e-mail to `report_recipients` (internal stakeholders' addresses).
    report_due_days = models.PositiveSmallIntegerField(null=True, blank=True)
    report_recipients = models.JSONField(default=list, blank=True)

    permission_resource: ClassVar[str] = "event"

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="programs_event_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d})"

    @property
    def zone(self) -> dt.tzinfo:
        """The event's time zone (the site's when the stored name is unknown to this server's zone data)."""
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return timezone.get_current_timezone()

    @property
    def place(self) -> str:
        """Venue, city and country as one line; "Virtual" for an online-only event."""
        parts = [p for p in (self.venue, self.city, self.country) if p]
        if self.virtual:
            parts.append("virtual")
        return ", ".join(parts) or "—"

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return event_scope(queryset, user)


class StaffRole(models.TextChoices):
    ORGANISER = "organiser", "Organiser"
    CHAIR = "chair", "Chair"
    MODERATOR = "moderator", "Moderator"
    PRESENTER = "presenter", "Presenter"
    NOTE_TAKER = "note_taker", "Note-taker"


class EventStaff(AuditedModel):
    """A colleague who runs the event in a role; staff see the event as the owner's team does."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="event_roles")
    role = models.CharField(max_length=20, choices=StaffRole.choices)

    permission_resource: ClassVar[str] = "event"

    class Meta:
        ordering = ["role", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "user", "role"], name="programs_staff_once_per_role")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return event_scope(queryset, user, "event")


class ParticipantRole(models.TextChoices):
    ADVISOR = "advisor", "Advisor"
    SPEAKER = "speaker", "Speaker"
    FACULTY = "faculty", "Faculty"
    ATTENDEE = "attendee", "Attendee"


class Invitation(models.TextChoices):
    INVITED = "invited", "Invited"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class Attendance(models.TextChoices):
    UNKNOWN = "unknown", "Not confirmed"
    ATTENDED = "attended", "Attended"
    NO_SHOW = "no_show", "Did not attend"


class EventParticipant(AuditedModel):
    """An external person at the event: an HCP record or an external person (payer, pharmacist, patient
    advocate, health economist ...), never both. Walk-ins are added on the day, already attended."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="participants")
    hcp = models.ForeignKey(
        HCP, null=True, blank=True, on_delete=models.PROTECT, related_name="event_participations"
    )
    external_person = models.ForeignKey(
        ExternalPerson, null=True, blank=True, on_delete=models.PROTECT, related_name="event_participations"
    )
    role = models.CharField(max_length=20, choices=ParticipantRole.choices, default=ParticipantRole.ATTENDEE)
    invitation = models.CharField(max_length=20, choices=Invitation.choices, default=Invitation.INVITED)
    attendance = models.CharField(max_length=20, choices=Attendance.choices, default=Attendance.UNKNOWN)
    attendance_confirmed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attendance_confirmed_at = models.DateTimeField(null=True, blank=True)
    walk_in = models.BooleanField(default=False)

    permission_resource: ClassVar[str] = "event"

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hcp__isnull=False, external_person__isnull=True)
                | Q(hcp__isnull=True, external_person__isnull=False),
                name="programs_participant_hcp_xor_external",
            ),
            models.UniqueConstraint(
                fields=["event", "hcp"], condition=Q(hcp__isnull=False), name="programs_participant_hcp_once"
            ),
            models.UniqueConstraint(
                fields=["event", "external_person"],
                condition=Q(external_person__isnull=False),
                name="programs_participant_external_once",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def person(self) -> HCP | ExternalPerson:
        """The HCP or the external person."""
        return self.hcp if self.hcp is not None else self.external_person  # type: ignore[return-value]

    @property
    def name(self) -> str:
        return self.person.full_name if self.person is not None else "—"

    @property
    def affiliation(self) -> str:
        """What a list shows beside the name: "HCP", or the external person's role and organisation."""
        if self.hcp is not None:
            return "HCP"
        person = self.external_person
        if person is None:
            return ""
        org = f", {person.organization.name}" if person.organization is not None else ""
        return f"{person.get_role_display()}{org}"

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return event_scope(queryset, user, "event")


class EventActionItem(AuditedModel):
    """Something agreed at the event that a colleague will do by a date."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="action_items")
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="event_action_items")
    due_date = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    permission_resource: ClassVar[str] = "event"

    class Meta:
        ordering = ["done_at", "due_date", "pk"]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return event_scope(queryset, user, "event")


class EventInsight(AuditedModel):
    """An insight heard at the event. The insight itself is an ordinary insights.Insight (reviewed, themed and
    acted on in the loop like any other); this row only tags it to the event."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="event_insights")
    insight = models.OneToOneField(Insight, on_delete=models.PROTECT, related_name="event_link")
    # At a congress: the session it was heard in (empty for insights of the congress as a whole).
    session = models.ForeignKey(
        "CongressSession", null=True, blank=True, on_delete=models.PROTECT, related_name="session_insights"
    )

    permission_resource: ClassVar[str] = "event"

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"insight {self.insight_id} at event {self.event_id}"

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return event_scope(queryset, user, "event")


class DocumentKind(models.TextChoices):
    AGENDA = "agenda", "Agenda"
    BRIEFING = "briefing", "Briefing book"
    SLIDES = "slides", "Slides"
    CONTRACT = "contract", "Contract"
    MINUTES = "minutes", "Signed minutes"
    OTHER = "other", "Other"


class EventDocument(AuditedModel):
    """A document of the event, by reference (a URL or the id in the document-management system)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices, default=DocumentKind.OTHER)
    title = models.CharField(max_length=200)
    reference = models.CharField(max_length=500, help_text="A URL or a document-management reference")

    permission_resource: ClassVar[str] = "event"

    class Meta:
        ordering = ["kind", "title"]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return event_scope(queryset, user, "event")


# --- asynchronous advisory boards and their participant portal (docs/programs.md) -----------------------------


class BoardQuestion(AuditedModel):
    """A question of an asynchronous advisory board, answered over days by the invited advisors in the portal;
    it is open from `opens_at` (at once when empty) until `closes_at` (never when empty)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="board_questions")
    order = models.PositiveIntegerField(default=1)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)

    permission_resource: ClassVar[str] = "event"

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.title

    def is_open(self, now: dt.datetime) -> bool:
        """Whether advisors may post to it at `now`."""
        return (self.opens_at is None or self.opens_at <= now) and (
            self.closes_at is None or now < self.closes_at
        )

    def is_visible(self, now: dt.datetime) -> bool:
        """Whether advisors see it at `now` (from its opening on, closed ones included)."""
        return self.opens_at is None or self.opens_at <= now

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return event_scope(queryset, user, "event")


class PortalAccess(AuditedModel):
    """An advisor participant's way into the portal: the advisor's user (role advisor, no password), the hash of
    the single-use link last e-mailed (a new link replaces it), the optional e-mailed second factor and the
    confidentiality and consent terms they accepted. Only hashes of the link and the code are stored."""

    participant = models.OneToOneField(
        EventParticipant, on_delete=models.CASCADE, related_name="portal_access"
    )
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="portal_accesses")
    token_hash = models.CharField(max_length=64, unique=True)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    second_factor = models.BooleanField(default=False)
    code_hash = models.CharField(max_length=64, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    code_tries = models.PositiveSmallIntegerField(default=0)
    consent_accepted_at = models.DateTimeField(null=True, blank=True)
    consent_version = models.CharField(max_length=20, blank=True)

    permission_resource: ClassVar[str] = "event"
    audit_fingerprint: ClassVar[tuple[str, ...]] = ("token_hash", "code_hash")

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"portal access of {self.participant}"

    @property
    def event(self) -> Event:
        return self.participant.event

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return event_scope(queryset, user, "participant__event")


class BoardPost(AuditedModel):
    """One message in a question's thread: an advisor's answer (by their participant) or a staff member's
    follow-up; `parent` is the post it follows up. Append-only: written once by programs.actions, never edited."""

    question = models.ForeignKey(BoardQuestion, on_delete=models.CASCADE, related_name="posts")
    participant = models.ForeignKey(
        EventParticipant, null=True, blank=True, on_delete=models.PROTECT, related_name="board_posts"
    )
    staff_author = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replies"
    )
    text = models.TextField()

    permission_resource: ClassVar[str] = "event"
    immutable_fields: ClassVar[tuple[str, ...]] = (
        "question",
        "participant",
        "staff_author",
        "parent",
        "text",
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(participant__isnull=False, staff_author__isnull=True)
                | Q(participant__isnull=True, staff_author__isnull=False),
                name="programs_post_participant_xor_staff",
            )
        ]

    def __str__(self) -> str:
        return f"post {self.pk} on {self.question}"

    @property
    def author_name(self) -> str:
        if self.participant is not None:
            return self.participant.name
        return self.staff_author.get_full_name() or str(self.staff_author) if self.staff_author else "—"

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return event_scope(queryset, user, "question__event")


# A visit ends when no heartbeat came for this long; the gap is not counted as time spent.
VISIT_GAP = dt.timedelta(minutes=5)


class PortalVisit(AuditedModel):
    """A stretch of time an advisor spent on the board: from the first page view to the last heartbeat (sent
    every 60 s while the page is open); a gap over VISIT_GAP starts a new visit."""

    access = models.ForeignKey(PortalAccess, on_delete=models.CASCADE, related_name="visits")
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField()

    permission_resource: ClassVar[str] = "event"
    # A heartbeat moves last_seen every minute: bookkeeping, not worth an audit event each time.
    audit_exclude: ClassVar[tuple[str, ...]] = ("created_at", "updated_at", "last_seen")

    class Meta:
        ordering = ["started_at", "pk"]

    def __str__(self) -> str:
        return f"visit {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self) -> dt.timedelta:
        return self.last_seen - self.started_at

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return event_scope(queryset, user, "access__participant__event")


# --- advisory board governance: needs assessment, fair-market-value rate card, contracts (docs/programs.md) ----


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted to compliance"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class NeedsAssessment(AuditedModel):
    """Why an advisory board is needed, written before anyone is invited: the questions it must answer, why the
    company needs outside advice for them, how many advisors and why those (their KOL tier and expertise,
    snapshotted in `candidates` when submitted). Compliance approves or rejects it; advisors are invited only
    once it is approved, and an approved assessment no longer changes."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="needs_assessment")
    questions = models.JSONField(default=list, blank=True)
    rationale = models.TextField(blank=True, help_text="Why outside advice is needed")
    advisor_count = models.PositiveSmallIntegerField(null=True, blank=True)
    advisor_count_rationale = models.TextField(blank=True)
    selection_criteria = models.TextField(
        blank=True, help_text="Why these advisors: expertise, tier, diversity"
    )
    # [{"hcp": id, "name", "tier", "score", "expertise": [...]}] from KOL intelligence at submission.
    candidates = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT)
    submitted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    permission_resource: ClassVar[str] = "event"

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"needs assessment of {self.event}"

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return event_scope(queryset, user, "event")


class ContractActivity(models.TextChoices):
    ADVISORY_BOARD = "advisory_board", "Advisory board participation"
    SPEAKING = "speaking", "Speaking"
    CONSULTING = "consulting", "Consulting"
    PREPARATION = "preparation", "Preparation and review"


class FmvRate(AuditedModel):
    """One line of the fair-market-value rate card: the hourly rate for an activity by KOL tier, specialty and
    country, valid between two dates. An empty tier, specialty or country matches any; the most specific line
    that matches wins. Compliance keeps the card."""

    activity = models.CharField(max_length=20, choices=ContractActivity.choices)
    tier = models.PositiveSmallIntegerField(null=True, blank=True, help_text="KOL tier 1-4; empty: any")
    specialty = models.CharField(max_length=120, blank=True, help_text="Empty: any specialty")
    country = models.CharField(max_length=80, blank=True, help_text="Empty: any country")
    hourly_rate = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)

    permission_resource: ClassVar[str] = "event"

    class Meta:
        ordering = ["activity", "tier", "specialty", "country", "-valid_from"]
        verbose_name = "fair-market-value rate"
        constraints = [
            models.CheckConstraint(condition=Q(hourly_rate__gt=0), name="programs_fmv_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_activity_display()} {self.hourly_rate} {self.currency}/h"


class FmvCap(AuditedModel):
    """The most one HCP may be paid in a calendar year for advisory and consulting services, per country (empty:
    every country without its own cap)."""

    country = models.CharField(max_length=80, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)

    permission_resource: ClassVar[str] = "event"

    class Meta:
        ordering = ["country"]
        verbose_name = "yearly fair-market-value cap"
        constraints = [
            models.UniqueConstraint(fields=["country"], name="programs_fmv_cap_once_per_country"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="programs_fmv_cap_positive"),
        ]

    def __str__(self) -> str:
        return f"cap {self.amount} {self.currency} ({self.country or 'any country'})"


class ContractStatus(models.TextChoices):
    BLOCKED = "blocked", "Blocked (needs a compliance override)"
    ACTIVE = "active", "Active"
    PAID = "paid", "Honorarium paid"
    CANCELLED = "cancelled", "Cancelled"


class AdvisorContract(AuditedModel):
    """The services contract with one participant of an event: what they do, for how many hours, at what hourly
    rate. The rate comes from the rate card (`rate_card`); a rate off the card or a total over the HCP's yearly
    cap blocks the contract (`problems` say why) until compliance overrides it with a reason. The honorarium,
    computed from the contract and the participant's attendance or engagement, is written to the
    transfers-of-value ledger once (`transfer`)."""

    participant = models.OneToOneField(EventParticipant, on_delete=models.PROTECT, related_name="contract")
    activity = models.CharField(max_length=20, choices=ContractActivity.choices)
    services = models.TextField()
    hours = models.DecimalField(max_digits=6, decimal_places=2)
    hourly_rate = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    rate_card = models.ForeignKey(FmvRate, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    problems = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=ContractStatus.choices, default=ContractStatus.ACTIVE)
    override_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    override_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.TextField(blank=True)
    honorarium = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    honorarium_basis = models.CharField(max_length=300, blank=True)
    transfer = models.OneToOneField(
        "transparency.TransferOfValue", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    permission_resource: ClassVar[str] = "event"

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="programs_contract_hours_positive"),
            models.CheckConstraint(condition=Q(hourly_rate__gt=0), name="programs_contract_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"contract of {self.participant}"

    @property
    def amount(self) -> Decimal:
        """The contracted total: hours times the hourly rate."""
        return (self.hours * self.hourly_rate).quantize(Decimal("0.01"))

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return event_scope(queryset, user, "participant__event")


# --- congresses: sessions, the coverage plan, session notes (docs/programs.md) ---------------------------------


class SessionKind(models.TextChoices):
    PLENARY = "plenary", "Plenary"
    ORAL = "oral", "Oral abstract session"
    POSTER = "poster", "Poster"
    SYMPOSIUM = "symposium", "Symposium"
    LATE_BREAKING = "late_breaking", "Late-breaking abstract"
    EDUCATIONAL = "educational", "Educational session"
    OTHER = "other", "Other"


class CongressSession(AuditedModel):
    """A session or poster of a congress's programme, usually imported from the organiser's programme CSV;
    `code` is the programme's own id (session or abstract number), unique within the congress, so a re-import
    updates rather than duplicates."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sessions")
    code = models.CharField(max_length=40)
    kind = models.CharField(max_length=20, choices=SessionKind.choices, default=SessionKind.ORAL)
    title = models.CharField(max_length=500)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    room = models.CharField(max_length=120, blank=True)
    presenters = models.CharField(max_length=500, blank=True)
    topics = models.JSONField(default=list, blank=True)
    listening_priorities = models.ManyToManyField(ListeningPriority, blank=True, related_name="sessions")

    permission_resource: ClassVar[str] = "event"

    class Meta:
        ordering = ["starts_at", "code"]
        constraints = [
            models.UniqueConstraint(fields=["event", "code"], name="programs_session_code_once"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return event_scope(queryset, user, "event")


class CoverageAssignment(AuditedModel):
    """The coverage plan: a colleague assigned to attend a session or poster and report on it; `covered_at` is
    set when they have (a note or insight on the session counts)."""

    session = models.ForeignKey(CongressSession, on_delete=models.CASCADE, related_name="coverage")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="session_assignments")
    covered_at = models.DateTimeField(null=True, blank=True)

    permission_resource: ClassVar[str] = "event"

    class Meta:
        ordering = ["session__starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="programs_coverage_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} covers {self.session.code}"

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return event_scope(queryset, user, "session__event")


class SessionNote(AuditedModel):
    """What a colleague heard in a session: the data presented and the discussion. Screened for adverse events
    like every other free text."""

    session = models.ForeignKey(CongressSession, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="session_notes")
    text = models.TextField()

    permission_resource: ClassVar[str] = "event"

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"note on {self.session.code}"

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return event_scope(queryset, user, "session__event")
