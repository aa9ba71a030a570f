"""Everything `liaison audit verify` checks, in one report.

1. The chain: every link recomputed under the audit key (an edit, deletion, insertion, reordering or forged
   event breaks it at a named event).
2. The anchors: every signed checkpoint of this chain outside the database still matches (truncation of the
   newest events, or a chain rewritten from some point on, is named with the anchored position).
3. The records: every audited record holds what the replay of its audit events says (a direct edit of a
   domain row is named by table, record and field).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from liaison.core.audit import record_event

from .anchors import AnchorReport, check_anchors, write_anchor
from .chain import ChainHead, ChainReport, chain_head, verify_chain
from .reconcile import ReconcileReport, reconcile


@dataclass
class VerifyReport:
    chain: ChainReport
    head: ChainHead | None
    anchors: AnchorReport
    records: ReconcileReport

    @property
    def ok(self) -> bool:
        return self.chain.ok and self.anchors.ok and self.records.ok

    @property
    def problems(self) -> list[str]:
        found = [] if self.chain.ok else [self.chain.describe()]
        found += self.anchors.problems
        found += [d.describe() for d in self.records.discrepancies]
        if self.records.total > len(self.records.discrepancies):
            found.append(f"... and {self.records.total - len(self.records.discrepancies)} more differences")
        return found

    def describe(self) -> str:
        if self.ok:
            return f"{self.chain.describe()}; {self.anchors.describe()}; {self.records.describe()}"
        return "; ".join(self.problems[:5])


def verify_all(
    *,
    chain_progress: Callable[[int], None] | None = None,
    record_progress: Callable[[str, int], None] | None = None,
    anchor_when_ok: bool = True,
) -> VerifyReport:
    """Check the chain, the anchors and the records; anchor the verified head when all three hold."""
    head = chain_head()
    chain = verify_chain(progress=chain_progress)
    anchors = check_anchors(head)
    records = reconcile(progress=record_progress)
    report = VerifyReport(chain=chain, head=head, anchors=anchors, records=records)
    if report.ok and anchor_when_ok and head is not None:
        write_anchor("verified", head=head)
    return report


def verify_and_record() -> VerifyReport:
    """`verify_all`, then the `audit.verified` event with its outcome in the acting user's audit context (the
    oversight homes and the audit log show the latest): what the "Verify audit trail" button runs."""
    report = verify_all()
    record_event(
        "audit.verified",
        action="verify",
        object_type="compliance.chain",
        object_repr=report.describe(),
        changes={
            "checked": [None, report.chain.checked],
            "ok": [None, report.ok],
            "broken_seq": [None, report.chain.broken_seq],
            "anchors_checked": [None, report.anchors.checked],
            "record_differences": [None, report.records.total],
        },
    )
    return report
