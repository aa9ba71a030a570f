"""Compose the pre-call brief: one printable page an MSL reads before meeting an HCP (docs/pre-call-brief.md).

The brief is medical content built from records the reader may already open one by one, so it adds no right
of its own beyond `pre_call_brief.view` (which keeps commercial out): every section is read through
`Model.objects.restrict(user, "view")` and an MSL sees in it exactly the interactions, follow-ups, inquiries
and insights their row rules give them. It writes nothing. Sections:

- who they are, their KOL score per area with its top evidence, and whether the planned meeting respects their
  communication preferences (preferences.py);
- their own recent papers and trials ("discuss, don't present back");
- new evidence in their areas that they did not write, ranked against their MeSH profile (relevance.py);
- our history with them; a rule-based suggested purpose, each suggestion with its reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils import timezone

from liaison.core.permissions import can, require
from liaison.engagement.models import FollowUp, FollowUpStatus, Interaction, Purpose
from liaison.insights.models import Insight, ListeningPriority
from liaison.intel.models import ThemeFeedback, ThemeMatch
from liaison.kol.models import (
    Authorship,
    IdentityLink,
    KolScore,
    LinkStatus,
    LinkTarget,
    Publication,
    Trial,
    TrialInvestigator,
)
from liaison.loop.models import InsightAction
from liaison.medinfo.models import InquiryStatus, MedicalInquiry
from liaison.people.models import HCP, Channel, Frequency
from liaison.planning.models import StandingInterest

from . import preferences, relevance

if TYPE_CHECKING:
    from liaison.accounts.models import User

RESOURCE = "pre_call_brief"
USED = (LinkStatus.LINKED, LinkStatus.ACCEPTED)
OWN_PAPERS = 8
OWN_TRIALS = 8
NEW_EVIDENCE = 5
EVIDENCE_PER_SCORE = 3
LAST_INTERACTIONS = 5
MAX_SUGGESTIONS = 6
# New evidence is ranked over the most recent publications only: recency halves a paper's score every three
# years, so anything older than the newest 20,000 papers could not reach a top 5 on a real library anyway.
CANDIDATE_SCAN = 20_000
OPEN_INQUIRY = (InquiryStatus.OPEN, InquiryStatus.IN_PROGRESS)
CHANNEL_LABELS = dict(Channel.choices)
OWN_WORK_NOTE = "Their own work: discuss, don't present back."


@dataclass
class EvidenceRow:
    component: str
    source: str
    record_id: str
    points: float
    detail: str
    title: str
    url: str


@dataclass
class KolArea:
    area: str
    snapshot_version: int
    as_of_year: int
    rank: int
    score: float
    persons: int
    rising_star: bool
    score_uuid: str
    evidence: list[EvidenceRow]


@dataclass
class OwnPaper:
    pmid: int
    title: str
    journal: str
    year: int | None
    role: str
    url: str


@dataclass
class OwnTrial:
    nct_id: str
    title: str
    status: str
    phases: list[str]
    start_date: str
    role: str
    url: str


@dataclass
class NewEvidence:
    pmid: int
    title: str
    journal: str
    year: int | None
    url: str
    score: float
    matched_terms: list[str]
    reason: str


@dataclass
class InteractionRow:
    uuid: str
    occurred_at: dt.datetime
    channel: str
    purpose: str
    initiation: str
    owner: str
    topics: list[str]
    products: list[str]
    materials_shared: str


@dataclass
class FollowUpRow:
    uuid: str
    description: str
    due_date: dt.date
    overdue: bool
    owner: str


@dataclass
class InquiryRow:
    uuid: str
    received_at: dt.datetime
    status: str
    question: str
    product: str


@dataclass
class InsightRow:
    uuid: str
    created_at: dt.datetime
    status: str
    text: str
    area: str
    theme: str
    theme_source: str
    outcome: str


@dataclass
class MaterialRow:
    occurred_at: dt.datetime
    materials: str
    products: list[str]


@dataclass
class Suggestion:
    purpose: str
    purpose_label: str
    title: str
    reason: str


@dataclass
class Brief:
    """Everything on the page, in the order it is printed; the API returns the same structure."""

    hcp: HCP
    planned_at: dt.datetime | None
    planned_channel: str
    generated_at: dt.datetime
    profile: dict[str, Any]
    kol_scores: list[KolArea]
    checks: list[preferences.PreferenceCheck]
    verdict: preferences.PreferenceCheck
    person_ids: list[str]
    own_papers: list[OwnPaper]
    own_paper_count: int
    own_trials: list[OwnTrial]
    new_evidence: list[NewEvidence]
    interactions: list[InteractionRow]
    follow_ups: list[FollowUpRow]
    inquiries: list[InquiryRow]
    insights: list[InsightRow]
    materials: list[MaterialRow]
    standing_interests: list[str]
    suggestions: list[Suggestion]
    notes: list[str] = field(default_factory=list)

    @property
    def planned_channel_label(self) -> str:
        return CHANNEL_LABELS.get(self.planned_channel, self.planned_channel)


def linked_person_ids(hcp: HCP, user: User) -> list[str]:
    """The PubMed persons this HCP is: used identity links to the record, plus identifiers["pubmed_person"]."""
    ids = set(
        IdentityLink.objects.restrict(user, "view")
        .filter(Q(hcp=hcp) | Q(target_id=str(hcp.uuid)), target=LinkTarget.HCP, status__in=USED)
        .values_list("person_id", flat=True)
    )
    own = (hcp.identifiers or {}).get("pubmed_person")
    if isinstance(own, str) and own.strip():
        ids.add(own.strip())
    return sorted(ids)


def _author_role(position: int, count: int) -> str:
    if count == 1:
        return "sole author"
    if position == 1:
        return "first author"
    if position == count:
        return "last author"
    return f"co-author (#{position} of {count})"


def _own_papers(user: User, person_ids: list[str]) -> tuple[list[OwnPaper], int, list[Publication]]:
    """Their recent papers for the page, how many they have, and all of them (for the MeSH profile)."""
    if not person_ids:
        return [], 0, []
    pubs = list(
        Publication.objects.restrict(user, "view")
        .filter(authorships__person_id__in=person_ids)
        .distinct()
        .order_by("-year", "-pmid")
        .only("pk", "pmid", "title", "journal", "year", "mesh")
    )
    shown = pubs[:OWN_PAPERS]
    positions: dict[int, int] = {}
    counts: dict[int, int] = {}
    for row in Authorship.objects.filter(publication__in=shown).values(
        "publication_id", "position", "person_id"
    ):
        pid = row["publication_id"]
        counts[pid] = counts.get(pid, 0) + 1
        if row["person_id"] in person_ids:
            positions[pid] = min(positions.get(pid, row["position"]), row["position"])
    papers = [
        OwnPaper(
            p.pmid,
            p.title,
            p.journal,
            p.year,
            _author_role(positions.get(p.pk, 0), counts.get(p.pk, 0)),
            p.url,
        )
        for p in shown
    ]
    return papers, len(pubs), pubs


def _own_trials(user: User, person_ids: list[str]) -> list[OwnTrial]:
    """Trials whose investigator rows are linked (linked or accepted) to one of their persons."""
    if not person_ids:
        return []
    targets = (
        IdentityLink.objects.restrict(user, "view")
        .filter(person_id__in=person_ids, target=LinkTarget.INVESTIGATOR, status__in=USED)
        .values_list("target_id", flat=True)
    )
    wanted: dict[str, set[int]] = {}
    for target_id in targets:
        nct, _, position = target_id.partition(":")
        if position.isdigit():
            wanted.setdefault(nct, set()).add(int(position))
    if not wanted:
        return []
    trials = Trial.objects.restrict(user, "view").filter(nct_id__in=wanted).order_by("-start_date", "nct_id")
    roles: dict[str, list[str]] = {}
    for inv in TrialInvestigator.objects.filter(trial__in=trials).select_related("trial"):
        if inv.position in wanted.get(inv.trial.nct_id, ()):
            roles.setdefault(inv.trial.nct_id, []).append(inv.role or "site investigator")
    return [
        OwnTrial(
            t.nct_id,
            t.title,
            t.overall_status,
            list(t.phases or []),
            t.start_date,
            ", ".join(sorted(set(roles.get(t.nct_id, [])))) or "investigator",
            t.url,
        )
        for t in trials[:OWN_TRIALS]
    ]


def _kol_scores(hcp: HCP, user: User) -> list[KolArea]:
    """Per area, the HCP's score in the newest snapshot that holds one, with its top evidence records."""
    scores = (
        KolScore.objects.restrict(user, "view")
        .filter(hcp=hcp)
        .select_related("snapshot__area")
        .order_by("snapshot__area__name", "-snapshot__version")
    )
    latest: dict[int, KolScore] = {}
    for score in scores:
        latest.setdefault(score.snapshot.area_id, score)
    out = []
    for score in latest.values():
        top = list(score.evidence.order_by("-points", "component", "record_id")[:EVIDENCE_PER_SCORE])
        pmids = [int(e.record_id) for e in top if e.source == "pubmed" and e.record_id.isdigit()]
        ncts = [e.record_id for e in top if e.source == "clinicaltrials"]
        titles = {
            str(k): v
            for k, v in Publication.objects.restrict(user, "view")
            .filter(pmid__in=pmids)
            .values_list("pmid", "title")
        }
        titles.update(
            Trial.objects.restrict(user, "view").filter(nct_id__in=ncts).values_list("nct_id", "title")
        )
        out.append(
            KolArea(
                area=score.snapshot.area.name,
                snapshot_version=score.snapshot.version,
                as_of_year=score.snapshot.as_of_year,
                rank=score.rank,
                score=round(score.score, 1),
                persons=score.snapshot.persons,
                rising_star=score.rising_star,
                score_uuid=str(score.uuid),
                evidence=[
                    EvidenceRow(
                        e.component,
                        e.source,
                        e.record_id,
                        round(e.points, 3),
                        e.detail,
                        titles.get(e.record_id, ""),
                        e.url,
                    )  # fmt: skip
                    for e in top
                ],
            )
        )
    return out


def _new_evidence(
    hcp: HCP, user: User, own: list[Publication], person_ids: list[str], as_of_year: int
) -> list[NewEvidence]:
    """The top publications they did not author, by relevance to their MeSH profile and recency.

    Besides their linked persons' papers, papers with an author of the same surname and first initial are left
    out too: an unlinked author cluster of the same physician must not be presented back to them either.
    """
    if not own:
        return []
    namesakes = Authorship.objects.filter(
        last_name__iexact=hcp.last_name, fore_name__istartswith=hcp.first_name[:1]
    ).values("publication_id")
    mine = Authorship.objects.filter(person_id__in=person_ids).values("publication_id")
    rows = list(
        Publication.objects.restrict(user, "view")
        .exclude(pk__in=mine)
        .exclude(pk__in=namesakes)
        .order_by("-year", "-pmid")
        .values_list("pmid", "year", "mesh")[:CANDIDATE_SCAN]
    )
    df, n = relevance.document_frequencies([mesh for _, _, mesh in rows] + [p.mesh for p in own])
    profile = relevance.mesh_profile([p.mesh for p in own], df, n)
    ranked = relevance.rank(
        profile,
        (relevance.Candidate(pmid, year, mesh or []) for pmid, year, mesh in rows),
        df,
        n,
        as_of_year=as_of_year,
        top=NEW_EVIDENCE,
    )
    pubs = {p.pmid: p for p in Publication.objects.filter(pmid__in=[r.pmid for r in ranked])}
    return [
        NewEvidence(
            pmid=r.pmid,
            title=pubs[r.pmid].title,
            journal=pubs[r.pmid].journal,
            year=pubs[r.pmid].year,
            url=pubs[r.pmid].url,
            score=r.score,
            matched_terms=list(r.matched[:5]),
            reason="Shares " + ", ".join(r.matched[:3]) + " with their own papers",
        )
        for r in ranked
    ]


def _assigned_priorities(user: User, insights: list[Insight]) -> dict[int, tuple[str, str]]:
    """{insight pk: (its listening priority, shown as its theme; where it comes from)}: a reviewer's latest
    decision, else the model's matched suggestion, else the priority the author picked."""
    out: dict[int, tuple[str, str]] = {}
    ids = [i.pk for i in insights]
    for fb in (
        ThemeFeedback.objects.restrict(user, "view").filter(insight_id__in=ids).select_related("priority")
    ):
        if fb.insight_id not in out:  # newest first (model ordering)
            out[fb.insight_id] = (
                fb.priority.title if fb.priority else "no listening priority fits",
                "reviewer",
            )
    matches = ThemeMatch.objects.restrict(user, "view").filter(insight_id__in=ids, rank=1, matched=True)
    for match in matches.select_related("priority"):
        out.setdefault(match.insight_id, (match.priority.title, "suggested"))
    for insight in insights:
        if insight.listening_priority is not None:
            out.setdefault(insight.pk, (insight.listening_priority.title, "author"))
    return out


def _history(hcp: HCP, user: User, now: dt.datetime) -> dict[str, Any]:
    interactions = list(
        Interaction.objects.restrict(user, "view")
        .filter(attendance__hcp=hcp)
        .distinct()
        .select_related("owner")
        .prefetch_related("products")
        .order_by("-occurred_at")
    )
    today = timezone.localdate(now)
    follow_ups = (
        FollowUp.objects.restrict(user, "view")
        .filter(hcp=hcp, status=FollowUpStatus.OPEN)
        .select_related("owner", "interaction")
        .order_by("due_date", "pk")
    )
    inquiries = (
        MedicalInquiry.objects.restrict(user, "view")
        .filter(requester_hcp=hcp, status__in=OPEN_INQUIRY)
        .select_related("product")
        .order_by("received_at")
    )
    insights = list(
        Insight.objects.restrict(user, "view")
        # The HCP's own insights, and those of meetings they attended that are about the meeting as a whole.
        .filter(Q(hcp=hcp) | Q(hcp__isnull=True, interaction__attendance__hcp=hcp))
        .select_related("therapeutic_area", "listening_priority", "reviewed_by")
        .order_by("-created_at")[:10]
    )
    assigned = _assigned_priorities(user, insights)
    return {
        "all_interactions": interactions,
        "interactions": [
            InteractionRow(
                str(i.uuid),
                i.occurred_at,
                i.get_channel_display(),
                i.get_purpose_display(),
                i.get_initiation_display(),
                i.owner.display_name,
                list(i.topics or []),
                [p.name for p in i.products.all()],
                i.materials_shared,
            )  # fmt: skip
            for i in interactions[:LAST_INTERACTIONS]
        ],
        "follow_up_objects": list(follow_ups),
        "follow_ups": [
            FollowUpRow(str(f.uuid), f.description, f.due_date, f.due_date < today, f.owner.display_name)
            for f in follow_ups
        ],
        "inquiries": [
            InquiryRow(
                str(q.uuid),
                q.received_at,
                q.get_status_display(),
                q.question[:300],
                q.product.name if q.product is not None else "",
            )  # fmt: skip
            for q in inquiries
        ],
        "insight_objects": insights,
        "insights": [
            InsightRow(
                str(i.uuid),
                i.created_at,
                i.get_status_display(),
                i.text[:300],
                i.therapeutic_area.name,
                *assigned.get(i.pk, ("not themed yet", "")),
                _outcome(i, user),
            )
            for i in insights
        ],
        "materials": [
            MaterialRow(i.occurred_at, i.materials_shared, [p.name for p in i.products.all()])
            for i in interactions
            if i.materials_shared.strip() or i.products.all()
        ][:10],
    }


def _outcome(insight: Insight, user: User) -> str:
    """What became of an insight: the actions its themes led to (the insight-to-action loop), else its review."""
    if can(user, InsightAction.permission_resource, "view"):
        actions = (
            InsightAction.objects.restrict(user, "view")
            .filter(theme__insights=insight)
            .exclude(status="cancelled")
            .order_by("-created_at")
            .distinct()[:3]
        )
        described = [
            f"Action “{a.title}” ({a.get_status_display().lower()})" + (f": {a.outcome}" if a.outcome else "")
            for a in actions
        ]
        if described:
            return "; ".join(described)
    if insight.status == "reviewed":
        who = insight.reviewed_by.display_name if insight.reviewed_by is not None else "a reviewer"
        note = f": {insight.review_note}" if insight.review_note else ""
        return (
            f"Reviewed by {who}"
            + (f" on {insight.reviewed_at:%Y-%m-%d}" if insight.reviewed_at else "")
            + note
        )
    if insight.status == "submitted":
        return "Submitted, waiting for review"
    return "Draft, not submitted"


def _suggest(
    hcp: HCP,
    user: User,
    history: dict[str, Any],
    new_evidence: list[NewEvidence],
    own_trials: list[OwnTrial],
    now: dt.datetime,
) -> list[Suggestion]:
    """Rule-based purposes, most pressing first: what we owe them, what is new for them, what we want to learn."""
    labels = dict(Purpose.choices)
    out: list[Suggestion] = []

    def add(purpose: str, title: str, reason: str) -> None:
        out.append(Suggestion(purpose, labels[purpose], title, reason))

    today = timezone.localdate(now)
    for fu in history["follow_up_objects"]:
        purpose = fu.interaction.purpose if fu.interaction_id else Purpose.SCIENTIFIC_EXCHANGE
        late = (
            f"overdue since {fu.due_date:%Y-%m-%d}" if fu.due_date < today else f"due {fu.due_date:%Y-%m-%d}"
        )
        add(purpose, f"Close the follow-up: {fu.description[:120]}", f"Open follow-up, {late}.")
    for inquiry in history["inquiries"]:
        add(
            Purpose.RESPONSE_TO_INQUIRY,
            "Check that their question is being answered",
            f"Their inquiry of {inquiry.received_at:%Y-%m-%d} is {inquiry.status.lower()}; medical information "
            "answers it, the MSL confirms it reached them.",
        )
    if new_evidence:
        top = new_evidence[0]
        add(
            Purpose.SCIENTIFIC_EXCHANGE,
            f"Discuss new evidence: {top.title[:120]}",
            f"{top.reason}; published {top.year or 'recently'}; not their own work.",
        )
    for trial in own_trials:
        if trial.status.upper() in ("RECRUITING", "ACTIVE_NOT_RECRUITING", "ENROLLING_BY_INVITATION"):
            add(
                Purpose.CLINICAL_TRIAL_SUPPORT,
                f"Ask how {trial.nct_id} is going",
                f"They are {trial.role} on this {trial.status.lower().replace('_', ' ')} trial.",
            )
            break
    if can(user, "listening_priority", "view"):
        areas = list(hcp.therapeutic_areas.all())
        priorities = ListeningPriority.objects.restrict(user, "view").filter(
            therapeutic_area__in=areas, active=True
        )
        heard = {i.listening_priority_id for i in history["insight_objects"] if i.listening_priority_id}
        for priority in priorities.select_related("therapeutic_area"):
            if priority.pk not in heard:
                add(
                    Purpose.INSIGHT_GATHERING,
                    f"Listen for: {priority.title}",
                    f"An active listening priority of {priority.therapeutic_area.name}, one of their areas, "
                    "with no insight from them on it yet.",
                )
    return out[:MAX_SUGGESTIONS]


def _profile(hcp: HCP) -> dict[str, Any]:
    return {
        "name": hcp.full_name,
        "specialties": list(hcp.specialties or []),
        "tier": hcp.get_tier_display() if hcp.tier else "",
        "therapeutic_areas": [a.name for a in hcp.therapeutic_areas.all()],
        "affiliations": [
            {
                "organization": a.organization.name,
                "title": a.title,
                "department": a.department,
                "primary": a.primary,
            }
            for a in hcp.affiliations.select_related("organization")
        ],
        "place": ", ".join(p for p in (hcp.city, hcp.state, hcp.country) if p),
        "preferred_channels": [CHANNEL_LABELS.get(c, c) for c in hcp.preferred_channels],
        "preferred_time_window": hcp.preferred_time_window,
        "preferred_frequency": dict(Frequency.choices).get(hcp.preferred_frequency, ""),
    }


def _standing_interests(hcp: HCP, user: User, now: dt.datetime) -> list[str]:
    """The HCP's documented requests to be kept informed, with their state (active until / expired), readable ones."""
    if not can(user, StandingInterest.permission_resource, "view"):
        return []
    today = now.date()
    rows = []
    for interest in (
        StandingInterest.objects.restrict(user, "view").filter(hcp=hcp).order_by("-expires_on")[:10]
    ):
        state = interest.status_on(today)
        if state == "withdrawn":
            continue
        when = (
            f"active until {interest.expires_on:%Y-%m-%d}" if state == "active" else "expired: renew or drop"
        )
        rows.append(f"{interest.topic} ({when})")
    return rows


def compose_brief(
    hcp: HCP, user: User, *, at: dt.datetime | None = None, channel: str = "", now: dt.datetime | None = None
) -> Brief:
    """The brief for `hcp` as `user` may see it, for a meeting planned `at` (aware) through `channel`.

    Raises PermissionDenied for a role without `pre_call_brief.view`; the caller has already found the HCP
    through restrict(). `now` is for tests; a naive `at` is read in the current time zone.
    """
    require(user, RESOURCE, "view")
    now = now or timezone.now()
    if at is not None and timezone.is_naive(at):
        at = timezone.make_aware(at)
    local_at = timezone.localtime(at) if at is not None else None
    person_ids = linked_person_ids(hcp, user)
    own_papers, own_count, own_all = _own_papers(user, person_ids)
    own_trials = _own_trials(user, person_ids)
    as_of_year = (local_at or timezone.localtime(now)).year
    new_evidence = _new_evidence(hcp, user, own_all, person_ids, as_of_year)
    history = _history(hcp, user, now)

    reference = at or now
    earlier = [i.occurred_at for i in history["all_interactions"] if i.occurred_at <= reference]
    last = timezone.localdate(max(earlier)) if earlier else None
    requested = bool(history["inquiries"]) or bool(history["follow_ups"])
    checks = [
        preferences.check_channel(list(hcp.preferred_channels or []), channel or None, CHANNEL_LABELS),
        preferences.check_time(hcp.preferred_time_window, local_at),
        preferences.check_frequency(
            hcp.preferred_frequency,
            last,
            timezone.localdate(reference),
            dict(Frequency.choices).get(hcp.preferred_frequency, ""),
            requested=requested,
        ),
    ]
    notes = []
    if not person_ids:
        notes.append(
            "No public-data profile is linked to this HCP yet: no publications, trials or new evidence."
        )
    return Brief(
        hcp=hcp,
        planned_at=local_at,
        planned_channel=channel,
        generated_at=now,
        profile=_profile(hcp),
        kol_scores=_kol_scores(hcp, user),
        checks=checks,
        verdict=preferences.overall(checks),
        person_ids=person_ids,
        own_papers=own_papers,
        own_paper_count=own_count,
        own_trials=own_trials,
        new_evidence=new_evidence,
        interactions=history["interactions"],
        follow_ups=history["follow_ups"],
        inquiries=history["inquiries"],
        insights=history["insights"],
        materials=history["materials"],
        standing_interests=_standing_interests(hcp, user, now),
        suggestions=_suggest(hcp, user, history, new_evidence, own_trials, now),
        notes=notes,
    )
