"""Rebuild drug_names.txt: brand and generic drug names from public sources the project already reads.

    .venv/bin/python src/liaison_text/data/build_drug_names.py ../shared/data

Sources (each public; none is an evaluation set):
- ClinicalTrials.gov (U.S. National Library of Medicine): the interventions of type Drug, Biological, Dietary
  Supplement or Combination Product in the 6,786 legacy-XML study records of
  clinicaltrials_large/reesewang25_ctgov_legacy_xml_6786.tar.gz: `intervention_name` (mostly generic names) and
  `other_name` (brand names, former names and codes: "Cytoxan", "Taxol", "Neupogen").
- CMS Open Payments (public U.S. government data): the covered drug and biological product names of the payment
  rows in open_payments/ (PY2014-2015 layouts and the PY2016+ "Name_of_Drug_or_Biological_or_Device_or_Medical_
  Supply_<n>" columns where the kind is a drug or biological): brand names as manufacturers report them
  ("Tresiba", "Xarelto", "KEYTRUDA").
- MeSH (NLM) substance names from the registry-number (RN) lines of the MEDLINE records in mesh/: supplementary
  concepts ("pioglitazone") that the descriptor-based vocabulary (mesh_drugs.txt) lacks.

Kept: names of 4+ letters that are not trial jargon (placebo, standard of care, chemotherapy), not a dose or a
study code ("NSC #123127", "MK-3475"), not an everyday English word. Lower-cased, one a line, sorted. Not run at
import or at run time: the output is committed next to this script, and the medication questions (evaluation
only) are never read here.
"""

from __future__ import annotations

import csv
import gzip
import re
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
HEADER = (
    "# Drug names (brand and generic) from ClinicalTrials.gov interventions (NLM), CMS Open Payments product\n"
    "# names and MeSH substance names (NLM). Public data. Built by build_drug_names.py; one lower-case name a line.\n"
)
DRUG_TYPES = {"Drug", "Biological", "Dietary Supplement", "Combination Product"}
# Trial jargon and everyday words that are interventions in a trial but never the drug a person asks about.
NOT_NAMES = re.compile(
    r"placebo|standard|usual care|control|chemotherap|therapy|treatment|regimen|vehicle|saline|vaccine$|"
    r"^(?:water|oxygen|air|food|diet|milk|sugar|salt|alcohol|ethanol|blood|plasma|cells?|surgery|radiation|"
    r"radiotherapy|exercise|counseling|education|drug|drugs|medication|medications|study drug|active|"
    r"comparator|none|other|observation|best supportive care|supportive care|dose|low dose|high dose|"
    r"tablets?|capsules?|injection|infusion|cream|gel|patch|spray|solution|suspension|powder|"
    r"vitamin|vitamins|iron|zinc|calcium|magnesium|potassium|sodium|glucose|insulin|caffeine|nicotine|"
    r"coffee|tea|juice|honey|garlic|soy|fish oil|olive oil|chocolate|daily|human|immune|live|mouse|rabbit|"
    r"serum|steel|tumor|oral|nylons|oxide|inhaler|inactivated|activated|subcutaneous|intravenous|equivalent|"
    r"antibiotics?|opioids?|nsaids?|lipids|gluten|chemo|globulin|drug [a-z]|agent [a-z]|"
    r"pfizer|wyeth|baxter|kyowa|hakko|connaught|novartis|roche|merck|sanofi|lilly|amgen|genentech|bayer)$",
    re.IGNORECASE,
)
CODE = re.compile(
    r"^(?:nsc|nci|cas|sch|mk|bms|ly|rg|pf|azd|gsk|abt|ro|sb|cp|ds|bay|jnj|tak|ono)?\s*[#-]?\s*\d|\d{3,}"
)
DOSE = re.compile(r"\b\d+(?:\.\d+)?\s*(?:mg|mcg|µg|g|ml|iu|units?|%)\b", re.IGNORECASE)
FORMS = re.compile(
    r"\s+(?:tablets?|capsules?|injection|injectable|oral solution|oral|extended release|er|xr|sr|hcl|"
    r"hydrochloride|sulfate|sodium|potassium|mesylate|citrate|phosphate|acetate|maleate|tartrate)\b.*$",
    re.IGNORECASE,
)


def _clean(raw: str) -> Iterator[str]:
    """The names a raw field holds: split on ';' and ',' and '/', doses and salts and dose forms dropped."""
    for part in re.split(r"[;,/]| or |\(|\)", raw):
        name = DOSE.sub("", part).strip(" .-*®™\"'")
        name = " ".join(name.split())
        if not name:
            continue
        for candidate in {name, FORMS.sub("", name)}:
            candidate = candidate.strip().lower()
            if (
                len(re.sub(r"[^a-z]", "", candidate)) >= 4
                and len(candidate) <= 40
                and len(candidate.split()) <= 4
                and not NOT_NAMES.search(candidate)
                and not CODE.search(candidate)
            ):
                yield candidate


def clinicaltrials_names(path: Path) -> set[str]:
    names: set[str] = set()
    with tarfile.open(path) as tf:
        for member in tf:
            if not member.name.endswith(".xml") or (fh := tf.extractfile(member)) is None:
                continue
            root = etree.fromstring(fh.read())
            for iv in root.iter("intervention"):
                if (iv.findtext("intervention_type") or "").strip() not in DRUG_TYPES:
                    continue
                for el in [iv.find("intervention_name"), *iv.findall("other_name")]:
                    if el is not None and el.text:
                        names.update(_clean(el.text))
    return names


def open_payments_names(folder: Path) -> set[str]:
    names: set[str] = set()
    for path in sorted(folder.rglob("*.csv*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
            reader = csv.DictReader(fh)
            fields = reader.fieldnames or []
            old = [f for f in fields if f.startswith("Name_of_Associated_Covered_Drug_or_Biological")]
            new = [
                f for f in fields if f.startswith("Name_of_Drug_or_Biological_or_Device_or_Medical_Supply_")
            ]
            for row in reader:
                for f in old:
                    names.update(_clean(row.get(f) or ""))
                for f in new:
                    kind = (row.get(f.replace("Name_of_", "Indicate_")) or "").lower()
                    if kind.startswith(("drug", "biological")):
                        names.update(_clean(row.get(f) or ""))
    return {n for n in names if "noncovered" not in n and "non-covered" not in n}


def mesh_substance_names(path: Path) -> set[str]:
    names: set[str] = set()
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith("RN  - ") and (m := re.search(r"\((.+)\)\s*$", line)):
                names.update(_clean(m.group(1)))
    return {n for n in names if not n.endswith(("agents", "drugs", "system", "inhibitors"))}


def build(data: Path) -> list[str]:
    names = clinicaltrials_names(data / "clinicaltrials_large" / "reesewang25_ctgov_legacy_xml_6786.tar.gz")
    names |= open_payments_names(data / "open_payments")
    names |= mesh_substance_names(data / "mesh" / "mesh-papers.medline.txt.gz")
    return sorted(names)


def main(argv: list[str]) -> int:
    data = Path(argv[1] if len(argv) > 1 else "../shared/data")
    names = build(data)
    (HERE / "drug_names.txt").write_text(HEADER + "\n".join(names) + "\n", encoding="utf-8")
    print(f"{len(names)} drug names")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
