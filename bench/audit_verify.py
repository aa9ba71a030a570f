"""Benchmark: `liaison audit verify` over a large audit trail, keyed chain against the old unkeyed one.

    .venv/bin/python bench/audit_verify.py                 # 100,000 events (a third of a large company's day, DESIGN.md)
    .venv/bin/python bench/audit_verify.py --events 50000

What it does: migrates a temporary SQLite database and writes, through the application's own write path (every
save writes its keyed audit event), HCPs and interactions with one attendee each, then updates a third of the
HCPs twice, until the trail holds `--events` events. It then times, each `--runs` times (p50):

- the keyed chain check (`verify_chain`: HMAC-SHA256 under the audit key) against the unkeyed SHA-256 chain the
  application used before (the same rows, recomputed the old way: what keying costs);
- the reconciliation of every audited record with the replay of its events (`reconcile`);
- all of `verify_all` (chain, anchors, records),

and the peak resident memory of the process. The figures are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def setup(folder: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["LIAISON_DATA_DIR"] = str(folder / "data")
    os.environ["LIAISON_AUDIT_KEY_FILE"] = str(folder / "audit-keys")
    os.environ["LIAISON_AUDIT_ANCHOR_FILE"] = str(folder / "anchors.jsonl")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings_test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def populate(events: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from liaison.accounts.models import User
    from liaison.core.models import AuditEvent
    from liaison.core.context import audit_context
    from liaison.engagement.models import Interaction, InteractionAttendee
    from liaison.people.models import HCP

    started = time.monotonic()
    with audit_context(actor=None, source="system", reason="benchmark set-up"):
        owner = User.objects.create(username="msl", role="msl")
        batch = 0
        while AuditEvent.objects.count() < events:
            with transaction.atomic():
                hcps = [
                    HCP.objects.create(first_name="Bench", last_name=f"Person {batch}-{i}")
                    for i in range(100)
                ]
                for i, hcp in enumerate(hcps):
                    interaction = Interaction.objects.create(
                        owner=owner, occurred_at=timezone.now(), channel="phone", purpose="education"
                    )
                    InteractionAttendee.objects.create(interaction=interaction, hcp=hcp)
                    if i % 3 == 0:
                        hcp.city = "Iowa City"
                        hcp.save()
                        hcp.city = "Boston"
                        hcp.save()
            batch += 1
            done = AuditEvent.objects.count()
            print(
                f"\r  writing: {done:,} events ({done / (time.monotonic() - started):,.0f}/s)",
                end="",
                flush=True,
            )
    print()


def unkeyed_chain() -> int:
    """The old check: SHA-256 links, no key (what anyone with database access could recompute)."""
    from liaison.core.models import AuditEvent
    from liaison.core.audit import GENESIS_HASH, canonical

    prev, checked, last = GENESIS_HASH, 0, 0
    while True:
        rows = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:5000])
        if not rows:
            return checked
        for event in rows:
            payload = event.hash_payload()
            payload.pop("key_id", None)
            prev = hashlib.sha256((prev + canonical(payload)).encode("utf-8")).hexdigest()
            checked += 1
            last = event.seq


def timed(label: str, func, runs: int) -> float:
    seconds = []
    for _ in range(runs):
        t = time.perf_counter()
        func()
        seconds.append(time.perf_counter() - t)
    p50 = statistics.median(seconds)
    print(f"  {label:<48} {p50:8.2f} s")
    return p50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="liaison-bench-audit-") as tmp:
        setup(Path(tmp))
        from liaison.compliance.anchors import write_anchor
        from liaison.compliance.chain import verify_chain
        from liaison.core.models import AuditEvent
        from liaison.compliance.reconcile import reconcile
        from liaison.compliance.verification import verify_all

        print(f"Populating an audit trail of {args.events:,} events...")
        populate(args.events)
        write_anchor("benchmark")
        n = AuditEvent.objects.count()
        print(
            f"{n:,} events; machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
        )
        keyed = timed("keyed chain (verify_chain, HMAC-SHA256)", lambda: verify_chain(), args.runs)
        old = timed("unkeyed chain (SHA-256, as before)", unkeyed_chain, args.runs)
        records = timed("records reconciled with their events", lambda: reconcile(), args.runs)
        whole = timed(
            "verify_all (chain + anchors + records)", lambda: verify_all(anchor_when_ok=False), args.runs
        )
        report = verify_all(anchor_when_ok=False)
        assert report.ok, report.problems[:5]
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  records compared: {report.records.records:,} in {report.records.models} tables")
        print(
            f"  keyed / unkeyed chain: {keyed / old:.2f}x; events per second, whole verify: {n / whole:,.0f}"
        )
        print(f"  keyed chain {n / keyed:,.0f} events/s; reconciliation {records:.2f} s")
        print(f"  peak resident memory: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
