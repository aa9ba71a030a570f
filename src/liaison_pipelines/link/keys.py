"""Vectorised name keys and the text helpers that compare a person's affiliations with a target's place.

Blocking must run over whole source tables (NPPES has about 9 million rows), so the block key is computed
by Polars expressions, not by calling `names.block_key` row by row. The expression mirrors `block_key`
step by step (fold accents, split glued particles, drop leading particles, umlaut digraphs, first initial);
both sides of a join use the same expression, and every candidate pair it yields is then checked again with
the Python `block_key`, so the join can only lose a pair in an edge case the two spellings disagree on,
never add one.
"""

from __future__ import annotations

import re

import polars as pl

from ..resolve import names
from ..resolve.names import PARTICLES, fold

# One source of truth for the letters NFKD does not decompose (ß, æ, ø, ł...): the resolver's own table.
_SPECIAL = names.SPECIAL_LETTERS
_SPECIAL_FROM, _SPECIAL_TO = list(_SPECIAL), list(_SPECIAL.values())
_PARTICLE_RUN = r"^(?:(?:" + "|".join(sorted(PARTICLES, key=len, reverse=True)) + r")\s+)+"
# Known nickname vocabulary: a pair where either first name is in it must reach the exact Python check.
NICKNAME_VOCABULARY: frozenset[str] = names.NICKNAME_VOCABULARY


def fold_expr(expr: pl.Expr) -> pl.Expr:
    """Polars version of `names.fold`: accents stripped, special letters spelled out, lower case."""
    return (
        expr.fill_null("")
        .str.replace_many(_SPECIAL_FROM, _SPECIAL_TO)
        .str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_lowercase()
    )


def surname_key_expr(last_name: pl.Expr) -> pl.Expr:
    """Polars version of `names.normalise_surname` ("van der Berg-Ölund" -> "bergolund")."""
    words = (
        fold_expr(last_name.fill_null("").str.replace_all(r"([a-z])([A-Z])", "${1} ${2}"))
        .str.replace_all(r"['’`´ʼ‘]", "")
        .str.replace_all(r"[\s\-‐‑‒–—_.,/]+", " ")
        .str.replace_all(r"[^a-z0-9 ]+", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )
    joined = words.str.replace(_PARTICLE_RUN, "").str.replace_all(" ", "")
    # German transliteration, as `normalise_surname`: "ae", "oe", "ue" after a letter other than q or g and
    # before another letter lose their "e". Rust regex has no look-around: a digraph at the end (or before a
    # digit) is first marked with a capital E, which the replacement cannot match, then put back.
    marked = joined.str.replace(r"([aou])e$", "${1}E").str.replace_all(r"([aou])e([0-9])", "${1}E${2}")
    return marked.str.replace_all(r"([a-fh-pr-z])([aou])e", "${1}${2}").str.replace_all("E", "e")


def first_initial_expr(fore_name: pl.Expr, initials: pl.Expr | None = None) -> pl.Expr:
    """First letter of a fore name (falling back on the Initials element), as `parse_given_name` finds it."""

    def first_letter(expr: pl.Expr) -> pl.Expr:
        return fold_expr(expr).str.replace_all(r"['’`´ʼ‘]", "").str.extract(r"([a-z0-9])", 1)

    letter = first_letter(fore_name)
    if initials is not None:
        letter = letter.fill_null(first_letter(initials))
    return letter.fill_null("")


def block_key_expr(last_name: pl.Expr, fore_name: pl.Expr, initials: pl.Expr | None = None) -> pl.Expr:
    """Polars version of `names.block_key`: normalised surname, a space, the first initial ("smith j")."""
    return pl.concat_str([surname_key_expr(last_name), pl.lit(" "), first_initial_expr(fore_name, initials)])


def first_name_expr(fore_name: pl.Expr) -> pl.Expr:
    """The spelled-out first name, folded ("" when the first token is an initial or initials like "JM").

    Used only to discard pairs that cannot agree before the exact comparison in Python.
    """
    token = fore_name.fill_null("").str.strip_chars().str.extract(r"^([^\s.]+)", 1).fill_null("")
    is_initials = (token.str.len_chars() <= 1) | (
        (token == token.str.to_uppercase()) & (token.str.len_chars() <= 3) & token.str.contains(r"^\p{L}+$")
    )
    folded = fold_expr(token).str.replace_all(r"[^a-z0-9]+", "")
    return pl.when(is_initials).then(pl.lit("")).otherwise(folded)


def readable_case_expr(name: pl.Expr) -> pl.Expr:
    """Title-case a name written all in capitals ("JOEL N" -> "Joel N").

    Open Payments and NPPES write names in capitals, and `parse_given_name` reads a short all-capital token
    ("ADA", "JOE") as initials; title case gives it back its meaning. Mixed-case names are left alone.
    """
    name = name.fill_null("")
    return pl.when(name == name.str.to_uppercase()).then(name.str.to_titlecase()).otherwise(name)


# ---------------------------------------------------------------------------------------------------------
# Affiliation and place comparison (Python, on candidate pairs only).
# ---------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[a-z][a-z0-9]+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Words that say nothing about where someone works.
_STOP_TEXT = """of in at on to by an as de la le du et da di del des der und the and for with from into that this are was were its their our via not all any department dept
    division unit section faculty school college laboratory lab labs service services centre center centers
    institute institutes program programme street road avenue ave box building floor suite usa email
    electronic address drive blvd boulevard room inc llc ltd corp pc pa md phd mph"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
# Words that institutions share so widely that a match on them alone is no evidence (shown, not counted).
_GENERIC_TEXT = """university univ hospital hospitals medical medicine health healthcare clinic clinics clinical research
    sciences science national general state city foundation care cancer children childrens memorial
    community regional associates group practice physicians surgery internal family biomedical"""
GENERIC_WORDS = frozenset(_GENERIC_TEXT.split())

US_STATES: dict[str, str] = {
    "AL": "alabama", "AK": "alaska", "AZ": "arizona", "AR": "arkansas", "CA": "california",
    "CO": "colorado", "CT": "connecticut", "DE": "delaware", "DC": "district of columbia",
    "FL": "florida", "GA": "georgia", "HI": "hawaii", "ID": "idaho", "IL": "illinois", "IN": "indiana",
    "IA": "iowa", "KS": "kansas", "KY": "kentucky", "LA": "louisiana", "ME": "maine", "MD": "maryland",
    "MA": "massachusetts", "MI": "michigan", "MN": "minnesota", "MS": "mississippi", "MO": "missouri",
    "MT": "montana", "NE": "nebraska", "NV": "nevada", "NH": "new hampshire", "NJ": "new jersey",
    "NM": "new mexico", "NY": "new york", "NC": "north carolina", "ND": "north dakota", "OH": "ohio",
    "OK": "oklahoma", "OR": "oregon", "PA": "pennsylvania", "RI": "rhode island", "SC": "south carolina",
    "SD": "south dakota", "TN": "tennessee", "TX": "texas", "UT": "utah", "VT": "vermont",
    "VA": "virginia", "WA": "washington", "WV": "west virginia", "WI": "wisconsin", "WY": "wyoming",
    "PR": "puerto rico",
}  # fmt: skip
_STATE_NAMES = {name: code for code, name in US_STATES.items()}


def plain(text: str) -> str:
    """Folded text with every run of non-alphanumerics turned into one space, padded: " iowa city ia "."""
    return " " + " ".join(re.sub(r"[^a-z0-9]+", " ", fold(_EMAIL.sub(" ", text))).split()) + " "


def tokens(text: str) -> list[str]:
    """Institution words of a text, in order, without stop words."""
    return [t for t in _TOKEN.findall(fold(_EMAIL.sub(" ", text))) if t not in STOP_WORDS]


def state_code(state: str) -> str:
    """Two-letter US state code of a state written as a code or a name ("" when not a US state)."""
    state = state.strip()
    if state.upper() in US_STATES:
        return state.upper()
    return _STATE_NAMES.get(" ".join(fold(state).split()), "")


def mentions_state(raw_text: str, plain_text: str, code: str) -> bool:
    """Does an affiliation name the state: its name ("Iowa"), or its code after a comma or before a ZIP?"""
    if f" {US_STATES[code]} " in plain_text:
        return True
    return re.search(rf"(?:,\s*{code}\b|\b{code}\s+\d{{5}})", raw_text) is not None


def mentions_phrase(plain_text: str, phrase: str) -> bool:
    """Does the plain text contain the phrase as whole words ("iowa city" in " ... iowa city ia ... ")?"""
    words = plain(phrase).strip()
    return bool(words) and f" {words} " in plain_text
