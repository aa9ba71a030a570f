"""`liaison text detect-ae | train-ae | export-labels`, through click's CliRunner.

Training reads a slice of the ADE corpus (evaluation-only data, read from ../shared and never copied here); the
test skips with a message where that folder is absent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from liaison.cli import main
from liaison.safety.actions import triage_report
from tests.safety.test_workflow import log

ADE = Path(__file__).resolve().parents[3] / "shared" / "data" / "ade_corpus"


def invoke(*args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def model_dir(settings, tmp_path) -> Path:
    settings.LIAISON_AE_MODEL_DIR = tmp_path / "models" / "ae"
    return settings.LIAISON_AE_MODEL_DIR


def test_detect_ae_answers_each_line_in_order_and_counts_bad_lines(db, model_dir):
    lines = [
        json.dumps({"id": 1, "text": "She developed a severe rash after starting cisplatin."}),
        "not json",
        json.dumps({"id": "b", "text": "Discussed enrolment timelines for the phase 3 study."}),
        json.dumps({"id": 3}),
        json.dumps({"id": 4, "text": "The patient took twice the prescribed dose while breastfeeding."}),
    ]
    result = invoke("text", "detect-ae", input="\n".join(lines) + "\n")
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == [1, "b", 4]
    assert out[0]["ae"] is True and {"score", "categories", "spans"} <= set(out[0])
    assert {"kind": "drug", "text": "cisplatin"}.items() <= next(
        s for s in out[0]["spans"] if s["kind"] == "drug"
    ).items()
    assert out[1]["ae"] is False and out[1]["categories"] == []
    assert set(out[2]["categories"]) >= {"overdose", "pregnancy_lactation"}
    assert "line 2:" in result.stderr and "line 4:" in result.stderr
    assert "2 line(s) could not be read" in result.stderr


def test_detect_ae_exits_0_when_every_line_is_read(db, model_dir):
    result = invoke("text", "detect-ae", input=json.dumps({"id": 1, "text": "No news."}) + "\n")
    assert result.exit_code == 0 and json.loads(result.stdout)["layer"] == "lexicon"


def test_export_labels_writes_drug_safetys_decisions(world, hcp, acting, tmp_path):
    confirmed = log(world, hcp, acting, "He was hospitalised with pancreatitis on treatment.")
    dismissed = log(world, hcp, acting, "She said a rash might happen in theory.")  # hedged: still reviewed
    with acting(world["sam"]):
        triage_report(confirmed, acting_user=world["sam"], status="forwarded")
        triage_report(dismissed, acting_user=world["sam"], status="not_an_ae", note="Hypothetical")
    out = tmp_path / "labels.jsonl"
    result = invoke("text", "export-labels", str(out))
    assert result.exit_code == 0 and "2 label(s)" in result.output
    assert [json.loads(line)["ae"] for line in out.read_text().splitlines()] == [True, False]


def test_train_ae_needs_some_input(db, model_dir):
    result = invoke("text", "train-ae")
    assert result.exit_code == 2 and "--from-triage" in result.stderr


def test_train_ae_refuses_labels_of_one_class_only(world, hcp, acting, model_dir):
    confirmed = log(world, hcp, acting, "He was hospitalised with pancreatitis on treatment.")
    with acting(world["sam"]):
        triage_report(confirmed, acting_user=world["sam"], status="forwarded")
    result = invoke("text", "train-ae", "--from-triage")
    assert result.exit_code == 1 and "both classes" in result.stderr
    assert not (model_dir / "model.json").exists()


@pytest.mark.skipif(not ADE.exists(), reason=f"the ADE corpus is evaluation-only and lives in {ADE}")
def test_train_ae_builds_a_model_that_detect_ae_and_the_app_then_use(world, hcp, acting, model_dir, tmp_path):
    positives = [line.split("|")[1] for line in (ADE / "DRUG-AE.rel").read_text().splitlines()[:1200:4]]
    negatives = [line.split(" ", 2)[2] for line in (ADE / "ADE-NEG.txt").read_text().splitlines()[:1200:2]]
    data = tmp_path / "labelled.jsonl"
    rows = [{"text": t, "ae": True} for t in positives] + [{"text": t, "ae": False} for t in negatives]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows) + "{broken\n")
    result = invoke("text", "train-ae", str(data), "--method", "linear")
    assert result.exit_code == 0, result.output
    assert "Held out: recall" in result.output and "1 unreadable line(s)" in result.output
    assert (model_dir / "model.json").exists()
    detected = invoke("text", "detect-ae", input=json.dumps({"id": 1, "text": negatives[0]}) + "\n")
    assert json.loads(detected.stdout)["layer"] == "trained"
    report = log(world, hcp, acting, "She developed severe neutropenia after the second dose of cisplatin.")
    assert report is not None and report.detector_layer == "trained"


@pytest.mark.skipif(not ADE.exists(), reason=f"the ADE corpus is evaluation-only and lives in {ADE}")
def test_train_ae_fine_tunes_the_encoder_when_torch_is_installed(world, hcp, acting, model_dir, tmp_path):
    pytest.importorskip("torch", reason="fine-tuning needs the 'train' extra")
    pytest.importorskip("transformers", reason="fine-tuning needs the 'train' extra")
    positives = [line.split("|")[1] for line in (ADE / "DRUG-AE.rel").read_text().splitlines()[:800:8]]
    negatives = [line.split(" ", 2)[2] for line in (ADE / "ADE-NEG.txt").read_text().splitlines()[:800:4]]
    data = tmp_path / "labelled.jsonl"
    rows = [{"text": t, "ae": True} for t in positives] + [{"text": t, "ae": False} for t in negatives]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = invoke("text", "train-ae", str(data), "--method", "fine-tune", "--epochs", "1")
    assert result.exit_code == 0, result.output
    assert re.search(r"step (\d+)/\1,", result.output), "progress reaches the last step"
    assert "fine-tuned encoder" in result.output
    assert json.loads((model_dir / "model.json").read_text())["format"] == 3
    detected = invoke("text", "detect-ae", input=json.dumps({"id": 1, "text": negatives[0]}) + "\n")
    assert json.loads(detected.stdout)["layer"] == "trained"
