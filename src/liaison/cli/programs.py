"""`liaison programs portal-link`: a fresh participant-portal link for an advisor of an asynchronous board;
`liaison programs import-sessions`: a congress programme CSV."""

from __future__ import annotations

from pathlib import Path

import click

from .common import console, err, fail, setup_django, unapplied_migrations, validation_text


@click.group()
def programs() -> None:
    """Events and advisory boards (docs/programs.md)."""


@programs.command("portal-link")
@click.argument("email")
@click.option("--base-url", default="http://localhost:8000", show_default=True, help="The server's address.")
def portal_link(email: str, base_url: str) -> None:
    """Print a new single-use portal link for the advisor invited with EMAIL (the previous link stops working).

    For the demo and for support: the link is printed, not e-mailed; it signs the advisor in once.
    """
    setup_django()
    # Imported after setup_django(): these modules load models, which need the app registry.
    from liaison.core.context import audit_context
    from liaison.programs.actions.board import invite_advisor
    from liaison.programs.models import PortalAccess

    if unapplied_migrations():
        fail("the database is not fully migrated; run `liaison migrate` first")
    access = (
        PortalAccess.objects.select_related("participant__event", "user")
        .filter(user__email__iexact=email)
        .order_by("-issued_at")
        .first()
    )
    if access is None:
        fail(f"no advisor was invited with {email!r}", code=2)
        return
    with audit_context(actor=None, source="cli", reason="liaison programs portal-link"):
        _, raw = invite_advisor(
            access.participant, acting_user=None, email=access.user.email, second_factor=access.second_factor
        )
    console.print(f"{access.participant.name} · {access.participant.event.title}")
    console.print(f"{base_url.rstrip('/')}/portal/enter/{raw}/")


@programs.command("import-sessions")
@click.argument("event_id")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would happen and write nothing.")
@click.option("--as", "username", required=True, help="The user importing (who may change the congress).")
def import_sessions_command(event_id: str, path: Path, dry_run: bool, username: str) -> None:
    """Import a congress programme CSV into the congress EVENT_ID (its uuid). Every row is created, updated
    (same code), found unchanged or refused by line and field; importing the same file again changes nothing.
    Columns in docs/programs.md, "Congresses". Exit 1 when rows were refused."""
    setup_django()
    # Imported after setup_django(): these modules load models, which need the app registry.
    from django.contrib.auth import get_user_model
    from django.core.exceptions import ValidationError

    from liaison.core.context import audit_context
    from liaison.core.permissions import PermissionDenied
    from liaison.programs.actions.congress import import_sessions
    from liaison.programs.models import Event

    if unapplied_migrations():
        fail("the database is not fully migrated; run `liaison migrate` first")
    user = get_user_model().objects.filter(username__iexact=username, is_active=True).first()
    if user is None:
        fail(f"no active user {username!r}", code=2)
        return
    try:
        event = Event.objects.restrict(user, "view").get(uuid=event_id)
    except (Event.DoesNotExist, ValidationError, ValueError):
        fail(f"no event {event_id!r} that {username} may see", code=2)
        return
    except PermissionDenied as exc:
        fail(f"{username}: {exc}", code=2)
        return
    try:
        with audit_context(actor=user, source="cli", reason=f"liaison programs import-sessions {path.name}"):
            report = import_sessions(event, acting_user=user, data=path.read_bytes(), dry_run=dry_run)
    except PermissionDenied as exc:
        fail(f"{username}: {exc}", code=2)
        return
    except ValidationError as exc:
        fail(validation_text(exc))
        return
    for r in report.refused:
        err.print(f"[yellow]line {r.line}[/] {r.field}: {r.message}")
    console.print(f"{path.name}: {report.summary()}{' (dry run: nothing written)' if dry_run else ''}.")
    if report.refused:
        raise SystemExit(1)
