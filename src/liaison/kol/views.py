"""KOL intelligence pages: ranking, a person's breakdown, the HCP tab, co-author network, rising stars,
weight sensitivity, snapshot diff and the identity suggestion queue.

Every row shown is read through `restrict()`: scores and snapshots need `kol_score.view`, publication, trial
and payment records `kol_evidence.view`, identity links `identity_link.view`. Commercial users hold none of
these, so every page answers them 403 and the menu never offers KOL (docs/kol-scores.md, "Reading the pages").
Nothing here writes except the identity decision, which goes through `actions.decide_link`.
"""

from __future__ import annotations

import math
import re
import uuid as uuid_lib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from liaison.core.forms import add_action_errors
from liaison.core.permissions import can, require
from liaison.core.views import AuthenticatedRequest, get_restricted_or_404
from liaison.people.extensions import hcp_tabs
from liaison.people.models import HCP, HCPStatus

from . import actions, score_math
from .forms import DecisionForm, DiffForm, IdentityFilterForm, RankingFilterForm, WeightsForm
from .models import (
    Authorship,
    IdentityLink,
    KolEvidence,
    KolScore,
    KolSnapshot,
    LinkStatus,
    LinkTarget,
    Payment,
    Publication,
    Trial,
)
from .score_math import COMPONENTS, PersonState

if TYPE_CHECKING:
    from liaison.accounts.models import User

PAGE_SIZE = 50
EVIDENCE_PER_COMPONENT = 100
NETWORK_NEIGHBOURS = 40
# Papers with more authors than this add no neighbour-to-neighbour edges: a consortium paper would otherwise
# join everyone to everyone and hide the structure the chart is for (its centre edges still count).
NETWORK_PAIR_LIMIT = 50
NETWORK_SEED = 7
SVG_WIDTH, SVG_HEIGHT, SVG_MARGIN = 800, 560, 60
DIFF_LIMIT = 25
TOP_K = 10
SENSITIVITY_TOP = 20
PERSON_ID = re.compile(r"[A-Za-z0-9_-]{1,17}")
# Used when a snapshot records no component weights (docs/kol-scores.md defaults).
DEFAULT_WEIGHTS = {"publications": 0.35, "network": 0.25, "trials": 0.20, "focus": 0.10, "momentum": 0.10}


# --- shared reads -----------------------------------------------------------------------------------------------


def _snapshots(user: User) -> QuerySet[KolSnapshot]:
    return (
        KolSnapshot.objects.restrict(user, "view").select_related("area").order_by("area__name", "-version")
    )


def _snapshot_param(user: User, value: str | None) -> KolSnapshot | None:
    """The visible snapshot a query parameter names; a malformed or unknown uuid is a 404, like a bad link."""
    if not value:
        return None
    try:
        uuid_lib.UUID(str(value))
    except ValueError as exc:  # get_restricted_or_404 would let Django's ValidationError through as a 500
        raise Http404("Not found") from exc
    return get_restricted_or_404(
        KolSnapshot, user, value, queryset=KolSnapshot.objects.select_related("area")
    )


def snapshot_weights(snapshot: KolSnapshot) -> dict[str, float]:
    """The component weights a snapshot was scored with.

    The pipeline stores its whole `Weights` object; the component weights are either its top-level entries or
    under `components`. Anything unreadable falls back to the documented defaults rather than failing a page.
    """
    stored = snapshot.weights or {}
    if isinstance(stored.get("components"), dict):
        stored = stored["components"]
    weights = {}
    for name in COMPONENTS:
        try:
            weights[name] = float(stored.get(name, DEFAULT_WEIGHTS[name]))
        except (TypeError, ValueError):
            weights[name] = DEFAULT_WEIGHTS[name]
    try:
        return score_math.check_weights(weights)
    except ValueError:
        return dict(DEFAULT_WEIGHTS)


def _num(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def norms_of(score: KolScore | dict[str, Any]) -> dict[str, float]:
    components = score.components if isinstance(score, KolScore) else score
    return {name: _num((components or {}).get(name, {}).get("norm")) for name in COMPONENTS}


def points_of(components: dict[str, Any], weights: dict[str, float]) -> dict[str, float]:
    """Each component's points in the score: as stored, or `w · norm / Σw` when a row predates `points`."""
    computed = score_math.component_points(norms_of(components), weights)
    out = {}
    for name in COMPONENTS:
        stored = (components or {}).get(name, {}).get("points")
        out[name] = _num(stored) if stored is not None else computed[name]
    return out


@dataclass
class Segment:
    """One component's slice of a score bar (width in % of the full 0..100 scale)."""

    component: str
    points: float

    @property
    def width(self) -> str:
        return f"{max(0.0, min(100.0, self.points)):.2f}"


def segments(components: dict[str, Any], weights: dict[str, float]) -> list[Segment]:
    points = points_of(components, weights)
    return [Segment(name, points[name]) for name in COMPONENTS]


def _visible_hcps(user: User, scores: list[KolScore]) -> set[int]:
    ids = {s.hcp_id for s in scores if s.hcp_id}
    if not ids:
        return set()
    return set(HCP.objects.restrict(user, "view").filter(pk__in=ids).values_list("pk", flat=True))


def _score_rows(user: User, scores: list[KolScore], weights: dict[str, float]) -> list[dict[str, Any]]:
    visible = _visible_hcps(user, scores)
    return [
        {
            "score": s,
            "segments": segments(s.components, weights),
            "hcp": s.hcp if s.hcp_id in visible else None,
        }
        for s in scores
    ]


# --- 1. ranking -------------------------------------------------------------------------------------------------


@login_required
@require_GET
def ranking(request: AuthenticatedRequest) -> HttpResponse:
    """The ranking of one area in one snapshot (latest by default), optionally rising stars only, paginated."""
    user = request.user
    require(user, "kol_score", "view")
    snaps = list(_snapshots(user))
    areas = list({s.area_id: s.area for s in snaps}.values())
    area = next((a for a in areas if str(a.uuid) == request.GET.get("area")), areas[0] if areas else None)
    area_snaps = [s for s in snaps if area is not None and s.area_id == area.pk]
    snapshot = next(
        (s for s in area_snaps if str(s.uuid) == request.GET.get("snapshot")),
        area_snaps[0] if area_snaps else None,
    )
    rising = request.GET.get("rising") in ("on", "1", "true")
    form = RankingFilterForm(
        areas=areas,
        snapshots=area_snaps,
        initial={
            "area": str(area.uuid) if area else "",
            "snapshot": str(snapshot.uuid) if snapshot else "",
            "rising": rising,
        },
    )
    page = None
    rows: list[dict[str, Any]] = []
    if snapshot is not None:
        qs = KolScore.objects.restrict(user, "view").filter(snapshot=snapshot).select_related("hcp")
        if rising:
            qs = qs.filter(rising_star=True)
        page = Paginator(qs.order_by("rank", "person_id"), PAGE_SIZE).get_page(request.GET.get("page"))
        rows = _score_rows(user, list(page.object_list), snapshot_weights(snapshot))
    return render(
        request,
        "kol/ranking.html",
        {
            "form": form,
            "snapshot": snapshot,
            "page": page,
            "rows": rows,
            "rising": rising,
            "components": COMPONENTS,
            "weights": snapshot_weights(snapshot) if snapshot else {},
        },
    )


# --- 2. a person's breakdown ------------------------------------------------------------------------------------


@dataclass
class EvidenceGroup:
    """The evidence rows of one component, best first, with record titles where the record is loaded."""

    component: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0


def _evidence_groups(user: User, score: KolScore) -> list[EvidenceGroup]:
    if not can(user, "kol_evidence", "view"):
        return []
    counts = dict(
        KolEvidence.objects.filter(score=score).values_list("component").annotate(n=Count("id")).order_by()
    )
    groups = []
    for component in [*COMPONENTS, *sorted(set(counts) - set(COMPONENTS))]:
        if not counts.get(component):
            continue
        rows = list(
            KolEvidence.objects.filter(score=score, component=component).order_by("-points", "record_id")[
                :EVIDENCE_PER_COMPONENT
            ]
        )
        groups.append(EvidenceGroup(component, [{"evidence": e} for e in rows], counts[component]))
    pmids = {
        int(r["evidence"].record_id) for g in groups for r in g.rows if r["evidence"].record_id.isdigit()
    }
    ncts = {
        r["evidence"].record_id for g in groups for r in g.rows if r["evidence"].source == "clinicaltrials"
    }
    titles: dict[str, str] = {}
    for pmid, title in (
        Publication.objects.restrict(user, "view").filter(pmid__in=pmids).values_list("pmid", "title")
    ):
        titles[str(pmid)] = title
    for nct, title in (
        Trial.objects.restrict(user, "view").filter(nct_id__in=ncts).values_list("nct_id", "title")
    ):
        titles[nct] = title
    for group in groups:
        for row in group.rows:
            row["title"] = titles.get(row["evidence"].record_id, "")
    return groups


def _payments(user: User, links: list[IdentityLink]) -> list[Payment]:
    """Open Payments rows of the person's used payment-recipient links (profile id, or `npi:<NPI>`)."""
    ids = [k.target_id for k in links if k.target == LinkTarget.PAYMENT_RECIPIENT and k.used]
    profiles = {i for i in ids if not i.startswith("npi:")}
    npis = {i.removeprefix("npi:") for i in ids if i.startswith("npi:")}
    if not (profiles or npis):
        return []
    return list(
        Payment.objects.restrict(user, "view")
        .filter(Q(profile_id__in=profiles) | Q(npi__in=npis))
        .order_by("-program_year", "-date", "record_id")[:200]
    )


@login_required
@require_GET
def score_detail(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """One person's score in one snapshot: components, the evidence behind each, payment context, links."""
    user = request.user
    score = get_restricted_or_404(
        KolScore, user, uuid, queryset=KolScore.objects.select_related("snapshot__area", "hcp")
    )
    weights = snapshot_weights(score.snapshot)
    points = points_of(score.components, weights)
    component_rows = [
        {
            "name": name,
            "raw": _num(score.components.get(name, {}).get("raw")),
            "norm": _num(score.components.get(name, {}).get("norm")),
            "weight": weights[name],
            "share": weights[name] / sum(weights.values()),
            "points": points[name],
        }
        for name in COMPONENTS
    ]
    links = list(
        IdentityLink.objects.restrict(user, "view").filter(person_id=score.person_id).select_related("hcp")
    )
    payments = _payments(user, links) if can(user, "kol_evidence", "view") else []
    history = list(
        KolScore.objects.restrict(user, "view")
        .filter(person_id=score.person_id, snapshot__area=score.snapshot.area)
        .exclude(pk=score.pk)
        .select_related("snapshot")
        .order_by("-snapshot__version")[:10]
    )
    return render(
        request,
        "kol/score_detail.html",
        {
            "score": score,
            "snapshot": score.snapshot,
            "hcp": score.hcp if score.hcp_id and _visible_hcps(user, [score]) else None,
            "component_rows": component_rows,
            "segments": [Segment(name, points[name]) for name in COMPONENTS],
            "groups": _evidence_groups(user, score),
            "links": links,
            "payments": payments,
            "payments_total": sum((p.amount_usd for p in payments), start=0),
            "history": history,
            "can_see_evidence": can(user, "kol_evidence", "view"),
        },
    )


# --- 3. the HCP record's KOL tab --------------------------------------------------------------------------------


def hcp_kol_context(user: User, hcp: HCP) -> dict[str, Any]:
    """The KOL tab of an HCP record: the latest visible score of this HCP in each area, with its breakdown."""
    scores = list(
        KolScore.objects.restrict(user, "view")
        .filter(hcp=hcp)
        .select_related("snapshot__area")
        .order_by("snapshot__area__name", "-snapshot__version")
    )
    latest: dict[int, KolScore] = {}
    for s in scores:
        latest.setdefault(s.snapshot.area_id, s)
    rows = [
        {"score": s, "segments": segments(s.components, snapshot_weights(s.snapshot))}
        for s in latest.values()
    ]
    suggested = 0
    if can(user, "identity_link", "view"):
        suggested = (
            IdentityLink.objects.restrict(user, "view").filter(hcp=hcp, status=LinkStatus.SUGGESTED).count()
        )
    return {"kol_rows": rows, "kol_suggested": suggested, "kol_components": COMPONENTS}


@login_required
@require_GET
def hcp_tab(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """The HCP page with its KOL tab open; an htmx tab click gets the tab region only."""
    user = request.user
    require(user, "kol_score", "view")
    hcp = get_restricted_or_404(
        HCP,
        user,
        uuid,
        queryset=HCP.objects.select_related("owner", "territory").prefetch_related(
            "affiliations__organization", "therapeutic_areas"
        ),
    )
    survivor = None
    if hcp.merged_into_id:
        survivor = HCP.objects.restrict(user, "view").filter(pk=hcp.merged_into_id).first()
    context = {
        "hcp": hcp,
        "tabs": [(t.key, t.label) for t in hcp_tabs() if t.resource is None or can(user, t.resource, "view")],
        "tab": "kol",
        "survivor": survivor,
        "can_change": can(user, "hcp", "change") and hcp.status != HCPStatus.MERGED,
        "can_merge": can(user, "hcp", "merge") and hcp.status != HCPStatus.MERGED,
        "can_log": can(user, "interaction", "add") and hcp.status == HCPStatus.ACTIVE,
        **hcp_kol_context(user, hcp),
    }
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request and htmx.target == "hcp-tabs":
        return render(request, "people/_hcp_tabs.html", context)
    return render(request, "people/hcp_detail.html", context)


# --- 4. co-author network ---------------------------------------------------------------------------------------


@dataclass
class Neighbour:
    """A co-author: papers shared with the person, Newman weight, and their score in the snapshot if any."""

    person_id: str
    name: str
    shared: int
    weight: float
    score: KolScore | None = None
    x: float = 0.0
    y: float = 0.0
    r: float = 5.0
    href: str = ""


def _spelling(counter: Counter[str]) -> str:
    return counter.most_common(1)[0][0] if counter else ""


def _node_radius(score: KolScore | None) -> float:
    return 5.0 + 13.0 * math.sqrt(max(0.0, min(100.0, score.score)) / 100.0) if score else 5.0


@login_required
@require_GET
def network(request: AuthenticatedRequest, person_id: str) -> HttpResponse:
    """A person's co-authors within the snapshot's area, laid out by force and drawn as SVG, with the table."""
    import networkx as nx

    user = request.user
    require(user, "kol_score", "view")
    require(user, "kol_evidence", "view")
    if not PERSON_ID.fullmatch(person_id):
        raise Http404("Not found")
    snapshot = _snapshot_param(user, request.GET.get("snapshot"))
    score = None
    if snapshot is not None:
        score = KolScore.objects.restrict(user, "view").filter(snapshot=snapshot, person_id=person_id).first()
    pubs = Publication.objects.restrict(user, "view")
    own = Authorship.objects.filter(person_id=person_id, publication__in=pubs)
    scope = "all papers of this person"
    if snapshot is not None and score is not None:  # a score is only looked up within a snapshot
        area_pmids = [
            int(r)
            for r in KolEvidence.objects.filter(score=score, source="pubmed")
            .values_list("record_id", flat=True)
            .distinct()
            if r.isdigit()
        ]
        in_area = own.filter(publication__pmid__in=area_pmids)
        if in_area.exists():
            own, scope = in_area, f"papers in the {snapshot.area.name} evidence of this snapshot"
    paper_ids = set(own.values_list("publication_id", flat=True))
    if not paper_ids and score is None:
        raise Http404("Not found")
    names: dict[str, Counter[str]] = defaultdict(Counter)
    authors_of: dict[int, list[str]] = defaultdict(list)
    for pub_id, pid, fore, last in Authorship.objects.filter(publication_id__in=paper_ids).values_list(
        "publication_id", "person_id", "fore_name", "last_name"
    ):
        if pid:
            authors_of[pub_id].append(pid)
            names[pid][f"{fore} {last}".strip()] += 1
    shared: Counter[str] = Counter()
    weight: defaultdict[str, float] = defaultdict(float)  # every key of `shared` gets one
    for authors in authors_of.values():
        people = set(authors)
        if person_id not in people or len(authors) < 2:
            continue
        for pid in people - {person_id}:
            shared[pid] += 1
            weight[pid] += 1.0 / (len(authors) - 1)
    chosen = sorted(shared, key=lambda p: (-shared[p], -weight[p], p))[:NETWORK_NEIGHBOURS]
    scores = {}
    if snapshot is not None:
        scores = {
            s.person_id: s
            for s in KolScore.objects.restrict(user, "view").filter(snapshot=snapshot, person_id__in=chosen)
        }
    neighbours = [Neighbour(p, _spelling(names[p]) or p, shared[p], weight[p], scores.get(p)) for p in chosen]
    centre_name = (score.name if score else "") or _spelling(names[person_id]) or person_id
    graph = nx.Graph()
    graph.add_node(person_id)
    for n in neighbours:
        graph.add_edge(person_id, n.person_id, weight=n.shared)
    chosen_set = set(chosen)
    pair_shared: Counter[tuple[str, str]] = Counter()
    for authors in authors_of.values():
        if len(authors) > NETWORK_PAIR_LIMIT:
            continue
        inside = sorted(set(authors) & chosen_set)
        for i, a in enumerate(inside):
            for b in inside[i + 1 :]:
                pair_shared[(a, b)] += 1
    for (a, b), count in pair_shared.items():
        graph.add_edge(a, b, weight=count)
    positions = (
        nx.spring_layout(graph, seed=NETWORK_SEED, weight="weight") if len(graph) > 1 else {person_id: (0, 0)}
    )
    xs = [p[0] for p in positions.values()]
    ys = [p[1] for p in positions.values()]
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0

    def place(pid: str) -> tuple[float, float]:
        px, py = positions[pid]
        x = SVG_MARGIN + (px - min(xs)) / span_x * (SVG_WIDTH - 2 * SVG_MARGIN)
        y = SVG_MARGIN + (py - min(ys)) / span_y * (SVG_HEIGHT - 2 * SVG_MARGIN)
        return round(x, 1), round(y, 1)

    suffix = f"?snapshot={snapshot.uuid}" if snapshot else ""
    for n in neighbours:
        n.x, n.y = place(n.person_id)
        n.r = _node_radius(n.score)
        n.href = (
            reverse("kol:score_detail", args=[n.score.uuid])
            if n.score
            else reverse("kol:network", args=[n.person_id]) + suffix
        )
    centre = Neighbour(person_id, centre_name, 0, 0.0, score)
    centre.x, centre.y = place(person_id)
    centre.r = max(_node_radius(score), 9.0)
    by_id = {n.person_id: n for n in [centre, *neighbours]}
    edges = [
        {
            "a": by_id[a],
            "b": by_id[b],
            "shared": data["weight"],
            "width": round(1.0 + 1.5 * math.log2(data["weight"]), 2),
            "centre": person_id in (a, b),
        }
        for a, b, data in graph.edges(data=True)
    ]
    return render(
        request,
        "kol/network.html",
        {
            "person_id": person_id,
            "centre": centre,
            "score": score,
            "snapshot": snapshot,
            "neighbours": neighbours,
            "edges": edges,
            "papers": len(paper_ids),
            "scope": scope,
            "more": max(0, len(shared) - len(neighbours)),
            "svg": {"width": SVG_WIDTH, "height": SVG_HEIGHT},
        },
    )


# --- 5. rising stars --------------------------------------------------------------------------------------------


@login_required
@require_GET
def rising(request: AuthenticatedRequest) -> HttpResponse:
    """The rising stars of each area's latest snapshot, strongest momentum first."""
    user = request.user
    require(user, "kol_score", "view")
    latest: dict[int, KolSnapshot] = {}
    for s in _snapshots(user):
        latest.setdefault(s.area_id, s)
    sections = []
    for snapshot in latest.values():
        stars = list(
            KolScore.objects.restrict(user, "view")
            .filter(snapshot=snapshot, rising_star=True)
            .select_related("hcp")
        )
        stars.sort(key=lambda s: (-norms_of(s)["momentum"], s.rank))
        sections.append(
            {
                "snapshot": snapshot,
                "rows": _score_rows(user, stars[:PAGE_SIZE], snapshot_weights(snapshot)),
                "total": len(stars),
            }
        )
    return render(request, "kol/rising.html", {"sections": sections, "components": COMPONENTS})


# --- 6. weight sensitivity --------------------------------------------------------------------------------------


def _default_snapshot(user: User) -> KolSnapshot | None:
    return _snapshots(user).first()


@login_required
@require_GET
def sensitivity(request: AuthenticatedRequest) -> HttpResponse:
    """Re-rank a snapshot under other weights (from its stored norms), and sweep each weight ×0.5 and ×2."""
    user = request.user
    require(user, "kol_score", "view")
    snapshot = _snapshot_param(user, request.GET.get("snapshot")) or _default_snapshot(user)
    snaps = list(_snapshots(user))
    if snapshot is None:
        return render(request, "kol/sensitivity.html", {"snapshot": None, "snapshots": snaps})
    defaults = snapshot_weights(snapshot)
    submitted = any(name in request.GET for name in COMPONENTS)
    form = WeightsForm(request.GET if submitted else None, initial=defaults)
    weights = defaults
    if submitted:
        weights = form.weights() if form.is_valid() else defaults
    stored = list(
        KolScore.objects.restrict(user, "view")
        .filter(snapshot=snapshot)
        .order_by("rank", "person_id")
        .values_list("person_id", "name", "rank", "score", "components")
    )
    people = [(pid, norms_of(components)) for pid, _, _, _, components in stored]
    baseline = [pid for pid, *_ in stored]
    info = {pid: (name, rank, score) for pid, name, rank, score, _ in stored}
    new = score_math.rerank(people, weights)
    top: list[dict[str, Any]] = [
        {
            "ranked": r,
            "name": info[r.person_id][0],
            "old_rank": info[r.person_id][1],
            "old_score": info[r.person_id][2],
            "change": info[r.person_id][1] - r.rank,
        }
        for r in new[:SENSITIVITY_TOP]
    ]
    score_uuids = dict(
        KolScore.objects.restrict(user, "view")
        .filter(snapshot=snapshot, person_id__in=[t["ranked"].person_id for t in top])
        .values_list("person_id", "uuid")
    )
    for t in top:
        t["uuid"] = score_uuids.get(t["ranked"].person_id)
    return render(
        request,
        "kol/sensitivity.html",
        {
            "snapshot": snapshot,
            "snapshots": snaps,
            "form": form,
            "weights": weights,
            "defaults": defaults,
            "changed": weights != defaults,
            "top": top,
            "overlap": score_math.top_overlap(baseline, [r.person_id for r in new], TOP_K),
            "sweep": score_math.sensitivity_sweep(people, weights, k=TOP_K),
            "k": TOP_K,
            "persons": len(stored),
        },
    )


# --- 7. snapshot diff -------------------------------------------------------------------------------------------


def _states(user: User, snapshot: KolSnapshot) -> dict[str, PersonState]:
    weights = snapshot_weights(snapshot)
    rows = (
        KolScore.objects.restrict(user, "view")
        .filter(snapshot=snapshot)
        .values_list("person_id", "name", "rank", "score", "components")
    )
    return {
        pid: PersonState(pid, name, rank, score, points_of(components, weights))
        for pid, name, rank, score, components in rows
    }


def _attach_evidence(snapshot: KolSnapshot, states: dict[str, PersonState], ids: set[str]) -> None:
    for pid, component, record, points in KolEvidence.objects.filter(
        score__snapshot=snapshot, score__person_id__in=ids
    ).values_list("score__person_id", "component", "record_id", "points"):
        if pid in states:
            states[pid].evidence.setdefault(component, {})[record] = points


@login_required
@require_GET
def diff(request: AuthenticatedRequest) -> HttpResponse:
    """Who rose, fell, entered and left between two snapshots, and the component changes behind each move."""
    user = request.user
    require(user, "kol_score", "view")
    snaps = list(_snapshots(user))
    if "a" in request.GET or "b" in request.GET:
        form = DiffForm(request.GET, snapshots=snaps)
    else:
        newest = snaps[0] if snaps else None
        older = next((s for s in snaps[1:] if newest and s.area_id == newest.area_id), None)
        initial = {"a": str(older.uuid), "b": str(newest.uuid)} if older and newest else {}
        form = DiffForm(initial or None, snapshots=snaps) if initial else DiffForm(snapshots=snaps)
    context: dict[str, Any] = {"form": form, "snapshots": snaps, "result": None}
    if form.is_bound and form.is_valid():
        by_uuid = {str(s.uuid): s for s in snaps}
        a, b = by_uuid[form.cleaned_data["a"]], by_uuid[form.cleaned_data["b"]]
        old, new = _states(user, a), _states(user, b)
        result = score_math.diff_snapshots(old, new, limit=DIFF_LIMIT)
        if can(user, "kol_evidence", "view"):
            ids = result.person_ids()
            _attach_evidence(a, old, ids)
            _attach_evidence(b, new, ids)
            result = score_math.diff_snapshots(old, new, limit=DIFF_LIMIT)
        uuids = dict(
            KolScore.objects.restrict(user, "view")
            .filter(snapshot=b, person_id__in=result.person_ids())
            .values_list("person_id", "uuid")
        )
        old_uuids = dict(
            KolScore.objects.restrict(user, "view")
            .filter(snapshot=a, person_id__in=result.person_ids())
            .values_list("person_id", "uuid")
        )
        context.update(
            {
                "a": a,
                "b": b,
                "result": result,
                "uuids": uuids,
                "old_uuids": old_uuids,
                "same_area": a.area_id == b.area_id,
            }
        )
    return render(request, "kol/diff.html", context)


# --- 8. identity suggestion queue -------------------------------------------------------------------------------


def _link_context(user: User, link: IdentityLink, form: DecisionForm | None = None) -> dict[str, Any]:
    can_decide = can(user, "identity_link", "change") and not link.decided
    return {
        "link": link,
        "form": form or (DecisionForm(link=link) if can_decide else None),
        "can_decide": can_decide,
    }


@login_required
@require_GET
def identity_queue(request: AuthenticatedRequest) -> HttpResponse:
    """Identity links to review, suggestions first by confidence; decided ones show who, when and why."""
    user = request.user
    require(user, "identity_link", "view")
    data = request.GET.copy()
    if "status" not in data:
        data["status"] = LinkStatus.SUGGESTED
    form = IdentityFilterForm(data)
    status = form.cleaned_data["status"] if form.is_valid() else LinkStatus.SUGGESTED
    qs = IdentityLink.objects.restrict(user, "view").select_related("hcp", "decided_by")
    if status:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("-confidence", "person_id", "target", "target_id"), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "kol/identity_queue.html",
        {"form": form, "page": page, "items": [_link_context(user, link) for link in page.object_list]},
    )


@login_required
@require_POST
def identity_decide(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """Accept or reject one suggestion with a reason; htmx swaps the row, a plain post returns to the queue."""
    user = request.user
    link = get_restricted_or_404(
        IdentityLink, user, uuid, "change", queryset=IdentityLink.objects.select_related("hcp", "decided_by")
    )
    form = DecisionForm(request.POST, link=link)
    if form.is_valid():
        try:
            link = actions.decide_link(
                user,
                link,
                accept=form.cleaned_data["decision"] == "accept",
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            verb = "accepted" if link.status == LinkStatus.ACCEPTED else "rejected"
            if request.htmx:
                return render(
                    request, "kol/_link_row.html", {**_link_context(user, link), "just_decided": verb}
                )
            messages.success(
                request, f"Link {link.person_name or link.person_id} = {link.target_name} {verb}."
            )
            return redirect("kol:identity_queue")
    context = _link_context(user, link, form)
    if request.htmx:
        return render(request, "kol/_link_row.html", context)
    return render(
        request,
        "kol/identity_queue.html",
        {"form": IdentityFilterForm({"status": link.status}), "page": None, "items": [context]},
    )
