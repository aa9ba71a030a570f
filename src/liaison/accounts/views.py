"""Administration pages (users, therapeutic areas, products, teams, territories; other apps register their
sections, such as insights' listening priorities), the signed-in user's own API tokens and second factor
(authenticator, recovery codes).

Each page checks the permission matrix for its resource; saving goes through `accounts.actions`, whose
validation errors are shown next to the fields.
"""

from __future__ import annotations

from base64 import b32encode
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from liaison.core.generic_views import Check, ObjectEditView, ObjectListView, Render, save_with_form
from liaison.core.permissions import PermissionDenied, can, require
from liaison.core.queries import changelog_for
from liaison.core.roles import Role
from liaison.core.views import AuthenticatedRequest, get_restricted_or_404

from . import actions, mfa
from .forms import (
    ProductForm,
    ResetSecondFactorForm,
    SecondFactorCodeForm,
    TeamForm,
    TerritoryForm,
    TherapeuticAreaForm,
    TokenForm,
    UserCreateForm,
    UserEditForm,
    user_initial,
)
from .models import ApiToken, CalendarFeedToken, Product, Team, Territory, TherapeuticArea, User


@dataclass(frozen=True)
class AdminSection:
    """One section of the administration pages: a card on the overview (with its count) and a link in their
    navigation. Apps above accounts add theirs with `register_admin_section` (insights: listening priorities),
    with the `urls` of their pages, which accounts/urls.py mounts at /accounts/admin/<key>/ in its namespace."""

    key: str
    title: str
    description: str
    resource: str
    url_name: str
    count: Callable[[Any], int]
    urls: Sequence[Any] = ()


SECTIONS: list[AdminSection] = [
    AdminSection(
        "users",
        "Users",
        "Accounts, roles, teams and territories.",
        "user",
        "accounts:user_list",
        lambda u: User.objects.restrict(u, "view").filter(is_active=True).count(),
    ),
    AdminSection(
        "areas",
        "Therapeutic areas",
        "Disease areas and the MeSH subtrees that define them.",
        "therapeutic_area",
        "accounts:area_list",
        lambda u: TherapeuticArea.objects.restrict(u, "view").count(),
    ),
    AdminSection(
        "products",
        "Products",
        "Products and their approved indications.",
        "product",
        "accounts:product_list",
        lambda u: Product.objects.restrict(u, "view").count(),
    ),
    AdminSection(
        "teams",
        "Teams",
        "Field teams.",
        "user",
        "accounts:team_list",
        lambda u: Team.objects.restrict(u, "view").count(),
    ),
    AdminSection(
        "territories",
        "Territories",
        "The regions MSLs cover.",
        "user",
        "accounts:territory_list",
        lambda u: Territory.objects.restrict(u, "view").count(),
    ),
]


def register_admin_section(section: AdminSection, *, after: str) -> None:
    """Add an app's section after the one keyed `after` (called from the app's `ready()`; idempotent)."""
    if any(s.key == section.key for s in SECTIONS):
        return
    position = next(n for n, s in enumerate(SECTIONS) if s.key == after)
    SECTIONS.insert(position + 1, section)


# Reference data whose editors may open the administration pages; registered sections add their own resource.
MANAGED = ("user", "therapeutic_area", "product")


def has_admin_access(user: User) -> bool:
    """Administration is for roles that manage reference data or may read the user list."""
    managed = {*MANAGED, *(s.resource for s in SECTIONS)}
    return can(user, "user", "view") or any(can(user, r, a) for r in managed for a in ("add", "change"))


def require_admin_page(user: User, resource: str, action: str = "view") -> None:
    if not has_admin_access(user):
        raise PermissionDenied(user, resource, action)
    require(user, resource, action)


def admin_page(request: AuthenticatedRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """Render an administration page with the section links this role may open (and, on a record's edit
    page, its changelog for roles that may read the audit trail)."""
    if context.get("record") is not None:
        context["events"] = changelog_for(context["record"], request.user)
    links = [(s.title, s.url_name) for s in SECTIONS if can(request.user, s.resource, "view")]
    return render(request, template, {"admin_links": links, **context})


@login_required
@require_GET
def admin_home(request: AuthenticatedRequest) -> HttpResponse:
    """Administration overview: one card per section this role may open."""
    if not has_admin_access(request.user):
        raise PermissionDenied(request.user, "user", "view")
    cards = [
        {
            "title": s.title,
            "description": s.description,
            "url_name": s.url_name,
            "count": s.count(request.user),
            "manage": can(request.user, s.resource, "add"),
        }
        for s in SECTIONS
        if can(request.user, s.resource, "view")
    ]
    return admin_page(request, "accounts/admin_home.html", {"cards": cards})


# --- users -----------------------------------------------------------------------------------------------------


@login_required
@require_GET
def user_list(request: AuthenticatedRequest) -> HttpResponse:
    require_admin_page(request.user, "user")
    users = User.objects.restrict(request.user, "view").select_related("team", "territory")
    role = request.GET.get("role") or ""
    if role in Role.values:
        users = users.filter(role=role)
    return admin_page(
        request,
        "accounts/user_list.html",
        {
            "users": users,
            "roles": Role.choices,
            "role": role,
            "can_add": can(request.user, "user", "add"),
            "can_change": can(request.user, "user", "change"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def user_new(request: AuthenticatedRequest) -> HttpResponse:
    require_admin_page(request.user, "user", "add")
    form = UserCreateForm(request.POST or None, choices_for=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def create() -> User:
            try:
                return actions.create_user(
                    username=data["username"],
                    role=data["role"],
                    password=data["password"] or None,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                    title=data["title"],
                    team=data["team"],
                    territory=data["territory"],
                    therapeutic_areas=list(data["therapeutic_areas"]),
                    acting_user=request.user,
                )
            except ValidationError as exc:
                # Password validators raise plain lists; they belong next to the password field.
                if not hasattr(exc, "error_dict"):
                    raise ValidationError({"password": exc.messages}) from exc
                raise

        user = save_with_form(form, create)
        if user is not None:
            messages.success(request, f"User {user.username} was created.")
            return redirect("accounts:user_list")
    return admin_page(
        request,
        "accounts/form.html",
        {
            "form": form,
            "title": "New user",
            "back": "accounts:user_list",
            "back_label": "Users",
            "submit": "Create user",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def user_edit(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    require_admin_page(request.user, "user", "change")
    target = get_restricted_or_404(User, request.user, uuid, "change")
    form = UserEditForm(request.POST or None, initial=user_initial(target), choices_for=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        @transaction.atomic
        def save() -> User:
            changes = {
                k: data[k]
                for k in (
                    "first_name",
                    "last_name",
                    "email",
                    "title",
                    "role",
                    "team",
                    "territory",
                    "is_active",
                )
            }
            changes["therapeutic_areas"] = list(data["therapeutic_areas"])
            saved = actions.update_user(target, acting_user=request.user, **changes)
            if data["new_password"]:
                try:
                    actions.set_password(saved, data["new_password"], acting_user=request.user)
                except ValidationError as exc:
                    raise ValidationError({"new_password": exc.messages}) from exc
            return saved

        if save_with_form(form, save) is not None:
            messages.success(request, f"User {target.username} was updated.")
            return redirect("accounts:user_list")
        target.refresh_from_db()
    return admin_page(
        request,
        "accounts/form.html",
        {
            "form": form,
            "title": f"Edit {target.username}",
            "back": "accounts:user_list",
            "back_label": "Users",
            "submit": "Save changes",
            "subtitle": target.display_name,
            "record": target,
            "sign_in_target": target,
            "target_has_authenticator": mfa.authenticator_of(target) is not None,
            "target_needs_authenticator": mfa.second_factor_required(target),
            "reset_form": ResetSecondFactorForm(),
        },
    )


# --- therapeutic areas, products, teams and territories: generic pages -------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AdminListView(ObjectListView):
    """A list of reference data among the administration pages."""

    check: Check = require_admin_page
    render: Render = admin_page


@dataclass(frozen=True, kw_only=True)
class AdminEditView(ObjectEditView):
    """The form of one record of reference data among the administration pages, with its changelog."""

    template: str = "accounts/form.html"
    check: Check = require_admin_page
    render: Render = admin_page


area_list = AdminListView(model=TherapeuticArea, template="accounts/area_list.html", rows="areas").as_view()
area_form = AdminEditView(
    model=TherapeuticArea,
    form=TherapeuticAreaForm,
    save=actions.save_therapeutic_area,
    initial=lambda area: {
        "name": area.name,
        "code": area.code,
        "description": area.description,
        "mesh_tree_numbers": area.mesh_tree_numbers,
        "active": area.active,
    },
    list_url="accounts:area_list",
    list_title="Therapeutic areas",
    title_new="New therapeutic area",
    message="Therapeutic area {obj.name} was saved.",
).as_view()

product_list = AdminListView(
    model=Product, template="accounts/product_list.html", rows="products", related=("therapeutic_area",)
).as_view()
product_form = AdminEditView(
    model=Product,
    form=ProductForm,
    save=actions.save_product,
    initial=lambda product: {
        "name": product.name,
        "generic_name": product.generic_name,
        "therapeutic_area": product.therapeutic_area.uuid,
        "approved_indications": "\n".join(product.approved_indications),
        "active": product.active,
    },
    list_url="accounts:product_list",
    list_title="Products",
    title_new="New product",
    message="Product {obj.name} was saved.",
).as_view()

# Teams and territories are created on their list pages.
team_list = AdminListView(
    model=Team,
    template="accounts/team_list.html",
    rows="teams",
    related=("therapeutic_area",),
    form=TeamForm,
    save=actions.save_team,
    message="Team {obj.name} was created.",
).as_view()
territory_list = AdminListView(
    model=Territory,
    template="accounts/territory_list.html",
    rows="territories",
    related=("team",),
    form=TerritoryForm,
    save=actions.save_territory,
    message="Territory {obj.name} was created.",
).as_view()


# --- my API tokens ---------------------------------------------------------------------------------------------


def _my_tokens(user: User) -> Any:
    # A user's own tokens are theirs to see whatever their role: the "user" resource governs other people.
    return ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at")


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: AuthenticatedRequest) -> HttpResponse:
    """List my API tokens and create one; the raw value is shown on this response only."""
    form = TokenForm(request.POST if request.method == "POST" else None)
    raw = None
    created = None
    if request.method == "POST" and form.is_valid():
        result = save_with_form(
            form,
            lambda: actions.create_api_token(
                request.user, name=form.cleaned_data["name"], acting_user=request.user
            ),
        )
        if result is not None:
            created, raw = result
            form = TokenForm()
    response = render(
        request,
        "accounts/tokens.html",
        {"tokens": _my_tokens(request.user), "form": form, "raw": raw, "created": created},
    )
    if raw:
        response["Cache-Control"] = "no-store"  # the secret must not linger in any cache
    return response


@login_required
@require_POST
def token_revoke(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    token = _my_tokens(request.user).filter(uuid=uuid, revoked_at__isnull=True).first()
    if token is None:
        messages.error(request, "That token does not exist or is already revoked.")
    else:
        actions.revoke_api_token(token, acting_user=request.user)
        messages.success(request, f"Token “{token.name}” was revoked; it no longer works.")
    return redirect("accounts:tokens")


# --- my private calendar feed -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def calendar_feed(request: AuthenticatedRequest) -> HttpResponse:
    """My private calendar feed (ICS): create or rotate its secret URL (shown once), or turn it off.

    The feed itself is served by the assembly (web/calendar.py) at /calendar/<token>.ics.
    """
    user = request.user
    raw = None
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "revoke":
        if actions.revoke_calendar_feed(user, acting_user=user):
            messages.success(request, "Your calendar feed is turned off; its address no longer works.")
        return redirect("accounts:calendar_feed")
    if action == "rotate":  # only the page's own buttons change anything; any other POST just shows the page
        _, raw = actions.rotate_calendar_feed(user, acting_user=user)
    # A user's own feed token is theirs to see whatever their role, like their API tokens.
    live = CalendarFeedToken.objects.filter(user=user, revoked_at__isnull=True).first()
    url = request.build_absolute_uri(reverse("calendar_feed", args=[raw])) if raw else None
    response = render(
        request,
        "accounts/calendar_feed.html",
        {
            "live": live,
            "feed_url": url,
            "webcal_url": "webcal://" + url.split("://", 1)[1] if url else None,
        },
    )
    if raw:
        response["Cache-Control"] = "no-store"  # the secret must not linger in any cache
    return response


# --- my sign-in security: the second factor ---------------------------------------------------------------------


def _next_url(request: AuthenticatedRequest) -> str:
    """Where to go after the second-factor step: the page asked for, if it is on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def _secret_shown(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"  # a secret or recovery code must not linger in any cache
    return response


@login_required
@require_GET
def security(request: AuthenticatedRequest) -> HttpResponse:
    """My second factor: whether an authenticator is set up, how many recovery codes are left."""
    user = request.user
    return render(
        request,
        "accounts/security.html",
        {
            "authenticator": mfa.authenticator_of(user),
            "codes_left": mfa.recovery_codes_left(user),
            "required": mfa.second_factor_required(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def mfa_setup(request: AuthenticatedRequest) -> HttpResponse:
    """Set up (or replace) my authenticator: its secret as text and as a QR code, confirmed by a first code;
    the recovery codes are shown once, on the confirming response."""
    user = request.user
    key = request.session.get(mfa.PENDING_KEY) or default_key()
    request.session[mfa.PENDING_KEY] = key
    form = SecondFactorCodeForm(request.POST or None)
    form.fields["code"].help_text = "The 6-digit code your authenticator app shows for Liaison."
    if request.method == "POST" and form.is_valid():
        result = save_with_form(
            form, lambda: actions.enroll_authenticator(user, key=key, code=form.cleaned_data["code"])
        )
        if result is not None:
            device, codes = result
            del request.session[mfa.PENDING_KEY]
            otp_login(request, device)
            return _secret_shown(
                render(request, "accounts/recovery_codes.html", {"codes": codes, "next": _next_url(request)})
            )
    pending = TOTPDevice(user=user, key=key)
    return _secret_shown(
        render(
            request,
            "accounts/mfa_setup.html",
            {
                "form": form,
                "secret": b32encode(pending.bin_key).decode(),
                "qr": mark_safe(mfa.qr_svg(pending.config_url)),  # noqa: S308 - segno's own SVG markup
                "replacing": mfa.authenticator_of(user) is not None,
                "required": mfa.second_factor_required(user),
                "next": request.POST.get("next") or request.GET.get("next") or "",
            },
        )
    )


@login_required
@require_http_methods(["GET", "POST"])
def mfa_verify(request: AuthenticatedRequest) -> HttpResponse:
    """The second step of signing in: a code from my authenticator, or a recovery code."""
    user = request.user
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect(_next_url(request))
    if mfa.authenticator_of(user) is None:
        return redirect("accounts:mfa_setup")
    form = SecondFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = save_with_form(form, lambda: actions.verify_second_factor(user, form.cleaned_data["code"]))
        if device is not None:
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {mfa.recovery_codes_left(user)} are left. "
                    "Create new ones on your sign-in security page when they run low.",
                )
            return redirect(_next_url(request))
    return render(
        request,
        "accounts/mfa_verify.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next") or ""},
    )


@login_required
@require_POST
def recovery_codes_new(request: AuthenticatedRequest) -> HttpResponse:
    """Replace my recovery codes; the new ones are shown on this response only."""
    try:
        codes = actions.regenerate_recovery_codes(request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("accounts:security")
    return _secret_shown(
        render(
            request, "accounts/recovery_codes.html", {"codes": codes, "next": reverse("accounts:security")}
        )
    )


@login_required
@require_POST
def user_mfa_reset(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """An administrator removes a user's authenticator and recovery codes (a lost phone)."""
    require_admin_page(request.user, "user", "change")
    target = get_restricted_or_404(User, request.user, uuid, "change")
    form = ResetSecondFactorForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    actions.reset_second_factor(target, acting_user=request.user, reason=reason)
    messages.success(
        request, f"The second factor of {target.username} was reset; they set up a new one next."
    )
    return redirect("accounts:user_edit", uuid=target.uuid)


@login_required
@require_POST
def user_unlock(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """An administrator lifts a user's lock-out after failed sign-ins."""
    require_admin_page(request.user, "user", "change")
    target = get_restricted_or_404(User, request.user, uuid, "change")
    actions.unlock_sign_in(target, acting_user=request.user)
    messages.success(request, f"{target.username} may sign in again.")
    return redirect("accounts:user_edit", uuid=target.uuid)
