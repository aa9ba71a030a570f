"""The AE and special-situation lexicon (liaison_text.ae_lexicon.detect): recall first, every hit explained."""

from __future__ import annotations

import pytest

from liaison_text.ae_lexicon import SPECIAL_SITUATIONS, detect

AE_EXAMPLES = [
    ("Two weeks after the first infusion she developed a maculopapular rash.", {"rash"}),
    ("He was hospitalised with grade 3 pneumonitis.", {"hospitalised", "pneumonitis"}),
    ("The patient experienced severe nausea and vomiting.", {"nausea", "vomiting"}),
    ("Labs showed elevated ALT, and jaundice appeared a week later.", {"elevated alt", "jaundice"}),
    ("One patient died of sepsis during the extension study.", {"died", "sepsis"}),
    (
        "She reported an adverse event: anaphylaxis within minutes of the injection.",
        {"adverse event", "anaphylaxis"},
    ),
    ("The patient fainted in the waiting room.", {"fainted"}),
    ("Her father passed away a month into treatment.", {"passed away"}),
    ("He complained of palpitations and shortness of breath.", {"palpitations", "shortness of breath"}),
]

SPECIAL_EXAMPLES = [
    ("pregnancy_lactation", "She found out she was pregnant while on Onkotrex.", "pregnant"),
    ("pregnancy_lactation", "The mother kept breastfeeding throughout therapy.", "breastfeeding"),
    ("overdose", "The patient took a double dose by mistake last Tuesday.", "double dose"),
    ("overdose", "An overdose of 10 tablets was reported by the pharmacist.", "overdose"),
    ("abuse", "The nurse suspects the patient abused the opioid component.", "abused"),
    ("misuse", "The tablets were crushed and mixed into food.", "crushed"),
    ("misuse", "He was taking it not as prescribed, once weekly.", "not as prescribed"),
    ("medication_error", "The pharmacy dispensed the wrong strength.", "wrong strength"),
    ("medication_error", "There was a mix-up between two patients at the infusion centre.", "mix-up"),
    ("off_label_use", "She asked about off-label use in triple-negative breast cancer.", "off-label"),
    ("lack_of_efficacy", "In his hands the drug stopped working after three cycles.", "stopped working"),
    ("lack_of_efficacy", "The oncologist saw a lack of efficacy in elderly patients.", "lack of efficacy"),
    ("occupational_exposure", "A nurse had a needlestick while preparing the infusion.", "needlestick"),
    (
        "occupational_exposure",
        "The pharmacist was accidentally exposed to the powder.",
        "accidentally exposed",
    ),
    (
        "quality_complaint",
        "The vial looked discoloured and there were particles in the solution.",
        "discoloured",
    ),
    ("quality_complaint", "The clinic suspects a counterfeit pack bought online.", "counterfeit"),
    (
        "drug_interaction",
        "Levels rose when it was co-administered with ketoconazole.",
        "co-administered with",
    ),
    ("drug_interaction", "He asked about a drug-drug interaction with warfarin.", "drug-drug interaction"),
    # Phrasings the first lexicon missed.
    ("pregnancy_lactation", "She is expecting a baby in May.", "expecting a baby"),
    ("pregnancy_lactation", "The infant was exposed through breast milk.", "breast milk"),
    ("overdose", "He took twice the recommended dose.", "twice the recommended dose"),
    ("abuse", "Some patients used it to get high.", "to get high"),
    ("misuse", "She was sharing her tablets with her sister.", "sharing her tablets"),
    ("medication_error", "The product was past its expiry date.", "past its expiry date"),
    ("lack_of_efficacy", "Her patient did not respond to two cycles.", "did not respond"),
    ("lack_of_efficacy", "The tumour progressed despite treatment.", "progressed despite"),
    ("occupational_exposure", "A caregiver accidentally injected herself.", "accidentally injected"),
    ("quality_complaint", "The pen was leaking when opened.", "leaking"),
    ("quality_complaint", "The blister pack arrived damaged.", "arrived damaged"),
    ("drug_interaction", "It was taken together with St John's wort.", "taken together with"),
]

HEDGED_EXAMPLES = [
    ("No side effects were reported in the cohort.", "side effects"),
    ("The patient denied any rash or itching.", "rash"),
    ("She asked what to do if a patient became pregnant.", "pregnant"),
    ("We discussed the risk of neutropenia in elderly patients.", "neutropenia"),
    ("There were no seizures during the study.", "seizures"),
]

NEUTRAL_EXAMPLES = [
    "We reviewed the phase 3 trial design and the primary endpoint of progression-free survival.",
    "Dr Hopkins presented the biomarker strategy for PD-L1 and EGFR testing at the tumour board.",
    "The team discussed enrolment targets for the investigator-initiated study in Iowa.",
    "Median overall survival was 18.2 months with a hazard ratio of 0.71.",
    "She prefers e-mail on Tuesday mornings and wants the congress slides.",
    "",
]


def _spans_match_source(text: str, detection) -> None:
    for span in detection.spans:
        assert text[span.start : span.end] == span.text
        assert 0 <= span.start < span.end <= len(text)


@pytest.mark.parametrize(("text", "terms"), AE_EXAMPLES)
def test_it_flags_adverse_event_terms_with_spans_that_match_the_text(text, terms):
    detection = detect(text)
    assert detection.flagged and detection.ae
    assert terms <= set(detection.terms)
    assert any(s.kind == "event" and not s.hedged for s in detection.spans)
    _spans_match_source(text, detection)


@pytest.mark.parametrize(("category", "text", "term"), SPECIAL_EXAMPLES)
def test_it_flags_each_special_situation_with_its_category(category, text, term):
    detection = detect(text)
    assert detection.flagged
    assert category in detection.categories
    matching = [s for s in detection.spans if s.kind == category]
    assert any(s.text.lower() == term.lower() for s in matching), detection.spans
    _spans_match_source(text, detection)


def test_it_has_an_example_for_every_special_situation_category():
    assert {c for c, _, _ in SPECIAL_EXAMPLES} == set(SPECIAL_SITUATIONS)


@pytest.mark.parametrize(("text", "term"), HEDGED_EXAMPLES)
def test_it_flags_hedged_mentions_as_hedged_instead_of_dropping_them(text, term):
    detection = detect(text)
    assert detection.flagged, "a negated or hypothetical mention still goes to review"
    span = next(s for s in detection.spans if s.text.lower() == term)
    assert span.hedged
    _spans_match_source(text, detection)


def test_it_scores_a_firm_mention_above_a_hedged_one():
    assert detect("She developed a rash.").score > detect("No rash was seen.").score


@pytest.mark.parametrize("text", NEUTRAL_EXAMPLES)
def test_it_does_not_flag_neutral_scientific_text(text):
    detection = detect(text)
    assert not detection.flagged, detection.spans
    assert (detection.ae, detection.categories, detection.score) == (False, (), 0.0)


def test_it_does_not_match_inside_longer_words():
    # "rash" in "crashed", "AE" in "Aegean", "pain" in "Spain"
    assert not detect("The server crashed on the Aegean cruise to Spain.").flagged


def test_it_is_case_insensitive_and_keeps_the_original_casing_in_spans():
    detection = detect("PATIENT WAS HOSPITALIZED")
    assert [s.text for s in detection.spans] == ["HOSPITALIZED"]


def test_it_is_deterministic():
    text = "After an overdose she was admitted to the ICU with seizures."
    assert detect(text) == detect(text)


def test_it_finds_every_mention_in_a_long_note_in_order():
    text = " ".join(
        ["Discussed the trial design."] * 200 + ["Then she developed a rash."] + ["More data."] * 200
    )
    detection = detect(text)
    assert [s.text for s in detection.spans] == ["developed", "rash"]
    assert detection.spans[0].start < detection.spans[1].start
