"""The compliance flags queue: every save past a compliance flag, with the author's reason, for compliance to read.

An override is not a record of its own: `flags.record_flag_override` writes it as an audit event
(`<record>.flags_overridden`, action `override_flags`) on the interaction or insight whose text was flagged, with the
flags in `changes["compliance_flags"]` and the reason in the event's `reason`. The queue therefore reads the audit
trail through `restrict()` (the matrix's `audit_event.view`: compliance, auditors, administrators), filters it by
author and period, sorts it by date, and exports what it shows as CSV.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from liaison.core.exports import csv_response
from liaison.core.forms import LiaisonForm
from liaison.core.models import AuditEvent
from liaison.core.permissions import require
from liaison.core.views import AuthenticatedRequest

from .flags import FLAG_KINDS

if TYPE_CHECKING:
    from liaison.accounts.models import User

PAGE_SIZE = 50
# How far back the home page's summary looks (the queue itself takes any period).
SUMMARY_DAYS = 30
OVERRIDE_ACTION = "override_flags"
# `record_flag_override` prefixes the author's reason with this; the queue shows the reason as the author gave it.
REASON_PREFIX = "compliance flags overridden: "
# The page of each kind of record whose text can be flagged (linked by name: compliance sits below those apps).
RECORD_PAGES = {
    "engagement.interaction": ("Interaction", "engagement:interaction_detail"),
    "insights.insight": ("Insight", "insights:insight_detail"),
}
SORTS = {"newest": "-occurred_at", "oldest": "occurred_at"}


def flag_overrides(user: User) -> QuerySet[AuditEvent]:
    """Every compliance-flag override the user may see (the audit events `record_flag_override` writes)."""
    return AuditEvent.objects.restrict(user, "view").filter(action=OVERRIDE_ACTION)


def overrides_by_author(user: User, *, days: int = SUMMARY_DAYS) -> list[tuple[str, int]]:
    """(author's username, overrides) over the last `days` days, most overrides first: one grouped query."""
    since = timezone.now() - dt.timedelta(days=days)
    rows = (
        flag_overrides(user)
        .filter(occurred_at__gte=since)
        .order_by()
        .values("actor_username")
        .annotate(n=Count("seq"))
        .order_by("-n", "actor_username")
        .values_list("actor_username", "n")
    )
    return list(rows)


@dataclass(frozen=True)
class FlagOverride:
    """One override as the queue shows it."""

    event: AuditEvent
    author: str
    author_role: str
    record_kind: str
    record_label: str
    record_url: str
    flags: list[str]
    flagged_text: list[str]
    reason: str


def describe(event: AuditEvent) -> FlagOverride:
    """The override an audit event records: who, which record (and its page), which flags, and why."""
    kind, url_name = RECORD_PAGES.get(event.object_type, (event.object_type, ""))
    url = ""
    if url_name and event.object_uuid:
        try:
            url = reverse(url_name, args=[event.object_uuid])
        except NoReverseMatch:
            url = ""
    pair = (event.changes or {}).get("compliance_flags") or [None, []]
    flags = [
        f for f in (pair[1] if isinstance(pair, list) and len(pair) == 2 else []) or [] if isinstance(f, dict)
    ]
    reason = event.reason or ""
    if reason.startswith(REASON_PREFIX):
        reason = reason[len(REASON_PREFIX) :]
    return FlagOverride(
        event=event,
        author=event.actor_username,
        author_role=event.actor_role,
        record_kind=kind,
        record_label=event.object_repr,
        record_url=url,
        flags=[FLAG_KINDS.get(str(f.get("kind")), str(f.get("kind") or "")) for f in flags],
        flagged_text=[str(f.get("text") or "") for f in flags],
        reason=reason,
    )


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class FlagQueueForm(LiaisonForm):
    """Filters of the flags queue (GET); every field optional. The authors offered are those who overrode."""

    author = forms.ChoiceField(required=False, label="MSL (author)")
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(
        required=False,
        label="Sort by date",
        choices=[("newest", "Newest first"), ("oldest", "Oldest first")],
    )

    def __init__(self, *args: Any, authors: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["author"].choices = [("", "Everyone"), *((a, a) for a in authors)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data


def _filtered(request: AuthenticatedRequest) -> tuple[FlagQueueForm, QuerySet[AuditEvent], bool]:
    """The filter form and the overrides it selects, sorted; invalid filters are shown with their error and ignored."""
    user = request.user
    require(user, "audit_event", "view")
    overrides = flag_overrides(user)
    authors = sorted(set(overrides.order_by().values_list("actor_username", flat=True).distinct()[:500]))
    form = FlagQueueForm(request.GET or None, authors=authors)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if data.get("author"):
        overrides = overrides.filter(actor_username=data["author"])
    if data.get("date_from"):
        overrides = overrides.filter(occurred_at__gte=_day_start(data["date_from"]))
    if data.get("date_to"):
        overrides = overrides.filter(occurred_at__lt=_day_start(data["date_to"] + dt.timedelta(days=1)))
    order = SORTS.get(data.get("sort") or "newest", SORTS["newest"])
    filtered = any(data.get(k) for k in ("author", "date_from", "date_to"))
    return form, overrides.order_by(order, order.replace("occurred_at", "seq")), filtered


@login_required
@require_GET
def flags_queue(request: AuthenticatedRequest) -> HttpResponse:
    """Compliance flags saved past with a reason, filterable by author and period, sorted by date."""
    form, overrides, filtered = _filtered(request)
    page = Paginator(overrides, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [describe(e) for e in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "rows": rows, "filtered": filtered, "query": query.urlencode()}
    return render(request, "compliance/flags_queue.html", context)


CSV_COLUMNS = [
    "When (UTC)",
    "Author",
    "Author role",
    "Record type",
    "Record",
    "Record id",
    "Record page",
    "Flags",
    "Flagged text",
    "Reason",
    "Audit event",
]


@login_required
@require_GET
def flags_queue_csv(request: AuthenticatedRequest) -> HttpResponse:
    """The overrides the queue shows for the same filters and sort (every page), as CSV."""
    _, overrides, _ = _filtered(request)
    response, writer = csv_response(f"compliance-flag-overrides-{timezone.localdate().isoformat()}.csv")
    writer.writerow(CSV_COLUMNS)
    for event in overrides.iterator():
        row = describe(event)
        writer.writerow(
            [
                event.occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
                row.author,
                row.author_role,
                row.record_kind,
                row.record_label,
                event.object_uuid,
                request.build_absolute_uri(row.record_url) if row.record_url else "",
                "; ".join(row.flags),
                " | ".join(row.flagged_text),
                row.reason,
                event.seq,
            ]
        )
    return response
