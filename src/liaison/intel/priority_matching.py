"""Priority matching: insights scored against their area's listening priorities, and each insight's assigned
priority (what the pages and the API call its "theme").

Prototypes start from the priority's description and learn from reviewers' decisions (`intel.ThemeFeedback`,
written by `actions.py`); the scoring itself is `liaison_text.priority_matching`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import QuerySet

from liaison.insights.models import Insight, InsightStatus, ListeningPriority
from liaison_text import priority_matching as text_matching

from .embeddings import embed_records, vectors_of
from .models import DIM, ContentKind, ThemeFeedback, ThemeMatch

CALIBRATION = text_matching.Calibration()


def candidate_insights(area_id: int) -> QuerySet:
    """Insights that count for matching, duplicates, clusters and trends: submitted or reviewed, not drafts."""
    return Insight._base_manager.filter(therapeutic_area_id=area_id).exclude(status=InsightStatus.DRAFT)


def latest_feedback(
    insight_ids: Iterable[int] | None = None, area_id: int | None = None
) -> dict[int, ThemeFeedback]:
    """{insight id: its latest ThemeFeedback} (system read: used for matching and aggregation, not shown)."""
    qs = ThemeFeedback._base_manager.order_by("insight_id", "-created_at", "-pk")
    if insight_ids is not None:
        qs = qs.filter(insight_id__in=list(insight_ids))
    if area_id is not None:
        qs = qs.filter(insight__therapeutic_area_id=area_id)
    out: dict[int, ThemeFeedback] = {}
    for fb in qs:
        out.setdefault(fb.insight_id, fb)
    return out


def prototypes(area_id: int) -> tuple[list[ListeningPriority], np.ndarray]:
    """The active priorities of an area and their prototypes: description embedding moved by feedback."""
    priorities = list(
        ListeningPriority._base_manager.filter(therapeutic_area_id=area_id, active=True).order_by("pk")
    )
    if not priorities:
        return [], np.zeros((0, DIM), dtype=np.float32)
    embed_records(ContentKind.PRIORITY, [p.pk for p in priorities])
    described = vectors_of(ContentKind.PRIORITY, [p.pk for p in priorities])
    feedback = latest_feedback(area_id=area_id)
    insight_vectors = vectors_of(ContentKind.INSIGHT, feedback)
    confirmed: dict[int, list[np.ndarray]] = defaultdict(list)
    rejected: dict[int, list[np.ndarray]] = defaultdict(list)
    for insight_id, fb in feedback.items():
        vector = insight_vectors.get(insight_id)
        if vector is None:
            continue
        if fb.priority_id is not None:
            confirmed[fb.priority_id].append(vector)
        if fb.suggested_id is not None and fb.suggested_id != fb.priority_id:
            rejected[fb.suggested_id].append(vector)
    rows = [
        text_matching.prototype(described[p.pk], confirmed.get(p.pk, []), rejected.get(p.pk, []))
        if p.pk in described
        else np.zeros(DIM, dtype=np.float32)
        for p in priorities
    ]
    return priorities, np.stack(rows)


def match_area(area_id: int, insight_ids: Iterable[int] | None = None) -> int:
    """Score insights of an area (all of them, or `insight_ids`) against its priorities; returns how many."""
    insights = candidate_insights(area_id)
    if insight_ids is not None:
        insights = insights.filter(pk__in=list(insight_ids))
    ids = list(insights.values_list("pk", flat=True))
    if not ids:
        return 0
    priorities, protos = prototypes(area_id)
    vectors = vectors_of(ContentKind.INSIGHT, ids)
    ids = [i for i in ids if i in vectors]
    with transaction.atomic():
        ThemeMatch.objects.filter(insight_id__in=ids).delete()
        if not priorities or not ids:
            return len(ids)
        matrix = np.stack([vectors[i] for i in ids])
        cosines, scores = text_matching.score_matrix(matrix, protos, CALIBRATION)
        rows = []
        for i, insight_id in enumerate(ids):
            order = np.argsort(-scores[i], kind="stable")
            for rank, j in enumerate(order, start=1):
                rows.append(
                    ThemeMatch(
                        insight_id=insight_id,
                        priority=priorities[j],
                        cosine=float(cosines[i, j]),
                        score=float(scores[i, j]),
                        rank=rank,
                        matched=bool(scores[i, j] >= CALIBRATION.threshold),
                    )
                )
        ThemeMatch.objects.bulk_create(rows, batch_size=1000)
    return len(ids)


@dataclass(frozen=True)
class AssignedPriority:
    """An insight's listening priority as shown (its "theme" on the pages and in the API): the priority
    (None = unmatched), where it came from, and the model score."""

    priority_id: int | None
    source: str  # "reviewer" | "author" | "model" | "none"
    score: float | None


def assigned_priorities(insights: Sequence[Insight]) -> dict[int, AssignedPriority]:
    """Each insight's assigned priority: a reviewer's decision wins, then the author's own tag, then the model's
    match."""
    ids = [i.pk for i in insights]
    feedback = latest_feedback(ids)
    best = {
        m.insight_id: m
        for m in ThemeMatch._base_manager.filter(insight_id__in=ids, rank=1).only(
            "insight_id", "priority_id", "score", "matched"
        )
    }
    out = {}
    for insight in insights:
        match = best.get(insight.pk)
        score = match.score if match else None
        if insight.pk in feedback:
            out[insight.pk] = AssignedPriority(feedback[insight.pk].priority_id, "reviewer", score)
        elif insight.listening_priority_id:
            out[insight.pk] = AssignedPriority(insight.listening_priority_id, "author", score)
        elif match is not None and match.matched:
            out[insight.pk] = AssignedPriority(match.priority_id, "model", score)
        else:
            out[insight.pk] = AssignedPriority(None, "none", score)
    return out
