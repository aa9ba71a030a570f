"""Restricted reads of insights that other apps show: the HCP profile's tab, the listening priorities an
interaction's inline insight may answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from liaison.people.models import HCP

from .models import Insight, ListeningPriority

if TYPE_CHECKING:
    from liaison.accounts.models import User


def hcp_insights(user: User, hcp: HCP) -> dict[str, Any]:
    """The HCP profile's insights tab: the latest 100 the user may view."""
    rows = (
        Insight.objects.restrict(user, "view")
        .filter(hcp=hcp)
        .select_related("author", "therapeutic_area", "listening_priority")[:100]
    )
    return {"insights": list(rows)}


def listening_priorities(user: User) -> Any:
    """Listening priorities `user` may see, active or not (the interaction capture form keeps the active ones;
    its API accepts any visible one, as the insights API does)."""
    return ListeningPriority.objects.restrict(user, "view")
