"""Compliance flags (liaison_text.flags): promotional, comparative and off-label language, explained."""

from __future__ import annotations

import pytest

from liaison_text.flags import promotional_flags

APPROVED = ["HER2-positive breast cancer", "gastric cancer"]
PRODUCTS = ["Onkotrex"]


def kinds(text: str, **kwargs) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in promotional_flags(text, **kwargs)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Onkotrex is the best option for these patients.", ("superlative", "best")),
        ("It is a breakthrough and completely safe.", ("superlative", "breakthrough")),
        ("Tell her it has no side effects.", ("superlative", "no side effects")),
        ("Onkotrex is far better than trastuzumab.", ("comparative", "far better than")),
        ("It clearly outperforms the competitor.", ("comparative", "outperforms")),
        ("It is safer than the old regimen.", ("comparative", "safer than")),
        ("We should switch your patients to it.", ("promotional", "switch your patients")),
        ("She asked about off-label use in children.", ("off_label", "off-label")),
    ],
)
def test_it_flags_promotional_language_with_the_words_and_a_reason(text, expected):
    flags = promotional_flags(text)
    assert expected in [(f.kind, f.text) for f in flags]
    flag = next(f for f in flags if (f.kind, f.text) == expected)
    assert text[flag.span[0] : flag.span[1]] == flag.text
    assert flag.message and expected[1].lower() in flag.message.lower()


@pytest.mark.parametrize(
    "text",
    [
        "We reviewed the phase 3 data: median PFS was 11.2 versus 8.1 months (HR 0.71).",
        "Dr Osei asked for the safety profile in patients over 75.",
        "She uses Onkotrex in HER2-positive breast cancer after two lines of therapy.",
    ],
)
def test_it_leaves_balanced_scientific_exchange_alone(text):
    assert promotional_flags(text, approved_indications=APPROVED, product_names=PRODUCTS) == []


def test_an_indication_outside_the_approved_list_is_flagged_as_off_label():
    text = "Dr Osei uses Onkotrex in triple-negative breast cancer and in pancreatic cancer."
    found = kinds(text, approved_indications=APPROVED, product_names=PRODUCTS)
    assert found == [("off_label", "triple-negative breast cancer"), ("off_label", "pancreatic cancer")]


def test_approved_indications_and_their_broader_terms_are_not_flagged():
    for text in (
        "She uses Onkotrex in HER2-positive breast cancer.",
        "He uses Onkotrex in breast cancer and in gastric carcinoma.",
    ):
        assert kinds(text, approved_indications=APPROVED, product_names=PRODUCTS) == [], text


def test_a_disease_in_a_sentence_without_the_product_is_not_an_indication_claim():
    text = "Her husband has pancreatic cancer. She uses Onkotrex in HER2-positive breast cancer."
    assert kinds(text, approved_indications=APPROVED, product_names=PRODUCTS) == []


def test_without_an_approved_list_only_explicit_off_label_words_are_flagged():
    assert kinds("She uses Onkotrex in pancreatic cancer.", product_names=PRODUCTS) == []


def test_flags_come_in_text_order_and_empty_text_has_none():
    flags = promotional_flags("The best drug, better than any other, for off-label use.")
    assert [f.span[0] for f in flags] == sorted(f.span[0] for f in flags)
    assert promotional_flags("") == [] and promotional_flags(None) == []
