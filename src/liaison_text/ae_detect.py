"""The adverse-event and special-situation detector: a shippable lexicon layer, and a trained layer on top.

Recall first: a missed AE is a regulatory failure, a false alarm costs drug safety one click.

- Layer 1, "lexicon", works from the first day with what the product may ship: the curated field phrasings
  of `ae_lexicon`, event and drug vocabularies derived from MeSH (public domain, see data/), WHO INN stems
  for drug names that MeSH lacks, and patterns for negation and hypotheticals. A curated AE term ("rash",
  "hospitalised") makes the text an AE candidate; a MeSH disease name does when the same sentence says it
  happened to someone, names a drug or uses an experience word ("developed", "after", "induced"), so that a
  disease named as the topic of a meeting is not an event. Negated or hypothetical mentions are marked
  `hedged` and still go to review. An event term named without being said to have happened (in a question,
  as a population or criterion, as the kind of a care noun, inside aggregate data) is relabelled a
  "condition" and raises nothing unless its sentence says something happened to someone ("developed",
  "was hospitalised", "after the second dose"): the condition frames (`frame_of`, `FRAME_RULES`).
- Layer 2, "trained", is a logistic regression each company fits on its own labels (`ae_train.train`):
  TF-IDF words, the lexicon signals below, and, when `liaison_text.embed` is installed, the encoder's
  token states pooled over the drug and event mentions and the words between them (`ae_pairs`). Its
  threshold was chosen on held-out text to keep recall at the target. The lexicon spans are
  still returned, so a reviewer sees why.

If a trained model is present but cannot be used (a model trained with embeddings on a machine without the
embedder, a corrupt file), the detector falls back to layer 1 rather than failing: more review, never less.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from liaison_text import ae_lexicon

DATA = Path(__file__).resolve().parent / "data"

CATEGORIES = (
    "pregnancy_lactation",
    "overdose",
    "abuse",
    "misuse",
    "medication_error",
    "off_label",
    "lack_of_efficacy",
    "occupational_exposure",
    "quality_complaint",
    "drug_interaction",
)
# ae_lexicon keeps its historical key for off-label use (the app's labels use it); this API uses CATEGORIES.
_CATEGORY_NAME = {"off_label_use": "off_label"}

_TOKEN = re.compile(r"[A-Za-z0-9]+")
# WHO INN stems (International Nonproprietary Names): a drug MeSH lists only as a supplementary concept
# still ends like its class. Matched on whole words of at least 7 letters to keep ordinary words out.
_INN_STEM = re.compile(
    r"\b[a-z]{3,}(?:mab|cept|tinib|ciclib|parib|lisib|rafenib|zomib|platin|taxel|rubicin|mycin|micin|cillin|"
    r"cycline|floxacin|conazole|fungin|vir|vudine|prazole|tidine|sartan|pril|olol|dipine|statin|gliptin|"
    r"gliflozin|glutide|formin|glitazone|oxetine|aline|pramine|triptyline|azepam|azolam|barbital|"
    r"peridol|apine|idone|triptan|profen|coxib|fenac|olone|sonide|methasone|parin|xaban|gatran|grel|"
    r"tretin|dronate|caine|curium|setron|lukast|terol|tropium|tadine|nacin|trexate|fovir|semide|thiazide|"
    r"lamide|mide|zosin|osin|pine|amine|azine|oxin|mustine|uracil|abine|itabine|dine)\b",
    re.IGNORECASE,
)
_DRUG_CLASS = re.compile(
    r"\b(?:chemotherap\w*|antibiotics?|antibody|antibodies|vaccin\w*|steroids?|corticosteroids?|"
    r"immunotherap\w*|biologics?|antidepressants?|antipsychotics?|anticonvulsants?|antiepileptics?|"
    r"anticoagulants?|opioids?|NSAIDs?|inhibitors?|agonists?|antagonists?|blockers?|infusions?|"
    r"injections?|tablets?|capsules?|doses?|dosing|medications?|drugs?|therapy|treatment|regimen)\b",
    re.IGNORECASE,
)
# Pathology word endings: a disease name missing from the vocabularies still reads like one.
_PATHOLOGY = re.compile(
    r"\b[a-z]{3,}(?:itis|osis|emia|aemia|emias|penia|penias|pathy|pathies|algia|plegia|paresis|"
    r"trophy|rrhea|rrhoea|uria|cardia|kinesia|kinesias|tonia|toxicity|toxic|megaly|necrosis|lysis|"
    r"ectasia|sclerosis|spasm|edema|oedema|oma|omas|iasis)\b",
    re.IGNORECASE,
)
# Everyday and procedural words with a pathology ending: "subgroup analysis" and "diagnosis" are no events.
_NOT_PATHOLOGY_WORDS = (
    "analysis analyses diagnosis prognosis osmosis symbiosis catalysis hydrolysis dialysis electrolysis "
    "photolysis proteolysis academia nostalgia diploma diplomas aroma aromas stoma stomas soma estonia "
    "apocalypsis nontoxic"
)
_NOT_PATHOLOGY = frozenset(_NOT_PATHOLOGY_WORDS.split())


def pathology_spans(text: str) -> list[tuple[int, int]]:
    """Words with a disease ending ("-itis", "-penia"...) that are not everyday or procedural words."""
    return [
        (m.start(), m.end()) for m in _PATHOLOGY.finditer(text) if m.group(0).lower() not in _NOT_PATHOLOGY
    ]


# Words that name harm without naming a disease: too vague for a vocabulary, right for recall.
_GENERIC_EVENT = re.compile(
    r"\b(?:lesions?|tumou?rs?|toxic(?:ity)?|toxic effects?|undesired effects?|unwanted effects?|"
    r"somnolence|drowsiness|sedation|injur(?:y|ies)|damage|disorders?|syndromes?|diseases?|failure|"
    r"dysfunction|impairment|insufficiency|malformations?|deficienc(?:y|ies)|abnormalit(?:y|ies)|"
    r"elevat(?:ed|ion) (?:of |in )?(?:serum |plasma |blood )?\w+|deteriorat\w+|aggravat\w+|worsen\w*|"
    r"exacerbat\w+|relapse|flare|complications?|symptoms?|changes in \w+|loss of \w+|teratogen\w*|"
    r"(?:intrauterine|fetal|foetal) exposure)\b",
    re.IGNORECASE,
)
# Phrases that tie an event to a drug in case-report and field-note prose.
_CAUSAL = re.compile(
    r"\b(?:\w+-induced|induced|associated|related|attribut\w+|due to|secondary to|caused|causing|"
    r"after|following|during|while (?:on|taking|receiving)|developed|resulted in|complicat\w+|"
    r"toxicit\w+|reactions?|adverse|side[- ]effects?|discontinu\w+|withdraw\w+|rechallenge|"
    r"readministration|onset|occurred|occurring|suspected|possible|caus\w+|contribut\w+|aggravat\w+|"
    r"worsen\w*|exacerbat\w+|treated with|receiving|taking|use of|post|risk|effects?|association)\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\b(?:no|not|never|without|denied|denies|deny|negative for|ruled out|free of|absence of|"
    r"none|nor|neither|did not|didn't|was not|were not|no evidence of|unremarkable)\b",
    re.IGNORECASE,
)
_HYPOTHETICAL = re.compile(
    r"\b(?:if|whether|could|might|may|would|should|hypothetical(?:ly)?|in case|risk of|potential|"
    r"possible|possibly|theoretical|ask(?:ed|s)? (?:about|what)|what (?:to do|happens) if|"
    r"warn(?:ed|s)? (?:about|of)|monitor(?:ing)? for|prevent\w*|avoid\w*)\b",
    re.IGNORECASE,
)
# A hedge reaches forward to the event in its own clause only: "no rash, but fever" leaves fever firm.
_CLAUSE_BREAK = re.compile(r"[.;:!?]|\bbut\b|\bhowever\b|\balthough\b", re.IGNORECASE)
HEDGE_WINDOW = 60


@dataclass(frozen=True)
class Span:
    """A stretch of the text the detector relied on; `text == source[start:end]`."""

    start: int
    end: int
    text: str
    kind: str  # "drug" | "event" | "situation" | "negation" | "hypothetical" | "condition"
    # the special-situation category of a "situation" span; the frame ("question", "population", "modifier",
    # "aggregate") of a "condition": an event term named without being said to have happened (layer 1 only)
    category: str = ""
    hedged: bool = False


@dataclass
class AEResult:
    """What the detector says about one text: an AE candidate or not, why, and which special situations."""

    ae: bool
    score: float
    categories: list[str]
    spans: list[Span]
    hedged: bool
    layer: str  # "lexicon" | "trained"
    signals: dict[str, float] = field(default_factory=dict, repr=False)

    @property
    def needs_review(self) -> bool:
        """True when drug safety must look: an AE candidate or any special situation, hedged or not."""
        return self.ae or bool(self.categories)

    def as_dict(self) -> dict[str, object]:
        """The JSON of `liaison text detect-ae` (without the caller's id)."""
        return {
            "ae": self.ae,
            "score": round(self.score, 4),
            "categories": list(self.categories),
            "spans": [{k: v for k, v in asdict(s).items() if v != "" or k != "category"} for s in self.spans],
            "hedged": self.hedged,
            "layer": self.layer,
        }


def normalise_token(token: str) -> str:
    """Fold case, British spellings and a plural -s so 'Haemorrhages' finds 'hemorrhage'."""
    t = token.lower()
    if len(t) > 5:
        t = t.replace("ae", "e").replace("oe", "e").replace("our", "or")
    if len(t) > 4 and t.endswith("s") and not t.endswith(("ss", "is", "us")):
        t = t[:-1]
    return t


def _read_vocabulary(name: str) -> frozenset[tuple[str, ...]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return frozenset(
        tuple(normalise_token(t) for t in _TOKEN.findall(line))
        for line in lines
        if line and not line.startswith("#")
    )


@lru_cache(maxsize=1)
def vocabularies() -> tuple[frozenset[tuple[str, ...]], frozenset[tuple[str, ...]]]:
    """(event phrases, drug phrases) as normalised token tuples; read once per process."""
    return _read_vocabulary("mesh_events.txt"), _read_vocabulary("mesh_drugs.txt")


def _phrase_spans(
    text: str, vocabulary: frozenset[tuple[str, ...]], kind: str, longest: int = 5
) -> list[Span]:
    """Longest-match lookup of token n-grams in a vocabulary: a set lookup per n-gram, no giant regex."""
    tokens = [
        (m.start(), m.end(), normalise_token(m.group(0)))
        for m in _TOKEN.finditer(text)
        # "Cushing's syndrome" is "cushing syndrome" in the vocabulary: drop the possessive s.
        if not (m.group(0) in ("s", "S") and m.start() > 0 and text[m.start() - 1] in "'\u2019")
    ]
    spans, i = [], 0
    while i < len(tokens):
        for n in range(min(longest, len(tokens) - i), 0, -1):
            key = tuple(t for _, _, t in tokens[i : i + n])
            if key in vocabulary and not (n == 1 and len(key[0]) < 4):
                start, end = tokens[i][0], tokens[i + n - 1][1]
                spans.append(Span(start, end, text[start:end], kind))
                i += n
                break
        else:
            i += 1
    return spans


def _regex_spans(text: str, pattern: re.Pattern[str], kind: str, category: str = "") -> list[Span]:
    return [Span(m.start(), m.end(), m.group(0), kind, category) for m in pattern.finditer(text)]


def _overlaps(span: Span, others: Iterable[Span]) -> bool:
    return any(span.start < o.end and o.start < span.end for o in others)


def _hedge_for(text: str, start: int) -> str:
    """'negation' or 'hypothetical' when a cue precedes `start` in the same clause, else ''."""
    window = text[max(0, start - HEDGE_WINDOW) : start]
    breaks = list(_CLAUSE_BREAK.finditer(window))
    if breaks:
        window = window[breaks[-1].end() :]
    if _NEGATION.search(window):
        return "negation"
    if _HYPOTHETICAL.search(window):
        return "hypothetical"
    return ""


def lexicon_spans(text: str, product_names: Sequence[str] = ()) -> list[Span]:
    """Every drug, event, special-situation and hedge span of layer 1, in text order, without overlaps
    inside one kind (the longest mention wins)."""
    events_vocab, drugs_vocab = vocabularies()
    curated_hits = ae_lexicon.detect(text).spans
    curated = [Span(s.start, s.end, s.text, "event") for s in curated_hits if s.kind == "event"]
    situations = [
        Span(s.start, s.end, s.text, "situation", _CATEGORY_NAME.get(s.kind, s.kind))
        for s in curated_hits
        if s.kind != "event"
    ]
    events = list(curated)
    for extra in (
        _phrase_spans(text, events_vocab, "event")
        + [Span(a, b, text[a:b], "event") for a, b in pathology_spans(text)]
        + _regex_spans(text, _GENERIC_EVENT, "event")
    ):
        if not _overlaps(extra, events):
            events.append(extra)
    drugs: list[Span] = []
    named = [re.escape(p) for p in product_names if p.strip()]
    if named:
        drugs += _regex_spans(text, re.compile(r"\b(?:" + "|".join(named) + r")\b", re.IGNORECASE), "drug")
    for extra in _phrase_spans(text, drugs_vocab, "drug") + _regex_spans(text, _INN_STEM, "drug"):
        if not _overlaps(extra, drugs) and not _overlaps(extra, events):
            drugs.append(extra)
    marked: list[Span] = []
    cues: list[Span] = []
    for span in events + situations:
        hedge = _hedge_for(text, span.start)
        marked.append(Span(span.start, span.end, span.text, span.kind, span.category, bool(hedge)))
        if hedge:
            cue_pattern = _NEGATION if hedge == "negation" else _HYPOTHETICAL
            offset = max(0, span.start - HEDGE_WINDOW)
            found = list(cue_pattern.finditer(text[offset : span.start]))
            if found:
                m = found[-1]
                cue = Span(offset + m.start(), offset + m.end(), m.group(0), hedge)
                if cue not in cues:
                    cues.append(cue)
    return sorted(marked + drugs + cues, key=lambda s: (s.start, s.end, s.kind))


SIGNAL_NAMES = (
    "events",
    "firm_events",
    "curated_events",
    "drugs",
    "drug_classes",
    "causal",
    "negations",
    "hypotheticals",
    "situations",
    "drug_and_event",
    "induced",
    "tokens_log",
)


def signals(text: str, spans: Sequence[Span]) -> dict[str, float]:
    """Numeric lexicon signals of a text: layer 1's score and part of layer 2's features."""
    events = [s for s in spans if s.kind == "event"]
    drugs = [s for s in spans if s.kind == "drug"]
    values = {
        "events": len(events),
        "firm_events": sum(not s.hedged for s in events),
        "curated_events": len(_regex_spans(text, ae_lexicon._AE, "event")),
        "drugs": len(drugs),
        "drug_classes": len(_DRUG_CLASS.findall(text)),
        "causal": len(_CAUSAL.findall(text)),
        "negations": sum(s.kind == "negation" for s in spans),
        "hypotheticals": sum(s.kind == "hypothetical" for s in spans),
        "situations": sum(s.kind == "situation" for s in spans),
        "drug_and_event": float(bool(events) and bool(drugs or _DRUG_CLASS.search(text))),
        "induced": float(bool(re.search(r"-induced|induced by|caused by|due to", text, re.I))),
        "tokens_log": math.log1p(len(_TOKEN.findall(text))),
    }
    return {k: float(v) for k, v in values.items()}


def lexicon_score(values: dict[str, float]) -> float:
    """A monotone, hand-set score in [0, 1] for ranking layer-1 candidates (not a probability)."""
    if not values["events"] and not ((values["drugs"] or values["drug_classes"]) and values["causal"]):
        return 0.05 * min(values["situations"], 2.0) + (0.1 if values["situations"] else 0.0)
    z = (
        -1.0
        + 0.8 * min(values["firm_events"], 3)
        + 0.3 * min(values["events"] - values["firm_events"], 2)
        + 0.7 * values["drug_and_event"]
        + 0.4 * min(values["causal"], 3)
        + 0.8 * values["induced"]
    )
    return 1 / (1 + math.exp(-z))


# Words that say an event happened to someone: without one of them (or a named drug in the same sentence) a
# disease name from MeSH is read as the topic of the conversation, not as an adverse event.
_EXPERIENCE = re.compile(
    r"\b(?:(?:a|an|the|one|two|our|this|that|my|her|his|their) (?:patients?|pts?|cases?)|"
    r"patients? (?:had|has|have|who|was|were|is|are)|he|she|his|her|him|man|woman|men|women|boy|girl|"
    r"child|children|infant|neonate|"
    r"\d+[- ]?(?:year|month|week|day)s?[- ]old|developed|develop|developing|experienced|experiencing|"
    r"suffered|suffering|presented|presenting|complained|complaining|reported|reports|noted|occurred|"
    r"occurring|onset|induced|\w+-induced|associated|related|attribut\w+|caused|causing|due to|secondary to|"
    r"resulted|resulting|after|following|while|during|since|admitted|hospitali[sz]\w*|died|"
    r"death|fatal|treated|receiving|received|taking|took|exposed|exposure|toxicity|reaction|reactions|"
    r"lead to|leads to|led to|produc\w*|precipitat\w*|induc\w*|trigger\w*|predispos\w*|withdrawal|"
    r"discontinu\w*|regress\w*|resolv\w*|revers\w*|appeared|began|worsen\w*|incriminated|intoxication|"
    r"overdose|poisoning|administration|therapy with|treatment with)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?;]\s+|\n")


def _sentence_of(text: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the sentence holding text[start:end]."""
    left = 0
    for m in _SENTENCE_END.finditer(text, 0, start):
        left = m.end()
    after = _SENTENCE_END.search(text, end)
    return left, (after.start() if after else len(text))


def _in_event_context(text: str, event: Span, drugs: Sequence[Span]) -> bool:
    """Whether an event mention reads as something that happened: a patient or experience word, or a named drug,
    in the same sentence."""
    left, right = _sentence_of(text, event.start, event.end)
    if any(left <= d.start < right for d in drugs):
        return True
    return bool(_EXPERIENCE.search(text, left, right))


# Where a condition is named without being said to have happened: the topic of a question ("is a dose
# adjustment needed in hepatic impairment?"), a population or criterion ("baseline disease severity", "exclusion
# criteria"), the kind of a care noun ("heart failure drugs"), or aggregate data ("the incidence of neutropenia
# in the trial"). Layer 1 reads an event mention in such a frame as a condition, not an event,
# unless its sentence also says something happened to someone (`_OCCURRENCE`). Each frame is a rule of its own
# so that the benchmark can measure what each one earns (bench/ae_false_alarms.py).
FRAME_RULES = ("question", "population", "modifier", "aggregate", "own_name")
_QUESTION = re.compile(
    r"\?\s*$|\b(?:ask(?:s|ed|ing)? (?:about|whether|if|what|how|why|when|which|for)|wants? to know|"
    r"wanted to know|question(?:s|ed)? (?:about|on|regarding|whether|from)|enquir\w*|inquir\w*|"
    r"curious (?:about|whether)|is there any data|are there (?:any )?data)\b",
    re.IGNORECASE,
)
_POPULATION = re.compile(
    r"\b(?:baseline|(?:inclusion|exclusion) criteri\w*|excludes|excluded|eligib\w*|criteri\w*|contraindicat\w*|stratif\w*|"
    r"subgroups?|population|indicated (?:for|in)|indication|(?:dose|dosing|titration|starting dose) "
    r"(?:\w+ ){0,6}(?:in|for) (?:patients|people|adults|those))\b",
    re.IGNORECASE,
)
_AGGREGATE = re.compile(
    r"\b(?:incidence|rates?|frequency|proportion|prevalence|risk|risks|data|evidence|guidance|guidelines?|"
    r"algorithm|management|managing|manage|monitoring|screening|prophyla\w*|labell?(?:ing)?|warnings?|"
    r"precautions|pooled|trials?|programme|program|analys[ie]s|endpoints?|outcomes?|survivors|"
    r"prevention|burden|education|teaching|counsel\w*|common|signal)\b",
    re.IGNORECASE,
)
# Said of someone, in the past or present: what makes a framed mention an event after all.
_OCCURRENCE = re.compile(
    r"\b(?:develop(?:ed|s)|experienc(?:ed|es|ing)|suffer(?:ed|s|ing)|present(?:ed|s|ing) with|"
    r"complain(?:ed|s|ing)? (?:of|about)|hospitali[sz]ed|admitted|died|passed away|discontinued|"
    r"stopped|held|withheld|interrupted|delayed|occur(?:s|red|ring)|resolved|recovered|(?:was|were) diagnosed|"
    r"became|ended up|(?:has|have|had) had|(?:patient|he|she|they|who) (?:had|has|got|gets|is having)|"
    r"found|noticed|saw|seen|since (?:starting|switching|the)|after (?:starting|beginning|initiating|"
    r"switching|receiving|(?:his|her|their|the) (?:first|second|third|fourth|fifth|last|\d+(?:st|nd|rd|th)|"
    r"next)\b)|(?:days?|weeks?|months?) (?:after|into)|rechalleng\w*|dechalleng\w*)\b",
    re.IGNORECASE,
)
# A question that ties a named drug to the event ("Can X induce Y?", "X-induced Y: a class effect?") still
# raises: it may be a case in disguise, and case-report titles read that way.
_CAUSE_ASKED = re.compile(
    r"\b(?:\w+-(?:induced|associated|related)|induc\w+|caus\w+|associated with|related to|due to|"
    r"secondary to|attribut\w+|reactions?|toxicit\w+|adverse|side[- ]effects?|increas\w*|decreas\w*|impact|"
    r"affect|affects|trigger\w*|provok\w*|precipitat\w*|lead to|leads to|result in|results in|worsen\w*|"
    r"exacerbat\w*|aggravat\w*)\b",
    re.IGNORECASE,
)
# A condition naming the kind of a care or activity noun ("heart failure drugs", "the migraine clinic").
_MODIFIED = re.compile(
    r"\s+(?:drugs?|medicines?|medications?|therap(?:y|ies)|treatments?|agents?|clinics?|services?|"
    r"registr(?:y|ies)|stud(?:y|ies)|trials?|guidelines?|pathways?|programmes?|programs?|nurses?|population|"
    r"teams?|units?|centres?|centers?|specialists?|outcomes?|data|burden|care|management|prevention|research|"
    r"networks?|communit(?:y|ies)|societ(?:y|ies)|experts?|boards?|meetings?|sessions?|congress|track|signals?)\b",
    re.IGNORECASE,
)
FRAME_WINDOW = 60


def _clause_before(text: str, left: int, start: int) -> str:
    """The words before `start` in its clause (within the sentence starting at `left`), at most FRAME_WINDOW."""
    window = text[max(left, start - FRAME_WINDOW) : start]
    breaks = list(_CLAUSE_BREAK.finditer(window))
    return window[breaks[-1].end() :] if breaks else window


def frame_of(
    text: str, span: Span, drugs: Sequence[Span], rules: Iterable[str] = FRAME_RULES, *, masked: str = ""
) -> str:
    """The frame ("question", "population", "modifier", "aggregate") that makes an event mention a condition
    named rather than an event said to have happened; "" when it reads as an event. `masked` is the text with
    the event names blanked out (rule "own_name"), where the cues are looked for."""
    rules = set(rules)
    cues = masked or text
    left, right = _sentence_of(text, span.start, span.end)
    sentence = cues[left:right]
    tail = text[right : right + 2]
    if _OCCURRENCE.search(sentence):
        return ""
    drug = any(left <= d.start < right for d in drugs) or bool(_DRUG_CLASS.search(sentence))
    if "question" in rules and (_QUESTION.search(sentence) or tail.startswith("?")):
        return "" if drug and _CAUSE_ASKED.search(sentence) else "question"
    # A causal or treatment word in the sentence: case-report prose ("in two patients with glaucoma treated
    # with venlafaxine"), where the named condition may be the only event the lexicon recognises.
    if _CAUSAL.search(sentence):
        return ""
    if "population" in rules and _POPULATION.search(sentence):
        return "population"
    # An adjective of harm before a drug noun ("a teratogenic drug") says what the drug does: not a modifier.
    if "modifier" in rules and _MODIFIED.match(text, span.end) and not span.text.lower().endswith("ic"):
        return "modifier"
    if "aggregate" in rules and _AGGREGATE.search(_clause_before(cues, left, span.start)):
        return "aggregate"
    return ""


def mask_names(text: str, spans: Iterable[Span]) -> str:
    """The text with the given spans blanked out, offsets kept: "akathisia, drug-induced" (a MeSH name) is
    no evidence that anything was induced."""
    chars = list(text)
    for span in spans:
        chars[span.start : span.end] = " " * (span.end - span.start)
    return "".join(chars)


def _categories(spans: Sequence[Span]) -> list[str]:
    found = {s.category for s in spans if s.kind == "situation"}
    return [c for c in CATEGORIES if c in found]


class Detector:
    """Layer 2 when a trained model is in `model_dir`, layer 1 otherwise; see the module docstring."""

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        product_names: Sequence[str] = (),
        frames: Iterable[str] = FRAME_RULES,
    ) -> None:
        # `frames`: the condition-frame rules layer 1 applies (FRAME_RULES); () is layer 1 as it was before them.
        self.product_names = tuple(product_names)
        self.frames = frozenset(frames)
        unknown = self.frames - set(FRAME_RULES)
        if unknown:
            raise ValueError(f"unknown frame rules: {sorted(unknown)}")
        self.model = None
        self.load_error = ""
        if model_dir is not None and (Path(model_dir) / "model.json").exists():
            from liaison_text.ae_train import load_model  # local: layer 1 must import without it

            try:
                self.model = load_model(Path(model_dir))
            except (OSError, ValueError, KeyError, RuntimeError) as exc:
                # Falling back to layer 1 keeps recall; the reason is kept for `liaison text` to report.
                self.load_error = f"{type(exc).__name__}: {exc}"

    @property
    def layer(self) -> str:
        return "trained" if self.model is not None else "lexicon"

    def detect(self, text: str) -> AEResult:
        """Screen one text; pure apart from the model files read at construction."""
        return self.detect_many([text])[0]

    def detect_many(self, texts: Iterable[str]) -> list[AEResult]:
        """Screen many texts; the trained layer embeds them in batches, which is much faster than one by one."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        spans = [lexicon_spans(t, self.product_names) for t in texts]
        values = [signals(t, s) for t, s in zip(texts, spans, strict=True)]
        probabilities: np.ndarray | None = None
        if self.model is not None and texts:
            try:
                probabilities = self.model.predict_proba(texts, values, spans)
            except Exception as exc:  # noqa: BLE001 - any model failure degrades to layer 1, never to "clean"
                self.load_error = f"{type(exc).__name__}: {exc}"
                self.model = None
        results = []
        for i, (found, value) in enumerate(zip(spans, values, strict=True)):
            events = [s for s in found if s.kind == "event"]
            situations = [s for s in found if s.kind == "situation"]
            relied = events + situations
            hedged = bool(relied) and all(s.hedged for s in relied)
            if probabilities is not None and self.model is not None:
                score = float(probabilities[i])
                ae = score >= self.model.threshold
                layer = "trained"
            else:
                score = lexicon_score(value)
                ae, found = self._lexicon_decision(texts[i], found, value)
                events = [s for s in found if s.kind == "event"]
                relied = events + situations
                hedged = bool(relied) and all(s.hedged for s in relied)
                if not ae:
                    score = min(score, 0.2)
                layer = "lexicon"
            results.append(AEResult(ae, score, _categories(found), list(found), hedged, layer, value))
        return results

    def _lexicon_decision(
        self, text: str, found: list[Span], value: dict[str, float]
    ) -> tuple[bool, list[Span]]:
        """Layer 1's verdict, and the spans with framed event mentions relabelled as kind "condition".

        Recall first: a curated AE term, an event said of a patient or next to a named drug, or a drug named
        next to a causal phrase ("X-associated ARDS"). A disease named as a topic ("the latest cardiomyopathies
        data") is not an event on its own, nor is a condition named in a question, as a population or
        criterion, or as aggregate data, unless the same sentence says something happened (`frame_of`).
        """
        drugs = [s for s in found if s.kind == "drug"]
        curated = {(m.start(), m.end()) for m in ae_lexicon._AE.finditer(text)}
        # Only names of several words carry cue words of their own ("leukemia, radiation-induced"); a single
        # word that is both an event and a cue ("complication") keeps counting as a cue.
        named = [
            s
            for s in found
            if s.kind == "event" and (s.start, s.end) not in curated and " " in s.text.strip()
        ]
        masked = mask_names(text, named) if "own_name" in self.frames else text
        if self.frames:
            relabelled = []
            for span in found:
                frame = (
                    frame_of(text, span, drugs, self.frames, masked=masked) if span.kind == "event" else ""
                )
                relabelled.append(
                    Span(span.start, span.end, span.text, "condition", frame) if frame else span
                )
            found = relabelled
        events = [s for s in found if s.kind == "event"]
        if self.frames:
            curated_hit = any((s.start, s.end) in curated for s in events)
        else:
            curated_hit = value["curated_events"] > 0
        return (
            curated_hit
            or any(_in_event_context(masked, s, drugs) for s in events)
            or self._drug_and_cause(masked, drugs, value)
        ), found

    def _drug_and_cause(self, text: str, drugs: Sequence[Span], value: dict[str, float]) -> bool:
        """A drug named next to a causal phrase, even with no event found; not in a question that says nothing
        happened ("Has X been studied after the approved period?")."""
        if not ((value["drugs"] or value["drug_classes"]) and value["causal"]):
            return False
        if not {"question", "aggregate"} & self.frames:
            return True
        left = 0
        bounds = [(m.start(), m.end()) for m in _SENTENCE_END.finditer(text)] + [(len(text), len(text))]
        for end, after in bounds:
            sentence, tail = text[left:end], text[end : end + 2]
            has_drug = any(left <= d.start < end for d in drugs) or bool(_DRUG_CLASS.search(sentence))
            happened = bool(_OCCURRENCE.search(sentence))
            asked = "question" in self.frames and bool(_QUESTION.search(sentence) or tail.startswith("?"))
            causes = [m.start() for m in _CAUSAL.finditer(text, left, end)]
            if "aggregate" in self.frames and not happened:
                # "real-world data on docetaxel combinations after progression": a causal word inside
                # aggregate data says nothing happened to anyone.
                causes = [c for c in causes if not _AGGREGATE.search(_clause_before(text, left, c))]
            if has_drug and causes and (happened or not asked):
                return True
            left = after
        return False


def load_detector(model_dir: Path | None, *, product_names: Sequence[str] = ()) -> Detector:
    """The detector the app and `liaison text detect-ae` use: trained if `model_dir` holds a model."""
    return Detector(model_dir, product_names=product_names)


def result_json(record_id: object, result: AEResult) -> str:
    """One output line of `liaison text detect-ae`."""
    return json.dumps({"id": record_id, **result.as_dict()}, ensure_ascii=False)


def read_jsonl_records(lines: Iterable[str]) -> Iterable[tuple[int, object, str | None, str]]:
    """(line number, id, text or None, error) for each non-blank JSON line {"id", "text"}: the input of
    `liaison text detect-ae` and `classify-question`. A line that cannot be used comes back with its error
    ("line N: ..."), never dropped."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, None, f"line {number}: not JSON ({exc.msg})"
            continue
        if not isinstance(record, dict) or "id" not in record or not isinstance(record.get("text"), str):
            rid = record.get("id") if isinstance(record, dict) else None
            yield number, rid, None, f'line {number}: expected an object with "id" and a string "text"'
            continue
        yield number, record["id"], record["text"], ""
