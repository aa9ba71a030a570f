"""REST endpoints for KOL scores, snapshots and identity links; the one write (a decision) goes through actions.

Commercial users hold no KOL resource (core/permissions.py), so every list and detail answers them 403, like
other medical resources. Scores default to the latest snapshot of each area.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from ninja import Query, Router

from liaison.core.api_common import page_of, paginate, responses, visible
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


def _scores() -> QuerySet:
    return KolScore.objects.select_related("snapshot__area", "hcp")


def latest_snapshots(snapshots: QuerySet) -> QuerySet:
    """The newest snapshot of each area among `snapshots`."""
    newest = snapshots.filter(area=OuterRef("area")).values("area").annotate(v=Max("version")).values("v")
    return snapshots.filter(version=Subquery(newest))


@kol_scores_router.get("", response=responses({200: page_of(KolScoreRead)}), operation_id="kol_scores_list")
def list_kol_scores(request: HttpRequest, filters: Query[KolScoreFilters]) -> Any:
    """Scores by rank; filter by `area` (code), `snapshot` (default: the latest of each area), `hcp`,
    `rising_star`."""
    qs = visible(KolScore, request.user).select_related("snapshot__area", "hcp")
    snapshots = visible(KolSnapshot, request.user)
    if filters.area:
        snapshots = snapshots.filter(area__code=filters.area)
    # Without a snapshot, the latest of each area: older versions stay readable by naming them.
    snapshots = snapshots.filter(uuid=filters.snapshot) if filters.snapshot else latest_snapshots(snapshots)
    qs = qs.filter(snapshot__in=snapshots)
    if filters.hcp:
        qs = qs.filter(hcp__uuid=filters.hcp)
    if filters.rising_star is not None:
        qs = qs.filter(rising_star=filters.rising_star)
    return paginate(qs.order_by("snapshot__area__name", "rank"), filters)


@kol_scores_router.get("/{uuid}", response=responses({200: KolScoreDetail}), operation_id="kol_scores_read")
def read_kol_score(request: HttpRequest, uuid: UUID) -> Any:
    """One score with its components and every evidence row (PMID or NCT id, points, how they were computed)."""
    return get_restricted_or_404(
        KolScore, request.user, uuid, queryset=_scores().prefetch_related("evidence")
    )


@kol_snapshots_router.get(
    "", response=responses({200: page_of(KolSnapshotRead)}), operation_id="kol_snapshots_list"
)
def list_kol_snapshots(request: HttpRequest, filters: Query[KolSnapshotFilters]) -> Any:
    """Scoring runs, newest version first per area; filter by `area` (code)."""
    qs = visible(KolSnapshot, request.user).select_related("area", "created_by")
    if filters.area:
        qs = qs.filter(area__code=filters.area)
    return paginate(qs.order_by("area__name", "-version"), filters)


@kol_snapshots_router.get(
    "/{uuid}", response=responses({200: KolSnapshotRead}), operation_id="kol_snapshots_read"
)
def read_kol_snapshot(request: HttpRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(
        KolSnapshot, request.user, uuid, queryset=KolSnapshot.objects.select_related("area", "created_by")
    )


@identity_links_router.get(
    "", response=responses({200: page_of(IdentityLinkRead)}), operation_id="identity_links_list"
)
def list_identity_links(request: HttpRequest, filters: Query[IdentityLinkFilters]) -> Any:
    """Identity links, most confident first; filter by `status`, `target`, `person_id`, `hcp`."""
    qs = visible(IdentityLink, request.user).select_related("hcp", "decided_by")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.target:
        qs = qs.filter(target=filters.target)
    if filters.person_id:
        qs = qs.filter(person_id=filters.person_id)
    if filters.hcp:
        qs = qs.filter(hcp__uuid=filters.hcp)
    return paginate(qs, filters)


@identity_links_router.post(
    "/{uuid}/decision", response=responses({200: IdentityLinkRead}), operation_id="identity_links_decide"
)
def decide_identity_link(request: HttpRequest, uuid: UUID, payload: IdentityDecision) -> Any:
    """Accept or reject a link with a reason (required); linking keeps the decision on every re-run."""
    link = get_restricted_or_404(
        IdentityLink, request.user, uuid, "change", queryset=IdentityLink.objects.select_related("hcp")
    )
    actions.decide_link(request.user, link, accept=payload.accept, reason=payload.reason)
    return IdentityLink.objects.select_related("hcp", "decided_by").get(pk=link.pk)


def register(api: Any) -> None:
    """Mount the KOL routers (core/api.py calls this, so adding a KOL resource touches only this app)."""
    api.add_router("/kol-scores", kol_scores_router)
    api.add_router("/kol-snapshots", kol_snapshots_router)
    api.add_router("/identity-links", identity_links_router)
