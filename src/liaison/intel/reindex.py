"""Indexing jobs: one record when it is saved, or everything at once (`liaison text reindex`, the demo)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from liaison.insights.models import Insight, InsightStatus

from .clusters import recluster_area
from .duplicates import link_duplicates
from .embeddings import SEARCHABLE, embed_records
from .index import INDEX
from .models import ContentKind
from .priority_matching import match_area


def index_record(kind: str, object_id: int) -> dict[str, Any]:
    """The save job: embed one record if its text changed; for an insight, re-match its theme and re-link its
    near-duplicates. The vector index catches up on the next search."""
    embedded = embed_records(kind, [object_id])
    out: dict[str, Any] = {"kind": kind, "id": object_id, "embedded": embedded}
    if kind == ContentKind.INSIGHT:
        insight = Insight._base_manager.filter(pk=object_id).first()
        if insight is not None and insight.status != InsightStatus.DRAFT:
            out["matched"] = match_area(insight.therapeutic_area_id, [object_id])
            out["links"] = link_duplicates(insight.therapeutic_area_id, [object_id])
    return out


@dataclass
class RebuildReport:
    """What `rebuild` did, for the CLI summary and the demo loader."""

    embedded: dict[str, int] = field(default_factory=dict)
    matched: int = 0
    links: int = 0
    clusters: int = 0
    indexed: int = 0


def rebuild(*, progress: Callable[[str, int], None] | None = None) -> RebuildReport:
    """Re-embed what is missing or stale, recompute themes, duplicate links and clusters of every area, and
    rebuild the vector index from the database."""
    report = RebuildReport()
    step = progress or (lambda stage, n: None)
    for kind in (*SEARCHABLE, ContentKind.PRIORITY):
        report.embedded[str(kind)] = embed_records(kind, progress=partial(step, f"embedding {kind}s"))
    areas = sorted(set(Insight._base_manager.values_list("therapeutic_area_id", flat=True)))
    for area_id in areas:
        report.matched += match_area(area_id)
        report.links += link_duplicates(area_id)
        report.clusters += recluster_area(area_id)
        step("themes, duplicates and clusters", 0)
    report.indexed = INDEX.rebuild()
    return report
