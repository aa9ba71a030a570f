"""Sets the audit context for every web request and API call, and authenticates API bearer tokens."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .context import audit_context, new_request_id

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def bearer_user(request: HttpRequest):  # type: ignore[no-untyped-def]
    """The active user behind an `Authorization: Bearer <token>` header, or None."""
    from liaison.accounts.models import ApiToken, hash_token

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
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        type(token)._base_manager.filter(pk=token.pk).update(last_used_at=now)
    return token.user


class AuditContextMiddleware:
    """Every request runs inside an audit context naming its user, its source and a request id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else new_request_id()
        source = "web"
        if request.path.startswith("/api/"):
            source = "api"
            user = bearer_user(request)
            request.user = user if user is not None else AnonymousUser()  # type: ignore[assignment]
        actor = request.user if request.user.is_authenticated else None
        request.request_id = request_id  # type: ignore[attr-defined]
        with audit_context(actor=actor, source=source, request_id=request_id):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
