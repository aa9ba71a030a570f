"""Person-name normalisation and comparison for PubMed author instances (pure functions, no I/O).

PubMed spells one person's name many ways: accents kept or dropped ("Müller", "Muller", "Mueller" is out
of reach), particles attached or not ("van der Berg", "Van Der Berg", "vanderBerg"), hyphens or spaces in
double surnames, a full fore name on one paper and initials on another, and nicknames ("Bob" for
"Robert"). These helpers fold the spelling differences away so that blocking and pairwise comparison see
the same key, and they classify two fore names as equal, compatible or conflicting.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

# Letters that NFKD does not decompose into an ASCII base letter plus a combining mark.
_SPECIAL_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "ae",
        "ø": "o",
        "Ø": "o",
        "œ": "oe",
        "Œ": "oe",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
    }
)

# Surname particles: PubMed writes them apart, glued ("DeVries"), at the end of the ForeName, or not at all.
PARTICLES = frozenset(
    [
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "della",
        "degli",
        "dei",
        "di",
        "da",
        "das",
        "do",
        "dos",
        "du",
        "la",
        "le",
        "les",
        "ten",
        "ter",
        "te",
        "op",
        "het",
        "al",
        "el",
        "bin",
        "ben",
        "ibn",
        "abu",
    ]
)

_SEPARATORS = re.compile(r"[\s\-‐‑‒–—_.,/]+")
_APOSTROPHES = re.compile(r"['’`´ʼ‘]")
_NON_ALNUM = re.compile(r"[^a-z0-9 ]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_UMLAUT_DIGRAPHS = re.compile(r"(?<=[a-z])(?<![qg])(ae|oe|ue)(?=[a-z])")  # not Spanish "que", "gue"


def fold(text: str) -> str:
    """Lower-case ASCII approximation of `text`: accents stripped, special letters spelled out."""
    text = unicodedata.normalize("NFKD", text.translate(_SPECIAL_LETTERS))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.translate(_SPECIAL_LETTERS).lower()


def _words(text: str) -> list[str]:
    """Folded words of a name: apostrophes vanish (O'Brien -> obrien), hyphens and dots separate."""
    text = _APOSTROPHES.sub("", fold(text))
    text = _NON_ALNUM.sub(" ", _SEPARATORS.sub(" ", text))
    return text.split()


def split_particles(fore_name: str) -> tuple[str, str]:
    """Split off lower-case particles that PubMed left at the end of a fore name ("Marco Túlio de").

    >>> split_particles("Johannes van der")
    ('Johannes', 'van der')
    """
    words = fore_name.split()
    cut = len(words)
    while cut > 1 and words[cut - 1].islower() and words[cut - 1] in PARTICLES:
        cut -= 1
    return " ".join(words[:cut]), " ".join(words[cut:])


def normalise_surname(last_name: str) -> str:
    """Blocking form of a surname: folded, lower-case, leading particles dropped, remaining words joined.

    Particles are dropped because PubMed writes one person as "de Mello" and "Mello", "De Ceukelaire" and
    "DeCeukelaire" (a capital inside the word marks a glued particle), or moves them to the fore name.

    >>> normalise_surname("van der Berg-Ölund")
    'bergolund'
    >>> normalise_surname("DeCeukelaire") == normalise_surname("De Ceukelaire") == "ceukelaire"
    True
    >>> normalise_surname("Schuettler") == normalise_surname("Schüttler")
    True
    """
    words = _words(_CAMEL.sub(" ", last_name))
    # Keep the last word even when it looks like a particle ("Le", "Du" are whole surnames too).
    while len(words) > 1 and words[0] in PARTICLES:
        words = words[1:]
    # German transliteration: "Schuettler" and "Schüttler" (folded "schuttler") must share a block.
    return _UMLAUT_DIGRAPHS.sub(lambda m: m.group(0)[0], "".join(words))


@dataclass(frozen=True, slots=True)
class GivenName:
    """A fore name split into its parts: `first` is the full first name ("" when only an initial is known),
    `initials` every initial in order (first included)."""

    first: str
    initials: str
    full: str  # every full-name part joined, hyphens and spaces removed ("jeanpierre")

    @property
    def first_initial(self) -> str:
        return self.initials[:1]

    @property
    def middle_initials(self) -> str:
        return self.initials[1:]


def parse_given_name(fore_name: str, initials: str = "") -> GivenName:
    """Split a PubMed ForeName (and its Initials element as a fallback) into a GivenName.

    Single letters and all-capital short tokens ("JM") count as initials; longer tokens are names. A
    hyphenated name ("Jean-Pierre", "Xiao-Ming") contributes one initial per part, like PubMed's Initials.
    """
    raw_tokens = re.split(r"[\s.]+", split_particles(fore_name.strip())[0])
    names: list[str] = []
    letters: list[str] = []
    for raw in raw_tokens:
        if not raw:
            continue
        if raw.isupper() and len(raw) <= 3 and raw.isalpha():
            # "JM" in ForeName is initials written together, not a name.
            letters.extend(fold(raw))
            continue
        parts = [p for p in _words(raw) if p]
        for part in parts:
            letters.append(part[0])
            if len(part) > 1:
                names.append(part)
    folded_initials = "".join(_words(initials))
    if not letters and folded_initials:
        letters = list(folded_initials)
    # The first name is a full name only when the first token was spelled out.
    first = ""
    first_token = _words(raw_tokens[0])[0] if raw_tokens and _words(raw_tokens[0]) else ""
    if len(first_token) > 1 and not (raw_tokens[0].isupper() and len(raw_tokens[0]) <= 3):
        first = first_token
    return GivenName(first=first, initials="".join(letters), full="".join(names))


# Common English given-name variants; both directions are looked up, so each group is listed once.
_NICKNAME_GROUPS = [
    "robert bob bobby rob robbie bert",
    "william bill billy will willy liam",
    "richard rick ricky dick rich richie",
    "james jim jimmy jamie",
    "john jack johnny jon",
    "jonathan jon jonny",
    "joseph joe joey jose",
    "thomas tom tommy",
    "charles charlie chuck chas",
    "edward ed eddie ted ned",
    "michael mike mick mickey",
    "david dave davey",
    "daniel dan danny",
    "stephen steven steve stevie",
    "christopher chris kit",
    "christine chris christina kristina tina",
    "matthew matt",
    "andrew andy drew",
    "anthony tony antony",
    "nicholas nick nicky nicolas nikolaos",
    "alexander alex sasha alexandre alessandro alejandro",
    "alexandra alex sandra sasha",
    "benjamin ben benny",
    "samuel sam sammy",
    "patrick pat paddy",
    "patricia pat patty trish",
    "peter pete",
    "gregory greg",
    "timothy tim timmy",
    "kenneth ken kenny",
    "ronald ron ronnie",
    "donald don donnie",
    "douglas doug",
    "gerald gerry jerry",
    "lawrence larry laurence",
    "leonard len lenny leo",
    "frederick fred freddy frederic fritz",
    "francis frank frankie francisco",
    "philip phil phillip",
    "raymond ray",
    "jeffrey jeff geoffrey geoff",
    "joshua josh",
    "zachary zach zack",
    "nathaniel nathan nate nat",
    "elizabeth liz lizzie beth betty eliza elisabeth libby",
    "margaret maggie meg peggy marge margarita",
    "katherine kathy kate katie catherine kathryn cathy kat",
    "jennifer jen jenny",
    "susan sue susie suzanne",
    "deborah debbie deb debra",
    "rebecca becky becca",
    "jacqueline jackie",
    "victoria vicky tori",
    "barbara barb",
    "dorothy dot dottie",
    "judith judy",
    "cynthia cindy",
    "kimberly kim",
    "pamela pam",
    "abigail abby",
    "samantha sam",
    "theodore ted teddy theo",
    "albert al bert",
    "allan alan allen al",
    "eugene gene",
    "harold hal harry",
    "henry hank harry",
    "walter walt",
    "vincent vince",
    "terence terry terrence",
    "stanley stan",
    "mohammed mohammad muhammad mohamed mohamad",
]
_NICKNAMES: dict[str, frozenset[str]] = {}
for _group in _NICKNAME_GROUPS:
    _names = _group.split()
    for _name in _names:
        _NICKNAMES[_name] = _NICKNAMES.get(_name, frozenset()) | frozenset(_names)


# Public views of the tables above, for code that must fold names the same way (the Polars keys of linking).
SPECIAL_LETTERS: dict[str, str] = {chr(code): str(text) for code, text in _SPECIAL_LETTERS.items()}
NICKNAME_VOCABULARY: frozenset[str] = frozenset(_NICKNAMES)


def are_nicknames(a: str, b: str) -> bool:
    """True when two folded first names are known variants of each other ("bob" and "robert")."""
    return a != b and b in _NICKNAMES.get(a, frozenset())


class FirstName(Enum):
    """How two fore names compare on the first name."""

    EQUAL = "equal"  # both spelled out and equal (or equal once hyphens are removed)
    NICKNAME = "nickname"  # both spelled out, known variants
    PREFIX = "prefix"  # one is a prefix of the other of at least 3 letters ("chris" / "christopher")
    INITIAL = "initial"  # at least one side only has an initial, and the initials agree
    CONFLICT = "conflict"  # different first initials, or both spelled out and unrelated


class Middle(Enum):
    """How the middle initials compare."""

    EQUAL = "equal"
    MISSING = "missing"  # at least one side has none
    PREFIX = "prefix"  # one is a prefix of the other ("A" / "AB")
    CONFLICT = "conflict"


def compare_first(a: GivenName, b: GivenName) -> FirstName:
    """Classify the first names of two author instances (see FirstName)."""
    if a.first and b.first and are_nicknames(a.first, b.first):
        return FirstName.NICKNAME  # before the initials: "Bob" and "Robert" differ in their first letter
    if a.first_initial and b.first_initial and a.first_initial != b.first_initial:
        return FirstName.CONFLICT
    if not a.first or not b.first:
        return FirstName.INITIAL
    if a.first == b.first or (a.full and a.full == b.full):
        return FirstName.EQUAL
    short, long_ = sorted((a.first, b.first), key=len)
    if len(short) >= 3 and long_.startswith(short):
        return FirstName.PREFIX
    # "Xiaoming" versus "Xiao Ming": same letters, different spacing.
    if a.full and b.full and (a.full.startswith(b.first) or b.full.startswith(a.first)):
        joined_a, joined_b = a.full, b.full
        if joined_a == joined_b or joined_a.startswith(joined_b) or joined_b.startswith(joined_a):
            return FirstName.PREFIX
    return FirstName.CONFLICT


def compare_middle(a: GivenName, b: GivenName) -> Middle:
    """Classify the middle initials of two author instances (see Middle)."""
    ma, mb = a.middle_initials, b.middle_initials
    if not ma or not mb:
        return Middle.MISSING
    if ma == mb:
        return Middle.EQUAL
    if ma.startswith(mb) or mb.startswith(ma):
        return Middle.PREFIX
    return Middle.CONFLICT


def block_key(last_name: str, fore_name: str, initials: str = "") -> str:
    """Blocking key of an author instance: normalised surname and first initial ("smith j").

    A consequence worth knowing: "Bob Smith" and "Robert Smith" fall in different blocks and are never
    compared; nickname compatibility only helps within a block ("Chris" / "Christopher", "Kate" / "Katherine").
    """
    given = parse_given_name(fore_name, initials)
    return f"{normalise_surname(last_name)} {given.first_initial}"


def coauthor_key(last_name: str, fore_name: str, initials: str = "") -> str:
    """Compact co-author key: normalised surname plus first initial, as co-author overlap compares them."""
    return block_key(last_name, fore_name, initials)
