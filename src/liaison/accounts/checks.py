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
