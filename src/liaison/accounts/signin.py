"""Sign-in (throttled per account and client address: throttle.py) and sign-out pages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpResponse

from . import throttle


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form; each password check first takes an attempt from the account's and the client
    address's allowance (accounts/throttle.py), and is refused without checking once either is used up."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": "Too many failed sign-in attempts. For your account's safety, sign-in is paused; "
        "try again in %(minutes)s minutes or ask an administrator.",
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        if not username or not self.cleaned_data.get("password"):
            return super().clean()  # the missing field is reported; no password is checked
        address = throttle.client_address(self.request) if self.request else "unknown"
        if not throttle.reserve_attempt(username, address):
            minutes = max(1, settings.LOGIN_THROTTLE_SECONDS // 60)
            raise ValidationError(
                self.error_messages["throttled"], code="throttled", params={"minutes": minutes}
            )
        cleaned = super().clean()  # a failure keeps the reserved attempt: it is counted
        throttle.release_attempt(username, address)
        return cleaned


class LoginView(auth_views.LoginView):
    """Sign-in page; answers 429 while throttled so that scripts see the refusal too. A user who has an
    authenticator, or whose role requires one, is then taken to the second step by accounts.mfa's middleware."""

    template_name = "registration/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if any(e.code == "throttled" for e in form.non_field_errors().as_data()):
            response.status_code = 429
        return response


logout_view = auth_views.LogoutView.as_view()
