"""REST endpoints for engagement plans and standing interests; writes go through planning.actions only.

Follow-ups that interests raise are completed through the existing follow-ups API (PATCH /api/v1/follow-ups).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from liaison.accounts.models import Product, Territory
from liaison.core.api_common import page_of, paginate, resolve, resolve_many, responses, visible
from liaison.core.permissions import require
from liaison.core.views import get_restricted_or_404
from liaison.insights.models import ListeningPriority
from liaison.people.models import HCP

from . import actions
from .models import EngagementPlan, InterestReminder, InterestStatus, StandingInterest
from .progress import plan_progress
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


def register(api: Any) -> None:
    """Mount the planning routers (core/api.py calls this)."""
    api.add_router("/engagement-plans", plans_router)
    api.add_router("/standing-interests", interests_router)


def _plans() -> QuerySet:
    return EngagementPlan.objects.select_related("owner", "hcp", "territory").prefetch_related(
        "listening_priorities"
    )


def _with_progress(plans: list[EngagementPlan], user: Any) -> list[EngagementPlan]:
    for plan in plans:
        plan.computed_progress = plan_progress(plan, user)  # type: ignore[attr-defined]
    return plans


def _territory(user: Any, value: UUID | None) -> Territory | None:
    # Territories are reference data that every field role plans against; the "user" resource that guards
    # their administration would hide them from MSLs.
    return resolve(Territory, user, value, "territory", queryset=Territory.objects.all())


@plans_router.get(
    "", response=responses({200: page_of(EngagementPlanRead)}), operation_id="engagement_plans_list"
)
def list_plans(request: HttpRequest, filters: Query[EngagementPlanFilters]) -> Any:
    """Plans you may see, newest period first, each with its progress; filter by `kind`, `year`, `quarter`,
    `hcp`, `territory`, `owner`."""
    qs = visible(EngagementPlan, request.user)
    for name, lookup in (("kind", "kind"), ("year", "year"), ("quarter", "quarter")):
        value = getattr(filters, name)
        if value is not None:
            qs = qs.filter(**{lookup: value})
    for name in ("hcp", "territory", "owner"):
        value = getattr(filters, name)
        if value is not None:
            qs = qs.filter(**{f"{name}__uuid": value})
    page = paginate(qs.values_list("pk", flat=True), filters)
    rows = {p.pk: p for p in _plans().filter(pk__in=page["items"])}
    page["items"] = _with_progress([rows[pk] for pk in page["items"]], request.user)
    return page


@plans_router.post("", response=responses({201: EngagementPlanRead}), operation_id="engagement_plans_create")
def create_plan(request: HttpRequest, payload: EngagementPlanCreate) -> Any:
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
def read_plan(request: HttpRequest, uuid: UUID) -> Any:
    plan = get_restricted_or_404(EngagementPlan, request.user, uuid, queryset=_plans())
    return _with_progress([plan], request.user)[0]


@plans_router.patch(
    "/{uuid}", response=responses({200: EngagementPlanRead}), operation_id="engagement_plans_update"
)
def update_plan(request: HttpRequest, uuid: UUID, payload: EngagementPlanUpdate) -> Any:
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


def _interests(user: Any) -> QuerySet:
    return StandingInterest.objects.select_related("hcp", "recorded_by", "product").prefetch_related(
        Prefetch(
            "reminders",
            queryset=InterestReminder.objects.restrict(user, "view").select_related("follow_up"),
        )
    )


@interests_router.get(
    "", response=responses({200: page_of(StandingInterestRead)}), operation_id="standing_interests_list"
)
def list_interests(request: HttpRequest, filters: Query[StandingInterestFilters]) -> Any:
    """Standing interests you may see, soonest to expire first; filter by `hcp`, `status`."""
    user = request.user
    qs = visible(StandingInterest, user)
    if filters.hcp:
        qs = qs.filter(hcp__uuid=filters.hcp)
    today = timezone.localdate()
    if filters.status == InterestStatus.WITHDRAWN:
        qs = qs.filter(withdrawn_on__isnull=False)
    elif filters.status == InterestStatus.EXPIRED:
        qs = qs.filter(withdrawn_on__isnull=True, expires_on__lt=today)
    elif filters.status == InterestStatus.ACTIVE:
        qs = qs.filter(withdrawn_on__isnull=True, expires_on__gte=today)
    page = paginate(qs.values_list("pk", flat=True), filters)
    rows = {i.pk: i for i in _interests(user).filter(pk__in=page["items"])}
    page["items"] = [rows[pk] for pk in page["items"]]
    return page


@interests_router.post(
    "", response=responses({201: StandingInterestRead}), operation_id="standing_interests_create"
)
def create_interest(request: HttpRequest, payload: StandingInterestCreate) -> Any:
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
def read_interest(request: HttpRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(StandingInterest, request.user, uuid, queryset=_interests(request.user))


@interests_router.post(
    "/{uuid}/renew", response=responses({200: StandingInterestRead}), operation_id="standing_interests_renew"
)
def renew_interest(request: HttpRequest, uuid: UUID, payload: StandingInterestRenew) -> Any:
    """The HCP confirmed the interest again: it holds for another year (expired ones too)."""
    user = request.user
    interest = get_restricted_or_404(StandingInterest, user, uuid, "change")
    actions.renew_standing_interest(interest, acting_user=user, renewed_on=payload.renewed_on)
    return _interests(user).get(pk=interest.pk)
