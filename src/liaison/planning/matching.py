"""Does a piece of new evidence match an HCP's standing interest? Pure functions, no database.

Three signals, any one of which is a match (docs/engagement-planning.md):
- MeSH: one of the interest's MeSH terms (descriptor name or id, e.g. "Lung Neoplasms" or "D008175") is among
  the publication's MeSH headings; this is the precise signal and the one to prefer when recording.
- Topic words: every significant word of the topic (four letters or more, not a stop word; plural "s" ignored)
  appears in the title or the author keywords. All words, not any: "EGFR resistance" must not fire on every
  paper that mentions resistance.
- Product: the interest names a product and its brand or generic name is in the title.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

STOP_WORDS = frozenset(
    [
        "about",
        "after",
        "also",
        "among",
        "and",
        "being",
        "between",
        "data",
        "from",
        "have",
        "into",
        "more",
        "most",
        "new",
        "news",
        "over",
        "such",
        "than",
        "that",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "under",
        "update",
        "updates",
        "upon",
        "using",
        "what",
        "when",
        "which",
        "while",
        "with",
        "within",
        "without",
        "latest",
        "information",
        "study",
        "studies",
    ]
)
_WORD = re.compile(r"[a-z0-9][a-z0-9\-]*")


@dataclass(frozen=True)
class Evidence:
    """The parts of a record that matching reads: its title, keywords and MeSH headings."""

    title: str = ""
    keywords: Sequence[str] = ()
    mesh: Sequence[dict[str, Any]] = field(default_factory=tuple)


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word


def significant_words(text: str) -> list[str]:
    """The words of a topic that must all appear for a topic match, stemmed, in order, without repeats."""
    words = [_stem(w) for w in _WORD.findall((text or "").lower()) if len(w) >= 4 and w not in STOP_WORDS]
    return list(dict.fromkeys(words))


def _words_of(texts: Iterable[str]) -> set[str]:
    return {_stem(w) for text in texts for w in _WORD.findall((text or "").lower())}


def match_interest(
    topic: str, mesh_terms: Sequence[str], evidence: Evidence, *, product_names: Sequence[str] = ()
) -> list[str]:
    """What matched, as short labels ("MeSH Lung Neoplasms", "topic words egfr, resistance"); empty: no match."""
    matched: list[str] = []
    headings = [m for m in evidence.mesh or () if isinstance(m, dict)]
    by_key = {str(m.get("ui", "")).lower(): m for m in headings if m.get("ui")}
    by_key.update({str(m.get("name", "")).lower(): m for m in headings if m.get("name")})
    for term in mesh_terms or ():
        hit = by_key.get(term.strip().lower())
        if hit is not None:
            label = f"MeSH {hit.get('name') or hit.get('ui')}"
            if label not in matched:
                matched.append(label)
    wanted = significant_words(topic)
    if wanted:
        present = _words_of([evidence.title, *(evidence.keywords or ())])
        if all(w in present for w in wanted):
            matched.append("topic words " + ", ".join(wanted))
    title = (evidence.title or "").lower()
    for name in product_names:
        if name and re.search(rf"\b{re.escape(name.lower())}\b", title):
            matched.append(f"product {name}")
            break
    return matched
