"""Layer 2, fine-tuned: the sentence encoder itself trained on a company's labelled text.

    report = fine_tune(read_training_data(Path("../shared/data/ade_corpus")), data_dir / "models" / "ae")
    Detector(data_dir / "models" / "ae")          # loads it: onnxruntime only, no torch

Why: a linear model over the frozen encoder (`ae_train`, format 2) reaches precision 0.39 at recall 0.97 on
the ADE corpus; the positives it ranks lowest name a drug it has never seen or describe a dechallenge, which
only a model that reads the sentence can learn. Fine-tuning all six layers of all-MiniLM-L6-v2 with a logistic
head on the mean-pooled token states does (docs/benchmarks.md, "AE detector").

Training needs torch and transformers (`pip install 'liaison[train]'`; CPU is enough: about 15 minutes for
16,000 sentences on 2 cores). Inference does not: the fine-tuned weights are written as safetensors and
`_onnx_bert` builds the same graph as the embedder's from them, ending in the head's logit, so `detect-ae`
and every save run on onnxruntime like the embedder.

Recall first, and honestly measured: the documents are split into a fitting part and a calibration part
(`calibration_share`, by document so no abstract is on both sides). The model is fitted on the first; the
threshold is the highest that keeps the target recall on the second, scored by the exported ONNX graph (the
scores the detector will compute). The shipped model is the one fitted on the fitting part: refitting on
everything would move the scores away from the threshold chosen for them.

Files (model folder, swapped in atomically as `ae_train` does): model.json (format 3, threshold, training
figures), encoder.safetensors (the fine-tuned encoder), head.npz, classifier.onnx (rebuilt on load when
missing). Nothing executable is loaded: safetensors and npz (allow_pickle=False) are plain arrays.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from liaison_text.ae_train import TrainingDataError, TrainReport, swap_in, threshold_for_recall

FORMAT_VERSION = 3
METHOD = "fine-tuned encoder"
_TRAIN_HINT = "fine-tuning needs torch and transformers: pip install 'liaison[train]'"


def training_unavailable() -> str:
    """Why fine-tuning cannot run here ("" when it can): torch, transformers or the model package missing."""
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed; {_TRAIN_HINT}"
    from liaison_text.embed import ModelUnavailable, package_model_dir

    try:
        package_model_dir()
    except ModelUnavailable as exc:
        return str(exc)
    return ""


def split_documents(documents: Sequence[str], share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the fitting and calibration parts: `share` of the documents (at least one) calibrate."""
    unique = sorted(set(documents))
    if len(unique) < 2:
        raise TrainingDataError("fine-tuning needs examples from at least two documents (one calibrates)")
    rng = np.random.default_rng(seed)
    count = min(len(unique) - 1, max(1, round(share * len(unique))))
    calibration = set(rng.choice(unique, size=count, replace=False).tolist())
    held = np.array([d in calibration for d in documents])
    return np.flatnonzero(~held), np.flatnonzero(held)


# Steps timed before the run is fitted to its time budget.
CALIBRATION_STEPS = 10
# Scoring a batch of the calibration part costs about this share of a training step (no backward pass).
SCORING_SHARE = 0.35


class BudgetTooShort(RuntimeError):
    """Fine-tuning would not make `min_steps` steps in its time budget (the message says the figures)."""


def _fit_budget(
    steps: int,
    done: int,
    elapsed: float,
    scoring_batches: float,
    max_minutes: float | None,
    say: Callable[[str], None],
    min_steps: int = 0,
) -> int:
    """The number of steps to run: all of `steps`, or as many as fit in `max_minutes` from the time the first
    `done` steps took (`elapsed` seconds since the start, loading included), with the calibration scoring.
    Raises BudgetTooShort when fewer than `min_steps` would fit."""
    per_step = elapsed / done
    scoring = scoring_batches * per_step * SCORING_SHARE
    total = elapsed + (steps - done) * per_step + scoring
    if max_minutes is not None and total > max_minutes * 60:
        fitting = max(done, int((max_minutes * 60 - elapsed - scoring) / per_step) + done)
        if fitting < min_steps:
            raise BudgetTooShort(
                f"{per_step:.1f} s a step: {max_minutes:g} min fit {fitting} steps, fewer than the {min_steps} "
                f"of one pass over the texts (the {steps} planned would take {total / 60:.0f} min)"
            )
        say(
            f"{per_step:.1f} s a step: the {steps} planned steps would take {total / 60:.0f} min; running "
            f"{fitting} steps to finish within {max_minutes:g} min (--max-minutes)"
        )
        steps = fitting
        total = elapsed + (steps - done) * per_step + scoring
    finish = time.strftime("%H:%M", time.localtime(time.time() + total - elapsed))
    say(f"{per_step:.1f} s a step: about {total / 60:.0f} min in all, done about {finish}")
    return steps


def fine_tune(
    examples: Sequence[tuple[str, bool]],
    model_dir: Path,
    *,
    target_recall: float = 0.97,
    epochs: float = 2.0,
    learning_rate: float = 8e-5,
    batch_size: int = 32,
    calibration_share: float = 0.15,
    seed: int = 13,
    max_minutes: float | None = None,
    min_epochs: float = 0.0,
    progress: Callable[[str], None] | None = None,
) -> TrainReport:
    """Fine-tune the encoder and a logistic head on `examples`, choose the threshold, write `model_dir`.

    With `max_minutes`, the time of a step is measured on the first CALIBRATION_STEPS steps and the run is cut
    to the steps that fit in the budget (the learning-rate schedule follows the new length), leaving time for
    scoring the calibration part; the progress messages say the estimate and the time left. With `min_epochs`,
    a budget that fits fewer passes raises BudgetTooShort after those first steps (nothing is written).

    Examples carry their documents when they come from `read_training_data`; otherwise every example is its
    own document. Raises TrainingDataError for unusable input and RuntimeError when torch is missing.
    """
    missing = training_unavailable()
    if missing:
        raise RuntimeError(missing)
    import torch
    from transformers import BertConfig, BertModel

    from liaison_text._bert import load_safetensors
    from liaison_text.embed import load_tokenizer, package_model_dir, tokenize

    started = time.perf_counter()
    say = progress or (lambda _message: None)
    texts = [t for t, _ in examples]
    y = np.array([1.0 if label else 0.0 for _, label in examples], dtype=np.float32)
    if not 0 < y.sum() < len(y):
        raise TrainingDataError("training needs examples of both classes (ae true and false)")
    documents = getattr(examples, "documents", None) or [str(i) for i in range(len(texts))]
    fit_idx, cal_idx = split_documents(documents, calibration_share, seed)
    if not 0 < y[fit_idx].sum() < len(fit_idx) or y[cal_idx].sum() == 0:
        raise TrainingDataError(
            "fine-tuning needs both classes (ae true and false) in the fitting part and positives in the "
            f"calibration part ({int(y[cal_idx].sum())} there); add labelled examples"
        )

    base = package_model_dir()
    tokenizer = load_tokenizer(base)
    torch.manual_seed(seed)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    encoder = BertModel(BertConfig.from_json_file(str(base / "config.json")), add_pooling_layer=False)
    weights = {k: torch.from_numpy(v.copy()) for k, v in load_safetensors(base / "model.safetensors").items()}
    encoder.load_state_dict({k: v for k, v in weights.items() if k in encoder.state_dict()})
    head = torch.nn.Linear(encoder.config.hidden_size, 1)
    parameters = list(encoder.parameters()) + list(head.parameters())
    optimiser = torch.optim.AdamW(parameters, lr=learning_rate, weight_decay=0.01)
    steps = max(1, math.ceil(math.ceil(len(fit_idx) / batch_size) * epochs))
    warmup = max(1, round(0.06 * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / steps)
    )
    positives = float(y[fit_idx].sum())
    pos_weight = torch.tensor((len(fit_idx) - positives) / positives)  # balanced classes: recall first

    def logits(batch: Sequence[str]) -> Any:
        ids, mask = (torch.from_numpy(a) for a in tokenize(tokenizer, batch))
        states = encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        weight = mask.unsqueeze(-1).to(states.dtype)
        return head((states * weight).sum(1) / weight.sum(1).clamp(min=1e-9)).squeeze(-1)

    planned = steps
    say(f"fine-tuning on {len(fit_idx)} texts ({int(positives)} AE), {steps} steps planned")
    rng = np.random.default_rng(seed)
    labels = torch.from_numpy(y)
    encoder.train()
    step, loss_avg = 0, 0.0
    while step < steps:
        order = fit_idx[rng.permutation(len(fit_idx))]
        for start in range(0, len(order), batch_size):
            if step >= steps:
                break
            chunk = order[start : start + batch_size]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits([texts[i] for i in chunk]), labels[chunk], pos_weight=pos_weight
            )
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(parameters, 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            value = float(loss.detach())
            loss_avg = 0.9 * loss_avg + 0.1 * value if step > 1 else value
            if step == CALIBRATION_STEPS:
                steps = _fit_budget(
                    steps,
                    step,
                    time.perf_counter() - started,
                    len(cal_idx) / batch_size,
                    max_minutes,
                    say,
                    min_steps=math.ceil(math.ceil(len(fit_idx) / batch_size) * min_epochs),
                )
            if step % 20 == 0 or step == steps:
                elapsed = time.perf_counter() - started
                eta = elapsed / step * (steps - step)
                say(f"step {step}/{steps}, loss {loss_avg:.3f}, {elapsed:.0f} s, about {eta:.0f} s left")
    encoder.eval()

    trained = {k: v.detach().numpy().astype(np.float32) for k, v in encoder.state_dict().items()}
    head_w = head.weight.detach().numpy().reshape(-1).astype(np.float32)
    head_b = float(head.bias.detach().numpy()[0])
    model_dir = Path(model_dir)
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{model_dir.name}-", dir=model_dir.parent))
    try:
        from safetensors.numpy import save_file

        save_file(trained, str(tmp / "encoder.safetensors"))
        np.savez(tmp / "head.npz", weight=head_w, bias=np.array([head_b], np.float32))
        shutil.copy(base / "config.json", tmp / "config.json")
        shutil.copy(base / "tokenizer.json", tmp / "tokenizer.json")
        say("exporting the ONNX graph and choosing the threshold on the calibration part")
        model = FineTunedModel(tmp, threshold=0.5, meta={})
        scores = model.predict_proba([texts[i] for i in cal_idx], [])
        threshold = threshold_for_recall(scores, y[cal_idx], target_recall)
        predicted = scores >= threshold
        tp = float((predicted & (y[cal_idx] == 1)).sum())
        recall = tp / float(y[cal_idx].sum())
        precision = tp / max(1.0, float(predicted.sum()))
        meta = {
            "format": FORMAT_VERSION,
            "method": METHOD,
            "threshold": threshold,
            "target_recall": target_recall,
            "examples": len(texts),
            "fitted_on": len(fit_idx),
            "calibrated_on": len(cal_idx),
            "epochs": round(epochs * steps / planned, 3),
            "learning_rate": learning_rate,
            "batch_size": batch_size,
            "heldout_recall": recall,
            "heldout_precision": precision,
        }
        (tmp / "model.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        swap_in(tmp, model_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return TrainReport.of(
        examples,
        documents,
        threshold=threshold,
        target_recall=target_recall,
        recall=recall,
        precision=precision,
        started=started,
        model_dir=model_dir,
        uses_embeddings=True,
        relation_features=False,
        terms=0,
        method=METHOD,
    )


class FineTunedModel:
    """A fine-tuned model folder, scored with onnxruntime: P(AE) = sigmoid(head(mean-pooled token states))."""

    def __init__(self, model_dir: Path, *, threshold: float, meta: dict[str, object]) -> None:
        from liaison_text.embed import cpu_session, load_tokenizer

        self.model_dir = Path(model_dir)
        self.threshold = threshold
        self.meta = meta
        graph = self.model_dir / "classifier.onnx"
        if not graph.is_file():
            _build_graph(self.model_dir, graph)
        self._session = cpu_session(graph)
        self._tokenizer = load_tokenizer(self.model_dir)

    @classmethod
    def load(cls, model_dir: Path) -> FineTunedModel:
        """Read a folder written by `fine_tune`; ValueError when it is incomplete or from another format."""
        meta = json.loads((Path(model_dir) / "model.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT_VERSION:
            raise ValueError(f"{model_dir}: model format {meta.get('format')} is not {FORMAT_VERSION}")
        missing = [
            n
            for n in ("encoder.safetensors", "head.npz", "config.json", "tokenizer.json")
            if not (Path(model_dir) / n).is_file()
        ]
        if missing:
            raise ValueError(f"{model_dir}: {', '.join(missing)} missing; retrain")
        return cls(Path(model_dir), threshold=float(meta["threshold"]), meta=meta)

    def predict_proba(
        self,
        texts: Sequence[str],
        values: Sequence[dict[str, float]],
        spans: Sequence[Any] | None = None,
        embeddings: Any = None,
    ) -> np.ndarray:
        """P(AE) for each text (`values` and `spans`, the lexicon's, are not used: the encoder reads the text)."""
        from liaison_text.embed import tokenize

        texts = list(texts)
        out = np.empty(len(texts), dtype=np.float64)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # little padding per batch
        for start in range(0, len(order), 64):
            chunk = order[start : start + 64]
            ids, mask = tokenize(self._tokenizer, [texts[i] for i in chunk])
            logit = self._session.run(["logit"], {"input_ids": ids, "attention_mask": mask})[0][:, 0]
            out[chunk] = 1.0 / (1.0 + np.exp(-logit.astype(np.float64)))
        return out


def _build_graph(model_dir: Path, out: Path) -> None:
    """classifier.onnx from the folder's encoder weights and head, written atomically."""
    import onnx

    from liaison_text._bert import load_safetensors
    from liaison_text._onnx_bert import BertConfig, build_model

    with np.load(model_dir / "head.npz", allow_pickle=False) as head:
        weight, bias = head["weight"], float(head["bias"][0])
    config = BertConfig.from_file(model_dir / "config.json")
    model = build_model(load_safetensors(model_dir / "encoder.safetensors"), config, head=(weight, bias))
    partial = out.with_name(f".{out.name}.{os.getpid()}")
    onnx.save_model(model, partial)
    os.replace(partial, out)
