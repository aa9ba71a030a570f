"""Clusters of the unmatched: insights no listening priority matched, grouped and labelled per area."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from django.db import transaction

from liaison.insights.models import Insight
from liaison_text import cluster as text_cluster

from .embeddings import vectors_of
from .models import ClusterMember, ContentKind, InsightCluster
from .priority_matching import assigned_priorities, candidate_insights

if TYPE_CHECKING:
    from liaison.accounts.models import User

# Smallest group of unmatched insights shown as a cluster.
MIN_CLUSTER_SIZE = 3


def recluster_area(area_id: int) -> int:
    """Cluster the area's insights that no priority matched and label each cluster; returns the cluster count."""
    cluster, label_clusters = text_cluster.cluster, text_cluster.label_clusters

    insights = list(candidate_insights(area_id).only("pk", "text", "listening_priority_id"))
    assigned = assigned_priorities(insights)
    unmatched = [i for i in insights if assigned[i.pk].priority_id is None]
    vectors = vectors_of(ContentKind.INSIGHT, [i.pk for i in unmatched])
    unmatched = [i for i in unmatched if i.pk in vectors]
    with transaction.atomic():
        InsightCluster.objects.filter(therapeutic_area_id=area_id).delete()
        if len(unmatched) < MIN_CLUSTER_SIZE:
            return 0
        labels = [
            int(x)
            for x in cluster(np.stack([vectors[i.pk] for i in unmatched]), min_cluster_size=MIN_CLUSTER_SIZE)
        ]
        keywords = label_clusters([i.text for i in unmatched], labels)
        members: dict[int, list[int]] = defaultdict(list)
        for insight, label in zip(unmatched, labels, strict=True):
            if label >= 0:
                members[label].append(insight.pk)
        for label, ids in members.items():
            group = InsightCluster.objects.create(
                therapeutic_area_id=area_id,
                number=label,
                keywords=list(keywords.get(label, []))[:8],
                size=len(ids),
            )
            ClusterMember.objects.bulk_create([ClusterMember(cluster=group, insight_id=i) for i in ids])
    return len(members)


@dataclass
class ClusterView:
    """A cluster as one user sees it: keywords from the members they may see, and those members."""

    cluster: InsightCluster
    keywords: list[str]
    insights: list[Insight]


def clusters_for(user: User, area_id: int | None = None) -> list[ClusterView]:
    """Clusters with at least one member the user may see; keywords are recomputed when some are hidden, so a
    label never carries words from insights the user cannot read."""
    label_clusters = text_cluster.label_clusters

    members = ClusterMember.objects.restrict(user, "view").select_related(
        "cluster", "cluster__therapeutic_area", "insight", "insight__author"
    )
    if area_id is not None:
        members = members.filter(cluster__therapeutic_area_id=area_id)
    grouped: dict[int, list[ClusterMember]] = defaultdict(list)
    for m in members:
        grouped[m.cluster_id].append(m)
    out = []
    partial = {cid: ms for cid, ms in grouped.items() if len(ms) < ms[0].cluster.size}
    relabelled: dict[int, list[str]] = {}
    if partial:
        texts, labels = [], []
        for cid, ms in partial.items():
            texts += [m.insight.text for m in ms]
            labels += [cid] * len(ms)
        relabelled = {int(k): list(v) for k, v in label_clusters(texts, labels).items()}
    for cid, ms in grouped.items():
        cluster = ms[0].cluster
        out.append(ClusterView(cluster, relabelled.get(cid, cluster.keywords)[:8], [m.insight for m in ms]))
    out.sort(key=lambda v: (v.cluster.therapeutic_area.name, -len(v.insights)))
    return out
