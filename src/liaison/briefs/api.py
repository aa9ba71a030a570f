"""GET /api/v1/hcps/{uuid}/brief: the pre-call brief as JSON, the same sections as the printed page."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from uuid import UUID

from ninja import Query, Router

from liaison.core.api_common import ApiRequest, responses
from liaison.core.permissions import require
from liaison.core.views import get_restricted_or_404
from liaison.people.models import HCP

from .queries import OWN_WORK_NOTE, RESOURCE, Brief, compose_brief
from .schemas import BriefQuery, BriefRead

briefs_router = Router(tags=["briefs"])


def brief_as_dict(brief: Brief) -> dict[str, Any]:
    """The brief as plain data for BriefRead (dataclasses flattened, the HCP by its uuid)."""
    return {
        "hcp": str(brief.hcp.uuid),
        "generated_at": brief.generated_at,
        "planned_at": brief.planned_at,
        "planned_channel": brief.planned_channel,
        "profile": brief.profile,
        "kol_scores": [asdict(k) for k in brief.kol_scores],
        "preferences": [asdict(c) for c in brief.checks],
        "respects_preferences": asdict(brief.verdict),
        "own_work": {
            "note": OWN_WORK_NOTE,
            "person_ids": brief.person_ids,
            "publications": [asdict(p) for p in brief.own_papers],
            "publication_count": brief.own_paper_count,
            "trials": [asdict(t) for t in brief.own_trials],
        },
        "new_evidence": [asdict(n) for n in brief.new_evidence],
        "history": {
            "interactions": [asdict(i) for i in brief.interactions],
            "follow_ups": [asdict(f) for f in brief.follow_ups],
            "inquiries": [asdict(q) for q in brief.inquiries],
            "insights": [asdict(s) for s in brief.insights],
            "standing_interests": brief.standing_interests,
            "materials": [asdict(m) for m in brief.materials],
        },
        "suggested_purpose": [asdict(s) for s in brief.suggestions],
        "notes": brief.notes,
    }


@briefs_router.get("/{uuid}/brief", response=responses({200: BriefRead}), operation_id="hcps_brief")
def read_brief(request: ApiRequest, uuid: UUID, planned: Query[BriefQuery]) -> Any:
    """The pre-call brief of one HCP, optionally checked against a planned meeting (`at`, `channel`)."""
    require(request.user, RESOURCE, "view")
    hcp = get_restricted_or_404(HCP, request.user, uuid)
    brief = compose_brief(hcp, request.user, at=planned.at, channel=planned.channel or "")
    return brief_as_dict(brief)
