"""Layer 1's condition frames: a condition named in a question, as a population or criterion, or as aggregate
data raises no report; an event said of a patient still does (liaison_text.ae_detect.frame_of)."""

from __future__ import annotations

from pathlib import Path

import pytest

from liaison_text.ae_detect import FRAME_RULES, AEResult, Detector

ADE = Path(__file__).resolve().parents[3] / "shared" / "data" / "ade_corpus"
PRODUCTS = ["Zentrava", "zentravimab", "Onkotrex", "Mammira", "Neurexa"]

# The three demo queue items of the issue that stated no event.
DEMO_FALSE_ALARMS = [
    "Is a dose adjustment of Zentrava needed in patients with hepatic impairment?",
    "Can you send the full results of the subgroup analysis by baseline disease severity for Zentrava?",
    "Has Zentrava been studied as maintenance therapy after the approved treatment period?",
]
CONDITIONS_NAMED = [
    "Dr Alvarez asked whether Mammira needs a dose reduction in patients with moderate hepatic impairment.",
    "He wanted to know whether hepatitis could occur with long-term use.",
    "Reviewed the exclusion criteria: patients with a history of pneumonitis or active autoimmune disease are "
    "excluded.",
    "Dr Moreau asked for the incidence of grade 3 neutropenia in the Mammira trial.",
    "How common is injection-site pain with Zentrava? The nurses want to counsel patients.",
]
PATIENT_EVENTS = [
    "Her patient developed grade 3 neutropenia after cycle 2.",
    "A patient of his was hospitalised with pneumonitis.",
    "Her patient developed grade 3 diarrhoea on Mammira; should she hold the dose?",
    "Should we rechallenge a patient who had urticaria with the first Zentrava injection?",
    "A patient of Dr Okafor's was hospitalised with pneumonitis six weeks after starting Onkotrex.",
    "Sad news: a patient on Onkotrex died of myocarditis last week.",
    "Her patient with a history of colitis had a severe flare of colitis after the second Onkotrex dose.",
    "Dr Santos saw elevated transaminases in a patient with moderate hepatic impairment on Mammira.",
    "Can Zentrava induce pancreatitis? One of her patients was admitted with it last week.",
]
SPECIAL_SITUATIONS = [
    ("Dr Ahmed has a patient who became pregnant while on Neurexa.", "pregnancy_lactation"),
    ("The pharmacist said a patient took a double dose of Zentrava for four days.", "overdose"),
    ("The infusion centre gave a patient the wrong dose of Onkotrex last Tuesday.", "medication_error"),
    ("In three of her patients Zentrava stopped working after six months.", "lack_of_efficacy"),
    ("He has been using Zentrava off-label in a patient with cluster headache.", "off_label"),
]


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(product_names=PRODUCTS)


def raises_report(result: AEResult) -> bool:
    """What liaison.safety does with a screening: a report for an AE, a special situation or a hedged hit."""
    return result.ae or bool(result.categories) or result.hedged


@pytest.mark.parametrize("text", DEMO_FALSE_ALARMS)
def test_the_demo_questions_that_stated_no_event_raise_no_report(detector, text):
    result = detector.detect(text)
    assert not raises_report(result), result.spans


@pytest.mark.parametrize("text", DEMO_FALSE_ALARMS)
def test_the_layer_without_frames_still_raised_them(text):
    assert raises_report(Detector(product_names=PRODUCTS, frames=()).detect(text))


@pytest.mark.parametrize("text", CONDITIONS_NAMED)
def test_a_condition_named_in_a_question_criterion_or_data_raises_no_report(detector, text):
    result = detector.detect(text)
    assert not raises_report(result), result.spans
    assert any(s.kind == "condition" and s.category in FRAME_RULES for s in result.spans), result.spans


@pytest.mark.parametrize("text", PATIENT_EVENTS)
def test_an_event_said_of_a_patient_still_raises(detector, text):
    result = detector.detect(text)
    assert result.ae and raises_report(result), result.spans
    assert any(s.kind == "event" for s in result.spans)


@pytest.mark.parametrize(("text", "category"), SPECIAL_SITUATIONS)
def test_special_situations_said_of_a_patient_still_raise(detector, text, category):
    assert category in detector.detect(text).categories


def test_a_condition_span_says_which_frame_and_keeps_its_text(detector):
    text = DEMO_FALSE_ALARMS[0]
    [span] = [s for s in detector.detect(text).spans if s.kind == "condition"]
    assert (span.text, span.category) == ("impairment", "question")
    assert text[span.start : span.end] == span.text


def test_an_unknown_frame_rule_is_refused():
    with pytest.raises(ValueError, match="unknown frame"):
        Detector(frames=["questions"])


@pytest.mark.skipif(not ADE.exists(), reason="the ADE corpus in ../shared/data is absent (evaluation only)")
def test_recall_on_the_development_ae_sentences_stays_above_097(detector):
    from liaison_text.ae_train import read_training_data

    positives = [t for t, y in read_training_data(ADE) if y]
    found = sum(raises_report(r) for r in detector.detect_many(positives))
    assert found / len(positives) >= 0.97
