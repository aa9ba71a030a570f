"""Medical inquiry triage (liaison_text.questions): the question type and the drug in focus."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from liaison_text.questions import QUESTION_TYPES, classify_question, find_drug

MEDQA = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "data"
    / "medication_questions"
    / "medication_questions.tsv"
)

# Our own paraphrases of how people ask (not the data set's questions).
PARAPHRASES = [
    ("Can I drink wine while taking metronidazole?", "Interaction", "metronidazole"),
    ("How much ibuprofen can a 10 year old have?", "Dose", "ibuprofen"),
    ("What are the side effects of atorvastatin?", "Side effects", "atorvastatin"),
    ("What is gabapentin used for?", "Indication", "gabapentin"),
    ("How do I come off sertraline safely?", "Stopping/tapering", "sertraline"),
    ("What does a 10 mg amlodipine pill look like?", "Appearance", "amlodipine"),
    ("Does omeprazole contain lactose?", "Ingredient", "omeprazole"),
    ("Should insulin be kept in the fridge?", "Storage and disposal", "insulin"),
    ("How does metformin work?", "Action", "metformin"),
    ("How long does it take for prednisone to start working?", "Action/time", "prednisone"),
    ("Should I take levothyroxine in the morning or at night?", "Usage/time", "levothyroxine"),
    ("What is the difference between naproxen and ibuprofen?", "Comparison", "naproxen"),
    ("Is warfarin safe during pregnancy?", "Contraindication", "warfarin"),
    ("How do I inject enoxaparin?", "Usage", "enoxaparin"),
    ("What happens if I took too many acetaminophen tablets?", "Overdose", "acetaminophen"),
    ("How do you pronounce ezetimibe?", "Pronounce name", "ezetimibe"),
    ("Tell me about lisinopril.", "Information", "lisinopril"),
]


def test_the_types_are_the_labels_of_the_medication_questions_set():
    assert len(QUESTION_TYPES) == len(set(QUESTION_TYPES)) == 31
    assert {"Information", "Dose", "Usage", "Side effects", "Interaction", "not_drug_question"} <= set(
        QUESTION_TYPES
    )


@pytest.mark.parametrize(("text", "kind", "drug"), PARAPHRASES)
def test_it_proposes_the_type_and_the_drug(text, kind, drug):
    assert classify_question(text) == (kind, drug)
    assert kind in QUESTION_TYPES


def test_product_names_from_the_app_win_over_vocabulary_matches():
    assert find_drug("Can Zyntrava be taken with metformin?", ["Zyntrava"]) == "Zyntrava"
    assert (
        classify_question("Can Zyntrava be taken with metformin?", product_names=["Zyntrava"])[1]
        == "Zyntrava"
    )


@pytest.mark.parametrize(
    ("text", "drug"),
    [
        # Brand names, from the drug-name dictionary (ClinicalTrials.gov other names, Open Payments products)
        # and the drug-named-entity-recognition package (DrugBank open data, NHS, MedlinePlus).
        ("Is it fine to give Tylenol to a toddler with a fever?", "Tylenol"),
        ("My Decadron course ends Friday, do I taper?", "Decadron"),
        ("Does Depakote interact with aspirin?", "Depakote"),
        ("Can Propecia cause mood changes?", "Propecia"),
        ("Is ATRA given with arsenic in APL?", "ATRA"),
        # A named drug before a class word or a generic word that comes first in the sentence.
        ("Which opioid is in the Butrans patch?", "Butrans"),
        ("What formulary tier drug is methylphenidate on?", "methylphenidate"),
        # A question that opens with the drug's name, found in no vocabulary.
        ("zyloprimex how long before it works", "zyloprimex"),
    ],
)
def test_it_finds_drugs_by_brand_and_generic_name(text, drug):
    assert find_drug(text) == drug


def test_it_answers_information_and_no_drug_for_empty_or_vague_text():
    assert classify_question("") == ("Information", "")
    assert classify_question("Hello, I have a question.")[1] == ""


@pytest.mark.skipif(not MEDQA.exists(), reason="MedicationQA in ../shared/data is absent (evaluation only)")
def test_it_beats_the_majority_class_by_a_wide_margin_on_medication_questions():
    with MEDQA.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["Question Type"] in QUESTION_TYPES]
    correct = sum(classify_question(r["Question"])[0] == r["Question Type"] for r in rows)
    majority = max(sum(r["Question Type"] == t for r in rows) for t in QUESTION_TYPES)
    assert correct >= 2.5 * majority
