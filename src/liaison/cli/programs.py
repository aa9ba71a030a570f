"""`liaison programs portal-link`: a fresh participant-portal link for an advisor of an asynchronous board."""

from __future__ import annotations

import click

from .common import console, fail, setup_django, unapplied_migrations


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
    from liaison.programs.actions import invite_advisor
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
