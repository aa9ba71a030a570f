"""The write path for users, tokens and reference data (therapeutic areas, products, teams, territories)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django_otp import verify_token as otp_verify_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from liaison.core.audit import record_event
from liaison.core.permissions import require
from liaison.core.roles import Role
from liaison.core.validation import clean_text, clean_text_list

from . import throttle
from .mfa import RECOVERY_CODES
from .models import ApiToken, CalendarFeedToken, Product, Team, Territory, TherapeuticArea, User


def _require_admin(acting_user: User | None, resource: str, action: str) -> None:
    """System callers (CLI, demo loader) pass acting_user=None and act as the audit context's actor."""
    if acting_user is not None:
        require(acting_user, resource, action)


@transaction.atomic
def create_user(
    *,
    username: str,
    role: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    title: str = "",
    team: Team | None = None,
    territory: Territory | None = None,
    therapeutic_areas: list[TherapeuticArea] | None = None,
    acting_user: User | None = None,
    check_password: bool = True,
) -> User:
    """Create a user with one role; without a password the account can only use API tokens."""
    _require_admin(acting_user, "user", "add")
    username = clean_text(username, "username", required=True, max_length=150)
    if role not in Role.values:
        raise ValidationError({"role": f"unknown role {role!r}; choose one of: {', '.join(Role.values)}"})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"a user named {username!r} already exists"})
    user = User(
        username=username,
        role=role,
        first_name=clean_text(first_name, "first_name", max_length=150),
        last_name=clean_text(last_name, "last_name", max_length=150),
        email=clean_text(email, "email", max_length=254),
        title=clean_text(title, "title", max_length=120),
        team=team,
        territory=territory,
    )
    if password:
        if check_password:
            validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    if therapeutic_areas:
        user.therapeutic_areas.set(therapeutic_areas)
    return user


@transaction.atomic
def update_user(user: User, *, acting_user: User, **changes: Any) -> User:
    """Change a user's role, team, territory, name or active flag (admins only)."""
    require(acting_user, "user", "change")
    if "role" in changes and changes["role"] not in Role.values:
        raise ValidationError({"role": f"unknown role {changes['role']!r}"})
    if user.pk == acting_user.pk and changes.get("is_active") is False:
        raise ValidationError({"is_active": "you cannot deactivate your own account"})
    areas = changes.pop("therapeutic_areas", None)
    for field in ("role", "first_name", "last_name", "email", "title", "team", "territory", "is_active"):
        if field in changes:
            value = changes[field]
            if isinstance(value, str) and field != "role":
                value = clean_text(value, field, max_length=150)
            setattr(user, field, value)
    user.save()
    if areas is not None:
        user.therapeutic_areas.set(areas)
    return user


@transaction.atomic
def set_password(user: User, password: str, *, acting_user: User | None = None) -> None:
    """Set a user's password (their own, or anyone's for an admin); the change is audited without the hash."""
    if acting_user is not None and acting_user.pk != user.pk:
        require(acting_user, "user", "change")
    validate_password(password, user)
    user.set_password(password)
    user.save()
    record_event("user.password_changed", obj=user, action="password_changed")


@transaction.atomic
def create_api_token(
    user: User, *, name: str = "api", acting_user: User | None = None
) -> tuple[ApiToken, str]:
    """Issue a bearer token for `user`; returns the stored token and the raw value, which is shown only once."""
    if acting_user is not None and acting_user.pk != user.pk:
        require(acting_user, "user", "change")
    raw, prefix, key_hash = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user, name=clean_text(name, "name", max_length=120) or "api", prefix=prefix, key_hash=key_hash
    )
    return token, raw


@transaction.atomic
def rotate_calendar_feed(user: User, *, acting_user: User) -> tuple[CalendarFeedToken, str]:
    """Give `user` a new private calendar feed URL, revoking the old one; returns the token and its raw value,
    which is shown only once. Only the user themselves (or an admin) may."""
    if acting_user.pk != user.pk:
        require(acting_user, "user", "change")
    _revoke_calendar_feeds(user)
    raw, prefix, key_hash = CalendarFeedToken.generate()
    token = CalendarFeedToken.objects.create(user=user, prefix=prefix, key_hash=key_hash)
    return token, raw


@transaction.atomic
def revoke_calendar_feed(user: User, *, acting_user: User) -> int:
    """Turn off `user`'s calendar feed: the URL answers 404 from now on. Returns how many tokens were revoked."""
    if acting_user.pk != user.pk:
        require(acting_user, "user", "change")
    return _revoke_calendar_feeds(user)


def _revoke_calendar_feeds(user: User) -> int:
    """Revoke every live feed token of `user` (at most one), each change audited; how many were revoked."""
    live = list(CalendarFeedToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
    for token in live:
        token.revoked_at = timezone.now()
        token.save()
    return len(live)


def note_calendar_feed_use(token: CalendarFeedToken, *, now: dt.datetime) -> None:
    """Stamp when a calendar client last fetched the feed, at most once a minute: bookkeeping outside the token's
    audit (`audit_exclude`), written past the audited manager like `note_token_use`."""
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        type(token)._base_manager.filter(pk=token.pk).update(last_used_at=now)


@transaction.atomic
def revoke_api_token(token: ApiToken, *, acting_user: User) -> ApiToken:
    """Revoke a token (its owner, or an admin); it stops working at once."""
    if acting_user.pk != token.user_id:
        require(acting_user, "user", "change")
    token.revoked_at = timezone.now()
    token.save()
    return token


def note_token_use(token: ApiToken, *, now: dt.datetime) -> None:
    """Stamp when a token authenticated an API call, at most once a minute.

    Bookkeeping, not a change of the record: `last_used_at` is outside the token's audit (`audit_exclude`), and
    the bearer middleware calls this before any audit context exists, so the row is written past the audited
    manager, with no permission to check (the token itself was just verified).
    """
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        type(token)._base_manager.filter(pk=token.pk).update(last_used_at=now)


@transaction.atomic
def save_therapeutic_area(
    area: TherapeuticArea | None,
    *,
    acting_user: User | None,
    name: str,
    description: str = "",
    mesh_tree_numbers: Any = None,
    active: bool = True,
    code: str = "",
) -> TherapeuticArea:
    """Create or change a therapeutic area."""
    _require_admin(acting_user, "therapeutic_area", "add" if area is None else "change")
    area = area or TherapeuticArea()
    area.name = clean_text(name, "name", required=True, max_length=120)
    area.code = slugify(code or area.code or area.name)[:40]
    area.description = clean_text(description, "description")
    area.mesh_tree_numbers = clean_text_list(mesh_tree_numbers, "mesh_tree_numbers", max_length=60)
    area.active = bool(active)
    if TherapeuticArea.objects.exclude(pk=area.pk).filter(name__iexact=area.name).exists():
        raise ValidationError({"name": "a therapeutic area with this name already exists"})
    area.save()
    return area


@transaction.atomic
def save_product(
    product: Product | None,
    *,
    acting_user: User | None,
    name: str,
    therapeutic_area: TherapeuticArea,
    generic_name: str = "",
    approved_indications: Any = None,
    active: bool = True,
) -> Product:
    """Create or change a product and its approved indications."""
    _require_admin(acting_user, "product", "add" if product is None else "change")
    product = product or Product()
    product.name = clean_text(name, "name", required=True, max_length=120)
    product.generic_name = clean_text(generic_name, "generic_name", max_length=120)
    product.therapeutic_area = therapeutic_area
    product.approved_indications = clean_text_list(approved_indications, "approved_indications")
    product.active = bool(active)
    if Product.objects.exclude(pk=product.pk).filter(name__iexact=product.name).exists():
        raise ValidationError({"name": "a product with this name already exists"})
    product.save()
    return product


@transaction.atomic
def save_team(
    team: Team | None, *, acting_user: User | None, name: str, therapeutic_area: TherapeuticArea | None = None
) -> Team:
    """Create or rename a field team."""
    _require_admin(acting_user, "user", "add" if team is None else "change")
    team = team or Team()
    team.name = clean_text(name, "name", required=True, max_length=120)
    team.therapeutic_area = therapeutic_area
    team.save()
    return team


@transaction.atomic
def save_territory(
    territory: Territory | None,
    *,
    acting_user: User | None,
    name: str,
    team: Team | None = None,
    regions: Any = None,
) -> Territory:
    """Create or change a territory and the regions it covers."""
    _require_admin(acting_user, "user", "add" if territory is None else "change")
    territory = territory or Territory()
    territory.name = clean_text(name, "name", required=True, max_length=120)
    territory.team = team
    territory.regions = clean_text_list(regions, "regions", max_length=20)
    territory.save()
    return territory


# --- second factor and sign-in locks ---------------------------------------------------------------------------


def _issue_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with fresh ones and return them (they are never shown again)."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def enroll_authenticator(user: User, *, key: str, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm a TOTP authenticator for `user` from a code it shows, replacing any earlier one, and issue fresh
    recovery codes; returns the device and the codes, which the caller shows once."""
    code = (code or "").replace(" ", "").strip()
    if not (code.isdigit() and len(code) == 6):
        raise ValidationError({"code": "Enter the 6-digit code your authenticator app shows."})
    try:
        bin_key = bytes.fromhex(key)
    except (TypeError, ValueError):
        raise ValidationError({"code": "The set-up expired; start again."}) from None
    totp = TOTP(bin_key, step=30, t0=0, digits=6)
    totp.time = time.time()
    if not totp.verify(int(code), tolerance=1):
        raise ValidationError(
            {"code": "That code does not match; check the phone's clock and try the next one."}
        )
    replaced = TOTPDevice.objects.filter(user=user).exists()
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(
        user=user, name="Authenticator", key=key, confirmed=True, last_t=totp.t()
    )
    codes = _issue_recovery_codes(user)
    record_event(
        "user.mfa_enrolled",
        obj=user,
        action="mfa_enrolled",
        changes={"authenticator": ["replaced" if replaced else None, "enrolled"]},
    )
    return device, codes


@transaction.atomic
def regenerate_recovery_codes(user: User) -> list[str]:
    """Issue a new set of recovery codes for an enrolled user; the old ones stop working at once."""
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ValidationError("Set up an authenticator first; recovery codes back it up.")
    codes = _issue_recovery_codes(user)
    record_event("user.mfa_recovery_codes_issued", obj=user, action="mfa_recovery_codes_issued")
    return codes


def verify_second_factor(user: User, code: str) -> Any:
    """Check a code from the user's authenticator (6 digits) or one of their recovery codes, and return the
    device that accepted it; raises ValidationError otherwise. A recovery code is used up, and its use audited.

    Not one transaction: a failed check must stay counted by the device's throttling (django-otp doubles the
    wait after each failure), so each device check commits on its own.
    """
    code = (code or "").replace(" ", "").replace("-", "").strip().lower()
    if code.isdigit() and len(code) == 6:
        devices: list[Any] = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    else:
        devices = list(StaticDevice.objects.filter(user=user, confirmed=True))
    for device in devices:
        allowed, _info = device.verify_is_allowed()
        if not allowed:
            raise ValidationError({"code": "Too many wrong codes in a row; wait a minute, then try again."})
        verified = otp_verify_token(user, device.persistent_id, code)
        if verified is not None:
            if isinstance(verified, StaticDevice):
                with transaction.atomic():
                    record_event(
                        "user.mfa_recovery_code_used",
                        obj=user,
                        action="mfa_recovery_code_used",
                        reason=f"{verified.token_set.count()} recovery codes left",
                    )
            return verified
    raise ValidationError({"code": "That code is not valid."})


@transaction.atomic
def reset_second_factor(user: User, *, acting_user: User | None, reason: str = "") -> int:
    """Remove a user's authenticator and recovery codes (a lost phone); they enrol again at their next sign-in
    if their role requires it. Administrators only. Returns how many devices were removed."""
    _require_admin(acting_user, "user", "change")
    removed = TOTPDevice.objects.filter(user=user).delete()[0]
    removed += StaticDevice.objects.filter(user=user).delete()[0]
    record_event(
        "user.mfa_reset",
        obj=user,
        action="mfa_reset",
        reason=clean_text(reason, "reason", max_length=500) or "second factor reset by an administrator",
    )
    return removed


@transaction.atomic
def unlock_sign_in(user: User, *, acting_user: User | None) -> None:
    """Lift a user's sign-in lock-out after failed attempts at once (administrators only)."""
    _require_admin(acting_user, "user", "change")
    throttle.clear_account(user.username)
    record_event("user.sign_in_unlocked", obj=user, action="sign_in_unlocked")
