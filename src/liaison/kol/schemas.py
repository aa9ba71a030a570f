"""API schemas for KOL scores, snapshots and identity links (Dispatch style: XRead / XBrief / XFilters)."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from ninja import Field, Schema

from liaison.accounts.schemas import TherapeuticAreaBrief, UserBrief
from liaison.core.api_common import PageQuery, SearchText, choices_of
from liaison.people.schemas import HCPBrief

from .models import LinkStatus, LinkTarget


class KolSnapshotBrief(Schema):
    uuid: UUID
    version: int
    as_of_year: int
    created_at: dt.datetime


class KolSnapshotRead(Schema):
    """One scoring run of one area: its weights, input checksums and summary. Never changes once stored."""

    uuid: UUID
    area: TherapeuticAreaBrief
    version: int
    as_of_year: int
    engine: str
    weights: dict[str, Any]
    inputs: dict[str, Any] = Field(description="input table name -> sha256 of the file")
    code_version: str
    persons: int = Field(description="persons with any evidence in the area (the whole ranking)")
    summary: dict[str, Any]
    created_by: UserBrief | None
    created_at: dt.datetime


class KolSnapshotFilters(PageQuery):
    area: SearchText | None = Field(None, description="therapeutic area code, e.g. oncology")


class KolComponent(Schema):
    """One component of a score: raw value, normalised 0-100, weight, and points = weight × norm / Σ weights."""

    raw: float
    norm: float
    weight: float
    points: float


class KolEvidenceRead(Schema):
    component: str
    source: str = Field(description="pubmed | clinicaltrials")
    record_id: str = Field(description="PMID or NCT id")
    points: float
    detail: str
    url: str


class KolScoreRead(Schema):
    uuid: UUID
    snapshot: KolSnapshotBrief
    area: TherapeuticAreaBrief
    person_id: str
    name: str
    orcid: str
    hcp: HCPBrief | None
    rank: int
    score: float
    components: dict[str, KolComponent]
    area_papers: int
    area_trials: int
    first_year: int | None
    last_year: int | None
    rising_star: bool
    payments_usd: Decimal = Field(description="Open Payments context only; never part of the score")

    @staticmethod
    def resolve_area(obj: Any) -> Any:
        return obj.snapshot.area


class KolScoreDetail(KolScoreRead):
    """A score with every evidence row behind it (the points of one component add up to its raw value)."""

    evidence: list[KolEvidenceRead]

    @staticmethod
    def resolve_evidence(obj: Any) -> list[Any]:
        return list(obj.evidence.all())


class KolScoreFilters(PageQuery):
    area: SearchText | None = Field(None, description="therapeutic area code; default: every area")
    snapshot: UUID | None = Field(None, description="a snapshot; default: the latest snapshot of each area")
    hcp: UUID | None = None
    rising_star: bool | None = None


class IdentityLinkRead(Schema):
    uuid: UUID
    person_id: str
    person_name: str
    target: str
    target_id: str
    target_name: str
    hcp: HCPBrief | None
    confidence: float
    evidence: list[str]
    status: str
    decided_by: UserBrief | None
    decided_at: dt.datetime | None
    reason: str
    updated_at: dt.datetime


class IdentityLinkFilters(PageQuery):
    status: Annotated[str, choices_of(LinkStatus)] | None = None
    target: Annotated[str, choices_of(LinkTarget)] | None = None
    person_id: SearchText | None = None
    hcp: UUID | None = None


class IdentityDecision(Schema):
    """Accept or reject a link; the reason is required either way and goes on the audit event."""

    accept: bool
    reason: Annotated[str, Field(max_length=2000)]
