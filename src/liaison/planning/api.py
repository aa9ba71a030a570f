"""REST endpoints for engagement plans and standing interests; writes go through planning.actions only.

Follow-ups that interests raise are completed through the existing follow-ups API (PATCH /api/v1/follow-ups).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Prefetch, Q
from django.utils import timezone
from ninja import Query, Router, Status

from liaison.accounts.models import Product, Territory, User
from liaison.core.api_common import (
    ApiRequest,
    apply_filters,
    loaded_page,
    page_of,
    resolve,
    resolve_many,
    responses,
    visible,
)
from liaison.core.models import RestrictQuerySet
from liaison.core.permissions import require
from liaison.core.views import get_restricted_or_404
from liaison.insights.models import ListeningPriority
from liaison.people.models import HCP

from . import actions
from .models import EngagementPlan, InterestReminder, InterestStatus, StandingInterest
from .queries import plan_progress
from .schemas import (
    EngagementPlanCreate,
    EngagementPlanFilters,
    EngagementPlanRead,
    EngagementPlanUpdate,
    StandingInterestCreate,
    StandingInterestFilters,
    StandingInterestRead,
    StandingInterestRenew,
)

plans_router = Router(tags=["engagement-plans"])
interests_router = Router(tags=["standing-interests"])


def _plans() -> RestrictQuerySet:
    return EngagementPlan.objects.select_related("owner", "hcp", "territory").prefetch_related(
        "listening_priorities"
    )


def _with_progress(plans: list[EngagementPlan], user: User) -> list[EngagementPlan]:
    for plan in plans:
        plan.computed_progress = plan_progress(plan, user)  # type: ignore[attr-defined]
    return plans


def _territory(user: User, value: UUID | None) -> Territory | None:
    # Territories are reference data that every field role plans against; the "user" resource that guards
    # their administration would hide them from MSLs.
    return resolve(Territory, user, value, "territory", queryset=Territory.objects.all())


@plans_router.get(
    "", response=responses({200: page_of(EngagementPlanRead)}), operation_id="engagement_plans_list"
)
def list_plans(request: ApiRequest, filters: Query[EngagementPlanFilters]) -> Any:
    """Plans you may see, newest period first, each with its progress; filter by `kind`, `year`, `quarter`,
    `hcp`, `territory`, `owner`."""
    qs = apply_filters(
        visible(EngagementPlan, request.user),
        filters,
        {
            "kind": "kind",
            "year": "year",
            "quarter": "quarter",
            "hcp": "hcp__uuid",
            "territory": "territory__uuid",
            "owner": "owner__uuid",
        },
    )
    page = loaded_page(qs, filters, _plans())
    page["items"] = _with_progress(page["items"], request.user)
    return page


@plans_router.post("", response=responses({201: EngagementPlanRead}), operation_id="engagement_plans_create")
def create_plan(request: ApiRequest, payload: EngagementPlanCreate) -> Any:
    """Plan the engagement with one KOL (`hcp`, `planned_per_quarter`) or a territory (`territory`,
    `tier_targets`) for a year or a quarter."""
    user = request.user
    require(user, "engagement_plan", "add")
    plan = actions.create_plan(
        acting_user=user,
        kind=payload.kind,
        year=payload.year,
        quarter=payload.quarter,
        hcp=resolve(HCP, user, payload.hcp, "hcp"),
        territory=_territory(user, payload.territory),
        objectives=payload.objectives,
        planned_per_quarter=payload.planned_per_quarter,
        tier_targets=payload.tier_targets,
        listening_priorities=resolve_many(
            ListeningPriority, user, payload.listening_priorities, "listening_priorities"
        )
        or [],
    )
    return Status(201, _with_progress([_plans().get(pk=plan.pk)], user)[0])


@plans_router.get(
    "/{uuid}", response=responses({200: EngagementPlanRead}), operation_id="engagement_plans_read"
)
def read_plan(request: ApiRequest, uuid: UUID) -> Any:
    plan = get_restricted_or_404(EngagementPlan, request.user, uuid, queryset=_plans())
    return _with_progress([plan], request.user)[0]


@plans_router.patch(
    "/{uuid}", response=responses({200: EngagementPlanRead}), operation_id="engagement_plans_update"
)
def update_plan(request: ApiRequest, uuid: UUID, payload: EngagementPlanUpdate) -> Any:
    """Change objectives, targets or linked priorities (only the fields sent)."""
    user = request.user
    plan = get_restricted_or_404(EngagementPlan, user, uuid, "change")
    actions.update_plan(
        plan,
        acting_user=user,
        objectives=payload.objectives,
        planned_per_quarter=payload.planned_per_quarter,
        tier_targets=payload.tier_targets,
        listening_priorities=resolve_many(
            ListeningPriority, user, payload.listening_priorities, "listening_priorities"
        ),
        reason=payload.reason,
    )
    return _with_progress([_plans().get(pk=plan.pk)], user)[0]


def _interests(user: User) -> RestrictQuerySet:
    return StandingInterest.objects.select_related("hcp", "recorded_by", "product").prefetch_related(
        Prefetch(
            "reminders",
            queryset=InterestReminder.objects.restrict(user, "view").select_related("follow_up"),
        )
    )


def _interest_status(status: str) -> Q:
    """Withdrawn; expired (not withdrawn, past its date); or active, as of today."""
    today = timezone.localdate()
    queries: dict[str, Q] = {
        InterestStatus.WITHDRAWN: Q(withdrawn_on__isnull=False),
        InterestStatus.EXPIRED: Q(withdrawn_on__isnull=True, expires_on__lt=today),
        InterestStatus.ACTIVE: Q(withdrawn_on__isnull=True, expires_on__gte=today),
    }
    return queries[status]


@interests_router.get(
    "", response=responses({200: page_of(StandingInterestRead)}), operation_id="standing_interests_list"
)
def list_interests(request: ApiRequest, filters: Query[StandingInterestFilters]) -> Any:
    """Standing interests you may see, soonest to expire first; filter by `hcp`, `status`."""
    user = request.user
    qs = apply_filters(
        visible(StandingInterest, user), filters, {"hcp": "hcp__uuid", "status": _interest_status}
    )
    return loaded_page(qs, filters, _interests(user))


@interests_router.post(
    "", response=responses({201: StandingInterestRead}), operation_id="standing_interests_create"
)
def create_interest(request: ApiRequest, payload: StandingInterestCreate) -> Any:
    """Document an HCP's request to be kept informed on a topic; it holds for a year."""
    user = request.user
    require(user, "standing_interest", "add")
    interest = actions.record_standing_interest(
        acting_user=user,
        hcp=resolve(HCP, user, payload.hcp, "hcp"),
        topic=payload.topic,
        mesh_terms=payload.mesh_terms,
        product=resolve(Product, user, payload.product, "product"),
        recorded_on=payload.recorded_on,
    )
    return Status(201, _interests(user).get(pk=interest.pk))


@interests_router.get(
    "/{uuid}", response=responses({200: StandingInterestRead}), operation_id="standing_interests_read"
)
def read_interest(request: ApiRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(StandingInterest, request.user, uuid, queryset=_interests(request.user))


@interests_router.post(
    "/{uuid}/renew", response=responses({200: StandingInterestRead}), operation_id="standing_interests_renew"
)
def renew_interest(request: ApiRequest, uuid: UUID, payload: StandingInterestRenew) -> Any:
    """The HCP confirmed the interest again: it holds for another year (expired ones too)."""
    user = request.user
    interest = get_restricted_or_404(StandingInterest, user, uuid, "change")
    actions.renew_standing_interest(interest, acting_user=user, renewed_on=payload.renewed_on)
    return _interests(user).get(pk=interest.pk)
