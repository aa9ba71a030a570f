"""Layer 2 of the AE detector: train a company's own model on its labelled text, and load it back.

    examples = read_training_data(Path("../shared/data/ade_corpus"))   # or a JSON lines file
    report = train(examples, data_dir / "models" / "ae")

Features: TF-IDF of words and word pairs (with drug and event mentions also replaced by placeholders, so
"X-induced Y" generalises to drugs the training text never named), the lexicon signals of layer 1, and, when
`liaison_text.embed` is installed, the relation features of `ae_pairs` (the encoder's contextual token states
pooled over the text, its drug and event mentions and the words between them; format 2) or the plain
sentence embedding (format 1). Model: logistic regression with balanced class weights, fitted with scipy's
L-BFGS (no scikit-learn: numpy and scipy are already there). The sparse and dense blocks get their own L2
strength: thousands of correlated dense columns overfit at the penalty that suits word counts.

Recall first: the operating threshold is chosen on held-out text, never on the text the model was fitted on.
Training examples are split into folds by document (a PMID, or a JSON line's optional "doc"), each fold is
scored by a model fitted on the others, and the threshold is the highest one that keeps the target recall on
those out-of-fold scores; the shipped model is then fitted on everything.

Model files are numpy .npz (loaded with allow_pickle=False) plus JSON: nothing executable is ever loaded.
They are written to a temporary folder and swapped in, so a crash never leaves half a model behind.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse
from scipy.optimize import minimize

from liaison_text.ae_detect import SIGNAL_NAMES, Span, lexicon_spans, signals

if TYPE_CHECKING:
    from liaison_text.ae_finetune import FineTunedModel

FORMAT_VERSION = 2
_READABLE_FORMATS = (1, 2)  # format 1: sentence embedding, no relation features
_WORD = re.compile(r"[a-z0-9]+")
# Penalty of the dense block with relation features: ~1,900 correlated, standardised columns overfit at the
# sparse block's 1e-4. Chosen on out-of-fold precision at recall 0.97 on the ADE training part: 1e-3 0.31,
# 0.1 0.396, 0.3 0.401 (benchmarks.md; 0.404 after the lexicon changes of the day).
DENSE_L2 = 0.3


class TrainingDataError(ValueError):
    """The training input cannot be used at all (missing files, no examples of one class)."""


class TrainingData(list):
    """(text, ae) pairs, with the document of each and the lines that could not be read.

    A list of 2-tuples, so it is what `read_training_data` promises; the extras ride along for `train`.
    """

    def __init__(self) -> None:
        super().__init__()
        self.documents: list[str] = []
        self.bad_lines: list[tuple[str, int, str]] = []  # (file, line number, reason)
        self.conflicts = 0  # sentences labelled both ways in the ADE layout; kept as positive (recall first)

    def add(self, text: str, ae: bool, document: str) -> None:
        self.append((text, ae))
        self.documents.append(document)


def read_training_data(path: Path) -> TrainingData:
    """Read labelled text: an ADE-corpus folder (ADE-NEG.txt + DRUG-AE.rel) or a JSON lines file.

    JSON lines: {"text": str, "ae": bool} and optionally "doc" (lines of one document stay in one fold).
    Lines that cannot be read are counted in `bad_lines` with their reason, never dropped silently.
    """
    path = Path(path)
    data = TrainingData()
    if path.is_dir():
        rel, neg = path / "DRUG-AE.rel", path / "ADE-NEG.txt"
        if not rel.exists() or not neg.exists():
            raise TrainingDataError(f"{path}: an ADE-corpus folder needs DRUG-AE.rel and ADE-NEG.txt")
        positives: dict[tuple[str, str], None] = {}
        for number, line in enumerate(rel.read_text(encoding="utf-8").splitlines(), 1):
            fields = line.split("|")
            if len(fields) < 8 or not fields[0].strip().isdigit() or not fields[1].strip():
                if line.strip():
                    data.bad_lines.append((rel.name, number, "expected PMID|sentence|effect|...|drug|..."))
                continue
            positives.setdefault((fields[0].strip(), fields[1].strip()), None)
        negatives: dict[tuple[str, str], None] = {}
        for number, line in enumerate(neg.read_text(encoding="utf-8").splitlines(), 1):
            parts = line.split(" ", 2)
            if len(parts) < 3 or not parts[0].isdigit() or parts[1] != "NEG" or not parts[2].strip():
                if line.strip():
                    data.bad_lines.append((neg.name, number, "expected 'PMID NEG sentence'"))
                continue
            key = (parts[0], parts[2].strip())
            if key in positives:
                data.conflicts += 1
                continue
            negatives.setdefault(key, None)
        for (pmid, sentence), label in [(k, True) for k in positives] + [(k, False) for k in negatives]:
            data.add(sentence, label, pmid)
    elif path.is_file():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                data.bad_lines.append((path.name, number, f"not JSON: {exc.msg}"))
                continue
            if not isinstance(record, dict):
                data.bad_lines.append((path.name, number, "not a JSON object"))
                continue
            text, ae = record.get("text"), record.get("ae")
            if not isinstance(text, str) or not text.strip():
                data.bad_lines.append((path.name, number, '"text" must be a non-empty string'))
                continue
            if not isinstance(ae, bool):
                data.bad_lines.append((path.name, number, '"ae" must be true or false'))
                continue
            data.add(text, ae, str(record.get("doc", f"line-{number}")))
    else:
        raise TrainingDataError(f"{path}: no such file or folder")
    return data


# --- features -------------------------------------------------------------------------------------------


def _masked_tokens(text: str, spans: Sequence[Span] | None) -> list[str]:
    """Words and word pairs, plus the pairs around drugs and events replaced by placeholders.

    `spans` None gives plain TF-IDF tokens (the keyword baseline of the benchmark)."""
    words = _WORD.findall(text.lower())
    if spans is None:
        return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    pieces, last = [], 0
    for span in sorted((s for s in spans if s.kind in ("drug", "event")), key=lambda s: s.start):
        if span.start < last:
            continue
        pieces += [text[last : span.start].lower(), f" zz{span.kind} "]
        last = span.end
    masked = _WORD.findall("".join(pieces + [text[last:].lower()]))
    tokens = words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    tokens += [f"{a} {b}" for a, b in zip(masked, masked[1:], strict=False) if "zz" in a or "zz" in b]
    return tokens


def _token_encoder() -> Any:
    """The relation-feature encoder of `ae_pairs` on the shared embedder, or None without an embedder."""
    embedder = _embedder()
    if embedder is None:
        return None
    try:
        from liaison_text.ae_pairs import get_token_encoder  # noqa: PLC0415 - optional, like the embedder

        return get_token_encoder(embedder)
    except Exception:  # noqa: BLE001 - e.g. onnx missing: a model that needs it falls back to layer 1
        return None


def _embedder() -> Any:
    """The sentence embedder if `liaison_text.embed` is installed and works, else None."""
    try:
        from liaison_text.embed import get_embedder  # noqa: PLC0415 - optional, built separately

        return get_embedder()
    except Exception:  # noqa: BLE001 - no embedder means TF-IDF + lexicon features only
        return None


@dataclass
class TrainedModel:
    """The fitted model: vocabulary with IDF, weights, scaling of dense features, threshold."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    weights: np.ndarray  # sparse part, then dense part
    bias: float
    dense_mean: np.ndarray
    dense_std: np.ndarray
    threshold: float
    uses_embeddings: bool
    meta: dict[str, object] = field(default_factory=dict)
    lexicon_features: bool = True
    relation_features: bool = False  # dense part is `ae_pairs.relation_vectors`, not the sentence embedding

    def features(
        self,
        texts: Sequence[str],
        values: Sequence[dict[str, float]],
        spans: Sequence[Any] | None = None,
        embeddings: Any = None,
    ) -> tuple[sparse.csr_matrix, np.ndarray]:
        """The design of `texts`: TF-IDF (CSR) and the standardised dense columns (lexicon, encoder).

        `embeddings` may pass precomputed encoder rows (sentence embeddings, or relation vectors for a
        model with `relation_features`)."""
        spans = spans if spans is not None else [lexicon_spans(t) for t in texts]
        tfidf = _tfidf(
            texts, spans if self.lexicon_features else [None] * len(texts), self.vocabulary, self.idf
        )
        dense = _dense(
            values,
            embeddings,
            texts,
            self.uses_embeddings,
            self.lexicon_features,
            spans=spans if self.relation_features else None,
        )
        return tfidf, (dense - self.dense_mean) / self.dense_std

    def decision(self, design: tuple[sparse.csr_matrix, np.ndarray]) -> np.ndarray:
        """The logit of each row of a design from `features`."""
        tfidf, dense = design
        split = tfidf.shape[1]
        return tfidf @ self.weights[:split] + dense @ self.weights[split:] + self.bias

    def predict_proba(
        self,
        texts: Sequence[str],
        values: Sequence[dict[str, float]],
        spans: Sequence[Any] | None = None,
        embeddings: Any = None,
    ) -> np.ndarray:
        """P(AE) for each text."""
        return 1.0 / (1.0 + np.exp(-self.decision(self.features(texts, values, spans, embeddings))))

    def save(self, model_dir: Path) -> None:
        """Write model.npz + model.json to `model_dir` atomically (a temporary folder renamed into place)."""
        model_dir = Path(model_dir)
        model_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{model_dir.name}-", dir=model_dir.parent))
        try:
            terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
            np.savez(
                tmp / "model.npz",
                terms=np.array(terms, dtype=np.str_),
                idf=self.idf,
                weights=self.weights,
                dense_mean=self.dense_mean,
                dense_std=self.dense_std,
            )
            meta = {
                **self.meta,
                "format": FORMAT_VERSION,
                "bias": self.bias,
                "threshold": self.threshold,
                "uses_embeddings": self.uses_embeddings,
                "lexicon_features": self.lexicon_features,
                "relation_features": self.relation_features,
                "signals": list(SIGNAL_NAMES),
            }
            (tmp / "model.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
            swap_in(tmp, model_dir)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, model_dir: Path) -> TrainedModel:
        """Read a model written by `save`; ValueError when it is from another format or incomplete."""
        meta = json.loads((Path(model_dir) / "model.json").read_text(encoding="utf-8"))
        if meta.get("format") not in _READABLE_FORMATS or meta.get("signals") != list(SIGNAL_NAMES):
            raise ValueError(
                f"{model_dir}: model format {meta.get('format')} is not one of {_READABLE_FORMATS}; retrain"
            )
        with np.load(Path(model_dir) / "model.npz", allow_pickle=False) as arrays:
            terms = arrays["terms"].tolist()
            model = cls(
                vocabulary={t: i for i, t in enumerate(terms)},
                idf=arrays["idf"],
                weights=arrays["weights"],
                bias=float(meta["bias"]),
                dense_mean=arrays["dense_mean"],
                dense_std=arrays["dense_std"],
                threshold=float(meta["threshold"]),
                uses_embeddings=bool(meta["uses_embeddings"]),
                meta=meta,
                lexicon_features=bool(meta.get("lexicon_features", True)),
                relation_features=bool(meta.get("relation_features", False)),
            )
        expected = len(model.vocabulary) + len(model.dense_mean)
        if model.weights.shape != (expected,) or model.dense_std.shape != model.dense_mean.shape:
            raise ValueError(
                f"{model_dir}: model.npz is inconsistent ({model.weights.shape} weights); retrain"
            )
        if model.uses_embeddings and _embedder() is None:
            raise ValueError(
                "the model was trained with sentence embeddings, and liaison_text.embed is missing"
            )
        if model.relation_features and _token_encoder() is None:
            raise ValueError("the model needs the encoder's token states, and they cannot be loaded")
        return model


def swap_in(tmp: Path, model_dir: Path) -> None:
    """Replace `model_dir` by the finished folder `tmp`: a reader sees the old model or the new one, never half."""
    old = model_dir.with_name(f".{model_dir.name}-old")
    if old.exists():
        shutil.rmtree(old)
    if model_dir.exists():
        os.replace(model_dir, old)
    os.replace(tmp, model_dir)
    shutil.rmtree(old, ignore_errors=True)


def load_model(model_dir: Path) -> TrainedModel | FineTunedModel:
    """The trained model in `model_dir`, whichever way it was trained: the linear model of this module
    (formats 1 and 2) or the fine-tuned encoder of `ae_finetune` (format 3). ValueError when unreadable."""
    meta = json.loads((Path(model_dir) / "model.json").read_text(encoding="utf-8"))
    if meta.get("format") == 3:
        from liaison_text.ae_finetune import FineTunedModel

        return FineTunedModel.load(Path(model_dir))
    return TrainedModel.load(Path(model_dir))


def _tfidf(
    texts: Sequence[str], spans: Sequence[Any], vocabulary: dict[str, int], idf: np.ndarray
) -> sparse.csr_matrix:
    rows, cols, vals = [], [], []
    for i, (text, found) in enumerate(zip(texts, spans, strict=True)):
        counts = Counter(t for t in _masked_tokens(text, found) if t in vocabulary)
        if not counts:
            continue
        idx = np.fromiter((vocabulary[t] for t in counts), dtype=np.int64, count=len(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        w = tf * idf[idx]
        w /= np.linalg.norm(w)
        rows += [i] * len(idx)
        cols += idx.tolist()
        vals += w.tolist()
    return sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), len(vocabulary)))


def _dense(
    values: Sequence[dict[str, float]],
    embeddings: Any,
    texts: Sequence[str],
    uses_embeddings: bool,
    lexicon_features: bool = True,
    spans: Sequence[Any] | None = None,
) -> np.ndarray:
    """Lexicon signals (log1p), then the encoder columns: relation vectors when `spans` is given, else the
    sentence embedding; `embeddings` passes them precomputed."""
    names = SIGNAL_NAMES if lexicon_features else ()
    lex = np.log1p(np.array([[v[name] for name in names] for v in values], dtype=np.float64))
    lex = lex.reshape(len(values), len(names))
    if not uses_embeddings:
        return lex
    if embeddings is None:
        if spans is not None:
            from liaison_text.ae_pairs import relation_vectors  # noqa: PLC0415 - needs the embedder

            encoder = _token_encoder()
            if encoder is None:
                raise ValueError("the model needs token states and liaison_text.embed is not available")
            embeddings = relation_vectors(encoder, list(texts), spans)
        else:
            embedder = _embedder()
            if embedder is None:
                raise ValueError(
                    "the model needs sentence embeddings and liaison_text.embed is not available"
                )
            embeddings = embedder.encode(list(texts))
    return np.hstack([lex, np.asarray(embeddings, dtype=np.float64)])


def _fit_vocabulary(
    token_lists: Iterable[list[str]], min_df: int, max_terms: int
) -> tuple[dict[str, int], np.ndarray]:
    df: Counter[str] = Counter()
    n = 0
    for tokens in token_lists:
        df.update(set(tokens))
        n += 1
    kept = sorted((t for t, c in df.items() if c >= min_df), key=lambda t: (-df[t], t))[:max_terms]
    vocabulary = {t: i for i, t in enumerate(sorted(kept))}
    idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in sorted(kept)])
    return vocabulary, idf


def _logistic(
    x: sparse.csr_matrix, y: np.ndarray, l2: float, dense: np.ndarray | None = None, dense_l2: float = 0.0
) -> tuple[np.ndarray, float]:
    """Class-balanced, L2-regularised logistic regression by L-BFGS; returns (weights, bias).

    `dense` columns follow the sparse ones in the weights and take their own penalty `dense_l2`; they stay a
    numpy array (a dense block stored as CSR would be several times slower to multiply)."""
    n, d_sparse = x.shape
    dense = np.zeros((n, 0)) if dense is None else dense
    d = d_sparse + dense.shape[1]
    penalty = np.concatenate([np.full(d_sparse, l2), np.full(dense.shape[1], dense_l2)])
    pos = max(1, int(y.sum()))
    sample_weight = np.where(y == 1, n / (2 * pos), n / (2 * max(1, n - pos))) / n

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = params[:d], params[d]
        z = x @ w[:d_sparse] + dense @ w[d_sparse:] + b
        # log(1 + exp(-z)) for y=1 and log(1 + exp(z)) for y=0, computed stably
        signed = np.where(y == 1, -z, z)
        value = np.sum(sample_weight * np.logaddexp(0.0, signed)) + 0.5 * w @ (penalty * w)
        p = 1.0 / (1.0 + np.exp(-z))
        g = sample_weight * (p - y)
        grad = np.concatenate([x.T @ g, dense.T @ g]) + penalty * w
        return value, np.concatenate([grad, [g.sum()]])

    result = minimize(loss, np.zeros(d + 1), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return result.x[:d], float(result.x[d])


def threshold_for_recall(scores: np.ndarray, labels: np.ndarray, target_recall: float) -> float:
    """The highest threshold t such that scores >= t keep at least `target_recall` of the positives."""
    positives = np.sort(scores[labels == 1])
    if positives.size == 0:
        raise TrainingDataError("no positive examples to set a recall threshold on")
    allowed_misses = int(math.floor((1.0 - target_recall) * positives.size))
    return float(positives[allowed_misses])


@dataclass
class TrainReport:
    """What `train` did and the held-out (out-of-fold) figures at the chosen threshold."""

    examples: int
    positives: int
    documents: int
    bad_lines: int
    conflicts: int
    uses_embeddings: bool
    relation_features: bool
    terms: int
    threshold: float
    target_recall: float
    heldout_recall: float
    heldout_precision: float
    heldout_f1: float
    seconds: float
    model_dir: str
    method: str = "linear model over frozen encoder features"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def of(
        cls,
        examples: Sequence[tuple[str, bool]],
        documents: Sequence[str],
        *,
        threshold: float,
        target_recall: float,
        recall: float,
        precision: float,
        started: float,
        model_dir: Path,
        **how: object,
    ) -> TrainReport:
        """The report of a finished training run on `examples` (`how`: the method-specific fields)."""
        return cls(
            examples=len(examples),
            positives=sum(1 for _, label in examples if label),
            documents=len(set(documents)),
            bad_lines=len(getattr(examples, "bad_lines", [])),
            conflicts=int(getattr(examples, "conflicts", 0)),
            threshold=threshold,
            target_recall=target_recall,
            heldout_recall=recall,
            heldout_precision=precision,
            heldout_f1=2 * precision * recall / max(1e-12, precision + recall),
            seconds=time.perf_counter() - started,
            model_dir=str(model_dir),
            **how,  # type: ignore[arg-type]
        )


def _fold_of(documents: Sequence[str], folds: int, seed: int) -> np.ndarray:
    unique = sorted(set(documents))
    order = np.random.default_rng(seed).permutation(len(unique))
    fold = {doc: int(order[i] % folds) for i, doc in enumerate(unique)}
    return np.array([fold[d] for d in documents])


def train(
    examples: Sequence[tuple[str, bool]],
    model_dir: Path,
    *,
    target_recall: float = 0.97,
    progress: Callable[[str], None] | None = None,
    folds: int = 5,
    l2: float = 1e-4,
    min_df: int = 2,
    max_terms: int = 60_000,
    use_embeddings: bool | None = None,
    embeddings: np.ndarray | None = None,
    lexicon_features: bool = True,
    relation_features: bool | None = None,
    dense_l2: float | None = None,
    seed: int = 13,
) -> TrainReport:
    """Fit layer 2 on `examples` and write it to `model_dir`; see the module docstring for the method.

    `use_embeddings`: None uses the encoder when the embedder is installed. `relation_features` (None: with
    the encoder and the lexicon) feeds it `ae_pairs.relation_vectors` rather than the sentence embedding.
    `embeddings` may pass the encoder rows precomputed (benchmarks reuse them across runs): relation vectors
    when `relation_features`, else sentence embeddings. `dense_l2` is the penalty of the dense block (None:
    `DENSE_L2` with relation features, else `l2`, as format 1 did). `lexicon_features=False` gives plain
    TF-IDF (+ embeddings): the benchmark's keyword baseline.
    """
    started = time.perf_counter()
    say = progress or (lambda _message: None)
    texts = [t for t, _ in examples]
    y = np.array([1.0 if label else 0.0 for _, label in examples])
    if not 0 < y.sum() < len(y):
        raise TrainingDataError("training needs examples of both classes (ae true and false)")
    documents = getattr(examples, "documents", None) or [str(i) for i in range(len(texts))]
    if use_embeddings is None:
        use_embeddings = embeddings is not None or _embedder() is not None
    if relation_features is None:
        relation_features = bool(use_embeddings and lexicon_features)
    if relation_features and not (use_embeddings and lexicon_features):
        raise TrainingDataError("relation features need the encoder and the lexicon (they pool its spans)")
    dense_l2 = dense_l2 if dense_l2 is not None else (DENSE_L2 if relation_features else l2)
    say(f"lexicon spans for {len(texts)} texts")
    spans = [lexicon_spans(t) for t in texts]
    values = [signals(t, s) for t, s in zip(texts, spans, strict=True)]
    if use_embeddings and embeddings is None:
        say("token states" if relation_features else "sentence embeddings")
        if _embedder() is None:
            raise TrainingDataError("use_embeddings=True but liaison_text.embed is not available")
    dense_all = _dense(
        values, embeddings, texts, use_embeddings, lexicon_features, spans if relation_features else None
    )
    # The token features mask the lexicon's spans, and none without the lexicon.
    masked: list[list[Span]] | list[None] = spans if lexicon_features else [None] * len(texts)
    tokens = [_masked_tokens(t, s) for t, s in zip(texts, masked, strict=True)]

    def fit(index: np.ndarray) -> TrainedModel:
        vocabulary, idf = _fit_vocabulary((tokens[i] for i in index), min_df, max_terms)
        dense = dense_all[index]
        mean, std = dense.mean(axis=0), dense.std(axis=0) + 1e-6
        model = TrainedModel(
            vocabulary,
            idf,
            np.zeros(0),
            0.0,
            mean,
            std,
            0.5,
            use_embeddings,
            {},
            lexicon_features,
            relation_features,
        )
        tfidf = _tfidf([texts[i] for i in index], [masked[i] for i in index], vocabulary, idf)
        model.weights, model.bias = _logistic(tfidf, y[index], l2, (dense - mean) / std, dense_l2)
        return model

    def score(model: TrainedModel, index: np.ndarray) -> np.ndarray:
        tfidf = _tfidf([texts[i] for i in index], [masked[i] for i in index], model.vocabulary, model.idf)
        dense = (dense_all[index] - model.dense_mean) / model.dense_std
        return 1.0 / (1.0 + np.exp(-model.decision((tfidf, dense))))

    fold = _fold_of(documents, folds, seed)
    heldout = np.zeros(len(texts))
    for k in range(folds):
        say(f"fold {k + 1}/{folds}")
        heldout[fold == k] = score(fit(np.flatnonzero(fold != k)), np.flatnonzero(fold == k))
    threshold = threshold_for_recall(heldout, y, target_recall)
    predicted = heldout >= threshold
    tp = float((predicted & (y == 1)).sum())
    recall = tp / y.sum()
    precision = tp / max(1.0, float(predicted.sum()))
    say("final model on all examples")
    model = fit(np.arange(len(texts)))
    model.threshold = threshold
    model.meta = {
        "examples": len(texts),
        "target_recall": target_recall,
        "l2": l2,
        "dense_l2": dense_l2,
        "min_df": min_df,
        "heldout_precision": precision,
        "heldout_recall": recall,
    }
    model.save(model_dir)
    return TrainReport.of(
        examples,
        documents,
        threshold=threshold,
        target_recall=target_recall,
        recall=recall,
        precision=precision,
        started=started,
        model_dir=model_dir,
        uses_embeddings=bool(use_embeddings),
        relation_features=bool(relation_features),
        terms=len(model.vocabulary),
    )
