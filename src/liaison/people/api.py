"""REST endpoints for HCPs, organisations and external people; writes go through people.actions only."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Q
from ninja import Query, Router, Status

from liaison.accounts.models import TherapeuticArea, User
from liaison.core.api_common import (
    ApiRequest,
    apply_filters,
    limit_offset_page,
    page_of,
    resolve,
    resolve_many,
    responses,
    uuids,
    visible,
)
from liaison.core.models import RestrictQuerySet
from liaison.core.permissions import require
from liaison.core.views import get_restricted_or_404

from . import actions
from .models import HCP, ExternalPerson, Organization
from .schemas import (
    ExternalPersonCreate,
    ExternalPersonFilters,
    ExternalPersonRead,
    ExternalPersonUpdate,
    HCPCreate,
    HCPFilters,
    HCPMerge,
    HCPRead,
    HCPUpdate,
    OrganizationCreate,
    OrganizationFilters,
    OrganizationRead,
    OrganizationUpdate,
)

hcps_router = Router(tags=["hcps"])
organizations_router = Router(tags=["organizations"])
external_people_router = Router(tags=["external-people"])


def _hcps() -> RestrictQuerySet:
    return HCP.objects.select_related("owner", "merged_into").prefetch_related(
        "therapeutic_areas", "affiliations__organization"
    )


def _owner(user: User, value: UUID | None) -> User | None:
    """The owning user named in a body: yourself, or a user your role may see."""
    if value is not None and value == user.uuid:
        return user
    return resolve(
        User, user, value, "owner", queryset=User.objects.restrict(user, "view").filter(is_active=True)
    )


def _hcp_data(user: User, payload: HCPCreate | HCPUpdate) -> tuple[dict[str, Any], list[Any] | None]:
    """The action's `data` dict (only fields sent) and the therapeutic areas, references resolved."""
    data = payload.model_dump(exclude_unset=True, exclude={"therapeutic_areas", "allow_duplicate", "reason"})
    if "owner" in data:
        data["owner"] = _owner(user, data["owner"])
    areas = resolve_many(TherapeuticArea, user, payload.therapeutic_areas, "therapeutic_areas")
    return data, areas


def _name_or_id(q: str) -> Q:
    """Every word (the first five) in the first or last name, or the whole text as the NPI or ORCID."""
    words = Q()
    for word in q.split()[:5]:
        words &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
    return words | Q(npi=q) | Q(orcid__iexact=q)


@hcps_router.get("", response=responses({200: page_of(HCPRead)}), operation_id="hcps_list")
def list_hcps(request: ApiRequest, filters: Query[HCPFilters]) -> Any:
    """HCPs by name; filter by `q` (name, NPI, ORCID), `tier`, `therapeutic_area`, `status`, `owner`, `state`."""
    qs = apply_filters(
        visible(HCP, request.user, queryset=_hcps()),
        filters,
        {
            "q": _name_or_id,
            "tier": "tier",
            "therapeutic_area": "therapeutic_areas__uuid",
            "status": "status",
            "owner": "owner__uuid",
            "state": "state__iexact",
        },
    )
    return limit_offset_page(qs.distinct(), filters)


@hcps_router.post("", response=responses({201: HCPRead}, conflict=True), operation_id="hcps_create")
def create_hcp(request: ApiRequest, payload: HCPCreate) -> Any:
    """Create an HCP. Likely duplicates (same NPI/ORCID, or same surname and first initial) give a 409 listing
    their uuids; send `allow_duplicate: true` to create anyway."""
    require(request.user, "hcp", "add")
    data, areas = _hcp_data(request.user, payload)
    try:
        hcp = actions.create_hcp(
            acting_user=request.user,
            data=data,
            therapeutic_areas=areas,
            allow_duplicate=payload.allow_duplicate,
        )
    except actions.PossibleDuplicate as exc:
        return Status(
            409,
            {
                "detail": "possible duplicate of existing HCP records; resend with allow_duplicate=true "
                "to create anyway",
                "candidates": uuids(exc.candidates),
            },
        )
    return Status(201, _hcps().get(pk=hcp.pk))


@hcps_router.get("/{uuid}", response=responses({200: HCPRead}), operation_id="hcps_read")
def read_hcp(request: ApiRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(HCP, request.user, uuid, queryset=_hcps())


@hcps_router.patch("/{uuid}", response=responses({200: HCPRead}, conflict=True), operation_id="hcps_update")
def update_hcp(request: ApiRequest, uuid: UUID, payload: HCPUpdate) -> Any:
    """Change the fields sent; `reason` goes on the audit event."""
    hcp = get_restricted_or_404(HCP, request.user, uuid, "change")
    data, areas = _hcp_data(request.user, payload)
    actions.update_hcp(
        hcp, acting_user=request.user, data=data, therapeutic_areas=areas, reason=payload.reason
    )
    return _hcps().get(pk=hcp.pk)


@hcps_router.post("/{uuid}/merge", response=responses({200: HCPRead}), operation_id="hcps_merge")
def merge_hcp(request: ApiRequest, uuid: UUID, payload: HCPMerge) -> Any:
    """Merge the `duplicate` HCP into this one; the duplicate's history moves here and it is marked merged."""
    survivor = get_restricted_or_404(HCP, request.user, uuid, "merge")
    duplicate = resolve(HCP, request.user, payload.duplicate, "duplicate")
    actions.merge_hcps(survivor, duplicate, acting_user=request.user, reason=payload.reason)
    return _hcps().get(pk=survivor.pk)


@organizations_router.get(
    "", response=responses({200: page_of(OrganizationRead)}), operation_id="organizations_list"
)
def list_organizations(request: ApiRequest, filters: Query[OrganizationFilters]) -> Any:
    """Organisations by name; filter by `q` (name or city), `kind`, `country`."""
    qs = apply_filters(
        visible(Organization, request.user).select_related("parent"),
        filters,
        {
            "q": lambda q: Q(name__icontains=q) | Q(city__icontains=q),
            "kind": "kind",
            "country": "country__iexact",
        },
    )
    return limit_offset_page(qs, filters)


@organizations_router.post(
    "", response=responses({201: OrganizationRead}, conflict=True), operation_id="organizations_create"
)
def create_organization(request: ApiRequest, payload: OrganizationCreate) -> Any:
    require(request.user, "organization", "add")
    return Status(201, actions.save_organization(None, acting_user=request.user, data=payload.model_dump()))


@organizations_router.get(
    "/{uuid}", response=responses({200: OrganizationRead}), operation_id="organizations_read"
)
def read_organization(request: ApiRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(Organization, request.user, uuid)


@organizations_router.patch(
    "/{uuid}", response=responses({200: OrganizationRead}, conflict=True), operation_id="organizations_update"
)
def update_organization(request: ApiRequest, uuid: UUID, payload: OrganizationUpdate) -> Any:
    org = get_restricted_or_404(Organization, request.user, uuid, "change")
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return actions.save_organization(org, acting_user=request.user, data=data)


def _external_people() -> RestrictQuerySet:
    return ExternalPerson.objects.select_related("organization")


def _external_person_data(user: User, payload: ExternalPersonCreate | ExternalPersonUpdate) -> dict[str, Any]:
    """The action's `data` (only fields sent; null leaves a field unchanged except the organisation, which it
    clears), the organisation resolved against what the user may see."""
    data = payload.model_dump(exclude_unset=True)
    data = {k: v for k, v in data.items() if v is not None or k == "organization"}
    if "organization" in data:
        data["organization"] = resolve(Organization, user, data["organization"], "organization")
    return data


@external_people_router.get(
    "", response=responses({200: page_of(ExternalPersonRead)}), operation_id="external_people_list"
)
def list_external_people(request: ApiRequest, filters: Query[ExternalPersonFilters]) -> Any:
    """Payers, pharmacists, patient advocates and other external people by name; filter by `q` (name, title or
    organisation), `role`, `organization`."""
    qs = apply_filters(
        visible(ExternalPerson, request.user, queryset=_external_people()),
        filters,
        {
            "q": lambda q: _words(q, "first_name", "last_name", "title", "organization__name"),
            "role": "role",
            "organization": "organization__uuid",
        },
    )
    return limit_offset_page(qs, filters)


def _words(q: str, *fields: str) -> Q:
    """Every word (the first five) in one of `fields`."""
    words = Q()
    for word in q.split()[:5]:
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": word})
        words &= any_field
    return words


@external_people_router.post(
    "", response=responses({201: ExternalPersonRead}), operation_id="external_people_create"
)
def create_external_person(request: ApiRequest, payload: ExternalPersonCreate) -> Any:
    require(request.user, "external_person", "add")
    data = _external_person_data(request.user, payload)
    person = actions.save_external_person(None, acting_user=request.user, data=data)
    return Status(201, _external_people().get(pk=person.pk))


@external_people_router.get(
    "/{uuid}", response=responses({200: ExternalPersonRead}), operation_id="external_people_read"
)
def read_external_person(request: ApiRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(ExternalPerson, request.user, uuid, queryset=_external_people())


@external_people_router.patch(
    "/{uuid}", response=responses({200: ExternalPersonRead}), operation_id="external_people_update"
)
def update_external_person(request: ApiRequest, uuid: UUID, payload: ExternalPersonUpdate) -> Any:
    person = get_restricted_or_404(ExternalPerson, request.user, uuid, "change")
    actions.save_external_person(
        person, acting_user=request.user, data=_external_person_data(request.user, payload)
    )
    return _external_people().get(pk=person.pk)
