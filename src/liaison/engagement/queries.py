"""Restricted reads of interactions that other pages show: the HCP profile's tab and the merge comparison."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from liaison.people.models import HCP

from .models import Interaction

if TYPE_CHECKING:
    from liaison.accounts.models import User


def hcp_interactions(user: User, hcp: HCP) -> dict[str, Any]:
    """The HCP profile's interactions tab: the latest 100 the user may view."""
    rows = (
        Interaction.objects.restrict(user, "view")
        .filter(attendance__hcp=hcp)
        .distinct()
        .select_related("owner", "therapeutic_area")[:100]
    )
    return {"interactions": list(rows)}


def visible_interaction_count(user: User, hcp: HCP) -> str:
    """How many interactions with `hcp` the user may view (a row of the merge comparison)."""
    return str(Interaction.objects.restrict(user, "view").filter(attendance__hcp=hcp).distinct().count())
