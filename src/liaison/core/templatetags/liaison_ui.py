"""Small template helpers for the web pages: navigation state, query strings for pagination, code labels."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

from liaison.core.labels import code_label

register = template.Library()


@register.filter
def label(code: str) -> str:
    """`{{ e.event_type|label }}`: the human label of an internal code (core/labels.py)."""
    return code_label(str(code or ""))


@register.simple_tag(takes_context=True)
def nav_current(context: Any, url_name: str) -> SafeString:
    """`aria-current` for a navigation link: "page" on that page, "true" elsewhere in its section, else ""."""
    request: HttpRequest | None = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is None:
        return mark_safe("")
    if match.view_name == url_name:
        return mark_safe('aria-current="page"')
    # A page that has its own navigation link highlights that link only, not its whole section too (on "Log
    # interaction", "Interactions" stays plain so that one item reads as current).
    if any(name == match.view_name for _, name in context.get("nav_items") or []):
        return mark_safe("")
    namespace, _, _ = url_name.rpartition(":")
    if namespace and namespace == match.namespace and not url_name.endswith("_new"):
        return mark_safe('aria-current="true"')
    return mark_safe("")


@register.simple_tag(takes_context=True)
def query_with(context: Any, **changes: Any) -> str:
    """The current query string with some parameters replaced (e.g. the page number), starting with "?"."""
    request: HttpRequest = context["request"]
    params = request.GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
