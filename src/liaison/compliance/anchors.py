"""Anchors: signed checkpoints of the audit chain head, kept outside the database.

The keyed chain stops anyone without the audit key from editing, inserting or re-chaining events, but a
database administrator can still cut off the newest events (or the whole tail after some point) and leave a
shorter chain that verifies. Anchors close that gap: every few minutes (the worker), on every backup and on
`liaison audit anchor`, the head (`seq`, `hash`) is appended, signed with the audit key, to a file outside the
database (LIAISON_AUDIT_ANCHOR_FILE), and optionally to syslog. `liaison audit verify` then checks every anchor
of this chain against the database: a missing or different event at an anchored position means truncation or
re-chaining.

Anchors of several databases may share one file; each carries its chain's identity (the uuid of the chain's
first event, which the key protects like every other event).
"""

from __future__ import annotations

import hmac
import json
import logging
import logging.handlers
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from liaison.core.audit import canonical
from liaison.core.audit_keys import keyring
from liaison.core.models import AuditEvent

from .chain import ChainHead, chain_head

logger = logging.getLogger(__name__)
ANCHOR_VERSION = 1


def anchor_file() -> Path:
    return Path(settings.LIAISON_AUDIT_ANCHOR_FILE).expanduser()


def _signed(record: dict[str, Any]) -> dict[str, Any]:
    key = keyring().current
    record = {**record, "key_id": key.key_id}
    return {**record, "signature": key.sign("anchor", canonical(record))}


def write_anchor(reason: str, *, head: ChainHead | None = None) -> dict[str, Any] | None:
    """Append a signed anchor of the current chain head; returns it (None when the chain is empty)."""
    head = head or chain_head()
    if head is None:
        return None
    record = _signed(
        {
            "v": ANCHOR_VERSION,
            "chain": head.chain_id,
            "seq": head.seq,
            "hash": head.hash,
            "at": timezone.now().isoformat(),
            "reason": reason,
            "host": socket.gethostname(),
        }
    )
    line = json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"
    path = anchor_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # O_APPEND: each anchor is one write at the end, never a rewrite of what is there (the file may be
    # append-only at the file-system level: chattr +a).
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    if settings.LIAISON_AUDIT_ANCHOR_SYSLOG:
        _to_syslog(line.strip())
    return record


_last_scheduled: dict[str, tuple[str, int]] = {}


def anchor_on_schedule() -> dict[str, Any] | None:
    """The worker's periodic anchor: written when the head moved since this process last anchored it."""
    head = chain_head()
    if head is None or _last_scheduled.get("head") == (head.chain_id, head.seq):
        return None
    record = write_anchor("scheduled", head=head)
    _last_scheduled["head"] = (head.chain_id, head.seq)
    return record


def _to_syslog(line: str) -> None:
    try:
        handler = logging.handlers.SysLogHandler(
            address="/dev/log", facility=logging.handlers.SysLogHandler.LOG_AUTH
        )
    except OSError as exc:
        logger.warning("could not reach syslog for the audit anchor: %s", exc)
        return
    try:
        handler.emit(logging.makeLogRecord({"msg": f"liaison-audit-anchor {line}", "levelno": logging.INFO}))
    finally:
        handler.close()


def read_anchors(path: Path | None = None) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """(line number, anchor) for each line of the anchor file; anchor None for a line that is not JSON."""
    path = path or anchor_file()
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                yield number, None
                continue
            yield number, record if isinstance(record, dict) else None


def signature_ok(record: dict[str, Any]) -> bool:
    key = keyring().get(str(record.get("key_id", "")))
    if key is None or not isinstance(record.get("signature"), str):
        return False
    unsigned = {k: v for k, v in record.items() if k != "signature"}
    return hmac.compare_digest(key.sign("anchor", canonical(unsigned)), record["signature"])


@dataclass
class AnchorReport:
    """What checking the anchors found: how many belong to this chain, the newest, and every problem."""

    path: Path
    checked: int = 0
    latest: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)
    unreadable: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        if not self.checked:
            return f"no anchor of this chain in {self.path}: truncation cannot be ruled out"
        latest = self.latest or {}
        text = (
            f"{self.checked} anchors of this chain in {self.path} match; newest #{latest.get('seq')} "
            f"at {latest.get('at')} ({latest.get('reason')})"
        )
        if self.unreadable:
            text += f"; {self.unreadable} lines could not be read"
        return text


def check_anchors(head: ChainHead | None, path: Path | None = None) -> AnchorReport:
    """Check every anchor of this chain against the database.

    An anchor whose signature fails is reported (someone wrote into the anchor file); an anchored event that is
    missing (truncation) or has another hash (re-chained) is reported with its position.
    """
    path = path or anchor_file()
    report = AnchorReport(path=path)
    if head is None:
        # An empty audit table: every anchor of any chain in this file is a chain that vanished. With anchors of
        # several databases in one file we cannot tell which was this one; say so, verify's reconciliation will
        # still name every record that has no history.
        return report
    anchored: dict[int, dict[str, Any]] = {}
    for number, record in read_anchors(path):
        if record is None:
            report.unreadable += 1
            continue
        if record.get("chain") != head.chain_id:
            continue
        if not signature_ok(record):
            report.problems.append(
                f"{path}, line {number}: anchor signature does not verify (forged or edited)"
            )
            continue
        seq = record.get("seq")
        if not isinstance(seq, int):
            report.problems.append(f"{path}, line {number}: anchor without a position")
            continue
        if record.get("reason") == "restore":
            # A restore to `seq`: events anchored past it before the restore were lost with it, knowingly.
            anchored = {s: r for s, r in anchored.items() if s <= seq}
        anchored[seq] = record
        report.checked += 1
        report.latest = max(anchored.values(), key=lambda r: r["seq"])
    if not anchored:
        return report
    stored = dict(AuditEvent.objects.filter(seq__in=list(anchored)).values_list("seq", "hash"))
    for seq in sorted(anchored):
        record = anchored[seq]
        if seq > head.seq:
            report.problems.append(
                f"anchor of {record.get('at')} names event #{seq}, but the chain ends at #{head.seq}: "
                f"{seq - head.seq} or more of the newest events were removed"
            )
        elif seq not in stored:
            report.problems.append(f"anchored event #{seq} ({record.get('at')}) is missing from the database")
        elif not hmac.compare_digest(stored[seq], str(record.get("hash", ""))):
            report.problems.append(
                f"anchored event #{seq} ({record.get('at')}) has another hash than when it was anchored: "
                "the chain was rewritten"
            )
    return report
