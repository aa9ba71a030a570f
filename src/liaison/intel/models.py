"""Insight intelligence: what the text models derived from field text, and reviewers' theme decisions.

Everything here except `ThemeFeedback` is *derived* data: recomputed from the insights, interactions and
inquiries whenever they change, never edited by a person, so it is not audited row by row (the source records
are). `ThemeFeedback` is a reviewer's decision and is audited like any regulated record. Every derived row that
shows insight content is read through `restrict()` with the insight's own row policy, so an MSL sees themes,
duplicate links and clusters only of insights they may see, and commercial users see none
(docs/insight-intelligence.md).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from django.db import models

from liaison.accounts.models import TherapeuticArea, User
from liaison.core.models import AuditedModel, RestrictQuerySet
from liaison.core.policies import team_scope
from liaison.insights.models import Insight, ListeningPriority

DIM = 384


class ContentKind(models.TextChoices):
    INSIGHT = "insight", "Insight"
    INTERACTION = "interaction", "Interaction notes"
    INQUIRY = "inquiry", "Medical inquiry"
    PRIORITY = "priority", "Listening priority"


class TextEmbedding(models.Model):
    """The sentence embedding of one record's text, stored once and reused until the text or the model changes.

    `text_hash` (SHA-256 of the embedded text) lets a re-index skip unchanged text; `model_version` names the
    model and graph that made the vector, so a model upgrade re-embeds everything once. The vector is 384
    float32 values of unit length, little-endian bytes.
    """

    kind = models.CharField(max_length=20, choices=ContentKind.choices)
    object_id = models.PositiveBigIntegerField()
    model_version = models.CharField(max_length=100)
    text_hash = models.CharField(max_length=64)
    vector = models.BinaryField()
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="intel_embedding_unique")]

    def __str__(self) -> str:
        return f"embedding of {self.kind} {self.object_id}"

    def as_array(self) -> np.ndarray:
        """The stored vector as a float32 numpy array."""
        return np.frombuffer(bytes(self.vector), dtype="<f4").astype(np.float32)


class _InsightScoped(models.Model):
    """Derived rows about an insight: visible exactly when the insight is (the insight's permission and row
    policy), so `restrict()` is the one read path here too."""

    objects = RestrictQuerySet.as_manager()
    permission_resource: ClassVar[str] = "insight"
    insight_path: ClassVar[str] = "insight__author"

    class Meta:
        abstract = True

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return team_scope(queryset, user, cls.insight_path)


class ThemeMatch(_InsightScoped):
    """How well an insight matches one listening priority of its area: raw cosine and calibrated 0..1 score."""

    insight = models.ForeignKey(Insight, on_delete=models.CASCADE, related_name="theme_matches")
    priority = models.ForeignKey(ListeningPriority, on_delete=models.CASCADE, related_name="theme_matches")
    cosine = models.FloatField()
    score = models.FloatField()
    rank = models.PositiveSmallIntegerField(help_text="1 = the best priority for this insight")
    matched = models.BooleanField(default=False)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["insight", "rank"]
        constraints = [models.UniqueConstraint(fields=["insight", "priority"], name="intel_match_unique")]

    def __str__(self) -> str:
        return f"{self.insight} ~ {self.priority} ({self.score:.2f})"


class ThemeVerdict(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed the suggested theme"
    CORRECTED = "corrected", "Corrected to another theme"
    NONE = "none", "No listening priority fits"


class ThemeFeedback(AuditedModel):
    """A reviewer's decision on an insight's theme; the latest one per insight is its theme, and every one
    moves the priorities' prototypes (liaison_text.priority_matching.prototype)."""

    insight = models.ForeignKey(Insight, on_delete=models.PROTECT, related_name="theme_feedback")
    priority = models.ForeignKey(
        ListeningPriority, null=True, blank=True, on_delete=models.PROTECT, related_name="theme_feedback"
    )
    suggested = models.ForeignKey(
        ListeningPriority, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verdict = models.CharField(max_length=20, choices=ThemeVerdict.choices)
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)

    permission_resource: ClassVar[str] = "insight"

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"theme of {self.insight}: {self.verdict}"

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return team_scope(queryset, user, "insight__author")


class DuplicateLink(_InsightScoped):
    """Two insights by different authors that say the same thing (cosine >= the duplicate threshold).

    Stored once per pair with `insight` the lower id. Linked insights form a *signal*: its voices are its
    distinct authors.
    """

    insight = models.ForeignKey(Insight, on_delete=models.CASCADE, related_name="duplicate_links")
    other = models.ForeignKey(Insight, on_delete=models.CASCADE, related_name="+")
    similarity = models.FloatField()
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["insight", "other"], name="intel_duplicate_unique")]

    def __str__(self) -> str:
        return f"{self.insight} ≈ {self.other} ({self.similarity:.2f})"

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        # Both ends must be visible, or a link would reveal another team's insight.
        return team_scope(team_scope(queryset, user, "insight__author"), user, "other__author")


class InsightCluster(models.Model):
    """A group of insights no listening priority matched, in one area, labelled by its top keywords."""

    therapeutic_area = models.ForeignKey(TherapeuticArea, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()
    keywords = models.JSONField(default=list)
    size = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(auto_now=True)

    objects = RestrictQuerySet.as_manager()
    permission_resource: ClassVar[str] = "insight"

    class Meta:
        ordering = ["therapeutic_area__name", "-size", "number"]
        constraints = [
            models.UniqueConstraint(fields=["therapeutic_area", "number"], name="intel_cluster_unique")
        ]

    def __str__(self) -> str:
        return ", ".join(self.keywords[:3]) or f"cluster {self.number}"


class ClusterMember(_InsightScoped):
    """One insight of a cluster."""

    cluster = models.ForeignKey(InsightCluster, on_delete=models.CASCADE, related_name="members")
    insight = models.OneToOneField(Insight, on_delete=models.CASCADE, related_name="intel_cluster")

    def __str__(self) -> str:
        return f"{self.insight} in {self.cluster}"
