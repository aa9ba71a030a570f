"""`{% unread_badge %}`: the count of the signed-in user's unread notifications, for the top bar."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html

from liaison.core.permissions import can
from liaison.loop.models import Notification

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_badge(context: dict[str, Any]) -> str:
    """A link to the inbox with the unread count; nothing for users who hold no notifications (commercial)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not can(user, "notification", "view"):
        return ""
    unread = Notification.objects.restrict(user, "view").filter(read_at__isnull=True).count()
    label = f"{unread} unread notification{'s' if unread != 1 else ''}"
    badge = format_html(' <span class="badge warn">{}</span>', unread) if unread else ""
    return format_html(
        '<a href="{}" class="inbox-link" aria-label="Notifications: {}">Inbox{}</a>',
        reverse("loop:inbox"),
        label,
        badge,
    )
