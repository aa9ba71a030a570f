"""Verifying the audit hash chain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from liaison.core.audit import GENESIS_HASH, event_hash

from .models import AuditEvent


@dataclass(frozen=True)
class ChainReport:
    checked: int
    ok: bool
    broken_seq: int | None = None
    problem: str = ""

    def describe(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.checked} events verified"
        return f"audit chain BROKEN at event #{self.broken_seq}: {self.problem} ({self.checked} verified before it)"


def verify_chain(progress: Callable[[int], None] | None = None, batch: int = 5000) -> ChainReport:
    """Recompute every hash in order; report the first event whose link or content does not match."""
    prev = GENESIS_HASH
    checked = 0
    last_seq = 0
    while True:
        rows = list(AuditEvent.objects.filter(seq__gt=last_seq).order_by("seq")[:batch])
        if not rows:
            return ChainReport(checked=checked, ok=True)
        for event in rows:
            if event.prev_hash != prev:
                return ChainReport(
                    checked,
                    False,
                    event.seq,
                    "its link to the previous event does not match "
                    "(an event before it was deleted, inserted or altered)",
                )
            if event_hash(prev, event.hash_payload()) != event.hash:
                return ChainReport(checked, False, event.seq, "its content does not match its hash (edited)")
            prev = event.hash
            checked += 1
            last_seq = event.seq
        if progress:
            progress(checked)
