"""`liaison user add | reset-second-factor | unlock` and `liaison token`: users and their API tokens."""

from __future__ import annotations

from typing import Any

import click

from .common import console, err, fail, setup_django, validation_text


@click.group()
def user() -> None:
    """Manage users."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role", required=True, help="One of the roles in docs/roles.md, e.g. msl, msl_manager, admin."
)
@click.option(
    "--password",
    default=None,
    help="Initial password. Without it the user gets an unusable "
    "password (API tokens only, or a password set later by an admin).",
)
@click.option("--email", default="", help="E-mail address.")
@click.option("--first-name", default="", help="Given name.")
@click.option("--last-name", default="", help="Family name.")
def user_add(name: str, role: str, password: str | None, email: str, first_name: str, last_name: str) -> None:
    """Create the user NAME with one role."""
    setup_django()
    # Imported after setup_django(): these modules load models, which need the app registry.
    from django.core.exceptions import ValidationError

    from liaison.accounts.actions import create_user
    from liaison.core.context import audit_context
    from liaison.core.roles import INVITED_ROLES, Role

    if role in INVITED_ROLES:
        raise click.BadParameter(
            f"{role!r} users are created by the invitation to a board (docs/programs.md), not by hand",
            param_hint="'--role'",
        )
    if role not in Role.values:
        roles = "\n".join(f"  {r.value:<20} {r.label}" for r in Role)
        raise click.BadParameter(f"unknown role {role!r}. Choose one of:\n{roles}", param_hint="'--role'")
    try:
        with audit_context(actor=None, source="cli", reason="liaison user add"):
            created = create_user(
                username=name,
                role=role,
                password=password,
                email=email,
                first_name=first_name,
                last_name=last_name,
            )
    except ValidationError as exc:
        fail(validation_text(exc))
    login = "can sign in with the given password" if password else "has no password (API tokens only)"
    console.print(f"Created user [bold]{created.username}[/] ({created.role_label()}); {login}.")


def _existing_user(name: str) -> Any:
    """The user NAME (case-insensitive), or a usage error naming `liaison user add`."""
    from django.contrib.auth import get_user_model

    found = get_user_model().objects.filter(username__iexact=name).first()
    if found is None:
        raise click.BadParameter(
            f"no user named {name!r}; create one with `liaison user add`", param_hint="NAME"
        )
    return found


@user.command("reset-second-factor")
@click.argument("name")
@click.option("--reason", required=True, help="Why, for the audit trail (e.g. 'phone lost, ticket 4711').")
def user_reset_second_factor(name: str, reason: str) -> None:
    """Remove the authenticator and recovery codes of NAME (a lost phone, the last administrator's included);
    they set up a new one at their next sign-in."""
    setup_django()
    # Imported after setup_django(): these modules load models, which need the app registry.
    from liaison.accounts.actions import reset_second_factor
    from liaison.core.context import audit_context

    target = _existing_user(name)
    with audit_context(actor=None, source="cli", reason="liaison user reset-second-factor"):
        removed = reset_second_factor(target, acting_user=None, reason=reason)
    console.print(f"Second factor of [bold]{target.username}[/] reset ({removed} device(s) removed).")


@user.command("unlock")
@click.argument("name")
def user_unlock(name: str) -> None:
    """Lift the sign-in lock-out of NAME after too many failed passwords."""
    setup_django()
    # Imported after setup_django(): these modules load models, which need the app registry.
    from liaison.accounts.actions import unlock_sign_in
    from liaison.core.context import audit_context

    target = _existing_user(name)
    with audit_context(actor=None, source="cli", reason="liaison user unlock"):
        unlock_sign_in(target, acting_user=None)
    console.print(f"[bold]{target.username}[/] may sign in again.")


@click.command()
@click.argument("name")
@click.option(
    "--label", default="cli", show_default=True, help="What the token is for, shown in token lists."
)
def token(name: str, label: str) -> None:
    """Issue a new API token for the user NAME and print it (it is shown only once).

    Use it as `Authorization: Bearer <token>` against /api/v1/.
    """
    setup_django()
    # Imported after setup_django(): these modules load models, which need the app registry.
    from django.contrib.auth import get_user_model
    from django.core.exceptions import ValidationError

    from liaison.accounts.actions import create_api_token
    from liaison.core.context import audit_context

    owner = get_user_model().objects.filter(username__iexact=name).first()
    if owner is None:
        raise click.BadParameter(
            f"no user named {name!r}; create one with `liaison user add`", param_hint="NAME"
        )
    if not owner.is_active:
        fail(f"user {owner.username!r} is deactivated; a token for them would not work")
    try:
        with audit_context(actor=None, source="cli", reason="liaison token"):
            stored, raw = create_api_token(owner, name=label)
    except ValidationError as exc:
        fail(validation_text(exc))
    err.print(
        f"API token {stored.prefix}... for {owner.username} ({owner.role_label()}); store it now, it is "
        "not shown again:"
    )
    click.echo(raw)
