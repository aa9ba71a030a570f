"""Web pages for HCPs: directory with live search, autocomplete, the HCP record with its tabs, create (aware
of duplicates), edit (with a reason) and merge; the directory of external people (payers, pharmacists ...)
with its form and the organisation and external-person pickers.

The medical tabs of an HCP record (interactions, insights, inquiries, changelog) exist only for roles that may
view that resource, and their rows come from `restrict()`: a commercial user asking for `?tab=interactions` gets
the profile tab, exactly as if the tab had never existed.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from liaison.core.forms import add_action_errors
from liaison.core.permissions import can, require
from liaison.core.views import AuthenticatedRequest, get_restricted_or_404

from .actions import (
    PossibleDuplicate,
    create_hcp,
    find_duplicates,
    merge_hcps,
    save_external_person,
    update_hcp,
)
from .extensions import hcp_tabs, merge_comparisons
from .forms import (
    ExternalPersonFilterForm,
    ExternalPersonForm,
    HCPCreateForm,
    HCPEditForm,
    HCPFilterForm,
    MergeForm,
)
from .models import HCP, Channel, ExternalPerson, HCPStatus, Organization

if TYPE_CHECKING:
    from liaison.accounts.models import User

PAGE_SIZE = 25
AUTOCOMPLETE_LIMIT = 10


def _is_partial(request: AuthenticatedRequest, target: str) -> bool:
    """An htmx request aimed at `target`; history restores need the whole page."""
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request and htmx.target == target


def search_hcps(queryset: QuerySet[HCP], text: str) -> QuerySet[HCP]:
    """Every word must match a name part, the NPI or ORCID (prefix) or the city."""
    for word in text.split()[:8]:
        queryset = queryset.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(middle_name__icontains=word)
            | Q(npi__startswith=word)
            | Q(orcid__istartswith=word)
            | Q(city__icontains=word)
        )
    return queryset


def _directory(user: User) -> QuerySet[HCP]:
    return (
        HCP.objects.restrict(user, "view")
        .exclude(status=HCPStatus.MERGED)
        .select_related("owner", "territory")
        .prefetch_related("affiliations__organization", "therapeutic_areas")
    )


@login_required
@require_GET
def hcp_list(request: AuthenticatedRequest) -> HttpResponse:
    """The HCP directory: search, filters and pagination; htmx requests get only the results table."""
    require(request.user, "hcp", "view")
    form = HCPFilterForm(request.GET, user=request.user)
    form.is_valid()  # invalid filters show their error and are ignored; valid ones still apply
    data = getattr(form, "cleaned_data", {})
    qs = _directory(request.user)
    if data.get("q"):
        qs = search_hcps(qs, data["q"])
    if data.get("therapeutic_area"):
        qs = qs.filter(therapeutic_areas=data["therapeutic_area"])
    if data.get("tier"):
        qs = qs.filter(tier=data["tier"])
    if data.get("owner"):
        qs = qs.filter(owner=data["owner"])
    if data.get("territory"):
        qs = qs.filter(territory=data["territory"])
    status = data.get("status") or "active"
    if status in (HCPStatus.ACTIVE, HCPStatus.INACTIVE):
        qs = qs.filter(status=status)
    page = Paginator(qs.distinct(), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "can_add": can(request.user, "hcp", "add"),
        "filtered": any(data.get(k) for k in ("q", "therapeutic_area", "tier", "owner", "territory")),
    }
    if _is_partial(request, "hcp-results"):
        return render(request, "people/_hcp_results.html", context)
    return render(request, "people/hcp_list.html", context)


@login_required
@require_GET
def hcp_autocomplete(request: AuthenticatedRequest) -> HttpResponse:
    """Active HCPs matching ?q= (two characters at least), as an HTML list of pick buttons."""
    text = (request.GET.get("q") or "").strip()[:100]
    results: list[HCP] = []
    if can(request.user, "hcp", "view") and len(text) >= 2 and "\x00" not in text:
        qs = _directory(request.user).filter(status=HCPStatus.ACTIVE)
        exclude = request.GET.get("exclude")
        if exclude:
            with contextlib.suppress(ValidationError):  # a malformed uuid excludes nothing
                qs = qs.exclude(uuid=exclude)
        results = list(search_hcps(qs, text)[:AUTOCOMPLETE_LIMIT])
    return render(request, "people/_hcp_autocomplete.html", {"results": results, "q": text})


def hcp_autocomplete_url() -> str:
    """The HCP search endpoint every picker uses (active, unmerged HCPs the user may view)."""
    return reverse("people:hcp_autocomplete")


def _tabs_for(user: User) -> list[tuple[str, str]]:
    """(key, label) of the profile tabs this role may open: people's own and those other apps registered."""
    return [(t.key, t.label) for t in hcp_tabs() if t.resource is None or can(user, t.resource, "view")]


def _tab_context(request: AuthenticatedRequest, hcp: HCP, tab: str) -> dict[str, Any]:
    """Rows for the open tab, read through restrict(); the tab list already guarantees the role may view."""
    rows = next((t.rows for t in hcp_tabs() if t.key == tab), None)
    return rows(request.user, hcp) if rows is not None else {}


@login_required
@require_GET
def hcp_detail(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """One HCP, tab by tab (`?tab=`); htmx tab clicks get only the tab region."""
    hcp = get_restricted_or_404(
        HCP,
        request.user,
        uuid,
        queryset=HCP.objects.select_related("owner", "territory", "merged_into").prefetch_related(
            "affiliations__organization", "therapeutic_areas"
        ),
    )
    tabs = _tabs_for(request.user)
    tab = request.GET.get("tab") or "profile"
    if tab not in dict(tabs):
        tab = "profile"
    survivor = None
    if hcp.merged_into_id:
        survivor = HCP.objects.restrict(request.user, "view").filter(pk=hcp.merged_into_id).first()
    context = {
        "hcp": hcp,
        "tabs": tabs,
        "tab": tab,
        "survivor": survivor,
        "affiliations": list(hcp.affiliations.all()),
        "channel_labels": [dict(Channel.choices).get(c, c) for c in hcp.preferred_channels],
        "can_change": can(request.user, "hcp", "change") and hcp.status != HCPStatus.MERGED,
        "can_merge": can(request.user, "hcp", "merge") and hcp.status != HCPStatus.MERGED,
        "can_log": can(request.user, "interaction", "add") and hcp.status == HCPStatus.ACTIVE,
        **_tab_context(request, hcp, tab),
    }
    if _is_partial(request, "hcp-tabs"):
        return render(request, "people/_hcp_tabs.html", context)
    return render(request, "people/hcp_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def hcp_new(request: AuthenticatedRequest) -> HttpResponse:
    """Create an HCP; look-alike records are shown and must be confirmed as a different person."""
    require(request.user, "hcp", "add")
    form = HCPCreateForm(request.POST or None, user=request.user)
    candidates: list[HCP] = []
    if request.method == "POST" and form.is_valid():
        try:
            hcp = create_hcp(
                acting_user=request.user,
                data=form.hcp_data(),
                therapeutic_areas=list(form.cleaned_data["therapeutic_areas"]),
                allow_duplicate=form.cleaned_data["allow_duplicate"],
            )
        except PossibleDuplicate as exc:
            visible = HCP.objects.restrict(request.user, "view").filter(pk__in=[c.pk for c in exc.candidates])
            candidates = list(visible.select_related("owner").prefetch_related("affiliations__organization"))
            form.add_error(
                None,
                "This looks like someone already in the directory. Open the similar records "
                "below; if this is a different person, tick the box and save again.",
            )
        except ValidationError as exc:
            add_action_errors(form, exc, field_map={"prefix": "prefix_"})
        else:
            messages.success(request, f"{hcp.full_name} was added to the directory.")
            return redirect("people:hcp_detail", uuid=hcp.uuid)
    return render(request, "people/hcp_form.html", {"form": form, "candidates": candidates, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def hcp_edit(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """Edit an HCP's profile, preferences and consent; the reason goes into the audit trail."""
    hcp = get_restricted_or_404(HCP, request.user, uuid, "change")
    if hcp.status == HCPStatus.MERGED:
        messages.warning(request, "This record was merged into another and can no longer be changed.")
        return redirect("people:hcp_detail", uuid=hcp.uuid)
    form = HCPEditForm(request.POST or None, user=request.user, instance=hcp)
    if request.method == "POST" and form.is_valid():
        data = form.hcp_data()
        # Re-recording an unchanged consent would move its timestamp; pass it only when it changes.
        if data.get("consent_status") == hcp.consent_status:
            data.pop("consent_status")
        try:
            update_hcp(
                hcp,
                acting_user=request.user,
                data=data,
                therapeutic_areas=list(form.cleaned_data["therapeutic_areas"]),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            hcp.refresh_from_db()
            add_action_errors(form, exc, field_map={"prefix": "prefix_"})
        else:
            messages.success(request, "Changes saved.")
            return redirect("people:hcp_detail", uuid=hcp.uuid)
    return render(request, "people/hcp_form.html", {"form": form, "hcp": hcp, "creating": False})


COMPARE_FIELDS = (
    ("Name", lambda h: h.full_name),
    ("Specialties", lambda h: ", ".join(h.specialties)),
    ("NPI", lambda h: h.npi or ""),
    ("ORCID iD", lambda h: h.orcid or ""),
    ("Other identifiers", lambda h: ", ".join(f"{k}: {v}" for k, v in h.identifiers.items())),
    ("E-mail", lambda h: h.email),
    ("Phone", lambda h: h.phone),
    ("Place", lambda h: ", ".join(p for p in (h.city, h.state, h.country) if p)),
    ("Affiliations", lambda h: "; ".join(str(a.organization) for a in h.affiliations.all())),
    ("Therapeutic areas", lambda h: ", ".join(a.name for a in h.therapeutic_areas.all())),
    ("Tier", lambda h: h.get_tier_display() if h.tier else ""),
    ("Owner", lambda h: h.owner.display_name if h.owner_id else ""),
    ("Territory", lambda h: str(h.territory) if h.territory_id else ""),
    ("Status", lambda h: h.get_status_display()),
    ("Created", lambda h: f"{h.created_at:%Y-%m-%d}"),
)


def _comparison(user: User, survivor: HCP, duplicate: HCP) -> list[dict[str, Any]]:
    rows = [
        {"label": label, "survivor": get(survivor), "duplicate": get(duplicate)}
        for label, get in COMPARE_FIELDS
    ]
    rows += [
        {"label": c.label, "survivor": c.value(user, survivor), "duplicate": c.value(user, duplicate)}
        for c in merge_comparisons()
        if can(user, c.resource, "view")
    ]
    for row in rows:
        row["differs"] = row["survivor"] != row["duplicate"]
        row["fills"] = not row["survivor"] and bool(row["duplicate"])
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def hcp_merge(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """Merge a duplicate record into this one, after a side-by-side comparison and with a reason."""
    survivor = get_restricted_or_404(HCP, request.user, uuid, "merge")
    if survivor.status == HCPStatus.MERGED:
        messages.warning(request, "This record was itself merged; merge into the record it now points to.")
        return redirect("people:hcp_detail", uuid=survivor.uuid)
    data = request.POST if request.method == "POST" else None
    initial = {"duplicate": request.GET.get("duplicate")} if request.method == "GET" else None
    form = MergeForm(data, initial=initial, user=request.user, survivor=survivor)
    duplicate = None
    if request.method == "POST":
        if form.is_valid():
            duplicate = form.cleaned_data["duplicate"]
            try:
                merge_hcps(survivor, duplicate, acting_user=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"{duplicate.full_name} was merged into this record. "
                    "Their interactions, insights, inquiries and follow-ups now appear here.",
                )
                return redirect("people:hcp_detail", uuid=survivor.uuid)
        else:
            duplicate = form.cleaned_data.get("duplicate")
            if duplicate is None:
                messages.error(
                    request, "Pick the duplicate record again: the one chosen cannot be merged here."
                )
    elif request.GET.get("duplicate"):
        try:
            duplicate = form.fields["duplicate"].clean(request.GET["duplicate"])
        except ValidationError:
            messages.error(
                request,
                "That record cannot be merged here (it does not exist, is merged already, "
                "or is this record).",
            )
    suggestions = []
    if duplicate is None:
        lookalikes = find_duplicates(
            first_name=survivor.first_name, last_name=survivor.last_name, exclude=survivor
        )
        suggestions = list(
            HCP.objects.restrict(request.user, "view").filter(pk__in=lookalikes.values("pk"))[:10]
        )
    return render(
        request,
        "people/hcp_merge.html",
        {
            "survivor": survivor,
            "duplicate": duplicate,
            "form": form,
            "suggestions": suggestions,
            "rows": _comparison(request.user, survivor, duplicate) if duplicate else [],
        },
    )


# ---------------------------------------------------------------------------------------------------------------
# External people: payers, pharmacists, patient advocates ... (directory entries, like organisations)
# ---------------------------------------------------------------------------------------------------------------


def search_external_people(queryset: QuerySet[ExternalPerson], text: str) -> QuerySet[ExternalPerson]:
    """Every word must match a name part, the job title or the organisation's name."""
    for word in text.split()[:8]:
        queryset = queryset.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(title__icontains=word)
            | Q(organization__name__icontains=word)
        )
    return queryset


@login_required
@require_GET
def external_list(request: AuthenticatedRequest) -> HttpResponse:
    """The directory of external people: search, role filter, pagination; htmx gets only the results."""
    require(request.user, "external_person", "view")
    form = ExternalPersonFilterForm(request.GET)
    form.is_valid()  # an invalid filter shows its error and is ignored
    data = getattr(form, "cleaned_data", {})
    qs: QuerySet[ExternalPerson] = ExternalPerson.objects.restrict(request.user, "view").select_related(
        "organization"
    )
    if data.get("q"):
        qs = search_external_people(qs, data["q"])
    if data.get("role"):
        qs = qs.filter(role=data["role"])
    context = {
        "form": form,
        "page": Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page")),
        "can_add": can(request.user, "external_person", "add"),
        "can_change": can(request.user, "external_person", "change"),
        "filtered": bool(data.get("q") or data.get("role")),
    }
    if _is_partial(request, "external-results"):
        return render(request, "people/_external_results.html", context)
    return render(request, "people/external_list.html", context)


def _external_form(request: AuthenticatedRequest, person: ExternalPerson | None) -> HttpResponse:
    initial = {}
    if person is not None:
        initial = {
            f: getattr(person, f) for f in ("first_name", "last_name", "role", "title", "email", "country")
        }
        initial["organization"] = person.organization
    form = ExternalPersonForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = save_external_person(person, acting_user=request.user, data=form.person_data())
        except ValidationError as exc:
            if person is not None:
                person.refresh_from_db()
            add_action_errors(form, exc)
        else:
            messages.success(request, f"{saved.full_name} was saved in the directory.")
            return redirect("people:external_list")
    return render(
        request,
        "people/external_form.html",
        {"form": form, "person": person, "organizations": form.selected_organizations()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def external_new(request: AuthenticatedRequest) -> HttpResponse:
    """Add a payer, pharmacist, patient advocate or other external person."""
    require(request.user, "external_person", "add")
    return _external_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def external_edit(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """Edit an external person's name, role, title, organisation and contact details."""
    person = get_restricted_or_404(
        ExternalPerson,
        request.user,
        uuid,
        "change",
        queryset=ExternalPerson.objects.select_related("organization"),
    )
    return _external_form(request, person)


@login_required
@require_GET
def external_autocomplete(request: AuthenticatedRequest) -> HttpResponse:
    """External people matching ?q= (two characters at least), as pick buttons for the attendee picker."""
    text = (request.GET.get("q") or "").strip()[:100]
    results: list[ExternalPerson] = []
    if can(request.user, "external_person", "view") and len(text) >= 2 and "\x00" not in text:
        qs = ExternalPerson.objects.restrict(request.user, "view").select_related("organization")
        results = list(search_external_people(qs, text)[:AUTOCOMPLETE_LIMIT])
    return render(request, "people/_external_autocomplete.html", {"results": results, "q": text})


@login_required
@require_GET
def organization_autocomplete(request: AuthenticatedRequest) -> HttpResponse:
    """Organisations matching ?q= by name or city, as pick buttons for the organisation picker."""
    text = (request.GET.get("q") or "").strip()[:100]
    results: list[Organization] = []
    if can(request.user, "organization", "view") and len(text) >= 2 and "\x00" not in text:
        qs = Organization.objects.restrict(request.user, "view")
        for word in text.split()[:8]:
            qs = qs.filter(Q(name__icontains=word) | Q(city__icontains=word))
        results = list(qs[:AUTOCOMPLETE_LIMIT])
    return render(request, "people/_organization_autocomplete.html", {"results": results, "q": text})


def external_autocomplete_url() -> str:
    """The external-person search endpoint the attendee pickers use."""
    return reverse("people:external_autocomplete")
