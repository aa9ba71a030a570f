"""Turns PermissionDenied from actions and helpers into Django's 403 handling for web views."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse

from .permissions import PermissionDenied
from .views import permission_denied


class PermissionDeniedMiddleware:
    """Web views may let core.permissions.PermissionDenied escape; it becomes the standard 403 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, PermissionDenied | DjangoPermissionDenied):
            return permission_denied(request, exception)
        return None
