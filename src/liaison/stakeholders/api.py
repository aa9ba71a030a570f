"""REST endpoints of internal stakeholders: the map, feedback, sending a digest and the delivery log.

Reads go through restrict(); writes through stakeholders.actions. Commercial users hold no stakeholder or
digest permission (403).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ninja import Query, Router, Status

from liaison.accounts.models import TherapeuticArea, User
from liaison.core.api_common import (
    ApiRequest,
    PageQuery,
    apply_filters,
    limit_offset_page,
    resolve,
    resolve_many,
    responses,
    visible,
)
from liaison.core.permissions import require
from liaison.core.views import get_restricted_or_404

from . import actions
from .models import DigestDelivery, Stakeholder
from .schemas import (
    DeliveryPage,
    DeliveryQuery,
    DeliveryRead,
    FeedbackCreate,
    FeedbackRead,
    StakeholderCreate,
    StakeholderPage,
    StakeholderRead,
)

stakeholders_router = Router(tags=["stakeholders"])
deliveries_router = Router(tags=["stakeholders"])


def _get(request: ApiRequest, uuid: UUID) -> Stakeholder:
    return get_restricted_or_404(
        Stakeholder, request.user, uuid, queryset=Stakeholder.objects.select_related("owner")
    )


@stakeholders_router.get("", response=responses({200: StakeholderPage}), operation_id="stakeholder_list")
def stakeholder_list(request: ApiRequest, query: Query[PageQuery]) -> Any:
    """The stakeholder map: every internal stakeholder and how they prefer to hear from medical."""
    qs = visible(Stakeholder, request.user).select_related("owner").prefetch_related("therapeutic_areas")
    return limit_offset_page(qs, query)


@stakeholders_router.post("", response=responses({201: StakeholderRead}), operation_id="stakeholder_create")
def stakeholder_create(request: ApiRequest, payload: StakeholderCreate) -> Any:
    """Add an internal stakeholder (medical lead, admin)."""
    require(request.user, "stakeholder", "add")
    owner = resolve(User, request.user, payload.owner, "owner") if payload.owner else request.user
    areas = resolve_many(TherapeuticArea, request.user, payload.therapeutic_areas, "therapeutic_areas")
    data = payload.dict(exclude={"owner", "therapeutic_areas"})
    stakeholder = actions.save_stakeholder(
        None, acting_user=request.user, owner=owner, therapeutic_areas=areas, **data
    )
    return Status(201, stakeholder)


@stakeholders_router.get(
    "/{uuid}", response=responses({200: StakeholderRead}), operation_id="stakeholder_read"
)
def stakeholder_read(request: ApiRequest, uuid: UUID) -> Any:
    """One stakeholder."""
    return _get(request, uuid)


@stakeholders_router.post(
    "/{uuid}/feedback", response=responses({201: FeedbackRead}), operation_id="stakeholder_feedback"
)
def stakeholder_feedback(request: ApiRequest, uuid: UUID, payload: FeedbackCreate) -> Any:
    """Record a stakeholder's verdict ("used" or "not_relevant") on what they received."""
    stakeholder = _get(request, uuid)
    delivery = None
    if payload.delivery is not None:
        qs = DigestDelivery.objects.restrict(request.user, "view").filter(stakeholder=stakeholder)
        delivery = resolve(DigestDelivery, request.user, payload.delivery, "delivery", queryset=qs)
    feedback = actions.record_feedback(
        stakeholder,
        acting_user=request.user,
        verdict=payload.verdict,
        comment=payload.comment,
        delivery=delivery,
    )
    return Status(201, feedback)


@stakeholders_router.post(
    "/{uuid}/digests", response=responses({201: DeliveryRead}), operation_id="digest_send"
)
def digest_send(request: ApiRequest, uuid: UUID) -> Any:
    """Send this stakeholder's digest now; the delivery (sent or failed) is returned and logged."""
    return Status(201, actions.send_digest(_get(request, uuid), acting_user=request.user))


@deliveries_router.get("", response=responses({200: DeliveryPage}), operation_id="digest_delivery_list")
def digest_delivery_list(request: ApiRequest, query: Query[DeliveryQuery]) -> Any:
    """The delivery log, newest first: when, to whom, by which channel, with what outcome."""
    qs = visible(DigestDelivery, request.user).select_related("stakeholder")
    qs = apply_filters(qs, query, {"stakeholder": "stakeholder__uuid"})
    return limit_offset_page(qs, query)
