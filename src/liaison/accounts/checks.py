"""System checks of the sign-in settings: a typo must not silently drop a role's second factor."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from liaison.core.roles import Role

from .throttle import trusted_proxies


def sign_in_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """LIAISON_MFA_REQUIRED_ROLES names real roles; LIAISON_TRUSTED_PROXIES holds addresses or networks."""
    errors: list[checks.CheckMessage] = []
    unknown = sorted(set(settings.LIAISON_MFA_REQUIRED_ROLES) - set(Role.values))
    if unknown:
        errors.append(
            checks.Error(
                f"LIAISON_MFA_REQUIRED_ROLES names unknown roles: {', '.join(unknown)}",
                hint=f"Use role names from: {', '.join(Role.values)}",
                id="liaison.E101",
            )
        )
    try:
        trusted_proxies()
    except ImproperlyConfigured as exc:
        errors.append(checks.Error(str(exc), hint="IPs or CIDRs, comma-separated", id="liaison.E102"))
    return errors


BEARER = "liaison.accounts.middleware.BearerTokenMiddleware"
AUDIT_CONTEXT = "liaison.core.middleware.AuditContextMiddleware"


def api_authentication(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """API calls are authenticated by bearer token only: without BearerTokenMiddleware (before the audit context),
    a browser session would authenticate /api/ and the audit trail would not name the token's user."""
    middleware = list(settings.MIDDLEWARE)
    if BEARER not in middleware or (
        AUDIT_CONTEXT in middleware and middleware.index(BEARER) > middleware.index(AUDIT_CONTEXT)
    ):
        return [
            checks.Error(
                f"{BEARER} must be in MIDDLEWARE, before {AUDIT_CONTEXT}",
                hint="Put it back as in liaison/settings.py: API calls must never run on a browser session.",
                id="liaison.E103",
            )
        ]
    return []
