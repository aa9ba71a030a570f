"""`{% load brief_ui %}`: lets the HCP page show the "Pre-call brief" button only to roles that may open it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template

from liaison.core.permissions import can

if TYPE_CHECKING:
    from liaison.accounts.models import User

register = template.Library()


@register.filter
def can_brief(user: User) -> bool:
    """True when `user` may open pre-call briefs (commercial users may not)."""
    return can(user, "pre_call_brief", "view")
