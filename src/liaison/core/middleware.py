"""Sets the audit context for every web request and API call (accounts.middleware has resolved API tokens)."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .context import audit_context, new_request_id

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class AuditContextMiddleware:
    """Every request runs inside an audit context naming its user, its source and a request id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else new_request_id()
        source = "api" if request.path.startswith("/api/") else "web"
        actor = request.user if request.user.is_authenticated else None
        request.request_id = request_id  # type: ignore[attr-defined]
        with audit_context(actor=actor, source=source, request_id=request_id):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
