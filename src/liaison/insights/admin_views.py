"""Administration of listening priorities (the key insight topics per therapeutic area): a section of the
administration pages that accounts draws (its overview card, navigation and changelog) and mounts at
/accounts/admin/priorities/, saved through `insights.actions.save_listening_priority`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.http import require_POST

from liaison.accounts.models import TherapeuticArea
from liaison.accounts.views import AdminEditView, AdminListView, AdminSection, require_admin_page
from liaison.core.views import AuthenticatedRequest, get_restricted_or_404

from .actions import save_listening_priority
from .forms import ListeningPriorityForm
from .models import ListeningPriority


def _by_area(request: HttpRequest, priorities: Any) -> dict[str, Any]:
    """The priorities grouped by therapeutic area, optionally of one area (`?area=<uuid>`)."""
    areas = list(TherapeuticArea.objects.restrict(request.user, "view"))
    selected = next((a for a in areas if str(a.uuid) == request.GET.get("area")), None)
    if selected is not None:
        priorities = priorities.filter(therapeutic_area=selected)
    groups: dict[Any, list[Any]] = {}
    for p in priorities:
        groups.setdefault(p.therapeutic_area, []).append(p)
    return {"groups": groups, "areas": areas, "selected": selected}


priority_list = AdminListView(
    model=ListeningPriority,
    template="insights/priority_list.html",
    related=("therapeutic_area",),
    contents=_by_area,
).as_view()
priority_form = AdminEditView(
    model=ListeningPriority,
    form=ListeningPriorityForm,
    save=save_listening_priority,
    initial=lambda priority: {
        "therapeutic_area": priority.therapeutic_area.uuid,
        "title": priority.title,
        "description": priority.description,
        "order": priority.order,
        "active": priority.active,
    },
    # A new priority may start in the area whose list it was added from.
    defaults=lambda request: {"therapeutic_area": request.GET.get("area")},
    list_url="accounts:priority_list",
    list_title="Listening priorities",
    title_new="New listening priority",
    title_edit="Edit listening priority",
    subtitle="{obj.title}",
    message="Listening priority “{obj.title}” was saved.",
).as_view()


@login_required
@require_POST
def priority_toggle(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """Deactivate (or reactivate) a listening priority; deactivated ones stay on past insights."""
    require_admin_page(request.user, "listening_priority", "change")
    p = get_restricted_or_404(ListeningPriority, request.user, uuid, "change")
    try:
        save_listening_priority(
            p,
            acting_user=request.user,
            therapeutic_area=p.therapeutic_area,
            title=p.title,
            description=p.description,
            active=not p.active,
            order=p.order,
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, f"“{p.title}” is now {'active' if p.active else 'inactive'}.")
    return redirect("accounts:priority_list")


SECTION = AdminSection(
    "priorities",
    "Listening priorities",
    "Key insight topics per therapeutic area.",
    "listening_priority",
    "accounts:priority_list",
    lambda u: ListeningPriority.objects.restrict(u, "view").filter(active=True).count(),
    urls=[
        path("", priority_list, name="priority_list"),
        path("new/", priority_form, name="priority_new"),
        path("<uuid:uuid>/", priority_form, name="priority_edit"),
        path("<uuid:uuid>/toggle/", priority_toggle, name="priority_toggle"),
    ],
)
