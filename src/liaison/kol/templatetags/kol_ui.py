"""Template helpers of the KOL pages: a permission test for menus and tabs, and record links."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import template

from liaison.core.permissions import can
from liaison.kol import score_math

if TYPE_CHECKING:
    from liaison.accounts.models import User

register = template.Library()


@register.filter
def may_view(user: User, resource: str) -> bool:
    """`{% if user|may_view:"kol_score" %}`: whether the role may view a resource, so that a menu entry or tab
    appears only where the page behind it would open (commercial users never see KOL)."""
    return can(user, resource, "view")


@register.filter
def record_label(record_id: str) -> str:
    """A source record as people cite it: `NCT…` as is, PMIDs as `PMID 123`."""
    return score_math.record_label(str(record_id))


@register.filter
def signed(value: Any, places: int = 1) -> str:
    """A number with its sign (`+3`, `−2`, `0`), for rank and score changes."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    text = f"{abs(number):.{int(places)}f}"
    if float(text) == 0:
        return text
    return f"+{text}" if number > 0 else f"−{text}"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """`{{ mapping|get_item:key }}`: a dict lookup with a variable key; None when missing."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None
