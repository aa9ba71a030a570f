"""Authenticates API calls by bearer token: under /api/ the user is the token's, never the session's."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .actions import note_token_use
from .models import ApiToken, User, hash_token


def bearer_user(request: HttpRequest) -> User | None:
    """The active user behind an `Authorization: Bearer <token>` header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw.strip()), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.expires_at and token.expires_at <= now:
        return None
    note_token_use(token, now=now)
    return token.user


class BearerTokenMiddleware:
    """Sets `request.user` for API paths from `Authorization: Bearer <token>` (anonymous without a valid one), so
    that a browser session never authenticates an API call; runs before the audit context is set."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            user = bearer_user(request)
            request.user = user if user is not None else AnonymousUser()
        return self.get_response(request)
