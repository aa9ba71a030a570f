"""Template filters of the event pages: the report's deadline as words ("report due in 3 days")."""

from __future__ import annotations

from typing import Any

from django import template

from ..congress_queries import report_due_label as _label

register = template.Library()


@register.filter
def report_due_label(event: Any) -> str:
    """The event's report deadline as words, or "" without one (congress_queries.report_due_label)."""
    return _label(event)
