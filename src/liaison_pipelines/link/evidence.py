"""The evidence that an author cluster and a target record are the same person, and its confidence.

There is no gold standard for these links (no public set pairs PubMed author clusters with trial
investigators, Open Payments profiles or NPI records), so nothing could be fitted: the weights below are set
by hand from what each piece of evidence means, and docs/kol-scores.md prints the same table. A pair's
log-odds is `PRIOR` plus the weights of the evidence it shows; its confidence is the logistic of that sum.
The prior makes a bare full-name match (surname and first name equal, nothing else) fall just short of a
suggestion: one more agreeing fact (middle initial, city, affiliation, topic) is needed to show it to a user.

Hard rules come before the table: an equal ORCID is certain (confidence 1.0); different ORCIDs, conflicting
first names or different surnames never link.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..resolve.names import (
    FirstName,
    GivenName,
    Middle,
    compare_first,
    compare_middle,
    normalise_surname,
    parse_given_name,
)
from .keys import (
    GENERIC_WORDS,
    US_STATES,
    mentions_phrase,
    mentions_state,
    plain,
    state_code,
    tokens,
)
from .sources import Person

PRIOR = -3.0
WEIGHTS: dict[str, float] = {
    "first_equal": 2.5,  # "Jane" / "Jane"
    "first_nickname": 1.5,  # "Bob" / "Robert"
    "first_prefix": 1.0,  # "Chris" / "Christopher"
    "first_initial": 0.0,  # "J" / "Jane": only the block agrees
    "middle_equal": 1.0,
    "middle_prefix": 0.3,  # "Q" / "QR"
    "middle_conflict": -3.0,  # "Q" / "R": usually two people (a father and son, two Wang J)
    "email_equal": 5.0,  # a personal mailbox is nearly an identifier
    "affiliation_one": 1.0,  # one distinctive institution word in common
    "affiliation_more": 2.0,  # two or more ("mayo", "rochester" is a place and does not count)
    "city": 1.5,  # the target's city in the person's affiliations (and its state, for a US address)
    "state": 0.5,  # only the state
    "topic": 1.0,  # the person's MeSH shares a descriptor with the trial's conditions
    "npi_chain": 5.0,  # the target's NPI is the NPI of another record linked to this person
}
AMBIGUITY_MARGIN = 0.5  # log-odds: candidates this close to the best count as matching "equally well"

_FIRST_WEIGHT = {
    FirstName.EQUAL: "first_equal",
    FirstName.NICKNAME: "first_nickname",
    FirstName.PREFIX: "first_prefix",
    FirstName.INITIAL: "first_initial",
}
_MIDDLE_WEIGHT = {
    Middle.EQUAL: "middle_equal",
    Middle.PREFIX: "middle_prefix",
    Middle.CONFLICT: "middle_conflict",
}


# Sources repeat names a great deal (every "Wang J" of NPPES): parse each spelling once.
_given = functools.lru_cache(maxsize=1 << 16)(parse_given_name)
_surname = functools.lru_cache(maxsize=1 << 16)(normalise_surname)


def logistic(log_odds: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-35.0, min(35.0, log_odds))))


@dataclass
class Scored:
    """One candidate pair: the log-odds from the table, the sentences, and the hard rules' verdicts."""

    log_odds: float
    evidence: list[str]
    certain: bool = False  # same ORCID
    blocked: bool = False  # a hard rule says these are different people
    extra: list[str] = field(default_factory=list)  # sentences added later (ambiguity, chaining)

    @property
    def confidence(self) -> float:
        if self.blocked:
            return 0.0
        return 1.0 if self.certain else logistic(self.log_odds)

    def sentences(self) -> list[str]:
        return [*self.evidence, *self.extra]


@dataclass
class _PersonText:
    raw: str
    plain: str
    tokens: frozenset[str]
    given: GivenName
    surname: str


class Scorer:
    """Scores candidate pairs; caches what it derives from each person's affiliations."""

    def __init__(self) -> None:
        self._cache: dict[str, _PersonText] = {}

    def _text(self, person: Person) -> _PersonText:
        cached = self._cache.get(person.person_id)
        if cached is None:
            raw = " ; ".join(person.affiliations)
            cached = _PersonText(
                raw=raw,
                plain=plain(raw),
                tokens=frozenset(tokens(raw)),
                given=parse_given_name(person.fore_name, person.initials),
                surname=normalise_surname(person.last_name),
            )
            self._cache[person.person_id] = cached
        return cached

    def score(self, person: Person, target: Mapping[str, Any]) -> Scored:
        """Compare one person with one target row (the common layout of `sources.TARGET_COLUMNS`)."""
        text = self._text(person)
        evidence: list[str] = []
        log_odds = PRIOR
        person_name = person.name
        target_name = str(target.get("target_name") or "") or " ".join(
            f"{target['given']} {target['last_name']}".split()
        )

        orcid = str(target.get("orcid") or "")
        if person.orcid and orcid:
            if person.orcid != orcid:
                return Scored(PRIOR, [f"different ORCIDs ({person.orcid} / {orcid})"], blocked=True)
            evidence.append(f"same ORCID {orcid}")
        certain = bool(evidence)
        email = str(target.get("email") or "")
        same_email = bool(email) and email in person.emails

        given = _given(str(target["given"]))
        same_surname = text.surname == _surname(str(target["last_name"]))
        first = compare_first(text.given, given)
        if not same_surname:
            if not (certain or same_email):
                return Scored(PRIOR, [f"surnames differ ({person_name} / {target_name})"], blocked=True)
            evidence.append(f"surname differs ({person_name} / {target_name})")
        elif first is FirstName.CONFLICT:
            if not certain:
                return Scored(PRIOR, [f"first names differ ({person_name} / {target_name})"], blocked=True)
            evidence.append(f"first names differ ({person_name} / {target_name})")
        else:
            log_odds += WEIGHTS[_FIRST_WEIGHT[first]]
            evidence.append(_name_sentence(first, person_name, target_name))
            middle = compare_middle(text.given, given)
            if middle in _MIDDLE_WEIGHT:
                log_odds += WEIGHTS[_MIDDLE_WEIGHT[middle]]
                evidence.append(_middle_sentence(middle, text.given, given))
        if same_email:
            log_odds += WEIGHTS["email_equal"]
            evidence.append(f"same e-mail {email}")

        log_odds += self._place_and_affiliation(text, target, evidence)

        topics = [ui for ui in (target.get("topics") or []) if ui in person.mesh]
        if topics:
            log_odds += WEIGHTS["topic"]
            shown = ", ".join(f"{person.mesh[ui]} ({ui})" for ui in sorted(set(topics))[:3])
            more = len(set(topics)) - 3
            evidence.append(
                f"topic shared with the trial: {shown}" + (f" and {more} more" if more > 0 else "")
            )
        return Scored(log_odds, evidence, certain=certain)

    def _place_and_affiliation(
        self, text: _PersonText, target: Mapping[str, Any], evidence: list[str]
    ) -> float:
        """City, state and institution words of the target against the person's affiliations."""
        if not text.raw:
            return 0.0
        gained = 0.0
        city, state, country = (str(target.get(k) or "").strip() for k in ("city", "state", "country"))
        code = state_code(state)
        state_ok = bool(code) and mentions_state(text.raw, text.plain, code)
        city_ok = bool(city) and mentions_phrase(text.plain, city) and (state_ok or not code)
        if city_ok:
            gained += WEIGHTS["city"] + (WEIGHTS["state"] if state_ok else 0.0)
            where = ", ".join(p for p in (city, code or state or country) if p)
            evidence.append(f"city {where}")
        elif state_ok:
            gained += WEIGHTS["state"]
            evidence.append(f"state {code} ({US_STATES[code].title()})")
        org = str(target.get("org") or "")
        if org:
            places = set(tokens(f"{city} {state} {US_STATES.get(code, '')} {country}"))
            shared = [t for t in dict.fromkeys(tokens(org)) if t in text.tokens and t not in places]
            distinctive = [t for t in shared if t not in GENERIC_WORDS]
            if distinctive:
                gained += WEIGHTS["affiliation_more" if len(distinctive) > 1 else "affiliation_one"]
                evidence.append(f'affiliation shares "{" ".join(shared)}"')
        return gained


def _name_sentence(first: FirstName, person_name: str, target_name: str) -> str:
    names = f"({person_name} / {target_name})"
    if first is FirstName.EQUAL:
        return f"surname and first name agree {names}"
    if first is FirstName.NICKNAME:
        return f"surname agrees, first names are nicknames of each other {names}"
    if first is FirstName.PREFIX:
        return f"surname agrees, first name shortened on one side {names}"
    return f"surname and first initial agree, first name not known on both sides {names}"


def _middle_sentence(middle: Middle, a: GivenName, b: GivenName) -> str:
    ma, mb = a.middle_initials.upper(), b.middle_initials.upper()
    if middle is Middle.EQUAL:
        return f"middle initial agrees ({ma})"
    if middle is Middle.PREFIX:
        return f"middle initials compatible ({ma} / {mb})"
    return f"middle initials differ ({ma} / {mb})"
