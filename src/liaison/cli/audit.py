"""`liaison audit verify | anchor | rotate-key`: check and anchor the audit trail, rotate its key."""

from __future__ import annotations

import os
import sys
import time

import click

from .common import console, database_label, err, fail, progress_bar, setup_django


@click.group()
def audit() -> None:
    """Check the audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Verify the audit trail: the keyed chain, its anchors outside the database, and every audited record.

    Prints the chain head and what each check found. Exit code 0 when all three hold (the verified head is then
    anchored), 1 when an event was edited, deleted, inserted, reordered or forged, the newest events were cut off
    or re-chained (anchors), or an audited record was changed outside the application (named by table, record and
    field).
    """
    setup_django()
    # Imported after setup_django(): these modules load models, which need the app registry.
    from liaison.compliance.verification import verify_all
    from liaison.core.models import AuditEvent

    started = time.monotonic()
    total = AuditEvent.objects.count()
    with progress_bar("Verifying audit chain", total) as advance:
        done = [0]

        def on_progress(checked: int) -> None:
            advance("events", checked - done[0])
            done[0] = checked

        report = verify_all(chain_progress=on_progress)
    seconds = time.monotonic() - started
    head = report.head
    console.print(
        f"chain head:  #{head.seq} {head.hash} (chain {head.chain_id})"
        if head
        else "chain head:  (no events)"
    )
    mark = {True: "[green]ok[/]  ", False: "[red]FAIL[/]"}
    console.print(f"{mark[report.chain.ok]} chain:   {report.chain.describe()}")
    anchors_line = report.anchors.describe()
    if report.anchors.ok and not report.anchors.checked:
        console.print(f"[yellow]warn[/] anchors: {anchors_line} (run `liaison audit anchor`)")
    else:
        console.print(f"{mark[report.anchors.ok]} anchors: {anchors_line}")
    console.print(f"{mark[report.records.ok]} records: {report.records.describe()}")
    if report.ok:
        console.print(f"[bold green]OK[/] audit trail verified in {seconds:.1f} s ({database_label()}).")
        return
    for problem in report.problems:
        err.print(f"  - {problem}")
    err.print(f"[bold red]BROKEN[/] the audit trail does not verify ({database_label()}).")
    sys.exit(1)


@audit.command("anchor")
def audit_anchor() -> None:
    """Append a signed anchor of the chain head to the anchor file (the worker does this on a schedule)."""
    setup_django()
    # Imported after setup_django(): these modules load models, which need the app registry.
    from liaison.compliance.anchors import anchor_file, write_anchor

    record = write_anchor("liaison audit anchor")
    if record is None:
        console.print("The audit chain is empty: nothing to anchor.")
        return
    console.print(
        f"Anchored head #{record['seq']} {record['hash']} in {anchor_file()} (key {record['key_id']})."
    )


@audit.command("rotate-key")
@click.option(
    "--print", "print_only", is_flag=True, help="Only print a new `id secret` line; change nothing."
)
def audit_rotate_key(print_only: bool) -> None:
    """Add a new audit key that signs from now on; older keys stay to verify what they signed.

    With a key file (LIAISON_AUDIT_KEY_FILE) the new key is appended to it. With LIAISON_AUDIT_KEYS, add the
    printed entry to the variable's end in your secret store and restart. The rotation is recorded in the audit
    trail (signed with the new key) and the head is anchored.
    """
    # Imported here: the CLI loads no Django code until a command has set Django up.
    from liaison.core.audit_keys import new_key_id, new_secret

    key_id, secret = new_key_id(), new_secret()
    if print_only:
        click.echo(f"{key_id} {secret}")
        return
    setup_django()
    # Imported after setup_django(): these modules load models, which need the app registry.
    from liaison.compliance.anchors import write_anchor
    from liaison.core import audit_keys
    from liaison.core.audit import record_event
    from liaison.core.context import audit_context

    if os.environ.get("LIAISON_AUDIT_KEYS", "").strip():
        fail(
            "the audit keys come from LIAISON_AUDIT_KEYS: append this entry to it in your secret store, restart "
            f"every process, then run `liaison audit anchor`:\n  {key_id}:{secret}"
        )
    old = audit_keys.keyring().current.key_id
    path = audit_keys.key_file()
    audit_keys.append_key_line(
        path, key_id, secret, comment=f"rotated from {old} by liaison audit rotate-key"
    )
    audit_keys.reset()
    with audit_context(actor=None, source="cli", reason="liaison audit rotate-key"):
        record_event(
            "audit.key_rotated",
            action="rotate_key",
            object_type="compliance.chain",
            object_repr=f"audit key {old} -> {key_id}",
            changes={"key_id": [old, key_id]},
        )
    write_anchor("key rotated")
    console.print(f"New audit key {key_id} appended to {path}; it signs from now on (previous: {old}).")
