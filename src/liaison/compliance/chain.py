"""Verifying the audit chain: every link recomputed under the audit key, in order."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field

from liaison.core.audit import GENESIS_HASH, event_hash
from liaison.core.audit_keys import AuditKey, Keyring, keyring
from liaison.core.models import AuditEvent


@dataclass(frozen=True)
class ChainHead:
    """The newest event of a chain, and the chain's identity (the uuid of its first event)."""

    seq: int
    hash: str
    chain_id: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    ok: bool
    broken_seq: int | None = None
    problem: str = ""
    head: ChainHead | None = None
    keys_used: list[str] = field(default_factory=list)
    legacy: int = 0

    def describe(self) -> str:
        if self.ok:
            head = f"; head #{self.head.seq} {self.head.hash[:16]}" if self.head else ""
            keys = f", signed with audit key(s) {', '.join(self.keys_used)}" if self.keys_used else ""
            legacy = (
                f" ({self.legacy} unkeyed events from before the key, linked into it)" if self.legacy else ""
            )
            return f"audit chain intact: {self.checked} events verified{keys}{legacy}{head}"
        return f"audit chain BROKEN at event #{self.broken_seq}: {self.problem} ({self.checked} verified before it)"


def chain_head() -> ChainHead | None:
    """The head of the stored chain, whether or not it verifies."""
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    if last is None:
        return None
    first = AuditEvent.objects.order_by("seq").values_list("uuid", flat=True).first()
    return ChainHead(seq=last[0], hash=last[1], chain_id=str(first))


def verify_chain(progress: Callable[[int], None] | None = None, batch: int = 5000) -> ChainReport:
    """Recompute every link in order; report the first event whose link or content does not match.

    Keyed events are checked with the key they name. Unkeyed events (from before the chain was keyed) are
    accepted only before the first keyed event: the first keyed link covers them, and an unkeyed event after it
    can only be a forgery.
    """
    ring = keyring()
    prev = GENESIS_HASH
    checked = legacy = 0
    last_seq = 0
    chain_id = ""
    keyed_seen = False
    keys_used: list[str] = []
    while True:
        rows = list(AuditEvent.objects.filter(seq__gt=last_seq).order_by("seq")[:batch])
        if not rows:
            head = ChainHead(last_seq, prev, chain_id) if checked else None
            return ChainReport(checked, True, head=head, keys_used=keys_used, legacy=legacy)

        for event in rows:
            if not chain_id:
                chain_id = str(event.uuid)
            problem, key = _check_key(event, ring, keyed_seen)
            if event.prev_hash != prev:
                problem = (
                    "its link to the previous event does not match "
                    "(an event before it was deleted, inserted or altered)"
                )
            elif not problem and not hmac.compare_digest(
                event_hash(prev, event.hash_payload(), key), event.hash
            ):
                problem = "its content does not match its signature (edited or forged)"
            if problem:
                return ChainReport(checked, False, event.seq, problem, keys_used=keys_used, legacy=legacy)
            if key is None:
                legacy += 1
            else:
                keyed_seen = True
                if key.key_id not in keys_used:
                    keys_used.append(key.key_id)
            prev = event.hash
            checked += 1
            last_seq = event.seq
        if progress:
            progress(checked)


def _check_key(event: AuditEvent, ring: Keyring, keyed_seen: bool) -> tuple[str, AuditKey | None]:
    """(problem, key) for the key an event names: a known key, or none only before the chain was keyed."""
    if not event.key_id:
        if keyed_seen:
            return "it carries no audit key after the chain was keyed (forged)", None
        return "", None
    key = ring.get(event.key_id)
    if key is None:
        return (
            f"it names audit key {event.key_id!r}, which is not in the keyring ({ring.source}): forged, or the key "
            "was lost",
            None,
        )
    return "", key
