"""The REST API instance (django-ninja) under /api/v1/: authentication, error handling and the routers.

Authentication is `Authorization: Bearer <token>`: accounts' BearerTokenMiddleware resolves the token (a
browser session never authenticates an API call) and the audit-context middleware sets source "api" before the
API sees the request, so the auth class here only checks that it found an active user. Errors are JSON `{"detail": ...}` as described in core/api_common.py; the interactive
docs page is off because django-ninja would load Swagger UI from a CDN unless "ninja" is an installed app.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from liaison.accounts import api as accounts
from liaison.briefs import api as briefs
from liaison.compliance import api as compliance
from liaison.core.api_common import validation_errors
from liaison.core.permissions import PermissionDenied
from liaison.engagement import api as engagement
from liaison.insights import api as insights
from liaison.intel import api as intel
from liaison.kol import api as kol
from liaison.loop import api as loop
from liaison.medinfo import api as medinfo
from liaison.metrics import api as metrics
from liaison.people import api as people
from liaison.planning import api as planning
from liaison.programs import api as programs
from liaison.programs import congress_api as programs_congress
from liaison.safety import api as safety
from liaison.stakeholders import api as stakeholders
from liaison.transparency import api as transparency

logger = logging.getLogger("liaison.api")


class BearerAuth(HttpBearer):
    """Accepts the request when the middleware resolved its bearer token to an active user."""

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None

    def authenticate(self, request: HttpRequest, token: str) -> Any:  # pragma: no cover - __call__ decides
        return self(request)


DESCRIPTION = """
Liaison's REST API. Authenticate with `Authorization: Bearer <token>` (create one with `liaison token NAME`).

Every list takes `limit` (at most 100) and `offset` and returns `{"items": [...], "count": N, "limit": L,
"offset": O}`. Records are named by their `uuid`. Datetimes are ISO 8601 with a time zone.

Errors are JSON with a `detail` key: 400 unparseable body; 401 missing, unknown, expired or revoked token;
403 the role may not use this resource or action at all; 404 no such record *or* one you may not see (the
two are indistinguishable); 409 a likely duplicate or conflict (`candidates` lists the uuids); 422 invalid
input, as `{"detail": [{"loc": ["body", "field"], "msg": "...", "type": "..."}]}`. A failed request changes
nothing.
"""

api = NinjaAPI(
    title="Liaison API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=BearerAuth(),
    docs_url=None,
)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "Authentication required: send a valid bearer token"}, status=401
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(NinjaValidationError)
def _schema_invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    # django-ninja names the body parameter in `loc` (["body", "payload", "name"]); drop it so that schema
    # errors and the actions' errors (["body", "name"]) point at fields the same way.
    errors = []
    for error in exc.errors:
        loc = list(error.get("loc", ()))
        if loc[:2] == ["body", "payload"]:
            loc = ["body", *loc[2:]]
        errors.append({**error, "loc": loc})
    return api.create_response(request, {"detail": errors}, status=422)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=403)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # One body for every 404, so a hidden record cannot be told apart from a missing one.
    return api.create_response(request, {"detail": "Not found"}, status=404)


@api.exception_handler(DjangoValidationError)
def _invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": validation_errors(exc)}, status=422)


@api.exception_handler(IntegrityError)
def _conflict(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    # A uniqueness race between the action's check and the insert; the transaction was rolled back.
    logger.info("API integrity conflict on %s: %s", request.path, exc)
    return api.create_response(
        request, {"detail": "Conflicts with an existing record", "candidates": []}, status=409
    )


@api.exception_handler(SuspiciousOperation)
def _bad_request(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    return api.create_response(request, {"detail": "Bad request"}, status=400)


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path)
    return api.create_response(request, {"detail": "Internal server error; it was logged"}, status=500)


# Every app's routers, in the order they are mounted (the order of the OpenAPI document); like urls.py, this is
# the one place that says which app answers which path. Two routers may share a prefix (/hcps: people's records
# and the brief of one HCP).
ROUTERS: list[tuple[str, Router]] = [
    ("/me", accounts.me_router),
    ("/therapeutic-areas", accounts.therapeutic_areas_router),
    ("/products", accounts.products_router),
    ("/hcps", people.hcps_router),
    ("/organizations", people.organizations_router),
    ("/external-people", people.external_people_router),
    ("/interactions", engagement.interactions_router),
    ("/follow-ups", engagement.follow_ups_router),
    ("/insights", insights.insights_router),
    ("/listening-priorities", insights.listening_priorities_router),
    ("/insight-report", insights.insight_report_router),
    ("/inquiries", medinfo.inquiries_router),
    ("/safety-reports", safety.safety_reports_router),
    ("/audit-events", compliance.audit_events_router),
    ("/kol-scores", kol.kol_scores_router),
    ("/kol-snapshots", kol.kol_snapshots_router),
    ("/identity-links", kol.identity_links_router),
    ("/hcps", briefs.briefs_router),
    ("/search", intel.search_router),
    ("/intel", intel.intel_router),
    ("/insight-ratings", loop.ratings_router),
    ("/insight-themes", loop.themes_router),
    ("/actions", loop.actions_router),
    ("/notifications", loop.notifications_router),
    ("/insight-action-report", loop.report_router),
    ("/engagement-plans", planning.plans_router),
    ("/standing-interests", planning.interests_router),
    ("/transfers-of-value", transparency.transfers_router),
    ("/transparency", transparency.exports_router),
    ("/events", programs.events_router),
    ("/events", programs_congress.congress_router),
    ("/metrics", metrics.metrics_router),
    ("/stakeholders", stakeholders.stakeholders_router),
    ("/digest-deliveries", stakeholders.deliveries_router),
]


def _unknown_path(request: HttpRequest, rest: str) -> HttpResponse:
    raise Http404("Not found")


def _mount() -> None:
    for prefix, router in ROUTERS:
        api.add_router(prefix, router)
    # Last, so that it only catches what no router matched: unknown API paths answer in JSON, not HTML.
    fallback = Router()
    fallback.api_operation(
        ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None, include_in_schema=False
    )(_unknown_path)
    api.add_router("", fallback)


_mount()
