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


# --- relation features (ae_pairs): token states pooled over drug and event mentions ------------------------


def test_pair_signals_describe_the_nearest_drug_event_pair():
    from liaison_text.ae_detect import lexicon_spans
    from liaison_text.ae_pairs import pair_signals

    def of(text: str) -> dict[str, float]:
        return pair_signals(text, lexicon_spans(text))

    glued = of("Rituximab-induced pneumonitis.")
    assert glued["has_pair"] == glued["induced_drug"] == glued["drug_first"] == glued["causal_between"] == 1
    after = of("Patients with hepatitis were excluded before starting rituximab.")
    assert after["has_pair"] == 1 and after["drug_first"] == 0 and after["induced_drug"] == 0
    assert after["distance_log"] > glued["distance_log"]
    none = of("The advisory board meets in March.")
    assert none["has_pair"] == 0 and none["no_drug"] == none["no_event"] == 1


@pytest.fixture(scope="module")
def token_encoder(embedder):
    from liaison_text.ae_pairs import TokenEncoder

    return TokenEncoder(embedder, threads=2)


def test_token_states_come_from_the_embedding_model_with_offsets_into_the_text(embedder, token_encoder):
    texts = ["Two weeks after starting rituximab she developed pneumonitis.", "ok"]
    rows = {i: (states, offsets) for i, states, offsets in token_encoder.encode(texts)}
    states, offsets = rows[0]
    pieces = [texts[0][a:b].lower() for a, b in offsets]
    assert pieces[:3] == ["two", "weeks", "after"] and "." in pieces and len(states) == len(offsets)
    # The graph mean-pools these states into the embedding (with [CLS] and [SEP], left out here): the mean of
    # the word pieces points the same way as `Embedder.encode`, so the second output is the right tensor.
    mean = states.mean(axis=0) / np.linalg.norm(states.mean(axis=0))
    assert float(mean @ embedder.encode(texts[:1])[0]) > 0.98


def test_the_event_vector_depends_on_the_drug_the_event_is_tied_to(token_encoder):
    from liaison_text.ae_detect import lexicon_spans
    from liaison_text.ae_pairs import relation_vectors

    texts = [
        "She developed pneumonitis after rituximab.",
        "She developed pneumonitis after rituximab was stopped for an unrelated reason.",
        "Patients with pneumonitis were excluded from the rituximab study.",
    ]
    vectors = relation_vectors(token_encoder, texts, [lexicon_spans(t) for t in texts])
    assert vectors.shape == (3, 5 * 384 + 10) and np.isfinite(vectors).all()
    event = vectors[:, 2 * 384 : 3 * 384]
    cosine = event @ event.T / np.outer(np.linalg.norm(event, axis=1), np.linalg.norm(event, axis=1))
    # same word, contextual vectors: closer between the two case-report phrasings than to the exclusion
    assert cosine[0, 1] > cosine[0, 2]


@pytest.fixture(scope="module")
def relation_model(embedder, token_encoder, tmp_path_factory):
    import liaison_text.ae_pairs as ae_pairs
    import liaison_text.ae_train as ae_train

    ae_pairs._encoders[id(embedder)] = token_encoder  # reuse the test session's encoder
    patch = pytest.MonkeyPatch()
    patch.setattr(ae_train, "_embedder", lambda: embedder)
    model_dir = tmp_path_factory.mktemp("rel") / "ae"
    report = train(labelled_notes(), model_dir, folds=3)
    yield model_dir, report, patch
    patch.undo()


def test_with_the_encoder_installed_training_uses_relation_features(relation_model):
    import liaison_text.ae_train as ae_train

    model_dir, report, _ = relation_model
    meta = json.loads((model_dir / "model.json").read_text())
    assert report.relation_features and meta["relation_features"] is True and meta["format"] == 2
    assert meta["dense_l2"] == ae_train.DENSE_L2 and meta["l2"] == 1e-4
    assert report.heldout_recall >= 0.97 and report.heldout_precision > 0.8
    detector = Detector(model_dir)
    assert detector.layer == "trained", detector.load_error
    ae, clean = detector.detect_many(
        [
            "Three days after starting metformin his patient developed severe diarrhoea.",
            "We discussed the phase 3 design of metformin in patients with melanoma.",
        ]
    )
    # a paraphrase of the templates: ranked far apart, though the threshold (set on the separable
    # out-of-fold scores of 132 notes) is too tight to call a reworded note an AE
    assert ae.layer == clean.layer == "trained" and ae.score > 0.5 > clean.score and not clean.ae
    empty = detector.detect_many(["", "?"])  # no word pieces at all: zero vectors, not an exception
    assert [r.layer for r in empty] == ["trained", "trained"] and detector.load_error == ""


def test_a_relation_model_falls_back_to_the_lexicon_layer_without_the_encoder(relation_model):
    model_dir, _, patch = relation_model
    import liaison_text.ae_train as ae_train

    with pytest.MonkeyPatch.context() as inner:
        inner.setattr(ae_train, "_embedder", lambda: None)
        detector = Detector(model_dir)
    assert detector.layer == "lexicon" and "embed" in detector.load_error
    assert detector.detect("She developed a rash on rituximab.").ae


def test_a_model_whose_weights_do_not_match_its_vocabulary_falls_back(trained, tmp_path):
    model_dir, _, _ = trained
    broken = tmp_path / "short"
    broken.mkdir()
    (broken / "model.json").write_text((model_dir / "model.json").read_text())
    with np.load(model_dir / "model.npz", allow_pickle=False) as arrays:
        parts = dict(arrays)
    parts["weights"] = parts["weights"][:-3]
    np.savez(broken / "model.npz", **parts)
    detector = Detector(broken)
    assert detector.layer == "lexicon" and "inconsistent" in detector.load_error


def test_a_format_1_model_still_loads(trained, tmp_path):
    model_dir, _, _ = trained
    old = tmp_path / "old"
    old.mkdir()
    meta = json.loads((model_dir / "model.json").read_text())
    meta["format"] = 1
    del meta["relation_features"]
    (old / "model.json").write_text(json.dumps(meta))
    (old / "model.npz").write_bytes((model_dir / "model.npz").read_bytes())
    assert Detector(old).layer == "trained"
