"""`liaison text ...`: local text intelligence (AE detection and training, question triage, reindexing)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich.table import Table

from .common import console, err, fail, setup_django


@click.group()
def text() -> None:
    """Local text intelligence: the AE detector and its training (docs/safety.md)."""


@text.command("detect-ae")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=256, show_default=True)
def text_detect_ae(batch_size: int) -> None:
    """Screen JSON lines {"id", "text"} from standard input for AEs and special situations.

    Writes one JSON line {"id", "ae", "score", "categories", "spans", ...} per input line, in order. A line
    that is not such an object is reported on standard error with its line number and counted; the run goes
    on and ends with exit code 1. Uses the trained model in $LIAISON_DATA_DIR/models/ae when there is one.
    """
    setup_django()

    # Imported after setup_django(): these modules load models, which need the app registry.
    from liaison.safety.detection import ae_model_dir
    from liaison_text.ae_detect import load_detector, read_jsonl_records, result_json

    detector = load_detector(ae_model_dir())
    if detector.load_error:
        err.print(f"[yellow]Trained model not usable ({detector.load_error}); using the lexicon layer.[/]")
    bad = 0
    batch: list[tuple[object, str]] = []

    def flush() -> None:
        for (record_id, _), result in zip(batch, detector.detect_many([t for _, t in batch]), strict=True):
            click.echo(result_json(record_id, result))
        batch.clear()

    for _, record_id, text, error in read_jsonl_records(sys.stdin):
        if error:
            flush()  # keep the output in input order around the error
            bad += 1
            err.print(error)
            continue
        batch.append((record_id, text or ""))
        if len(batch) >= batch_size:
            flush()
    flush()
    if bad:
        err.print(f"{bad} line(s) could not be read.")
        sys.exit(1)


@text.command("train-ae")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--from-triage", is_flag=True, help="Also train on drug safety's triage decisions in the app.")
@click.option(
    "--target-recall",
    type=click.FloatRange(0.5, 1.0),
    default=0.97,
    show_default=True,
    help="Recall the threshold is chosen for, on held-out text.",
)
@click.option(
    "--method",
    type=click.Choice(["auto", "fine-tune", "linear"]),
    default="auto",
    show_default=True,
    help="fine-tune: train the encoder itself (needs the 'train' extra: torch; CPU, minutes per thousand "
    "texts; more precise), cut to --max-minutes. linear: a linear model over the frozen encoder (seconds). "
    "auto: fine-tune when torch is installed and one full pass fits in --max-minutes (measured on the first "
    "steps), else linear.",
)
@click.option(
    "--epochs", type=click.FloatRange(0.1, 20), default=2.0, show_default=True, help="Fine-tuning passes."
)
@click.option(
    "--max-minutes",
    type=click.FloatRange(min=0),
    default=12.0,
    show_default=True,
    help="Fine-tuning stops its passes early to finish within this time (measured on the first steps); "
    "0: no limit.",
)
def text_train_ae(
    path: Path | None, from_triage: bool, target_recall: float, method: str, epochs: float, max_minutes: float
) -> None:
    """Train the supervised AE layer on PATH (an ADE-corpus folder or JSON lines {"text", "ae"}) and/or the
    app's triage labels; the model goes to $LIAISON_DATA_DIR/models/ae and `detect-ae` and every save use it.

    Prints recall, precision and F1 at the chosen threshold on held-out text. Exit code 2 without any input,
    or when fine-tuning is asked for and torch is not installed.
    """
    setup_django()
    # Imported after setup_django(): these modules load models, which need the app registry.
    import json
    import tempfile

    from liaison.safety.detection import ae_model_dir, triage_labels
    from liaison_text.ae_finetune import BudgetTooShort, fine_tune, training_unavailable
    from liaison_text.ae_train import TrainingData, TrainingDataError, read_training_data, train

    if path is None and not from_triage:
        fail("give a PATH, --from-triage, or both", code=2)
    missing = training_unavailable() if method != "linear" else ""
    if method == "fine-tune" and missing:
        fail(missing, code=2)
    tune = method == "fine-tune" or (method == "auto" and not missing)
    examples = TrainingData()
    try:
        sources = [read_training_data(path)] if path is not None else []
        if from_triage:
            with tempfile.TemporaryDirectory() as tmp:
                labels = Path(tmp) / "triage.jsonl"
                labels.write_text("".join(json.dumps(x) + "\n" for x in triage_labels()), encoding="utf-8")
                sources.append(read_training_data(labels))
        for source in sources:
            for (sample, label), document in zip(source, source.documents, strict=True):
                examples.add(sample, label, document)
            examples.bad_lines += source.bad_lines
            examples.conflicts += source.conflicts
        for file, number, reason in examples.bad_lines[:20]:
            err.print(f"{file}:{number}: {reason}")
        if tune:
            # Fine-tuning takes minutes: every progress message is printed, so a log shows where it is.
            console.print(
                f"Fine-tuning the encoder: at most {max_minutes:g} minutes (--max-minutes), an estimate after "
                "the first steps; --method linear takes seconds"
                if max_minutes
                else "Fine-tuning the encoder with no time limit: an estimate after the first steps"
            )
            try:
                report = fine_tune(
                    examples,
                    ae_model_dir(),
                    target_recall=target_recall,
                    epochs=epochs,
                    max_minutes=max_minutes or None,
                    # auto fine-tunes only when at least one pass fits; an explicit fine-tune runs what fits.
                    min_epochs=min(1.0, epochs) if method == "auto" else 0.0,
                    progress=console.print,
                )
            except BudgetTooShort as exc:
                tune, missing = False, f"{exc}; --method fine-tune runs it anyway"
        if not tune:
            if method == "auto":
                console.print(f"Training the linear model ({missing})")
            with console.status("Training the AE model...") as status:
                report = train(
                    examples, ae_model_dir(), target_recall=target_recall, progress=lambda m: status.update(m)
                )
    except TrainingDataError as exc:
        fail(str(exc))
    table = Table(title=f"AE model written to {report.model_dir}", title_justify="left")
    table.add_column("")
    table.add_column("value", justify="right")
    for name, value in report.as_dict().items():
        table.add_row(name.replace("_", " "), f"{value:.3f}" if isinstance(value, float) else str(value))
    console.print(table)
    console.print(
        f"Held out: recall {report.heldout_recall:.3f}, precision {report.heldout_precision:.3f}, "
        f"F1 {report.heldout_f1:.3f} at threshold {report.threshold:.3f} "
        f"({report.examples:,} examples, {report.bad_lines} unreadable line(s))."
    )


@text.command("export-labels")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def text_export_labels(path: Path) -> None:
    """Write drug safety's triage decisions as JSON lines {"text", "ae"} to PATH (forwarded = AE, closed as
    not an AE = not), for `liaison text train-ae PATH` or any other tool."""
    setup_django()
    # Imported after setup_django(): these modules load models, which need the app registry.
    import json

    from liaison.safety.detection import triage_labels

    labels = triage_labels()
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in labels), encoding="utf-8")
    positives = sum(x["ae"] for x in labels)
    console.print(
        f"{len(labels)} label(s) written to {path} ({positives} AE, {len(labels) - positives} not)."
    )


@text.command("classify-question")
def text_classify_question() -> None:
    """Propose the question type and drug in focus of medical questions: JSON lines {"id", "text"} on standard
    input, one JSON line {"id", "type", "drug"} out per question, in order (types are the MedicationQA labels).

    The company's products (names and generic names) are looked for first. A line that is not such an object is
    reported on standard error with its line number and counted; the run goes on and ends with exit code 1.
    """
    setup_django()
    # Imported after setup_django(): these modules load models, which need the app registry.
    import json

    from django.db import DatabaseError

    from liaison.accounts.models import Product
    from liaison_text.ae_detect import read_jsonl_records
    from liaison_text.questions import classify_question

    try:
        product_names = [n for pair in Product.objects.values_list("name", "generic_name") for n in pair if n]
    except DatabaseError:  # no database yet: public drug names only
        product_names = []
    bad = 0
    for _, record_id, text, error in read_jsonl_records(sys.stdin):
        if error:
            bad += 1
            err.print(error)
            continue
        question_type, drug = classify_question(text or "", product_names=product_names)
        click.echo(json.dumps({"id": record_id, "type": question_type, "drug": drug}, ensure_ascii=False))
    if bad:
        err.print(f"{bad} line(s) could not be read.")
        sys.exit(1)


@text.command("reindex")
def text_reindex() -> None:
    """Embed field text that is new or changed, recompute insight themes, near-duplicate links and clusters,
    and rebuild the search index from the database (docs/insight-intelligence.md). Safe to re-run: unchanged
    text is not embedded again. Exit code 1 when the local model is unavailable."""
    setup_django()
    # Imported after setup_django(): these modules load models, which need the app registry.
    from liaison.core.context import audit_context
    from liaison.intel import embeddings, reindex

    started = time.monotonic()
    try:
        with (
            audit_context(actor=None, source="cli", reason="liaison text reindex"),
            console.status("Indexing field text...") as status,
        ):
            report = reindex.rebuild(progress=lambda stage, n: status.update(f"Indexing: {stage}"))
    except embeddings.model_unavailable() as exc:
        fail(f"the local embedding model is unavailable: {exc}")
    embedded = ", ".join(f"{n} {kind}(s)" for kind, n in report.embedded.items())
    console.print(
        f"Embedded {embedded}; {report.matched} insight(s) matched to themes, {report.links} duplicate link(s), "
        f"{report.clusters} cluster(s); search index holds {report.indexed} record(s) "
        f"({time.monotonic() - started:.1f} s)."
    )
