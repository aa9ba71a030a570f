"""Benchmark: medical inquiry triage (question type and drug in focus) on MedicationQA.

    .venv/bin/python bench/question_triage.py        # ../shared/data/medication_questions

MedicationQA (real consumer questions, labelled with type and drug) is evaluation-only: the classifier was
written from the label names and our own paraphrases, not fitted on it. Figures:
- type accuracy of `classify_question` against the majority-class baseline (always the commonest type);
- the share of questions whose labelled drug is found: the proposed drug and the label share a word of 4+
  letters, case-insensitively ("oxycodone" finds "oxycodone ER"; "Valium" finds "Valium"), on the whole
  development part and on its two halves (split by a hash of the question): the drug finder's tiers and word
  lists were chosen by looking at the misses of half A only; half B was only ever scored;
- throughput, and the per-type recall for the types with 10+ questions.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from liaison_text.questions import QUESTION_TYPES, classify_question  # noqa: E402


def read(path: Path) -> list[tuple[str, str, str]]:
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [
        (r["Question"].strip(), r["Question Type"].strip(), r["Focus (Drug)"].strip())
        for r in rows
        if r["Question"].strip() and r["Question Type"].strip() in QUESTION_TYPES
    ]


def same_drug(found: str, label: str) -> bool:
    words = lambda s: {w for w in re.findall(r"[a-z0-9]+", s.lower()) if len(w) >= 4}  # noqa: E731
    return bool(found) and bool(words(found) & words(label) or found.lower() == label.lower())


def half(question: str) -> str:
    """"A" (where the drug finder's misses were read and its rules chosen) or "B" (only scored)."""
    return "A" if int(hashlib.sha256(question.encode()).hexdigest(), 16) % 2 == 0 else "B"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=ROOT.parent / "shared" / "data" / "medication_questions" / "medication_questions.tsv",
    )
    args = parser.parse_args()
    if not args.data.exists():
        print(f"{args.data} not found: this benchmark needs MedicationQA (evaluation only)")
        return 1
    rows = read(args.data)
    started = time.perf_counter()
    predictions = [classify_question(q) for q, _, _ in rows]
    elapsed = time.perf_counter() - started
    counts = Counter(t for _, t, _ in rows)
    majority, majority_n = counts.most_common(1)[0]
    correct = sum(p[0] == t for p, (_, t, _) in zip(predictions, rows, strict=True))
    with_drug = [(p, d) for p, (_, _, d) in zip(predictions, rows, strict=True) if d]
    found = sum(same_drug(p[1], d) for p, d in with_drug)
    print(
        f"MedicationQA (development part): {len(rows)} questions, {len(counts)} types; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| type accuracy, classify_question | {correct / len(rows):.3f} ({correct}/{len(rows)}) |")
    print(f"| type accuracy, majority class ({majority}) | {majority_n / len(rows):.3f} |")
    print(f"| drug found | {found / len(with_drug):.3f} ({found}/{len(with_drug)}) |")
    for name, label in (("A", "half A, rules chosen on it"), ("B", "half B, never looked at")):
        part = [
            (p, d) for p, (q, _, d) in zip(predictions, rows, strict=True) if d and half(q) == name
        ]
        hits = sum(same_drug(p[1], d) for p, d in part)
        print(f"| drug found, {label} | {hits / len(part):.3f} ({hits}/{len(part)}) |")
    print(f"| questions/s | {len(rows) / elapsed:,.0f} |")
    print()
    print("| type | questions | recall |")
    print("|---|---|---|")
    for kind, n in counts.most_common():
        if n >= 10:
            hit = sum(p[0] == t == kind for p, (_, t, _) in zip(predictions, rows, strict=True))
            print(f"| {kind} | {n} | {hit / n:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
