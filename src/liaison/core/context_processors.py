"""Template context shared by every page: the navigation the current user's role allows."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .permissions import can

NAV: tuple[tuple[str, str, str | None, str | None], ...] = (
    # (label, url name, resource, action); no resource: every signed-in user
    ("Home", "home", None, None),
    ("HCPs", "people:hcp_list", "hcp", "view"),
    ("Log interaction", "engagement:interaction_new", "interaction", "add"),
    ("Interactions", "engagement:interaction_list", "interaction", "view"),
    ("Insights", "insights:insight_list", "insight", "view"),
    ("Search", "intel:search", "insight", "view"),
    ("Insight report", "insights:insight_report", "insight_report", "view"),
    ("Inquiries", "medinfo:inquiry_list", "inquiry", "view"),
    ("Route a request", "medinfo:inquiry_new", "inquiry", "add"),
    ("Safety", "safety:report_list", "safety_report", "view"),
    ("Transparency", "transparency:ledger", "transfer_of_value", "view"),
    ("Events", "programs:event_list", "event", "view"),
    ("KOL", "kol:ranking", "kol_score", "view"),
    ("Metrics", "metrics:dashboard", "metrics", "view"),
    ("Audit", "compliance:audit_list", "audit_event", "view"),
    ("Flags", "compliance:flags_queue", "audit_event", "view"),
    ("Admin", "accounts:admin_home", "user", "add"),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [
        (label, url_name)
        for label, url_name, resource, action in NAV
        if resource is None or action is None or can(user, resource, action)
    ]
    # "Route a request" is the commercial hand-off; medical roles reach capture from the inquiry queue.
    if can(user, "inquiry", "view"):
        items = [i for i in items if i[1] != "medinfo:inquiry_new"]
    # The de-identified report is what audiences beyond medical get; medical roles reach it from the insight list.
    if can(user, "insight", "view"):
        items = [i for i in items if i[1] != "insights:insight_report"]
    return {"nav_items": items}
