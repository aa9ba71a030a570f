"""REST endpoints for KOL scores, snapshots and identity links; the one write (a decision) goes through actions.

Commercial users hold no KOL resource (core/permissions.py), so every list and detail answers them 403, like
other medical resources. Scores default to the latest snapshot of each area.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Max, OuterRef, QuerySet, Subquery
from ninja import Query, Router

from liaison.core.api_common import ApiRequest, apply_filters, limit_offset_page, page_of, responses, visible
from liaison.core.models import RestrictQuerySet
from liaison.core.views import get_restricted_or_404

from . import actions
from .models import IdentityLink, KolScore, KolSnapshot
from .schemas import (
    IdentityDecision,
    IdentityLinkFilters,
    IdentityLinkRead,
    KolScoreDetail,
    KolScoreFilters,
    KolScoreRead,
    KolSnapshotFilters,
    KolSnapshotRead,
)

kol_scores_router = Router(tags=["kol-scores"])
kol_snapshots_router = Router(tags=["kol-snapshots"])
identity_links_router = Router(tags=["identity-links"])


def _scores() -> RestrictQuerySet:
    return KolScore.objects.select_related("snapshot__area", "hcp")


def _snapshots() -> RestrictQuerySet:
    return KolSnapshot.objects.select_related("area", "created_by")


def latest_snapshots(snapshots: QuerySet) -> QuerySet:
    """The newest snapshot of each area among `snapshots`."""
    newest = snapshots.filter(area=OuterRef("area")).values("area").annotate(v=Max("version")).values("v")
    return snapshots.filter(version=Subquery(newest))


@kol_scores_router.get("", response=responses({200: page_of(KolScoreRead)}), operation_id="kol_scores_list")
def list_kol_scores(request: ApiRequest, filters: Query[KolScoreFilters]) -> Any:
    """Scores by rank; filter by `area` (code), `snapshot` (default: the latest of each area), `hcp`,
    `rising_star`."""
    qs = visible(KolScore, request.user, queryset=_scores())
    snapshots = visible(KolSnapshot, request.user)
    if filters.area:
        snapshots = snapshots.filter(area__code=filters.area)
    # Without a snapshot, the latest of each area: older versions stay readable by naming them.
    snapshots = snapshots.filter(uuid=filters.snapshot) if filters.snapshot else latest_snapshots(snapshots)
    qs = apply_filters(
        qs.filter(snapshot__in=snapshots), filters, {"hcp": "hcp__uuid", "rising_star": "rising_star"}
    )
    return limit_offset_page(qs.order_by("snapshot__area__name", "rank"), filters)


@kol_scores_router.get("/{uuid}", response=responses({200: KolScoreDetail}), operation_id="kol_scores_read")
def read_kol_score(request: ApiRequest, uuid: UUID) -> Any:
    """One score with its components and every evidence row (PMID or NCT id, points, how they were computed)."""
    return get_restricted_or_404(
        KolScore, request.user, uuid, queryset=_scores().prefetch_related("evidence")
    )


@kol_snapshots_router.get(
    "", response=responses({200: page_of(KolSnapshotRead)}), operation_id="kol_snapshots_list"
)
def list_kol_snapshots(request: ApiRequest, filters: Query[KolSnapshotFilters]) -> Any:
    """Scoring runs, newest version first per area; filter by `area` (code)."""
    qs = apply_filters(
        visible(KolSnapshot, request.user, queryset=_snapshots()), filters, {"area": "area__code"}
    )
    return limit_offset_page(qs.order_by("area__name", "-version"), filters)


@kol_snapshots_router.get(
    "/{uuid}", response=responses({200: KolSnapshotRead}), operation_id="kol_snapshots_read"
)
def read_kol_snapshot(request: ApiRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(KolSnapshot, request.user, uuid, queryset=_snapshots())


@identity_links_router.get(
    "", response=responses({200: page_of(IdentityLinkRead)}), operation_id="identity_links_list"
)
def list_identity_links(request: ApiRequest, filters: Query[IdentityLinkFilters]) -> Any:
    """Identity links, most confident first; filter by `status`, `target`, `person_id`, `hcp`."""
    qs = apply_filters(
        visible(IdentityLink, request.user).select_related("hcp", "decided_by"),
        filters,
        {"status": "status", "target": "target", "person_id": "person_id", "hcp": "hcp__uuid"},
    )
    return limit_offset_page(qs, filters)


@identity_links_router.post(
    "/{uuid}/decision", response=responses({200: IdentityLinkRead}), operation_id="identity_links_decide"
)
def decide_identity_link(request: ApiRequest, uuid: UUID, payload: IdentityDecision) -> Any:
    """Accept or reject a link with a reason (required); linking keeps the decision on every re-run."""
    link = get_restricted_or_404(
        IdentityLink, request.user, uuid, "change", queryset=IdentityLink.objects.select_related("hcp")
    )
    actions.decide_link(request.user, link, accept=payload.accept, reason=payload.reason)
    return IdentityLink.objects.select_related("hcp", "decided_by").get(pk=link.pk)
