"""The two-layer AE detector (liaison_text.ae_detect): layer 1 out of the box, special situations, hedging."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liaison_text.ae_detect import CATEGORIES, AEResult, Detector, load_detector, result_json

FIXTURES = Path(__file__).parent / "fixtures"
ADE = Path(__file__).resolve().parents[3] / "shared" / "data" / "ade_corpus"
SEEDED = [
    json.loads(line) for line in (FIXTURES / "special_situations.jsonl").read_text().splitlines() if line
]

FIELD_AES = [
    "Two weeks after starting Onkotrex his patient developed a severe maculopapular rash.",
    "She was hospitalised with grade 3 pneumonitis following the fourth infusion.",
    "Dr Meyer saw elevated transaminases in two patients on the higher dose.",
    "A patient on rituximab had an anaphylactic reaction within minutes.",
    "Her patient stopped treatment because of persistent diarrhoea.",
    "The nurse reported hypokalaemia in a man receiving the drug.",
    "Cisplatin-associated ototoxicity was seen in one of his patients.",
]
CLEAN_NOTES = [
    "We reviewed the phase 3 trial design and the primary endpoint.",
    "She prefers e-mail on Tuesday mornings and wants the congress slides.",
    "The team discussed enrolment targets for the investigator-initiated study in Iowa.",
    "",
]


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector()


def _spans_match(text: str, result: AEResult) -> None:
    for span in result.spans:
        assert text[span.start : span.end] == span.text


@pytest.mark.parametrize("text", FIELD_AES)
def test_it_flags_field_note_adverse_events_with_event_spans(detector, text):
    result = detector.detect(text)
    assert result.ae and result.layer == "lexicon" and not result.hedged
    assert any(s.kind == "event" for s in result.spans), result.spans
    assert result.score > 0.5
    _spans_match(text, result)


@pytest.mark.parametrize("text", CLEAN_NOTES)
def test_it_leaves_neutral_notes_clean(detector, text):
    result = detector.detect(text)
    assert not result.ae and not result.needs_review, result.spans
    assert result.score < 0.2


def test_it_names_the_drug_it_relied_on(detector):
    text = "Cisplatin-associated ototoxicity was seen in one of his patients."
    result = detector.detect(text)
    assert {s.text.lower() for s in result.spans if s.kind == "drug"} == {"cisplatin"}


def test_it_recognises_product_names_the_app_passes(detector):
    text = "One patient on Zyntrava developed jaundice."
    assert not any(s.kind == "drug" for s in detector.detect(text).spans)
    with_products = Detector(product_names=["Zyntrava"]).detect(text)
    assert [s.text for s in with_products.spans if s.kind == "drug"] == ["Zyntrava"]


@pytest.mark.parametrize(
    ("text", "cue_kind"),
    [
        ("The patient denied any rash or itching.", "negation"),
        ("No seizures were reported during the study.", "negation"),
        ("She asked what to do if a patient became pregnant.", "hypothetical"),
        ("He said the patient might have had a mild rash.", "hypothetical"),
    ],
)
def test_it_marks_negated_and_hypothetical_mentions_as_hedged_and_still_sends_them_to_review(
    detector, text, cue_kind
):
    result = detector.detect(text)
    assert result.needs_review and result.hedged
    assert any(s.kind == cue_kind for s in result.spans), result.spans
    _spans_match(text, result)


def test_a_hedge_stops_at_the_end_of_its_clause(detector):
    result = detector.detect("No rash was seen, but she developed a fever.")
    assert not result.hedged
    assert [s.hedged for s in result.spans if s.kind == "event" and s.text in ("rash", "fever")] == [
        True,
        False,
    ]


def test_it_scores_a_firm_mention_above_a_hedged_one(detector):
    assert detector.detect("She developed a rash.").score > detector.detect("No rash was seen.").score


@pytest.mark.parametrize("case", SEEDED, ids=lambda c: f"{c['category']}-{'pos' if c['expect'] else 'neg'}")
def test_each_special_situation_is_found_and_its_near_misses_are_not(detector, case):
    result = detector.detect(case["text"])
    assert (case["category"] in result.categories) is case["expect"], result.spans
    _spans_match(case["text"], result)


def test_the_seeded_set_covers_every_category_with_positives_and_near_misses():
    for category in CATEGORIES:
        expects = {c["expect"] for c in SEEDED if c["category"] == category}
        assert expects == {True, False}, category


def test_categories_use_the_api_names_in_a_fixed_order(detector):
    result = detector.detect(
        "She asked about off-label use; the pen was leaking and she is pregnant, and took a double dose."
    )
    assert result.categories == ["pregnancy_lactation", "overdose", "off_label", "quality_complaint"]


def test_as_dict_is_the_detect_ae_json(detector):
    result = detector.detect("After an overdose she was admitted to the ICU with seizures.")
    line = json.loads(result_json("note-7", result))
    assert line["id"] == "note-7" and line["ae"] is True and "overdose" in line["categories"]
    assert {"start", "end", "text", "kind"} <= set(line["spans"][0])
    assert line["layer"] == "lexicon" and 0 <= line["score"] <= 1


def test_a_disease_named_as_a_topic_is_not_an_adverse_event(detector):
    # Medical affairs notes name diseases all the time; only an event said of a patient, next to a named drug
    # or with an experience word counts. A curated AE term ("rash", "hospitalised") needs no context.
    topics = [
        "Discussed an investigator-initiated study idea on digestive system neoplasms outcomes in rural patients.",
        "Dr Rao described the care pathway at their practice for patients with bone cysts.",
        "Scientific exchange on the latest cardiomyopathies data; shared the congress poster.",
    ]
    assert [r.ae for r in detector.detect_many(topics)] == [False, False, False]
    events = [
        "A 54-year-old man developed cardiomyopathy.",
        "Cardiomyopathy after doxorubicin.",
        "The patient had bone cysts while on the study drug.",
        "She was hospitalised.",
    ]
    assert [r.ae for r in detector.detect_many(events)] == [True, True, True, True]


def test_detect_many_matches_detect_and_survives_odd_input(detector):
    texts = ["She developed a rash.", "", None, "x" * 20000 + " She developed hepatitis."]
    many = detector.detect_many(texts)
    assert [r.ae for r in many] == [True, False, False, True]
    assert many[0] == detector.detect("She developed a rash.")


def test_load_detector_without_a_model_is_the_lexicon_layer(tmp_path):
    assert load_detector(None).layer == "lexicon"
    assert load_detector(tmp_path / "missing").layer == "lexicon"


@pytest.mark.slow
@pytest.mark.skipif(not ADE.exists(), reason="the ADE corpus in ../shared/data is absent (evaluation only)")
def test_layer_one_keeps_recall_above_097_on_the_ade_corpus(detector):
    from liaison_text.ae_train import read_training_data

    data = read_training_data(ADE)
    positives = [t for t, y in data if y][::3]  # every third AE sentence keeps the test under a minute
    found = sum(r.ae for r in detector.detect_many(positives))
    assert found / len(positives) >= 0.97


def test_the_json_lines_reader_answers_every_line_and_names_unreadable_ones():
    from liaison_text.ae_detect import read_jsonl_records

    lines = [
        '{"id": 1, "text": "She developed a rash."}',
        "not json",
        "",
        '{"id": "b", "text": 7}',
        '{"text": "no id"}',
        '{"id": 3, "text": "We discussed the trial design."}',
    ]
    out = list(read_jsonl_records(lines))
    assert [(n, rid, text) for n, rid, text, _ in out] == [
        (1, 1, "She developed a rash."),
        (2, None, None),
        (4, "b", None),
        (5, None, None),
        (6, 3, "We discussed the trial design."),
    ]
    errors = [e for *_, e in out]
    assert errors[0] == "" and errors[1].startswith("line 2: not JSON") and '"id"' in errors[3]


@pytest.mark.parametrize(
    "text",
    [
        "We discussed the subgroup analysis and the mechanism of action.",
        "Early diagnosis improves the prognosis, she said.",
        "He presented the metabolism data to the academia network.",
    ],
)
def test_everyday_words_with_a_disease_ending_are_not_events(detector, text):
    assert not detector.detect(text).ae
