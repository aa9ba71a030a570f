"""Keeps external advisors inside the participant portal: for a user of the `advisor` role every page outside
/portal/ answers 403 (with a link back to the portal) and every API call a JSON 403, whatever the matrix or a
page's own checks would say. Sign-out and static files stay open. Runs after the bearer-token middleware, so an
API token of an advisor is refused as well."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from liaison.core.roles import Role

OPEN_PREFIXES = ("/portal/", "/logout/")


class AdvisorGateMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or getattr(user, "role", "") != Role.ADVISOR:
            return self.get_response(request)
        path = request.path
        if path.startswith("/api/"):
            return JsonResponse({"detail": "not allowed: the advisor role has no API access"}, status=403)
        if path.startswith((*OPEN_PREFIXES, settings.STATIC_URL)):
            return self.get_response(request)
        html = render_to_string("programs/portal/closed.html", request=request)
        return HttpResponse(html, status=403)
