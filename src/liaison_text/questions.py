"""Medical inquiry triage: propose the question type and the drug in focus when an inquiry is captured.

The type labels are those of the MedicationQA data set (Ben Abacha et al., MEDINFO 2019), so the proposal
can be measured on it (bench/question_triage.py); the data set itself is evaluation-only and nothing here
was fitted on it. The classifier is a transparent list of cue patterns written from the label names and
our own paraphrases of how people ask (first match in a fixed priority order wins; "Information", the
catch-all type, when nothing matches). The drug is the first drug-like mention: a name from the app's
product list, a MeSH-derived chemical name, a WHO INN stem, or a word after "about" / "of" / "on" when
none of those is there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from liaison_text.ae_detect import _INN_STEM, _phrase_spans, vocabularies

QUESTION_TYPES: tuple[str, ...] = (
    "Action",
    "Action/effectiveness",
    "Action/time",
    "Alternatives",
    "Appearance",
    "Availability",
    "Brand names",
    "Combination",
    "Comparison",
    "Contraindication",
    "Dose",
    "Dose/time",
    "Indication",
    "Information",
    "Ingredient",
    "Interaction",
    "Manufacturer",
    "Overdose",
    "Pronounce name",
    "Side effects",
    "Side effects/time",
    "Stopping/side effects",
    "Stopping/tapering",
    "Storage and disposal",
    "Time/duration",
    "Time/side effects",
    "Usage",
    "Usage/duration",
    "Usage/time",
    "not_drug_question",
    "unanswerable",
)
DEFAULT_TYPE = "Information"

# (type, cue pattern) in priority order: specific asks before general ones ("how long does X stay in your
# system" is Action/time before Action; "stop taking X because of side effects" is Stopping first).
_RULES: tuple[tuple[str, str], ...] = (
    ("Pronounce name", r"pronounc\w*|how (?:do you|to) say"),
    ("Manufacturer", r"who (?:makes|manufactures|produces)|manufacturer|made by|company"),
    ("Brand names", r"brand(?: name)?s?|generic (?:name|version|for)|other names?"),
    ("Overdose", r"overdos\w*|too (?:much|many)|double dose|took (?:two|2|an extra)|extra dose"),
    (
        "Interaction",
        r"interact\w*|together with|with alcohol|drink (?:alcohol|beer|wine)|mix\w* with|combin\w* with|"
        r"take \w+ (?:and|with) \w+|along with|at the same time as|grapefruit",
    ),
    (
        "Stopping/tapering",
        r"\bstop\w*|quit\w*|taper\w*|wean\w*|come off|coming off|get off|withdraw\w*|discontinu\w*",
    ),
    (
        "Storage and disposal",
        r"stor(?:e|ed|age|ing)|refrigerat\w*|fridge|room temperature|expir\w*|dispos\w*|"
        r"throw (?:away|out)|shelf life|freez\w*|heat",
    ),
    (
        "Appearance",
        r"look like|what does \w+ look|colou?r|shape|imprint|marking|stamped|round|oval|"
        r"(?:white|blue|yellow|pink|orange|green) (?:pill|tablet|capsule)|identify (?:a |this )?pill",
    ),
    (
        "Ingredient",
        r"ingredient\w*|contain\w*|made (?:of|from|with)|gluten|lactose|gelatin|dye|sulfa|"
        r"latex|alcohol in|sugar in|derived from|what is in",
    ),
    (
        "Side effects",
        r"side[- ]?effects?|adverse|cause[sd]? \w+|make (?:you|me) \w+|hair loss|weight gain|"
        r"insomnia|nause\w*|headache|dizz\w*|tired|rash|itch\w*|reaction",
    ),
    (
        "Action/time",
        r"how long (?:does|do|will|until|before|for) .*(?:work|take effect|kick in|last|stay|"
        r"in (?:your|my|the) (?:system|body|blood))|how (?:fast|quickly|soon)|how long .* effect",
    ),
    (
        "Usage/duration",
        r"how long (?:can|should) (?:i|you|one|someone) (?:take|use|be on|stay on)|"
        r"long[- ]term|indefinitely|for years|how long is it safe",
    ),
    (
        "Usage/time",
        r"when (?:should|do|to|can|is the best time to) (?:i |you )?(?:take|use)|what time|"
        r"(?:morning|night|bedtime|evening)|before or after|with (?:or without )?food|empty stomach|"
        r"how often|times a day|every \d+ hours|missed (?:a )?dose",
    ),
    ("Dose", r"\bdos(?:e|es|age|ing)\b|how (?:much|many)|\d+ ?mg|milligram\w*|strength|maximum|max\b"),
    (
        "Comparison",
        r"difference between|differ\w* from|\bvs\.?\b|versus|compar\w*|better than|same as|"
        r"stronger than|(?:or|and) \w+ (?:better|stronger)",
    ),
    (
        "Alternatives",
        r"alternative\w*|instead of|substitute|replace\w*|switch (?:to|from)|other (?:than|options?)",
    ),
    (
        "Contraindication",
        r"pregnan\w*|breast ?feed\w*|nursing|should not take|who (?:should|can)(?:n't| not) take|"
        r"contraindicat\w*|safe (?:for|with|if|to take (?:if|with))|can (?:i|you|someone) take .* (?:if|with) "
        r"(?:i|you|they) (?:have|am|are)|allerg\w*",
    ),
    (
        "Usage",
        r"how (?:do|should|to|can) (?:i |you )?(?:take|use|inject|apply|give|administer|insert|inhale)|"
        r"crush\w*|split\w*|cut (?:in half|the)|chew\w*|dissolv\w*|open the capsule|instructions",
    ),
    (
        "Action",
        r"how does .* work|how .* works|what does .* do|mechanism|affect\w*|act on|what happens|"
        r"effect (?:on|of)|does .* (?:raise|lower|increase|decrease|help)",
    ),
    (
        "Indication",
        r"used (?:for|to)|use of|prescribed (?:for|to)|what is .* for|what .* for\b|treat\w*|"
        r"good for|help(?:s|ing)? (?:with|for)|indicat\w*|purpose|why (?:would|is|do)",
    ),
    (
        "Availability",
        r"available|over the counter|\botc\b|prescription|where (?:can|to) (?:i )?(?:buy|get)|"
        r"discontinued|shortage",
    ),
)
_COMPILED = tuple((kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in _RULES)
_FALLBACK_DRUG = re.compile(
    r"\b(?:about|of|on|taking|take|takes|does|is|with|from|using|use)\s+(?P<drug>[A-Za-z][A-Za-z0-9-]{3,})",
    re.I,
)
_NOT_DRUG_WORDS = (
    "the this that these those your my his her their it its a an and or what when how why can does "
    "side effects effect pill pills tablet tablets capsule capsules medicine medication medications "
    "drug drugs dose doses dosage alcohol food morning night while after before being other same "
    "people someone anyone long much many time take taking used using safe blood pressure pain "
    "sleep weight generic brand them they there have having work works working cause causes stop "
    "stopping "
)
_NOT_DRUGS = frozenset(_NOT_DRUG_WORDS.split())


def find_drug(text: str, product_names: Sequence[str] = ()) -> str:
    """The first drug-like mention of `text` as written, or "" when none is found."""
    candidates: list[tuple[int, str]] = []
    for name in product_names:
        if name.strip():
            m = re.search(r"\b" + re.escape(name.strip()) + r"\b", text, re.IGNORECASE)
            if m:
                candidates.append((m.start(), m.group(0)))
    if candidates:
        return min(candidates)[1]
    _, drugs = vocabularies()
    candidates += [(s.start, s.text) for s in _phrase_spans(text, drugs, "drug")]
    candidates += [(m.start(), m.group(0)) for m in _INN_STEM.finditer(text)]
    if candidates:
        return min(candidates)[1]
    for m in _FALLBACK_DRUG.finditer(text):
        word = m.group("drug")
        if word.lower() not in _NOT_DRUGS:
            return word
    return ""


def classify_type(text: str) -> str:
    """The question type of `text`: the first rule whose cue matches, else "Information"."""
    for kind, pattern in _COMPILED:
        if pattern.search(text or ""):
            return kind
    return DEFAULT_TYPE


def classify_question(text: str, *, product_names: Sequence[str] = ()) -> tuple[str, str]:
    """(question type, drug or "") proposed for an inquiry; see the module docstring."""
    text = text or ""
    return classify_type(text), find_drug(text, product_names)
