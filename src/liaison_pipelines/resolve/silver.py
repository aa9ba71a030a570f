"""A silver standard for author disambiguation, made from the ORCID iDs that PubMed records carry.

Two author instances with the same normalised ORCID on different articles are the same person (positive);
two instances of one block (`names.block_key`: normalised surname + first initial, what the resolver
compares) that carry different ORCIDs are different people (negative). The resolver itself trusts ORCIDs
(equal: probability 1, different: 0 and a cannot-link), so scoring these pairs with the ORCIDs visible
would be trivially perfect: `mask_orcids` hides every ORCID before the instances are compared.

`split_part` puts a pair in a development or a locked test part by a seeded hash of its name block, so that
the same name (and the person behind it) never sits on both sides.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .authors import Instance

TEST_SHARE = 0.3  # share of name blocks that go to the locked test part
SPLIT_SEED = "liaison-authors-2026"


@dataclass(frozen=True, slots=True)
class SilverPair:
    """Two author instances, whether their ORCIDs say they are one person, and the name block they split by."""

    a: Instance
    b: Instance
    same: bool
    group: str  # name block used for splitting (the smaller block key of the two instances)


def silver_pairs(instances: Iterable[Instance]) -> list[SilverPair]:
    """Positive pairs (same ORCID, different articles) and negative pairs (one block, different ORCIDs).

    Positives may cross blocks ("Wang J" and "Wang Jing-Yi" under a misspelled surname): the resolver never
    compares those, so they count against its recall, as they should. Pairs come in a stable order.
    """
    by_orcid: dict[str, list[Instance]] = defaultdict(list)
    by_block: dict[str, list[Instance]] = defaultdict(list)
    for inst in sorted(instances, key=lambda i: i.sort_key):
        if inst.orcid:
            by_orcid[inst.orcid].append(inst)
            by_block[inst.block].append(inst)
    pairs: list[SilverPair] = []
    for orcid in sorted(by_orcid):
        same = by_orcid[orcid]
        for i, a in enumerate(same):
            for b in same[i + 1 :]:
                if a.pmid != b.pmid:
                    pairs.append(SilverPair(a, b, True, min(a.block, b.block)))
    for block in sorted(by_block):
        members = by_block[block]
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if a.orcid != b.orcid:
                    pairs.append(SilverPair(a, b, False, block))
    return pairs


def mask_orcids(instances: Sequence[Instance]) -> list[Instance]:
    """Copies of `instances` without their ORCIDs, so that the resolver must decide from the other evidence."""
    return [dataclasses.replace(inst, orcid="") for inst in instances]


def split_part(group: str, *, seed: str = SPLIT_SEED, test_share: float = TEST_SHARE) -> str:
    """ "test" or "dev" for a name block, by a seeded hash (stable across runs, machines and Python versions)."""
    digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
    return "test" if int.from_bytes(digest[:8], "big") / 2**64 < test_share else "dev"


def fold_of(group: str, folds: int, *, seed: str = SPLIT_SEED) -> int:
    """Cross-validation fold of a name block (its own seeded hash, independent of `split_part`)."""
    digest = hashlib.sha256(f"{seed}:fold:{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % folds
