"""The second sign-in factor: a TOTP authenticator (django-otp) with single-use recovery codes.

After the password, a session is "verified" only once a code from the user's authenticator (or a recovery code)
is entered (django-otp's `OTPMiddleware` keeps that state in the session). `SecondFactorMiddleware` holds an
unverified session to two pages: a user who has an authenticator is sent to enter a code, and a user whose role
is in `LIAISON_MFA_REQUIRED_ROLES` and has none yet is sent to enrol one; sign-out stays open. The REST API is
left alone: it authenticates with bearer tokens, never with the session (accounts/middleware.py), and a token is
issued only from a signed-in, verified session. The writes (enrolment, recovery codes, resets) are in
accounts/actions.py, each with its audit event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

if TYPE_CHECKING:
    from .models import User

# Recovery codes issued at a time; each works once.
RECOVERY_CODES = 10
# Session key of the authenticator secret shown during enrolment, until a code from it confirms it.
PENDING_KEY = "liaison_mfa_pending_key"


def second_factor_required(user: User) -> bool:
    """Whether the user's role must sign in with a second factor (`LIAISON_MFA_REQUIRED_ROLES`)."""
    return bool(getattr(user, "role", "")) and user.role in settings.LIAISON_MFA_REQUIRED_ROLES


def authenticator_of(user: User) -> TOTPDevice | None:
    """The user's confirmed TOTP authenticator, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user: User) -> int:
    """How many unused recovery codes the user has."""
    return sum(d.token_set.count() for d in StaticDevice.objects.filter(user=user, confirmed=True))


def qr_svg(uri: str) -> str:
    """The otpauth:// URI as an inline SVG QR code: no image file, no external request, no script."""
    return segno.make(uri, error="m").svg_inline(
        scale=4, border=4, title="QR code of the authenticator secret", svgclass="qr"
    )


class SecondFactorMiddleware:
    """Holds a signed-in but unverified session to the second-factor step (or to enrolment) until it is done."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        path = request.path
        if (
            user.is_authenticated
            and not path.startswith(("/api/", settings.STATIC_URL))
            # django-otp's OTPMiddleware gives request.user is_verified(); no stub can know of it.
            and not user.is_verified()  # type: ignore[attr-defined]
        ):
            if authenticator_of(user) is not None:
                target = reverse("accounts:mfa_verify")
            elif second_factor_required(user):
                target = reverse("accounts:mfa_setup")
            else:
                target = ""
            if target and path not in (target, reverse("logout")):
                url = f"{target}?{urlencode({'next': request.get_full_path()})}"
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = url
                    return response
                return redirect(url)
        return self.get_response(request)
