"""Benchmark: layer 1's false alarms on texts that state no adverse event, next to its recall, old and new side by side.

    .venv/bin/python bench/ae_false_alarms.py                 # development figures only
    .venv/bin/python bench/ae_false_alarms.py --held-out      # and the held-out figures (read them last)

"Raises a report" is what the safety app does with a screening (`liaison.safety.detection.Screening.flagged`):
an AE candidate, a special situation, or a hedged mention. Rows:
- old: layer 1 as shipped before the condition frames (`Detector(frames=())`);
- new: layer 1 with the frames (`Detector()`), and one row per frame rule left out (the ablation).

Data, each with a development part (rules were written and tuned looking at it) and a held-out part:
- recall: the AE sentences of the ADE corpus's development part (`../shared/data/ade_corpus`, evaluation
  only), split by document with seed 7 as in `bench/ae_detect.py`: the training part was used to check
  rules, the test part is the figure `docs/benchmarks.md` has always quoted;
- false alarms on real questions: MedicationQA's development part (`../shared/data/medication_questions`,
  evaluation only), questions whose type does not name side effects; split by a seeded hash of the row;
- false alarms and recall on written field notes: `bench/data/ae_field_notes.jsonl` (invented MSL notes,
  each labelled reportable or not with the reason), split by a seeded hash of the note id, fixed before any
  rule was written;
- false alarms per ten queue items: the notes mixed at the demo's AE rate (9% of interactions,
  `demo/field.py`), and records drawn from the demo's own templates and rates (`demo_records`; those
  templates were read while tuning, so that figure is a development one).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import json
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from liaison_text.ae_detect import FRAME_RULES, AEResult, Detector  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
NOTES = ROOT / "bench" / "data" / "ae_field_notes.jsonl"
# The demo company's products, as the app passes them to the detector (src/liaison/demo/content.py).
PRODUCTS = [
    "Onkotrex",
    "onkotrexumab",
    "Mammira",
    "mammiratinib",
    "Cordavel",
    "cordaveliran",
    "Lipovance",
    "lipovansiran",
    "Neurexa",
    "neurexabart",
    "Migralon",
    "migralimab",
]
DEMO_AE_RATE = 0.09  # share of demo interactions written with an AE (src/liaison/demo/field.py)


def held_out(key: str, share: int = 30) -> bool:
    """The seeded split: a fixed `share` percent of keys, by hash, never by content."""
    return int(hashlib.sha256(f"ae-false-alarms:{key}".encode()).hexdigest()[:8], 16) % 100 < share


def raises(result: AEResult) -> bool:
    """What the safety app does with a screening: a report for an AE, a special situation or a hedged hit."""
    return result.ae or bool(result.categories) or result.hedged


def read_notes() -> list[dict[str, object]]:
    return [json.loads(line) for line in NOTES.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_questions(path: Path) -> list[tuple[str, str, str]]:
    """(row, question, type) of the questions whose type does not name side effects."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [
        (r["row"], r["Question"], r["Question Type"])
        for r in rows
        if r["Question"].strip() and "side effect" not in r["Question Type"].lower()
    ]


def ade_parts() -> tuple[list[str], list[str]] | None:
    """AE sentences of the ADE development part: (training part, test part), split as bench/ae_detect.py."""
    corpus = SHARED / "ade_corpus"
    if not corpus.exists():
        return None
    from ae_detect import split_by_document  # bench/ae_detect.py: the same split, the same seed

    from liaison_text.ae_train import read_training_data

    data = read_training_data(corpus)
    train_idx, test_idx = split_by_document(data, 0.3, 7)
    return (
        [data[i][0] for i in train_idx if data[i][1]],
        [data[i][0] for i in test_idx if data[i][1]],
    )


def rate(detector: Detector, texts: Sequence[str]) -> float:
    return sum(raises(r) for r in detector.detect_many(texts)) / max(1, len(texts))


def per_ten(false_alarm_rate: float, recall: float, ae_rate: float = DEMO_AE_RATE) -> float:
    """False alarms per ten queue items when a share `ae_rate` of the notes report an event."""
    false_alarms = (1 - ae_rate) * false_alarm_rate
    found = ae_rate * recall
    return 10 * false_alarms / max(1e-12, false_alarms + found)


def _demo_module(name: str) -> ModuleType:
    """A pure module of the demo (content.py, sources.py), loaded by path so that Django is not imported."""
    spec = importlib.util.spec_from_file_location(
        f"_demo_{name}", ROOT / "src" / "liaison" / "demo" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def demo_records(interactions: int, seed: int = 2026) -> list[tuple[bool, list[str]]]:
    """(states an event, its screened texts) for each record a demo run would screen: the interactions (notes,
    materials and insights screened together, one report per interaction) and the inquiries captured with them,
    drawn with the rates of `liaison.demo.field.FieldStages.one_interaction` (9% AE notes, 4% drafts not
    screened, 55% with an insight, an inquiry on response-to-inquiry visits and 5% of the others, a quarter of
    them off-label). Topics are the MeSH descriptors the demo uses, with the same lexicon filter."""
    from liaison_text.ae_lexicon import detect

    content, sources = _demo_module("content"), _demo_module("sources")
    rng = random.Random(seed)
    topics = {
        area.name: [t for t in sources.mesh_topics(area.tree_number) if not detect(t).flagged]
        or [sources.mesh_name(area.tree_number)]
        for area in sources.AREAS
    }
    products: dict[str, list[str]] = {}
    for spec in content.PRODUCTS:
        products.setdefault(spec.area, []).append(spec.name)
    priorities = content.PRIORITIES

    def fill(template: str, area: str, product: str) -> str:
        return template.format(
            hcp=rng.choice(["Dr Meyer", "Dr Okafor", "Dr Lindqvist", "Dr Rao"]),
            product=product,
            topic=rng.choice(topics[area]).lower(),
            org=rng.choice(["their practice", "University of Iowa Hospitals and Clinics"]),
            city=rng.choice(["Iowa City", "the region"]),
        )

    records: list[tuple[bool, list[str]]] = []
    for _ in range(interactions):
        area = rng.choice(list(products))
        product = rng.choice(products[area])
        roll = rng.random()
        safety, draft = roll < 0.09, roll >= 0.96
        texts = [fill(rng.choice(content.AE_NOTES if safety else content.CLEAN_NOTES), area, product)]
        texts.append(rng.choice(content.MATERIALS))
        if rng.random() < 0.55:
            if rng.random() < 0.15:
                texts.append(fill(rng.choice(content.UNEXPECTED_INSIGHTS), area, product))
            else:
                texts.append(fill(rng.choice(rng.choice(priorities[area])[2]), area, product))
        if draft:
            continue
        records.append((safety, [t for t in texts if t]))
        purpose = rng.choices(range(7), weights=[35, 20, 10, 10, 5, 10, 10])[0]
        if purpose == 6 or rng.random() < 0.05:
            pool = content.OFF_LABEL_QUESTIONS if rng.random() < 0.25 else content.INQUIRY_QUESTIONS
            records.append((False, [rng.choice(pool).format(product=product)]))
    return records


def demo_week(detector: Detector, records: Sequence[tuple[bool, list[str]]]) -> tuple[float, int, int]:
    """(false alarms per ten queue items, false alarms, queue items). An AE interaction is always a queue item
    (the MSL attests it); any other record is one when the detector raises on any of its texts."""
    false_alarms = sum(
        1 for event, texts in records if not event and any(raises(r) for r in detector.detect_many(texts))
    )
    items = false_alarms + sum(event for event, _ in records)
    return 10 * false_alarms / max(1, items), false_alarms, items


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--held-out", action="store_true", help="also print the held-out figures")
    parser.add_argument("--show", choices=("misses", "alarms"), help="list the development notes of one kind")
    parser.add_argument("--demo-interactions", type=int, default=2000, help="interactions of the demo draw")
    args = parser.parse_args()

    detectors = {"old (shipped)": Detector(product_names=PRODUCTS, frames=())}
    detectors["new (all frames)"] = Detector(product_names=PRODUCTS)
    for rule in FRAME_RULES:
        detectors[f"new without {rule}"] = Detector(
            product_names=PRODUCTS, frames=[r for r in FRAME_RULES if r != rule]
        )

    notes = read_notes()
    parts = {"dev": [n for n in notes if not held_out(str(n["id"]))]}
    parts["held-out"] = [n for n in notes if held_out(str(n["id"]))]
    questions_path = SHARED / "medication_questions" / "medication_questions.tsv"
    questions = read_questions(questions_path) if questions_path.exists() else []
    q_parts = {"dev": [q for q in questions if not held_out("mq" + q[0])]}
    q_parts["held-out"] = [q for q in questions if held_out("mq" + q[0])]
    ade = ade_parts()
    shown = ("dev", "held-out") if args.held_out else ("dev",)

    for part in shown:
        n_pos = sum(bool(n["reportable"]) for n in parts[part])
        print(
            f"field notes, {part}: {len(parts[part])} notes ({n_pos} reportable); "
            f"MedicationQA non-side-effect questions, {part}: {len(q_parts[part])}"
        )
    if ade is not None:
        print(f"ADE AE sentences: training part {len(ade[0])}, test part {len(ade[1])}")

    header = ["layer 1", "ADE recall train", "ADE recall test"]
    for part in shown:
        header += [f"notes recall {part}", f"notes false alarms {part}", f"MedQA false alarms {part}"]
    header += [f"per 10 queue items ({'held-out' if args.held_out else 'dev'})", "texts/s"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, detector in detectors.items():
        cells = [name]
        started, count = time.perf_counter(), 0
        for texts in ade or ([], []):
            found = rate(detector, texts)
            cells.append(f"{found:.4f} ({round(found * len(texts))})")
            count += len(texts)
        if ade is None:
            cells += ["n/a", "n/a"]
        week = 0.0
        for part in shown:
            pos = [str(n["text"]) for n in parts[part] if n["reportable"]]
            neg = [str(n["text"]) for n in parts[part] if not n["reportable"]]
            recall, alarms = rate(detector, pos), rate(detector, neg)
            q_alarms = rate(detector, [q[1] for q in q_parts[part]])
            count += len(pos) + len(neg) + len(q_parts[part])
            cells += [
                f"{recall:.3f} ({round(recall * len(pos))}/{len(pos)})",
                f"{alarms:.3f} ({round(alarms * len(neg))}/{len(neg)})",
                f"{q_alarms:.3f}",
            ]
            week = per_ten(alarms, recall)
        cells += [f"{week:.1f}", f"{count / (time.perf_counter() - started):,.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    print()
    print("\n".join(lines))

    records = demo_records(args.demo_interactions)
    print(
        f"\ndemo-generated records ({args.demo_interactions} interactions drawn, {len(records)} screened, "
        f"{sum(e for e, _ in records)} with an AE note):"
    )
    for name, detector in detectors.items():
        per_ten_items, false_alarms, items = demo_week(detector, records)
        print(f"  {name}: {per_ten_items:.2f} false alarms per ten queue items ({false_alarms} of {items})")

    if args.show:
        new = detectors["new (all frames)"]
        for note in parts["dev"]:
            result = new.detect(str(note["text"]))
            wrong = raises(result) != bool(note["reportable"])
            if wrong and (args.show == "misses") == bool(note["reportable"]):
                relied = [(s.kind, s.text, s.category) for s in result.spans if s.kind != "drug"]
                print(f"- {note['id']} ({note['why']}): {note['text']}\n    {relied}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
