"""API shapes of the pre-call brief: the same sections as the printed page (Dispatch-style `XRead` names)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Schema

from liaison.core.api_common import Instant, choices_of
from liaison.people.models import Channel


class BriefQuery(Schema):
    """The planned meeting: `at` (ISO 8601; without a zone, the server's) and `channel`, both optional."""

    at: Instant | None = None
    channel: Annotated[str, choices_of(Channel)] | None = None


class BriefAffiliationRead(Schema):
    """An affiliation as the printed brief shows it: the organisation by name (people's `AffiliationRead` gives
    the organisation as an object; OpenAPI names components by class, so the two names must differ)."""

    organization: str
    title: str
    department: str
    primary: bool


class ProfileRead(Schema):
    name: str
    specialties: list[str]
    tier: str
    therapeutic_areas: list[str]
    affiliations: list[BriefAffiliationRead]
    place: str
    preferred_channels: list[str]
    preferred_time_window: str
    preferred_frequency: str


class EvidenceRowRead(Schema):
    component: str
    source: str
    record_id: str
    points: float
    detail: str
    title: str
    url: str


class KolAreaRead(Schema):
    area: str
    snapshot_version: int
    as_of_year: int
    rank: int
    score: float
    persons: int
    rising_star: bool
    score_uuid: str
    evidence: list[EvidenceRowRead]


class PreferenceCheckRead(Schema):
    aspect: str
    respected: bool | None
    reason: str


class OwnPaperRead(Schema):
    pmid: int
    title: str
    journal: str
    year: int | None
    role: str
    url: str


class OwnTrialRead(Schema):
    nct_id: str
    title: str
    status: str
    phases: list[str]
    start_date: str
    role: str
    url: str


class OwnWorkRead(Schema):
    note: str
    person_ids: list[str]
    publications: list[OwnPaperRead]
    publication_count: int
    trials: list[OwnTrialRead]


class NewEvidenceRead(Schema):
    pmid: int
    title: str
    journal: str
    year: int | None
    url: str
    score: float
    matched_terms: list[str]
    reason: str


class InteractionRowRead(Schema):
    uuid: str
    occurred_at: dt.datetime
    channel: str
    purpose: str
    initiation: str
    owner: str
    topics: list[str]
    products: list[str]
    materials_shared: str


class FollowUpRowRead(Schema):
    uuid: str
    description: str
    due_date: dt.date
    overdue: bool
    owner: str


class InquiryRowRead(Schema):
    uuid: str
    received_at: dt.datetime
    status: str
    question: str
    product: str


class InsightRowRead(Schema):
    uuid: str
    created_at: dt.datetime
    status: str
    text: str
    area: str
    theme: str
    theme_source: str
    outcome: str


class MaterialRowRead(Schema):
    occurred_at: dt.datetime
    materials: str
    products: list[str]


class HistoryRead(Schema):
    interactions: list[InteractionRowRead]
    follow_ups: list[FollowUpRowRead]
    inquiries: list[InquiryRowRead]
    insights: list[InsightRowRead]
    standing_interests: list[str]
    materials: list[MaterialRowRead]


class SuggestionRead(Schema):
    purpose: str
    purpose_label: str
    title: str
    reason: str


class BriefRead(Schema):
    """One HCP's pre-call brief; every section holds only rows the caller may see."""

    hcp: str
    generated_at: dt.datetime
    planned_at: dt.datetime | None
    planned_channel: str
    profile: ProfileRead
    kol_scores: list[KolAreaRead]
    preferences: list[PreferenceCheckRead]
    respects_preferences: PreferenceCheckRead
    own_work: OwnWorkRead
    new_evidence: list[NewEvidenceRead]
    history: HistoryRead
    suggested_purpose: list[SuggestionRead]
    notes: list[str]
