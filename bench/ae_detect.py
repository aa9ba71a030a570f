"""Benchmark: the AE detector's two layers on the ADE corpus, against keyword baselines, and its throughput.

    .venv/bin/python bench/ae_detect.py                       # ../shared/data/ade_corpus
    .venv/bin/python bench/ae_detect.py --no-embeddings       # even when liaison_text.embed is installed
    .venv/bin/python bench/ae_detect.py --only relation       # only the trained rows whose name holds it

The corpus (evaluation only, never copied into the product) is split by document (PMID) into a training
part (70%) and a test part (30%), so no abstract has sentences on both sides. Every trained model chooses
its threshold on out-of-fold scores of the training part (target recall 0.97); the figures below are on
the test part, which nothing was fitted or tuned on.

Rows:
- keyword matcher: `ae_lexicon.detect(text).ae`, the curated list alone;
- layer 1 (lexicon): the shippable detector with no training (MeSH vocabularies, INN stems, patterns);
- TF-IDF + LR: words and word pairs only: the keyword baseline of a trained model;
- layer 2 variants: TF-IDF + lexicon signals (+ sentence embeddings when installed);
- layer 2 with relation features (the default when the encoder is installed): TF-IDF + lexicon signals +
  the encoder's token states pooled over the text, the drug and event mentions and the words between them
  (`ae_pairs`).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from liaison_text import ae_lexicon  # noqa: E402
from liaison_text.ae_detect import Detector  # noqa: E402
from liaison_text.ae_finetune import fine_tune, training_unavailable  # noqa: E402
from liaison_text.ae_train import _embedder, read_training_data, train  # noqa: E402


def split_by_document(data, test_share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    documents = sorted(set(data.documents))
    rng = np.random.default_rng(seed)
    test_docs = set(rng.choice(documents, size=int(len(documents) * test_share), replace=False).tolist())
    is_test = np.array([d in test_docs for d in data.documents])
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


def metrics(predicted: np.ndarray, labels: np.ndarray) -> tuple[float, float, float]:
    tp = float((predicted & labels).sum())
    recall = tp / max(1.0, float(labels.sum()))
    precision = tp / max(1.0, float(predicted.sum()))
    return recall, precision, 2 * recall * precision / max(1e-12, recall + precision)


def ranking(scores: np.ndarray, labels: np.ndarray) -> str:
    """Precision at fixed recalls and average precision: how well the scores rank, whatever the threshold."""
    order = np.argsort(-scores)
    hits = np.cumsum(labels[order])
    precision = hits / np.arange(1, len(scores) + 1)
    recall = hits / max(1, labels.sum())
    at = [f"P@R{r:.2f} {precision[np.argmax(recall >= r)]:.3f}" for r in (0.90, 0.95, 0.97)]
    average = float((precision * labels[order]).sum() / max(1, labels.sum()))
    return ", ".join(at) + f", average precision {average:.3f}"


def subset(data, index):
    from liaison_text.ae_train import TrainingData

    part = TrainingData()
    for i in index:
        part.add(data[i][0], data[i][1], data.documents[i])
    return part


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "data" / "ade_corpus")
    parser.add_argument("--no-embeddings", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", action="append", default=[], help="trained rows whose name holds this")
    parser.add_argument("--epochs", type=float, default=2.0, help="fine-tuning passes (format 3 row)")
    parser.add_argument("--save", action="store_true", help="keep the fine-tuned model's test scores")
    args = parser.parse_args()
    if not args.corpus.exists():
        print(f"{args.corpus} not found: this benchmark needs the ADE corpus (evaluation only)")
        return 1
    data = read_training_data(args.corpus)
    train_idx, test_idx = split_by_document(data, 0.3, args.seed)
    train_part, test_part = subset(data, train_idx), subset(data, test_idx)
    texts = [t for t, _ in test_part]
    labels = np.array([y for _, y in test_part])
    print(
        f"ADE corpus (development part): {len(data)} sentences, {sum(y for _, y in data)} with an AE, "
        f"{len(set(data.documents))} documents; bad lines {len(data.bad_lines)}, conflicts {data.conflicts}"
    )
    print(
        f"train {len(train_part)} sentences / {len(set(train_part.documents))} docs; "
        f"test {len(test_part)} sentences ({int(labels.sum())} AE) / {len(set(test_part.documents))} docs"
    )
    print(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f} (shared with other engineers)"
    )
    rows = []

    started = time.perf_counter()
    keyword = np.array([ae_lexicon.detect(t).ae for t in texts])
    rows.append(
        (
            "keyword matcher (ae_lexicon)",
            *metrics(keyword, labels),
            len(texts) / (time.perf_counter() - started),
        )
    )

    lexicon = Detector()
    started = time.perf_counter()
    layer1 = np.array([r.ae for r in lexicon.detect_many(texts)])
    rows.append(
        ("layer 1: lexicon (shipped)", *metrics(layer1, labels), len(texts) / (time.perf_counter() - started))
    )

    embedder = None if args.no_embeddings else _embedder()
    variants = [("TF-IDF + LR (keyword baseline)", False, False, False)]
    variants.append(("layer 2: TF-IDF + lexicon signals", True, False, False))
    if embedder is not None:
        variants.append(("TF-IDF + embeddings", False, True, False))
        variants.append(("layer 2: TF-IDF + lexicon + embeddings (format 1)", True, True, False))
        variants.append(("layer 2: TF-IDF + lexicon + relation features (format 2)", True, True, True))
    if args.only:
        variants = [v for v in variants if any(word in v[0] for word in args.only)]
    train_texts = [t for t, _ in train_part]
    train_embeddings = train_relations = None
    if any(v[2] and not v[3] for v in variants):
        started = time.perf_counter()
        train_embeddings = embedder.encode(train_texts)
        print(f"embedded the training part: {len(train_texts) / (time.perf_counter() - started):.0f} texts/s")
    if any(v[3] for v in variants):
        from liaison_text.ae_detect import lexicon_spans
        from liaison_text.ae_pairs import get_token_encoder, relation_vectors

        started = time.perf_counter()
        spans = [lexicon_spans(t) for t in train_texts]
        train_relations = relation_vectors(get_token_encoder(embedder), train_texts, spans)
        speed = len(train_texts) / (time.perf_counter() - started)
        print(f"relation vectors of the training part (spans + token states): {speed:.0f} texts/s")
    with tempfile.TemporaryDirectory() as tmp:
        for name, lexicon_features, embeddings, relations in variants:
            model_dir = Path(tmp) / name.replace(" ", "_").replace(":", "")
            report = train(
                train_part,
                model_dir,
                lexicon_features=lexicon_features,
                use_embeddings=embeddings,
                relation_features=relations,
                embeddings=train_relations if relations else train_embeddings if embeddings else None,
            )
            detector = Detector(model_dir)
            started = time.perf_counter()
            results = detector.detect_many(texts)
            speed = len(texts) / (time.perf_counter() - started)
            predicted = np.array([r.ae for r in results])
            rows.append((name, *metrics(predicted, labels), speed))
            print(
                f"  {name}: trained in {report.seconds:.0f} s, {report.terms} terms, threshold "
                f"{report.threshold:.3f}, out-of-fold recall {report.heldout_recall:.3f} "
                f"precision {report.heldout_precision:.3f}"
            )

    fine_name = "layer 2, format 3: fine-tuned encoder (train extra)"
    if (not args.only or any(word in fine_name for word in args.only)) and not training_unavailable():
        with tempfile.TemporaryDirectory() as tmp:
            model_dir = Path(tmp) / "fine-tuned"
            report = fine_tune(train_part, model_dir, epochs=args.epochs, progress=print)
            detector = Detector(model_dir)
            started = time.perf_counter()
            results = detector.detect_many(texts)
            speed = len(texts) / (time.perf_counter() - started)
            scores = np.array([r.score for r in results])
            rows.append((fine_name, *metrics(np.array([r.ae for r in results]), labels), speed))
            print(
                f"  {fine_name}: trained in {report.seconds:.0f} s on {len(train_part)} texts, threshold "
                f"{report.threshold:.4f}, calibration recall {report.heldout_recall:.3f} precision "
                f"{report.heldout_precision:.3f}"
            )
            print(f"  its ranking on the test part: {ranking(scores, labels)}")
            if args.save:
                np.save("/tmp/ae_fine_tuned_test_scores.npy", scores)

    print()
    print("| detector | recall | precision | F1 | texts/s |")
    print("|---|---|---|---|---|")
    for name, recall, precision, f1, speed in rows:
        print(f"| {name} | {recall:.3f} | {precision:.3f} | {f1:.3f} | {speed:,.0f} |")
    print(f"\nload average after the run: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
