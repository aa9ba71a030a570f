"""Layer 2 of the AE detector (liaison_text.ae_train): reading labels, training, the saved model, fallback."""

from __future__ import annotations

import itertools
import json
import random
import zipfile
from pathlib import Path

import numpy as np
import pytest

from liaison_text.ae_detect import Detector
from liaison_text.ae_train import (
    TrainedModel,
    TrainingDataError,
    read_training_data,
    threshold_for_recall,
    train,
)

FIXTURES = Path(__file__).parent / "fixtures"

# Field-note sentences built from parts (our own wording): AEs tie a drug to an event, non-AEs mention drugs,
# diseases or both without one causing the other, as MSL notes do.
DRUGS = ["Onkotrex", "rituximab", "metformin", "the new biologic", "warfarin", "pembrolizumab"]
EVENTS = ["a rash", "severe diarrhoea", "hepatitis", "grade 3 neutropenia", "a seizure", "pneumonitis"]
AE_TEMPLATES = [
    "Two weeks after starting {drug} her patient developed {event}.",
    "He reported {event} that he attributes to {drug}.",
    "A patient on {drug} was admitted with {event}.",
    "{event} occurred after the third dose of {drug}, the nurse said.",
]
NON_AE_TEMPLATES = [
    "We discussed the phase 3 design of {drug} in patients with {disease}.",
    "She treats {disease} and asked about the {drug} registry.",
    "The congress session on {disease} compared {drug} with standard care.",
    "He wants the updated guideline on {disease} before prescribing {drug}.",
]
DISEASES = ["rheumatoid arthritis", "lymphoma", "type 2 diabetes", "atrial fibrillation", "melanoma"]


def labelled_notes(seed: int = 3) -> list[tuple[str, bool]]:
    ae = [
        (t.format(drug=d, event=e).capitalize(), True)
        for t, d, e in itertools.product(AE_TEMPLATES, DRUGS, EVENTS)
    ]
    non = [
        (t.format(drug=d, disease=s), False)
        for t, d, s in itertools.product(NON_AE_TEMPLATES, DRUGS, DISEASES)
    ]
    examples = ae[::2] + non[::2]
    random.Random(seed).shuffle(examples)
    return examples


def test_it_reads_the_ade_layout_counting_bad_lines_and_conflicts():
    data = read_training_data(FIXTURES / "ade_layout")
    texts = [t for t, _ in data]
    # the duplicated relation row gives one sentence; the sentence listed as both AE and NEG stays an AE
    assert sorted(y for _, y in data) == [False, False, False, True, True, True]
    assert (
        texts.count("A 62-year-old man developed a maculopapular rash after the second dose of amoxicillin.")
        == 1
    )
    assert data.conflicts == 1
    assert [(f, n) for f, n, _ in data.bad_lines] == [
        ("DRUG-AE.rel", 4),
        ("ADE-NEG.txt", 4),
        ("ADE-NEG.txt", 5),
    ]
    assert set(data.documents) == {"1001", "1002", "1003", "1004"}


def test_it_reads_json_lines_and_reports_each_bad_line_with_its_reason():
    data = read_training_data(FIXTURES / "ae_notes.jsonl")
    assert [y for _, y in data] == [True, False, True]
    assert data.documents[:2] == ["n1", "n2"]
    reasons = {n: r for _, n, r in data.bad_lines}
    assert sorted(reasons) == [3, 4, 5, 6, 7]
    assert reasons[3].startswith("not JSON") and "true or false" in reasons[6] and "object" in reasons[7]


def test_it_rejects_a_missing_path_and_an_incomplete_ade_folder(tmp_path):
    with pytest.raises(TrainingDataError, match="no such file"):
        read_training_data(tmp_path / "nothing")
    with pytest.raises(TrainingDataError, match="DRUG-AE.rel"):
        read_training_data(tmp_path)


def test_the_threshold_keeps_the_target_recall_on_the_scores_it_was_chosen_on():
    rng = np.random.default_rng(0)
    labels = rng.random(1000) < 0.3
    scores = np.clip(labels * 0.3 + rng.random(1000) * 0.7, 0, 1)
    t = threshold_for_recall(scores, labels.astype(float), 0.97)
    recall = (scores[labels] >= t).mean()
    assert recall >= 0.97
    assert (scores[labels] >= np.nextafter(t, 1)).mean() < 0.97 or t == scores[labels].max()


def test_training_needs_both_classes(tmp_path):
    with pytest.raises(TrainingDataError, match="both classes"):
        train([("a rash", True), ("hepatitis", True)], tmp_path / "m", use_embeddings=False)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    model_dir = tmp_path_factory.mktemp("data") / "models" / "ae"
    messages: list[str] = []
    report = train(labelled_notes(), model_dir, use_embeddings=False, progress=messages.append, folds=3)
    return model_dir, report, messages


def test_it_writes_a_model_of_npz_and_json_only_without_pickles(trained):
    model_dir, report, messages = trained
    assert sorted(p.name for p in model_dir.iterdir()) == ["model.json", "model.npz"]
    with zipfile.ZipFile(model_dir / "model.npz") as npz:
        for name in npz.namelist():
            header = npz.read(name)[:128]
            assert b"'descr': '|O'" not in header, f"{name} holds Python objects"
    meta = json.loads((model_dir / "model.json").read_text())
    assert meta["threshold"] == report.threshold and meta["uses_embeddings"] is False
    assert messages[-1] == "final model on all examples"
    assert not any(p.name.startswith(".") for p in model_dir.parent.iterdir()), "temporary folder left behind"


def test_the_report_gives_held_out_figures_at_the_target_recall(trained):
    _, report, _ = trained
    assert report.examples == len(labelled_notes()) and report.positives == 72
    assert report.heldout_recall >= 0.97
    assert report.heldout_precision > 0.8, "the templates separate cleanly; a broken fit would not"


def test_the_detector_uses_the_trained_model_and_keeps_the_lexicon_spans(trained):
    model_dir, _, _ = trained
    detector = Detector(model_dir)
    assert detector.layer == "trained"
    ae = detector.detect("Three days after starting metformin his patient developed severe diarrhoea.")
    clean = detector.detect("We discussed the phase 3 design of metformin in patients with melanoma.")
    assert ae.layer == clean.layer == "trained"
    assert ae.ae and not clean.ae and ae.score > clean.score
    assert any(s.kind == "event" and s.text == "diarrhoea" for s in ae.spans)


def test_retraining_replaces_the_model_atomically(trained, tmp_path):
    model_dir = tmp_path / "ae"
    train(labelled_notes(seed=1), model_dir, use_embeddings=False, folds=3)
    first = (model_dir / "model.npz").read_bytes()
    train(labelled_notes(seed=2)[:-10], model_dir, use_embeddings=False, folds=3)
    assert (model_dir / "model.npz").read_bytes() != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ae"]


def test_a_corrupt_or_foreign_model_falls_back_to_the_lexicon_layer(trained, tmp_path):
    model_dir, _, _ = trained
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "model.json").write_text(json.dumps({"format": 99}))
    detector = Detector(broken)
    assert detector.layer == "lexicon" and "format" in detector.load_error
    assert detector.detect("She developed a rash.").ae
    (broken / "model.json").write_text((model_dir / "model.json").read_text())
    (broken / "model.npz").write_bytes(b"not a zip file")
    assert Detector(broken).layer == "lexicon"


def test_a_saved_model_loads_back_to_the_same_scores(trained):
    model_dir, _, _ = trained
    model = TrainedModel.load(model_dir)
    texts = ["A patient on warfarin was admitted with a seizure.", "Lymphoma guideline update."]
    again = Detector(model_dir).detect_many(texts)
    from liaison_text.ae_detect import lexicon_spans, signals

    spans = [lexicon_spans(t) for t in texts]
    direct = model.predict_proba(texts, [signals(t, s) for t, s in zip(texts, spans, strict=True)], spans)
    assert [r.score for r in again] == pytest.approx(direct.tolist())
