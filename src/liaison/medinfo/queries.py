"""Restricted reads of medical inquiries that other pages show: the HCP profile's tab."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from liaison.people.models import HCP

from .models import MedicalInquiry

if TYPE_CHECKING:
    from liaison.accounts.models import User


def hcp_inquiries(user: User, hcp: HCP) -> dict[str, Any]:
    """The HCP profile's inquiries tab: the latest 100 the user may view."""
    rows = (
        MedicalInquiry.objects.restrict(user, "view")
        .filter(requester_hcp=hcp)
        .select_related("product")[:100]
    )
    return {"inquiries": list(rows)}
