"""The tables linking reads and writes, its thresholds and its run summary (docs/kol-scores.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

AUTO_LINK = 0.90  # at or above: "linked", used by scoring without a user's review
SUGGEST = 0.50  # at or above (and below AUTO_LINK): "suggested", waits for a user; below: not written

TARGETS = ("hcp", "investigator", "payment_recipient", "npi")
STATUSES = ("linked", "suggested", "accepted", "rejected")
DECISIONS = ("accepted", "rejected")

_STR = pa.string()

LINK_SCHEMA = pa.schema(
    [
        pa.field("person_id", _STR, nullable=False),
        pa.field("person_name", _STR, nullable=False),
        pa.field("target", _STR, nullable=False),
        pa.field("target_id", _STR, nullable=False),
        pa.field("target_name", _STR, nullable=False),
        pa.field("confidence", pa.float64(), nullable=False),
        pa.field("evidence", pa.list_(_STR), nullable=False),
        pa.field("status", _STR, nullable=False),
    ]
)

HCP_SCHEMA = pa.schema(
    [
        ("hcp_id", _STR),
        ("first_name", _STR),
        ("middle_name", _STR),
        ("last_name", _STR),
        ("npi", _STR),
        ("orcid", _STR),
        ("email", _STR),
        ("city", _STR),
        ("state", _STR),
        ("country", _STR),
        ("organizations", pa.list_(_STR)),
    ]
)

DECISION_SCHEMA = pa.schema(
    [
        ("person_id", _STR),
        ("target", _STR),
        ("target_id", _STR),
        ("decision", _STR),
    ]
)


class LinkInputError(ValueError):
    """An input table that linking cannot use (missing columns, bad values); the message says which."""


@dataclass
class LinkSummary:
    """What one linking run did: rows per target and status, what it read and how long it took."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # target -> status -> rows written
    persons: int = 0  # persons (author clusters) in authorships.parquet
    pairs_compared: int = 0  # candidate pairs that passed blocking and were scored
    sources_missing: list[str] = field(default_factory=list)  # input tables absent in this run
    decisions_applied: int = 0
    decisions_dropped: int = 0  # decisions whose target no longer exists in a present source
    rows: int = 0
    seconds: float = 0.0

    def count(self, target: str, status: str) -> int:
        return self.counts.get(target, {}).get(status, 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": {t: dict(sorted(s.items())) for t, s in sorted(self.counts.items())},
            "persons": self.persons,
            "pairs_compared": self.pairs_compared,
            "sources_missing": list(self.sources_missing),
            "decisions_applied": self.decisions_applied,
            "decisions_dropped": self.decisions_dropped,
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
        }
