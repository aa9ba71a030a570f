"""Administration pages (users, therapeutic areas, products, listening priorities, teams, territories), the
signed-in user's own API tokens and second factor (authenticator, recovery codes).

Each page checks the permission matrix for its resource; saving goes through `accounts.actions` or
`insights.actions.save_listening_priority`, whose validation errors are shown next to the fields.
"""

from __future__ import annotations

from base64 import b32encode
from collections.abc import Callable
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

from liaison.compliance.queries import changelog_for
from liaison.core.forms import LiaisonForm, add_action_errors
from liaison.core.permissions import PermissionDenied, can, require
from liaison.core.roles import Role
from liaison.core.views import AuthenticatedRequest, get_restricted_or_404

from . import actions, mfa
from .forms import (
    ListeningPriorityForm,
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
from .models import ApiToken, Product, Team, Territory, TherapeuticArea, User

# (key, title, description, resource, url name): the sections of the administration home page.
SECTIONS = (
    ("users", "Users", "Accounts, roles, teams and territories.", "user", "accounts:user_list"),
    (
        "areas",
        "Therapeutic areas",
        "Disease areas and the MeSH subtrees that define them.",
        "therapeutic_area",
        "accounts:area_list",
    ),
    ("products", "Products", "Products and their approved indications.", "product", "accounts:product_list"),
    (
        "priorities",
        "Listening priorities",
        "Key insight topics per therapeutic area.",
        "listening_priority",
        "accounts:priority_list",
    ),
    ("teams", "Teams", "Field teams.", "user", "accounts:team_list"),
    ("territories", "Territories", "The regions MSLs cover.", "user", "accounts:territory_list"),
)
MANAGED = ("user", "therapeutic_area", "product", "listening_priority")


def has_admin_access(user: Any) -> bool:
    """Administration is for roles that manage reference data or may read the user list."""
    return can(user, "user", "view") or any(can(user, r, a) for r in MANAGED for a in ("add", "change"))


def _require_admin_page(user: Any, resource: str, action: str = "view") -> None:
    if not has_admin_access(user):
        raise PermissionDenied(user, resource, action)
    require(user, resource, action)


def _page(request: AuthenticatedRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """Render an administration page with the section links this role may open (and, on a record's edit
    page, its changelog for roles that may read the audit trail)."""
    if context.get("record") is not None:
        context["events"] = changelog_for(context["record"], request.user)
    links = [
        (title, url_name)
        for _k, title, _d, resource, url_name in SECTIONS
        if can(request.user, resource, "view")
    ]
    return render(request, template, {"admin_links": links, **context})


def _run(form: LiaisonForm, save: Callable[[], Any]) -> Any:
    """Call an action; its validation errors land on the form. Returns the saved record or None."""
    try:
        return save()
    except ValidationError as exc:
        add_action_errors(form, exc)
        return None


@login_required
@require_GET
def admin_home(request: AuthenticatedRequest) -> HttpResponse:
    """Administration overview: one card per section this role may open."""
    if not has_admin_access(request.user):
        raise PermissionDenied(request.user, "user", "view")
    counts = {
        "users": lambda u: User.objects.restrict(u, "view").filter(is_active=True).count(),
        "areas": lambda u: TherapeuticArea.objects.restrict(u, "view").count(),
        "products": lambda u: Product.objects.restrict(u, "view").count(),
        "priorities": lambda u: _priority_model().objects.restrict(u, "view").filter(active=True).count(),
        "teams": lambda u: Team.objects.restrict(u, "view").count(),
        "territories": lambda u: Territory.objects.restrict(u, "view").count(),
    }
    cards = [
        {
            "title": title,
            "description": description,
            "url_name": url_name,
            "count": counts[key](request.user),
            "manage": can(request.user, resource, "add"),
        }
        for key, title, description, resource, url_name in SECTIONS
        if can(request.user, resource, "view")
    ]
    return _page(request, "accounts/admin_home.html", {"cards": cards})


def _priority_model() -> Any:
    from liaison.insights.models import ListeningPriority

    return ListeningPriority


# --- users -----------------------------------------------------------------------------------------------------


@login_required
@require_GET
def user_list(request: AuthenticatedRequest) -> HttpResponse:
    _require_admin_page(request.user, "user")
    users = User.objects.restrict(request.user, "view").select_related("team", "territory")
    role = request.GET.get("role") or ""
    if role in Role.values:
        users = users.filter(role=role)
    return _page(
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
    _require_admin_page(request.user, "user", "add")
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

        user = _run(form, create)
        if user is not None:
            messages.success(request, f"User {user.username} was created.")
            return redirect("accounts:user_list")
    return _page(
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
    _require_admin_page(request.user, "user", "change")
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

        if _run(form, save) is not None:
            messages.success(request, f"User {target.username} was updated.")
            return redirect("accounts:user_list")
        target.refresh_from_db()
    return _page(
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


# --- therapeutic areas and products ----------------------------------------------------------------------------


@login_required
@require_GET
def area_list(request: AuthenticatedRequest) -> HttpResponse:
    _require_admin_page(request.user, "therapeutic_area")
    return _page(
        request,
        "accounts/area_list.html",
        {
            "areas": TherapeuticArea.objects.restrict(request.user, "view"),
            "can_add": can(request.user, "therapeutic_area", "add"),
            "can_change": can(request.user, "therapeutic_area", "change"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def area_form(request: AuthenticatedRequest, uuid: str | None = None) -> HttpResponse:
    area = None
    if uuid is None:
        _require_admin_page(request.user, "therapeutic_area", "add")
        initial: dict[str, Any] = {"active": True}
    else:
        _require_admin_page(request.user, "therapeutic_area", "change")
        area = get_restricted_or_404(TherapeuticArea, request.user, uuid, "change")
        initial = {
            "name": area.name,
            "code": area.code,
            "description": area.description,
            "mesh_tree_numbers": area.mesh_tree_numbers,
            "active": area.active,
        }
    form = TherapeuticAreaForm(request.POST or None, initial=initial, choices_for=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        saved = _run(
            form,
            lambda: actions.save_therapeutic_area(
                area,
                acting_user=request.user,
                name=d["name"],
                code=d["code"],
                description=d["description"],
                mesh_tree_numbers=d["mesh_tree_numbers"],
                active=d["active"],
            ),
        )
        if saved is not None:
            messages.success(request, f"Therapeutic area {saved.name} was saved.")
            return redirect("accounts:area_list")
    return _page(
        request,
        "accounts/form.html",
        {
            "form": form,
            "title": "New therapeutic area" if area is None else f"Edit {area.name}",
            "back": "accounts:area_list",
            "record": area,
            "back_label": "Therapeutic areas",
            "submit": "Save",
        },
    )


@login_required
@require_GET
def product_list(request: AuthenticatedRequest) -> HttpResponse:
    _require_admin_page(request.user, "product")
    return _page(
        request,
        "accounts/product_list.html",
        {
            "products": Product.objects.restrict(request.user, "view").select_related("therapeutic_area"),
            "can_add": can(request.user, "product", "add"),
            "can_change": can(request.user, "product", "change"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def product_form(request: AuthenticatedRequest, uuid: str | None = None) -> HttpResponse:
    product = None
    if uuid is None:
        _require_admin_page(request.user, "product", "add")
        initial: dict[str, Any] = {"active": True}
    else:
        _require_admin_page(request.user, "product", "change")
        product = get_restricted_or_404(Product, request.user, uuid, "change")
        initial = {
            "name": product.name,
            "generic_name": product.generic_name,
            "therapeutic_area": product.therapeutic_area.uuid,
            "approved_indications": "\n".join(product.approved_indications),
            "active": product.active,
        }
    form = ProductForm(request.POST or None, initial=initial, choices_for=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        saved = _run(
            form,
            lambda: actions.save_product(
                product,
                acting_user=request.user,
                name=d["name"],
                generic_name=d["generic_name"],
                therapeutic_area=d["therapeutic_area"],
                approved_indications=d["approved_indications"],
                active=d["active"],
            ),
        )
        if saved is not None:
            messages.success(request, f"Product {saved.name} was saved.")
            return redirect("accounts:product_list")
    return _page(
        request,
        "accounts/form.html",
        {
            "form": form,
            "title": "New product" if product is None else f"Edit {product.name}",
            "back": "accounts:product_list",
            "record": product,
            "back_label": "Products",
            "submit": "Save",
        },
    )


# --- listening priorities --------------------------------------------------------------------------------------


@login_required
@require_GET
def priority_list(request: AuthenticatedRequest) -> HttpResponse:
    _require_admin_page(request.user, "listening_priority")
    model = _priority_model()
    areas = list(TherapeuticArea.objects.restrict(request.user, "view"))
    priorities = model.objects.restrict(request.user, "view").select_related("therapeutic_area")
    selected = next((a for a in areas if str(a.uuid) == request.GET.get("area")), None)
    if selected is not None:
        priorities = priorities.filter(therapeutic_area=selected)
    groups: dict[Any, list[Any]] = {}
    for p in priorities:
        groups.setdefault(p.therapeutic_area, []).append(p)
    return _page(
        request,
        "accounts/priority_list.html",
        {
            "groups": groups,
            "areas": areas,
            "selected": selected,
            "can_add": can(request.user, "listening_priority", "add"),
            "can_change": can(request.user, "listening_priority", "change"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def priority_form(request: AuthenticatedRequest, uuid: str | None = None) -> HttpResponse:
    from liaison.insights.actions import save_listening_priority

    model = _priority_model()
    priority = None
    if uuid is None:
        _require_admin_page(request.user, "listening_priority", "add")
        initial: dict[str, Any] = {"active": True, "order": 0, "therapeutic_area": request.GET.get("area")}
    else:
        _require_admin_page(request.user, "listening_priority", "change")
        priority = get_restricted_or_404(model, request.user, uuid, "change")
        initial = {
            "therapeutic_area": priority.therapeutic_area.uuid,
            "title": priority.title,
            "description": priority.description,
            "order": priority.order,
            "active": priority.active,
        }
    form = ListeningPriorityForm(request.POST or None, initial=initial, choices_for=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        saved = _run(
            form,
            lambda: save_listening_priority(
                priority,
                acting_user=request.user,
                therapeutic_area=d["therapeutic_area"],
                title=d["title"],
                description=d["description"],
                active=d["active"],
                order=d["order"],
            ),
        )
        if saved is not None:
            messages.success(request, f"Listening priority “{saved.title}” was saved.")
            return redirect("accounts:priority_list")
    return _page(
        request,
        "accounts/form.html",
        {
            "form": form,
            "title": "New listening priority" if priority is None else "Edit listening priority",
            "subtitle": priority.title if priority else "",
            "back": "accounts:priority_list",
            "record": priority,
            "back_label": "Listening priorities",
            "submit": "Save",
        },
    )


@login_required
@require_POST
def priority_toggle(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """Deactivate (or reactivate) a listening priority; deactivated ones stay on past insights."""
    from liaison.insights.actions import save_listening_priority

    _require_admin_page(request.user, "listening_priority", "change")
    p = get_restricted_or_404(_priority_model(), request.user, uuid, "change")
    try:
        save_listening_priority(
            p,
            acting_user=request.user,
            therapeutic_area=p.therapeutic_area,
            title=p.title,
            description=p.description,
            active=not p.active,
            order=p.order,
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, f"“{p.title}” is now {'active' if p.active else 'inactive'}.")
    return redirect("accounts:priority_list")


# --- teams and territories -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def team_list(request: AuthenticatedRequest) -> HttpResponse:
    _require_admin_page(request.user, "user")
    can_add = can(request.user, "user", "add")
    form = TeamForm(request.POST if request.method == "POST" else None, choices_for=request.user)
    if request.method == "POST":
        require(request.user, "user", "add")
        if form.is_valid():
            d = form.cleaned_data
            saved = _run(
                form,
                lambda: actions.save_team(
                    None, acting_user=request.user, name=d["name"], therapeutic_area=d["therapeutic_area"]
                ),
            )
            if saved is not None:
                messages.success(request, f"Team {saved.name} was created.")
                return redirect("accounts:team_list")
    teams = Team.objects.restrict(request.user, "view").select_related("therapeutic_area")
    return _page(request, "accounts/team_list.html", {"teams": teams, "form": form, "can_add": can_add})


@login_required
@require_http_methods(["GET", "POST"])
def territory_list(request: AuthenticatedRequest) -> HttpResponse:
    _require_admin_page(request.user, "user")
    can_add = can(request.user, "user", "add")
    form = TerritoryForm(request.POST if request.method == "POST" else None, choices_for=request.user)
    if request.method == "POST":
        require(request.user, "user", "add")
        if form.is_valid():
            d = form.cleaned_data
            saved = _run(
                form,
                lambda: actions.save_territory(
                    None, acting_user=request.user, name=d["name"], team=d["team"], regions=d["regions"]
                ),
            )
            if saved is not None:
                messages.success(request, f"Territory {saved.name} was created.")
                return redirect("accounts:territory_list")
    territories = Territory.objects.restrict(request.user, "view").select_related("team")
    return _page(
        request,
        "accounts/territory_list.html",
        {"territories": territories, "form": form, "can_add": can_add},
    )


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
        result = _run(
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
        result = _run(
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
        device = _run(form, lambda: actions.verify_second_factor(user, form.cleaned_data["code"]))
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
    _require_admin_page(request.user, "user", "change")
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
    _require_admin_page(request.user, "user", "change")
    target = get_restricted_or_404(User, request.user, uuid, "change")
    actions.unlock_sign_in(target, acting_user=request.user)
    messages.success(request, f"{target.username} may sign in again.")
    return redirect("accounts:user_edit", uuid=target.uuid)
