"""The write path of insight intelligence: a reviewer's decision on an insight's theme.

Everything else in this app is derived data that jobs recompute (embeddings.py, priority_matching.py,
duplicates.py, clusters.py, reindex.py); a theme decision (which listening priority an insight answers) is a
person's judgement, so it is an audited record, and it teaches the matcher: the next match of the area uses it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from liaison.accounts.models import User
from liaison.core.permissions import require
from liaison.core.validation import clean_text
from liaison.insights.models import Insight, InsightStatus, ListeningPriority

from .models import ThemeFeedback, ThemeMatch, ThemeVerdict
from .tasks import schedule_rematch


@transaction.atomic
def decide_theme(
    insight: Insight,
    *,
    acting_user: User,
    priority: ListeningPriority | None,
    note: str = "",
) -> ThemeFeedback:
    """Confirm the suggested theme of an insight, correct it to another priority of its area, or say that none
    fits (`priority=None`). Reviewers only (insight `review`), within their review scope, never their own."""
    require(acting_user, "insight", "review")
    if not isinstance(insight, Insight) or not (
        Insight.objects.restrict(acting_user, "review").filter(pk=insight.pk).exists()
    ):
        raise ValidationError({"__all__": "you may not review this insight"})
    if insight.status == InsightStatus.DRAFT:
        raise ValidationError({"status": "a draft insight has no theme yet"})
    if insight.author_id == acting_user.pk:
        raise ValidationError({"__all__": "you cannot review your own insight"})
    if priority is not None:
        if not isinstance(priority, ListeningPriority):
            raise ValidationError({"priority": "unknown record"})
        if priority.therapeutic_area_id != insight.therapeutic_area_id:
            raise ValidationError({"priority": "belongs to another therapeutic area"})
    best = ThemeMatch._base_manager.filter(insight=insight, rank=1).first()
    suggested = best.priority if best is not None and best.matched else None
    if priority is None:
        verdict = ThemeVerdict.NONE
    elif suggested is not None and priority.pk == suggested.pk:
        verdict = ThemeVerdict.CONFIRMED
    else:
        verdict = ThemeVerdict.CORRECTED
    feedback = ThemeFeedback.objects.create(
        insight=insight,
        priority=priority,
        suggested=suggested,
        verdict=verdict,
        reviewer=acting_user,
        note=clean_text(note, "note", max_length=2000),
    )
    schedule_rematch(insight.therapeutic_area_id)
    return feedback
