"""The countries named in a free-text PubMed affiliation (pure functions, no I/O).

Why: an affiliation's TF-IDF cosine says little when two instances are at different institutions, but a
different *country* is real evidence of two people, and the same country weak evidence of one. The
country is also the most consistently written part of an affiliation ("..., Boston, MA 02115, USA.").

Countries are returned as short lower-case keys (ISO 3166 alpha-2 where one exists: "us", "gb", "de").
Detection is conservative: a country name, a well-known alias ("USA", "PR China", "Republic of Korea"), a US
state or Canadian province written as in addresses ("Ohio", "MA 02115", ", NY,"), or the country code top-level
domain of an e-mail address. Names that are also US states or cities ("Georgia", "New Mexico", "Jersey")
are resolved in favour of the state. Unrecognised text gives no country, never a guess.
"""

from __future__ import annotations

import re

from .names import fold

# Country key -> names and aliases as they appear in affiliations (folded, lower case, single spaces).
_COUNTRIES: dict[str, tuple[str, ...]] = {
    "us": ("usa", "u s a", "united states", "united states of america", "us", "u s"),
    "gb": (
        "uk",
        "u k",
        "united kingdom",
        "england",
        "scotland",
        "wales",
        "northern ireland",
        "great britain",
    ),
    "ca": ("canada",),
    "au": ("australia",),
    "nz": ("new zealand",),
    "ie": ("ireland", "eire"),
    "de": ("germany", "deutschland", "frg", "f r g", "brd", "west germany", "east germany", "gdr"),
    "fr": ("france",),
    "it": ("italy", "italia"),
    "es": ("spain", "espana"),
    "pt": ("portugal",),
    "nl": ("netherlands", "the netherlands", "holland"),
    "be": ("belgium", "belgique", "belgie"),
    "lu": ("luxembourg",),
    "ch": ("switzerland", "suisse", "schweiz", "svizzera"),
    "at": ("austria", "osterreich"),
    "dk": ("denmark", "danmark"),
    "se": ("sweden", "sverige"),
    "no": ("norway", "norge"),
    "fi": ("finland", "suomi"),
    "is": ("iceland",),
    "pl": ("poland", "polska"),
    "cz": ("czech republic", "czechia", "czechoslovakia"),
    "sk": ("slovakia", "slovak republic"),
    "hu": ("hungary",),
    "ro": ("romania",),
    "bg": ("bulgaria",),
    "gr": ("greece", "hellas"),
    "cy": ("cyprus",),
    "mt": ("malta",),
    "si": ("slovenia",),
    "hr": ("croatia",),
    "rs": ("serbia", "yugoslavia"),
    "ba": ("bosnia and herzegovina", "bosnia"),
    "mk": ("macedonia", "north macedonia"),
    "al": ("albania",),
    "ee": ("estonia",),
    "lv": ("latvia",),
    "lt": ("lithuania",),
    "by": ("belarus",),
    "ua": ("ukraine",),
    "md": ("moldova",),
    "ru": ("russia", "russian federation", "ussr", "u s s r"),
    "tr": ("turkey", "turkiye"),
    "il": ("israel",),
    "ps": ("palestine",),
    "lb": ("lebanon",),
    "jo": ("jordan",),
    "sy": ("syria",),
    "iq": ("iraq",),
    "ir": ("iran", "islamic republic of iran"),
    "sa": ("saudi arabia", "kingdom of saudi arabia", "ksa"),
    "ae": ("united arab emirates", "uae"),
    "qa": ("qatar",),
    "kw": ("kuwait",),
    "om": ("oman",),
    "bh": ("bahrain",),
    "ye": ("yemen",),
    "eg": ("egypt",),
    "ly": ("libya",),
    "tn": ("tunisia",),
    "dz": ("algeria",),
    "ma": ("morocco", "maroc"),
    "sd": ("sudan",),
    "et": ("ethiopia",),
    "ke": ("kenya",),
    "ug": ("uganda",),
    "tz": ("tanzania",),
    "rw": ("rwanda",),
    "ng": ("nigeria",),
    "gh": ("ghana",),
    "sn": ("senegal",),
    "cm": ("cameroon",),
    "ci": ("ivory coast", "cote d ivoire", "cote divoire"),
    "bf": ("burkina faso",),
    "ml": ("mali",),
    "ne": ("niger",),
    "mw": ("malawi",),
    "zm": ("zambia",),
    "zw": ("zimbabwe",),
    "mz": ("mozambique",),
    "bw": ("botswana",),
    "za": ("south africa", "republic of south africa"),
    "cd": ("democratic republic of the congo", "dr congo", "zaire"),
    "cg": ("congo",),
    "ga": ("gabon",),
    "mg": ("madagascar",),
    "in": ("india",),
    "pk": ("pakistan",),
    "bd": ("bangladesh",),
    "lk": ("sri lanka",),
    "np": ("nepal",),
    "cn": ("china", "p r china", "pr china", "people s republic of china", "peoples republic of china"),
    "hk": ("hong kong", "hong kong sar", "hong kong sar china"),
    "tw": ("taiwan", "republic of china"),
    "jp": ("japan",),
    "kr": ("korea", "south korea", "republic of korea", "korea republic", "korea republic of"),
    "kp": ("north korea", "democratic people s republic of korea"),
    "mn": ("mongolia",),
    "vn": ("vietnam", "viet nam"),
    "th": ("thailand",),
    "my": ("malaysia",),
    "sg": ("singapore",),
    "id": ("indonesia",),
    "ph": ("philippines",),
    "kz": ("kazakhstan",),
    "uz": ("uzbekistan",),
    "am": ("armenia",),
    "az": ("azerbaijan",),
    "ge": ("republic of georgia",),  # bare "Georgia" is the US state far more often in PubMed
    "mx": ("mexico", "mejico"),
    "gt": ("guatemala",),
    "cr": ("costa rica",),
    "pa": ("panama",),
    "cu": ("cuba",),
    "pr": ("puerto rico",),
    "jm": ("jamaica",),
    "co": ("colombia",),
    "ve": ("venezuela",),
    "ec": ("ecuador",),
    "pe": ("peru",),
    "bo": ("bolivia",),
    "cl": ("chile",),
    "ar": ("argentina",),
    "uy": ("uruguay",),
    "py": ("paraguay",),
    "br": ("brazil", "brasil"),
}

# US states and Canadian provinces, written out: they name the country when the country is left off
# ("Department of Medicine, Dartmouth-Hitchcock Medical Center, Hanover, New Hampshire 03756.").
_US_STATES = [
    "alabama",
    "alaska",
    "arizona",
    "arkansas",
    "california",
    "colorado",
    "connecticut",
    "delaware",
    "florida",
    "georgia",
    "hawaii",
    "idaho",
    "illinois",
    "indiana",
    "iowa",
    "kansas",
    "kentucky",
    "louisiana",
    "maine",
    "maryland",
    "massachusetts",
    "michigan",
    "minnesota",
    "mississippi",
    "missouri",
    "montana",
    "nebraska",
    "nevada",
    "ohio",
    "oklahoma",
    "oregon",
    "pennsylvania",
    "tennessee",
    "texas",
    "utah",
    "vermont",
    "virginia",
    "wisconsin",
    "wyoming",
] + [
    "new hampshire",
    "new jersey",
    "new mexico",
    "new york",
    "north carolina",
    "north dakota",
    "rhode island",
    "south carolina",
    "south dakota",
    "west virginia",
    "district of columbia",
    "washington",
]
_CA_PROVINCES = (
    "ontario",
    "quebec",
    "british columbia",
    "alberta",
    "manitoba",
    "saskatchewan",
    "nova scotia",
)
_AU_STATES = ("new south wales", "queensland", "tasmania", "south australia", "western australia")
_US_STATE_CODES = frozenset(
    [
        "al",
        "ak",
        "az",
        "ar",
        "ca",
        "co",
        "ct",
        "de",
        "dc",
        "fl",
        "ga",
        "hi",
        "id",
        "il",
        "in",
        "ia",
        "ks",
        "ky",
        "la",
        "me",
        "md",
        "ma",
        "mi",
        "mn",
        "ms",
        "mo",
        "mt",
        "ne",
        "nv",
        "nh",
        "nj",
        "nm",
        "ny",
        "nc",
        "nd",
        "oh",
        "ok",
        "or",
        "pa",
        "ri",
        "sc",
        "sd",
        "tn",
        "tx",
        "ut",
        "vt",
        "va",
        "wa",
        "wv",
        "wi",
        "wy",
    ]
)

_ALIAS_TO_COUNTRY: dict[str, str] = {}
for _code, _aliases in _COUNTRIES.items():
    for _alias in _aliases:
        _ALIAS_TO_COUNTRY[_alias] = _code
for _state in _US_STATES:
    _ALIAS_TO_COUNTRY[_state] = "us"
for _province in _CA_PROVINCES:
    _ALIAS_TO_COUNTRY[_province] = "ca"
for _state in _AU_STATES:
    _ALIAS_TO_COUNTRY[_state] = "au"
_MAX_ALIAS_WORDS = max(len(a.split()) for a in _ALIAS_TO_COUNTRY)
_TLD_COUNTRY = {code: code for code in _COUNTRIES if len(code) == 2} | {"uk": "gb"}
_GENERIC_TLDS = frozenset(["com", "org", "net", "edu", "gov", "mil", "int", "info", "io"])
_EMAIL = re.compile(r"\S+@\S+")
_CONTACT = re.compile(r"\b(?:electronic address|e-?mail|tel|fax)\b[^;]*")
_ZIP = re.compile(r"\d{5}(?:-\d{4})?")
_EMAIL_TLD = re.compile(r"@[\w.-]+\.([a-z]{2,4})\b")


def _segment_country(segment: str) -> str:
    """The country a comma-separated address segment ends with ("boston ma 02115" -> "us"), or ""."""
    # Postal codes carry digits ("D-69117", "CB2 0QQ", "100730"): they come before or after the country.
    raw = segment.split()
    words = [w for w in raw if not any(ch.isdigit() for ch in w)]
    # "MA 02115", "WA", but not "2333 CA" (a Dutch postcode) or "WA 6009" (Western Australia).
    if (
        len(words) == 1
        and words[0] in _US_STATE_CODES
        and all(w == words[0] or _ZIP.fullmatch(w) for w in raw)
    ):
        return "us-state"
    for n in range(min(_MAX_ALIAS_WORDS, len(words)), 0, -1):
        tail = " ".join(words[-n:])
        if tail in _ALIAS_TO_COUNTRY:
            return _ALIAS_TO_COUNTRY[tail]
    return ""


def countries(affiliation: str) -> frozenset[str]:
    """The countries named in one affiliation string (several for "...; ..." multi-affiliations).

    Only the end of each comma-separated segment is read, where addresses put the country: "Inner
    Mongolia Medical University" or "47 New Scotland Avenue" name no country.

    >>> sorted(countries("Univ. of Pittsburgh, Pittsburgh, PA, USA; Sun Yat-sen University, Guangzhou, China"))
    ['cn', 'us']
    >>> countries("Dartmouth-Hitchcock Medical Center, Hanover, New Hampshire 03756.") == {"us"}
    True
    """
    folded = fold(affiliation)
    found: set[str] = set()
    for match in _EMAIL_TLD.finditer(folded):
        tld = match.group(1)
        if tld not in _GENERIC_TLDS and tld in _TLD_COUNTRY:
            found.add(_TLD_COUNTRY[tld])
    # Dots and apostrophes become spaces ("P.R. China" -> "p r china"); commas and semicolons separate.
    text = re.sub(r"[^a-z0-9,;]+", " ", _CONTACT.sub(" ", _EMAIL.sub(" ", folded)))
    for part in text.split(";"):
        in_part = {_segment_country(segment.strip()) for segment in part.split(",")} - {""}
        # A bare state code is a weak sign: another country in the same address wins ("Perth, WA, Australia").
        if "us-state" in in_part:
            in_part.discard("us-state")
            if not in_part:
                in_part.add("us")
        found |= in_part
    return frozenset(found)
