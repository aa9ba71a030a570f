"""REST endpoints for the current user and the read-only reference data (therapeutic areas, products)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Q
from ninja import Query, Router

from liaison.core.api_common import ApiRequest, apply_filters, limit_offset_page, page_of, responses, visible
from liaison.core.models import RestrictQuerySet
from liaison.core.permissions import MATRIX, role_can
from liaison.core.views import get_restricted_or_404

from .models import Product, TherapeuticArea
from .schemas import (
    MeRead,
    ProductFilters,
    ProductRead,
    TherapeuticAreaFilters,
    TherapeuticAreaRead,
)

me_router = Router(tags=["me"])
therapeutic_areas_router = Router(tags=["therapeutic-areas"])
products_router = Router(tags=["products"])


def _products() -> RestrictQuerySet:
    return Product.objects.select_related("therapeutic_area")


@me_router.get("", response=responses({200: MeRead}), operation_id="me_read")
def read_me(request: ApiRequest) -> Any:
    """The authenticated user, their role and what the role may do."""
    user = request.user
    permissions = {
        resource: sorted(action for action in actions if role_can(user.role, resource, action))
        for resource, actions in MATRIX.items()
    }
    return {
        "uuid": user.uuid,
        "username": user.username,
        "display_name": user.display_name,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "title": user.title,
        "role": user.role,
        "role_label": user.role_label(),
        "team": user.team,
        "permissions": {k: v for k, v in permissions.items() if v},
    }


@therapeutic_areas_router.get(
    "", response=responses({200: page_of(TherapeuticAreaRead)}), operation_id="therapeutic_areas_list"
)
def list_therapeutic_areas(request: ApiRequest, filters: Query[TherapeuticAreaFilters]) -> Any:
    """Therapeutic areas, by name; filter by `q` (name or code) and `active`."""
    qs = apply_filters(
        visible(TherapeuticArea, request.user),
        filters,
        {"q": lambda q: Q(name__icontains=q) | Q(code__icontains=q), "active": "active"},
    )
    return limit_offset_page(qs, filters)


@therapeutic_areas_router.get(
    "/{uuid}", response=responses({200: TherapeuticAreaRead}), operation_id="therapeutic_areas_read"
)
def read_therapeutic_area(request: ApiRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(TherapeuticArea, request.user, uuid)


@products_router.get("", response=responses({200: page_of(ProductRead)}), operation_id="products_list")
def list_products(request: ApiRequest, filters: Query[ProductFilters]) -> Any:
    """Products; filter by `q` (brand or generic name), `therapeutic_area` (uuid) and `active`."""
    qs = apply_filters(
        visible(Product, request.user, queryset=_products()),
        filters,
        {
            "q": lambda q: Q(name__icontains=q) | Q(generic_name__icontains=q),
            "therapeutic_area": "therapeutic_area__uuid",
            "active": "active",
        },
    )
    return limit_offset_page(qs, filters)


@products_router.get("/{uuid}", response=responses({200: ProductRead}), operation_id="products_read")
def read_product(request: ApiRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(Product, request.user, uuid, queryset=_products())
