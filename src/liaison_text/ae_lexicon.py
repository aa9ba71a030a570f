"""A transparent lexicon baseline for adverse-event and special-situation mentions in free text.

Recall first: a missed AE is a regulatory failure, a false alarm costs drug safety one click. Every hit names
the term and its character span, so a reviewer sees exactly why a text was flagged. Negated or hypothetical
mentions ("no side effects", "if she became pregnant") are still flagged, marked `hedged`, and go to review.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

# Terms that suggest an adverse event. Regular expressions, matched case-insensitively on word boundaries.
AE_TERMS: tuple[str, ...] = (
    r"adverse (?:event|effect|reaction|drug reaction)s?",
    r"side[- ]effects?",
    r"\bAEs?\b",
    r"\bSAEs?\b",
    r"reactions?",
    r"toxicit(?:y|ies)",
    r"hospitali[sz](?:ed|ation)",
    r"admitted to (?:hospital|the ICU|ICU)",
    r"died",
    r"deaths?",
    r"fatal",
    r"rash(?:es)?",
    r"hives",
    r"urticaria",
    r"anaphyla\w*",
    r"angioedema",
    r"nausea",
    r"vomit\w*",
    r"diarrh(?:o)?ea",
    r"headaches?",
    r"dizz\w*",
    r"fatigue",
    r"seizures?",
    r"bleed\w*",
    r"ha?emorrhag\w*",
    r"liver (?:injury|damage|failure|toxicity)",
    r"hepatotoxic\w*",
    r"elevated (?:ALT|AST|liver enzymes|transaminases)",
    r"jaundice",
    r"kidney (?:injury|failure)",
    r"renal (?:failure|impairment|injury)",
    r"neutropeni\w*",
    r"thrombocytopeni\w*",
    r"pneumonitis",
    r"colitis",
    r"myocarditis",
    r"arrhythmi\w*",
    r"QT prolongation",
    r"stroke",
    r"myocardial infarction",
    r"heart attack",
    r"infections?",
    r"sepsis",
    r"neuropath\w*",
    r"pancreatitis",
    r"suicid\w*",
    r"swelling",
    r"itch\w*",
    r"pruritus",
    r"hair loss",
    r"alopecia",
    r"fever",
    r"hypotension",
    r"hypertension",
    r"hypoglyc(?:a)?emi\w*",
    r"intolerance",
    r"allerg\w*",
    r"discontinued (?:due to|because of)",
    r"stopped (?:taking|treatment) (?:due to|because of)",
    r"experienced",
    r"developed",
    r"complained of",
    r"suffered",
    r"injection[- ]site",
    r"pain",
    # Added after missed field phrasings in tests/safety/test_detector.py.
    r"passed away",
    r"faint(?:ed|ing)?",
    r"syncope",
    r"collapsed",
    r"unconscious",
    r"miscarriage",
    r"stillbirth",
    r"birth defects?",
    r"palpitations?",
    r"tachycardia",
    r"bradycardia",
    r"dyspn(?:o)?ea",
    r"shortness of breath",
    r"o?edema",
    r"an(?:a)?emi\w*",
    r"tremors?",
    r"blurred vision",
    r"insomnia",
    r"constipation",
    r"cytokine release syndrome",
)

SPECIAL_SITUATIONS: dict[str, tuple[str, ...]] = {
    "pregnancy_lactation": (
        r"pregnan\w*",
        r"breast[- ]?feed\w*",
        r"lactat(?:ion|ing)",
        r"nursing (?:mother|infant)",
        r"conceiv(?:ed|ing) (?:while|during|on)",
        r"trimester",
        r"expecting a baby",
        r"breast milk",
        r"miscarriage",
        r"in utero",
        r"gestation\w*",
    ),
    "overdose": (
        r"over[- ]?dos\w*",
        r"took (?:all|the whole (?:pack|box|bottle))",
        r"too (?:much|many) (?:of (?:the|his|her|their) )?(?:tablets?|pills?|capsules?|doses?|injections?|"
        r"patch(?:es)?|medicine|medication|drug)",
        r"double dose",
        r"extra dose",
        r"supratherapeutic",
        r"(?:twice|two times|three times|[23] times|double|triple) the (?:recommended |prescribed |usual )?dose",
        r"more than the (?:recommended|prescribed) dose",
    ),
    "abuse": (
        r"abus\w*",
        r"recreational(?:ly)?",
        r"addict\w*",
        r"dependence",
        r"to get high",
        r"snort\w*",
        r"divert(?:ed|ing)",
        r"diversion",
    ),
    "misuse": (
        r"misus\w*",
        r"not as (?:prescribed|directed)",
        r"crush(?:ed|ing)",
        r"self-medicat\w*",
        r"shar(?:ed|ing) (?:his|her|their) (?:medication|medicine|tablets|pills)",
    ),
    "medication_error": (
        r"medication error",
        r"wrong (?:dose|drug|patient|route|strength)",
        r"dosing error",
        r"dispens\w* error",
        r"mix[- ]?up",
        r"administered incorrectly",
        r"given to the wrong",
        r"expired (?:product|drug|medication|medicine|pen|vial|tablets?)",
        r"past (?:its|the) expiry(?: date)?",
    ),
    "off_label_use": (r"off[- ]label", r"unapproved (?:use|indication)", r"not approved for"),
    "lack_of_efficacy": (
        r"lack of (?:efficacy|effect)",
        r"not (?:working|effective)",
        r"didn'?t work",
        r"did not work",
        r"no (?:effect|response|improvement)",
        r"ineffective",
        r"treatment failure",
        r"stopped working",
        r"loss of (?:efficacy|response)",
        r"(?:did not|didn'?t|failed to) respond",
        r"no longer (?:works|working|effective|responding)",
        r"progressed (?:despite|on|while on)",
        r"non-?respon\w*",
    ),
    "occupational_exposure": (
        r"occupational(?:ly)? expos\w*",
        r"accidental(?:ly)? expos\w*",
        r"needle[- ]?stick",
        r"splash\w*",
        r"accidental(?:ly)? (?:self-)?inject\w*",
    ),
    "quality_complaint": (
        r"counterfeit",
        r"fake (?:drug|product|pen)",
        r"quality (?:complaint|issue|defect)",
        r"defective",
        r"discolou?r\w*",
        r"particles? in",
        r"broken (?:pen|vial|seal)",
        r"contaminat\w*",
        r"tamper\w*",
        r"leak(?:s|ed|ing|age)?",
        r"arrived damaged",
        r"damaged (?:pack\w*|vial|pen|box|blister|seal|syringe)",
    ),
    "drug_interaction": (
        r"drug[- ]drug interaction",
        r"interact\w* with",
        r"co-?administ\w* with",
        r"combined with",
        r"taken (?:together )?with",
        r"concomitant(?:ly)?",
    ),
}

# Near misses: phrasings that contain a special-situation term but are about something else. A hit that a
# near miss overlaps is dropped. Added from the seeded negatives in tests/text/fixtures/special_situations.jsonl.
NEAR_MISSES: dict[str, tuple[str, ...]] = {
    "abuse": (r"abuse[- ]deterrent", r"abuse[- ]resistant"),
    "misuse": (
        r"crush(?:ed|ing|es)? (?:the |their |our |its )?(?:competition|targets?|enrol?ment|recruitment|goals?|it)",
    ),
    "medication_error": (
        r"mix[- ]?up (?:in|of|with) (?:the )?(?:meeting|schedule|agenda|slides?|dates?|rooms?|calendar)",
    ),
    "occupational_exposure": (r"made a splash", r"makes? a splash", r"splash(?:y| page| screen)"),
    "quality_complaint": (
        r"(?:data|information|news|results|slides|press|security) leak\w*",
        r"leak(?:ed|s|ing)? (?:the |our |their )?(?:\w+ )?(?:data|results|news|slides|story|information|abstract)",
    ),
    "drug_interaction": (
        r"(?:data|results|analys[ie]s|evidence|findings|efficacy|safety) (?:were |was )?combined with",
        r"combined with (?:the )?(?:data|results|analys[ie]s|safety analysis|findings|evidence)",
        r"taken (?:together )?with (?:or without )?(?:food|water|a meal|meals|milk|a glass of water)",
    ),
}

HEDGES = re.compile(
    r"\b(?:no|not|never|without|denied|denies|negative for|ruled out|if|whether|could|might|may|would|"
    r"hypothetical(?:ly)?|in case|risk of|potential)\b",
    re.IGNORECASE,
)


def _compile(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(?:" + "|".join(patterns) + r")(?![\w])", re.IGNORECASE)


_AE = _compile(AE_TERMS)
_SPECIAL = {category: _compile(terms) for category, terms in SPECIAL_SITUATIONS.items()}
_NEAR_MISS = {category: _compile(terms) for category, terms in NEAR_MISSES.items()}


def _near_miss(category: str, text: str, start: int, end: int) -> bool:
    pattern = _NEAR_MISS.get(category)
    return pattern is not None and any(m.start() < end and start < m.end() for m in pattern.finditer(text))


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str
    kind: str  # "event" or a special-situation category
    hedged: bool

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Detection:
    ae: bool
    score: float
    categories: tuple[str, ...]
    spans: tuple[Span, ...]

    @property
    def flagged(self) -> bool:
        """True when the text needs drug safety's eyes: an AE term or any special situation, hedged or not."""
        return bool(self.spans)

    @property
    def terms(self) -> list[str]:
        return sorted({s.text.lower() for s in self.spans})


def _hedged(text: str, start: int) -> bool:
    window = text[max(0, start - 40) : start]
    return bool(HEDGES.search(window))


def detect(text: str) -> Detection:
    """Find AE and special-situation mentions in `text`; pure and deterministic."""
    text = text or ""
    spans: list[Span] = []
    for match in _AE.finditer(text):
        spans.append(Span(match.start(), match.end(), match.group(0), "event", _hedged(text, match.start())))
    categories: list[str] = []
    for category, pattern in _SPECIAL.items():
        for match in pattern.finditer(text):
            if _near_miss(category, text, match.start(), match.end()):
                continue
            spans.append(
                Span(match.start(), match.end(), match.group(0), category, _hedged(text, match.start()))
            )
            if category not in categories:
                categories.append(category)
    spans.sort(key=lambda s: s.start)
    events = [s for s in spans if s.kind == "event"]
    firm = [s for s in spans if not s.hedged]
    score = 0.0
    if spans:
        score = min(1.0, 0.5 + 0.15 * len(events) + 0.1 * len(categories) - (0.2 if not firm else 0.0))
    return Detection(
        ae=bool(events),
        score=round(max(score, 0.3 if spans else 0.0), 3),
        categories=tuple(categories),
        spans=tuple(spans),
    )
