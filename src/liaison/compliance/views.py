"""The audit log: filterable, paginated, each event expandable to its old and new values; and on demand a
verification of the whole hash chain, itself recorded as an audit event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from liaison.core.forms import LiaisonForm
from liaison.core.labels import code_label, codes_matching
from liaison.core.models import AuditEvent
from liaison.core.permissions import can, require
from liaison.core.views import AuthenticatedRequest

from .verification import verify_and_record

PAGE_SIZE = 50


class AuditFilterForm(LiaisonForm):
    """Filters of the audit log (GET); every field optional."""

    event_type = forms.CharField(
        max_length=80,
        required=False,
        label="Event type",
        help_text="e.g. HCP updated, merged, or hcp. for every HCP event",
        widget=forms.TextInput(attrs={"list": "event-types", "autocomplete": "off"}),
    )
    object_type = forms.CharField(
        max_length=80,
        required=False,
        label="Record type",
        widget=forms.TextInput(attrs={"list": "object-types", "autocomplete": "off"}),
    )
    actor = forms.CharField(max_length=150, required=False, label="Actor (username)")
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    object_uuid = forms.UUIDField(required=False, label="Record id (uuid)")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@login_required
@require_GET
def audit_list(request: AuthenticatedRequest) -> HttpResponse:
    """Audit events newest first, filtered; oversight roles only (the matrix's audit_event.view)."""
    require(request.user, "audit_event", "view")
    events = AuditEvent.objects.restrict(request.user, "view")
    form = AuditFilterForm(request.GET)
    form.is_valid()  # invalid filters are shown with their error and ignored
    data = getattr(form, "cleaned_data", {})
    visible = AuditEvent.objects.restrict(request.user, "view").order_by()
    event_types = sorted(visible.values_list("event_type", flat=True).distinct()[:500])
    if data.get("event_type"):
        value = data["event_type"].strip()
        if value.endswith("."):
            events = events.filter(event_type__startswith=value)
        elif value in event_types:
            events = events.filter(event_type=value)
        else:
            # What a person types: a label ("HCP updated") or part of one ("merged").
            events = events.filter(event_type__in=codes_matching(value, event_types))
    if data.get("object_type"):
        events = events.filter(object_type=data["object_type"])
    if data.get("actor"):
        events = events.filter(actor_username__iexact=data["actor"])
    if data.get("date_from"):
        events = events.filter(occurred_at__gte=_day_start(data["date_from"]))
    if data.get("date_to"):
        events = events.filter(occurred_at__lt=_day_start(data["date_to"] + dt.timedelta(days=1)))
    if data.get("object_uuid"):
        events = events.filter(object_uuid=str(data["object_uuid"]))
    page = Paginator(events.order_by("-seq"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "event_types": [(t, code_label(t)) for t in event_types],
        "object_types": visible.values_list("object_type", flat=True).distinct()[:200],
        "can_verify": can(request.user, "audit_event", "verify"),
        "filtered": any(data.get(k) for k in form.fields),
    }
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request and htmx.target == "audit-results":
        return render(request, "compliance/_audit_results.html", context)
    return render(request, "compliance/audit_list.html", context)


@login_required
@require_POST
def audit_verify(request: AuthenticatedRequest) -> HttpResponse:
    """Verify the chain, its anchors and every audited record, and record that it was verified, with the outcome."""
    require(request.user, "audit_event", "verify")
    started = timezone.now()
    report = verify_and_record()
    seconds = (timezone.now() - started).total_seconds()
    context = {"report": report, "seconds": seconds, "verified_at": timezone.now()}
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "verify-result":
        return render(request, "compliance/_verify_result.html", context)
    return render(request, "compliance/audit_verify.html", context)
