"""The printable pre-call brief page: GET only, it changes nothing."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from liaison.core.permissions import require
from liaison.core.views import AuthenticatedRequest, get_restricted_or_404
from liaison.people.models import HCP

from .forms import PlannedMeetingForm
from .queries import RESOURCE, compose_brief


@login_required
@require_GET
def brief_page(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """One HCP's brief; `?at=` and `?channel=` describe the planned meeting. Commercial users get 403."""
    require(request.user, RESOURCE, "view")
    hcp = get_restricted_or_404(
        HCP,
        request.user,
        uuid,
        queryset=HCP.objects.prefetch_related("therapeutic_areas", "affiliations__organization"),
    )
    form = PlannedMeetingForm(request.GET or None)
    planned = form.cleaned_data if form.is_valid() else {}
    brief = compose_brief(hcp, request.user, at=planned.get("at"), channel=planned.get("channel") or "")
    return render(request, "briefs/brief.html", {"brief": brief, "hcp": hcp, "form": form})
