"""Shared view helpers and error pages.

Error pages say nothing about whether a record exists: a user who may not see a record gets the same 404 for
it as for a record that never existed, and a 403 only where the whole resource is closed to their role.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Restricted, RestrictQuerySet
from .permissions import PermissionDenied, can

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django_htmx.middleware import HtmxDetails

    from liaison.accounts.models import User

PAGE_SIZE = 25


class AuthenticatedRequest(HttpRequest):
    """For type checkers: a request behind `login_required`, whose user is a Liaison user (and which
    django-htmx's middleware has given its `htmx` details)."""

    user: User
    htmx: HtmxDetails


def get_restricted_or_404(
    model: Restricted,
    user: User | AnonymousUser,
    uuid: Any,
    action: str = "view",
    queryset: RestrictQuerySet | None = None,
) -> Any:
    """The record with this public uuid if `user` may `action` it; otherwise 404, whether it exists or not.

    Raises PermissionDenied (403) only when the role may not `action` this resource at all, which reveals
    nothing about any particular record.
    """
    if not can(user, model.permission_resource, action):
        raise PermissionDenied(user, model.permission_resource, action)
    qs = (queryset if queryset is not None else model.objects).restrict(user, action)
    try:
        return qs.get(uuid=uuid)
    except (qs.model.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404("Not found") from exc


def requested_page(request: HttpRequest, queryset: QuerySet, per_page: int = PAGE_SIZE) -> Page:
    """The requested page of `queryset` for an HTML list; a bad or out-of-range page number gives the nearest
    valid page. (The API's limit/offset pages are `core.api_common.limit_offset_page`.)"""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {"status": 400, "title": "Bad request", "message": "The request could not be understood."},
        status=400,
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {"status": 403, "title": "Not allowed", "message": "Your role does not give access to this page."},
        status=403,
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {"status": 404, "title": "Not found", "message": "There is nothing here, or nothing you can see."},
        status=404,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {
            "status": 500,
            "title": "Something went wrong",
            "message": "The error was logged. Nothing you entered was saved half-way.",
        },
        status=500,
    )
