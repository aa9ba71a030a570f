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

import ast
import bz2
import importlib.util
import pickle
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from liaison_text.ae_detect import _INN_STEM, _TOKEN, _phrase_spans, normalise_token, vocabularies

DATA = Path(__file__).resolve().parent / "data"

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


# Words a vocabulary lists (MeSH "Drugs, Generic" gives "drugs") that name no drug in particular.
_GENERIC_WORDS = (
    "drug drugs medicine medicines medication medications tablet tablets capsule capsules pill pills injection "
    "injections shot shots ethanol alcohol water oil"
)
_GENERIC = frozenset((normalise_token(w),) for w in _GENERIC_WORDS.split())
# A question that opens with the drug's name: "keflex capsules how supplied", "trospium can i stop taking it?"
_LEADING_DRUG = re.compile(
    r"^\s*(?P<drug>[a-z][a-z0-9-]{3,})\b(?:\s+[a-z0-9-]+)?\s+(?:how|what|can|could|is|are|does|do|when|why|"
    r"side|dose|dosage|used|use|and|with|for|interaction|vs)\b",
    re.IGNORECASE,
)
_QUESTION_WORD_LIST = (
    "what when where which while who whom whose why how does do did can could should would will is are was "
    "were have has if my i im i'm please tell any"
)
_QUESTION_WORDS = frozenset(_QUESTION_WORD_LIST.split())


@lru_cache(maxsize=1)
def drug_names() -> frozenset[tuple[str, ...]]:
    """Brand and generic names (data/drug_names.txt, built by data/build_drug_names.py from ClinicalTrials.gov
    interventions, Open Payments product names and MeSH substance names) as normalised token tuples."""
    lines = (DATA / "drug_names.txt").read_text(encoding="utf-8").splitlines()
    names = frozenset(
        tuple(normalise_token(t) for t in _TOKEN.findall(line))
        for line in lines
        if line and not line.startswith("#")
    )
    return names - _GENERIC


@lru_cache(maxsize=1)
def _package_names() -> tuple[frozenset[tuple[str, ...]], frozenset[tuple[str, ...]]]:
    """(names, classes) of the drug-named-entity-recognition package: 107k variants (generic and brand) from
    DrugBank open data, NHS, MeSH, MedlinePlus and Wikipedia, read from its data file without importing its module
    (which would look for a cache in the home folder), its own stop words left out. A class ("opioid",
    "antacid", "statin") is an entry whose MeSH trees are all under D27 (actions and uses) with no DrugBank or
    MedlinePlus id: it ranks after a named drug."""
    spec = importlib.util.find_spec("drug_named_entity_recognition")
    if spec is None or not spec.submodule_search_locations:
        return frozenset(), frozenset()
    folder = Path(next(iter(spec.submodule_search_locations)))
    with bz2.open(folder / "drug_ner_dictionary.pkl.bz2", "rb") as fh:
        data = pickle.load(fh)  # noqa: S301 - the installed package's own data file
    stop = _package_stopwords(folder / "util.py")
    canonical = data["drug_canonical_to_data"]

    def is_class(name: str) -> bool:
        entry = canonical.get(name) or {}
        trees = entry.get("mesh_tree") or []
        return (
            bool(trees)
            and all(str(t).startswith("D27") for t in trees)
            and not (entry.get("drugbank_id") or entry.get("medline_plus_id"))
        )

    names: set[tuple[str, ...]] = set()
    classes: set[tuple[str, ...]] = set()
    for variant, targets in data["drug_variant_to_canonical"].items():
        if variant in stop or not (key := tuple(normalise_token(t) for t in _TOKEN.findall(variant))):
            continue
        (classes if all(is_class(t) for t in targets) else names).add(key)
    return frozenset(names) - _GENERIC, frozenset(classes) - _GENERIC


def _package_stopwords(util: Path) -> frozenset[str]:
    """The package's stop-word set, a literal in its util.py, read without running the module."""
    tree = ast.parse(util.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "stopwords" for t in node.targets):
            return frozenset(ast.literal_eval(node.value))
    return frozenset()


@lru_cache(maxsize=1)
def _chemical_names() -> frozenset[tuple[str, ...]]:
    """The MeSH-derived chemical names (classes among them: "statins", "antacids") less the generic words."""
    return (vocabularies()[1] | _package_names()[1]) - _GENERIC


def find_drug(text: str, product_names: Sequence[str] = ()) -> str:
    """The first drug-like mention of `text` as written, or "" when none is found.

    In order: the company's own product names; a brand or generic name (the drug-name dictionary, a WHO INN
    stem); a MeSH chemical name (classes included); a name the question opens with; a word after "about",
    "of", "on" ... The first that finds anything wins, and within it the earliest mention.
    """
    candidates: list[tuple[int, str]] = []
    for name in product_names:
        if name.strip():
            m = re.search(r"\b" + re.escape(name.strip()) + r"\b", text, re.IGNORECASE)
            if m:
                candidates.append((m.start(), m.group(0)))
    if candidates:
        return min(candidates)[1]
    candidates = [(s.start, s.text) for s in _phrase_spans(text, drug_names(), "drug")]
    candidates += [(s.start, s.text) for s in _phrase_spans(text, _package_names()[0], "drug")]
    candidates += [(m.start(), m.group(0)) for m in _INN_STEM.finditer(text)]
    if candidates:
        return min(candidates)[1]
    candidates = [(s.start, s.text) for s in _phrase_spans(text, _chemical_names(), "drug")]
    if candidates:
        return min(candidates)[1]
    leading = _LEADING_DRUG.match(text)
    if leading and leading.group("drug").lower() not in _NOT_DRUGS | _QUESTION_WORDS:
        return leading.group("drug")
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
