"""Fill two gaps of the demo's real records in the pipeline tables, before they are loaded (no Django here).

- Most articles of the 2021 PubMed update file are In-Process or Publisher records that NLM had not indexed
  with MeSH yet (38 of 3,092 oncology articles have headings). Without headings no article counts in a
  therapeutic area, so the demo indexes the unindexed ones from their title and author keywords with a short
  list of phrases (a stand-in for NLM's own indexing, never applied to an article that has MeSH headings).
  Headings found this way are minor topics (`major` false) and carry the qualifier "demo indexing".
- Legacy ClinicalTrials.gov XML names a study's condition MeSH terms but not their descriptor ids; the ids
  are looked up by name in the shipped MeSH tree, so the studies count in their area.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import polars as pl

from . import sources

DEMO_QUALIFIER = "demo indexing"

# (pattern over title + keywords, MeSH descriptor name in the 2017 tree); every match adds its heading.
_PHRASES: tuple[tuple[str, str], ...] = (
    (r"triple[- ]negative breast", "Triple Negative Breast Neoplasms"),
    (r"breast (?:cancer|carcinoma|tumou?r|neoplasm)", "Breast Neoplasms"),
    (r"non[- ]small[- ]cell lung|nsclc", "Carcinoma, Non-Small-Cell Lung"),
    (r"small[- ]cell lung (?:cancer|carcinoma)|\bsclc\b", "Small Cell Lung Carcinoma"),
    (r"lung (?:cancer|carcinoma|adenocarcinoma|tumou?r|neoplasm)", "Lung Neoplasms"),
    (r"prostat\w* (?:cancer|carcinoma|adenocarcinoma|neoplasm)", "Prostatic Neoplasms"),
    (r"colorectal (?:cancer|carcinoma|adenocarcinoma|neoplasm)", "Colorectal Neoplasms"),
    (r"colon (?:cancer|carcinoma|adenocarcinoma)", "Colonic Neoplasms"),
    (r"rectal (?:cancer|carcinoma|adenocarcinoma)", "Rectal Neoplasms"),
    (r"(?:gastric|stomach) (?:cancer|carcinoma|adenocarcinoma)", "Stomach Neoplasms"),
    (r"pancreatic ductal adenocarcinoma", "Carcinoma, Pancreatic Ductal"),
    (r"pancrea\w* (?:cancer|carcinoma|adenocarcinoma|neoplasm|tumou?r)", "Pancreatic Neoplasms"),
    (r"hepatocellular carcinoma|\bhcc\b", "Carcinoma, Hepatocellular"),
    (r"liver (?:cancer|tumou?r|metastas)", "Liver Neoplasms"),
    (r"ovarian (?:cancer|carcinoma|tumou?r|neoplasm)", "Ovarian Neoplasms"),
    (r"cervical (?:cancer|carcinoma)", "Uterine Cervical Neoplasms"),
    (r"endometrial (?:cancer|carcinoma)", "Endometrial Neoplasms"),
    (r"(?<!gall)bladder (?:cancer|carcinoma)|urothelial carcinoma", "Urinary Bladder Neoplasms"),
    (r"renal cell carcinoma|\brcc\b", "Carcinoma, Renal Cell"),
    (r"(?:kidney|renal) (?:cancer|tumou?r)", "Kidney Neoplasms"),
    (r"thyroid (?:cancer|carcinoma)", "Thyroid Neoplasms"),
    (r"head and neck (?:cancer|carcinoma|squamous|tumou?r)", "Head and Neck Neoplasms"),
    (r"oral (?:cancer|squamous cell carcinoma|cavity cancer)", "Mouth Neoplasms"),
    (r"nasopharyngeal carcinoma", "Nasopharyngeal Neoplasms"),
    (r"(?:esophageal|oesophageal) (?:cancer|carcinoma|adenocarcinoma|squamous)", "Esophageal Neoplasms"),
    (r"cholangiocarcinoma", "Cholangiocarcinoma"),
    (r"gallbladder (?:cancer|carcinoma)|biliary tract cancer", "Bile Duct Neoplasms"),
    (r"glioblastoma", "Glioblastoma"),
    (r"glioma", "Glioma"),
    (r"brain (?:tumou?r|metastas|cancer)", "Brain Neoplasms"),
    (r"melanoma", "Melanoma"),
    (r"skin cancer", "Skin Neoplasms"),
    (r"hodgkin", "Hodgkin Disease"),
    (r"non[- ]hodgkin", "Lymphoma, Non-Hodgkin"),
    (r"diffuse large b[- ]cell|\bdlbcl\b", "Lymphoma, Large B-Cell, Diffuse"),
    (r"lymphoma", "Lymphoma"),
    (r"acute myeloid leuk|\baml\b", "Leukemia, Myeloid, Acute"),
    (r"acute lymphoblastic leuk", "Precursor Cell Lymphoblastic Leukemia-Lymphoma"),
    (r"chronic lymphocytic leuk", "Leukemia, Lymphocytic, Chronic, B-Cell"),
    (r"leuka?emia", "Leukemia"),
    (r"myelodysplastic", "Myelodysplastic Syndromes"),
    (r"myeloma", "Multiple Myeloma"),
    (r"osteosarcoma", "Osteosarcoma"),
    (r"gastrointestinal stromal tumou?r|\bgist\b", "Gastrointestinal Stromal Tumors"),
    (r"sarcoma", "Sarcoma"),
    (r"neuroblastoma", "Neuroblastoma"),
    (r"testicular (?:cancer|tumou?r|germ cell)", "Testicular Neoplasms"),
    (r"squamous cell carcinoma", "Carcinoma, Squamous Cell"),
    (r"adenocarcinoma", "Adenocarcinoma"),
    (r"carcinoma", "Carcinoma"),
    (r"metasta", "Neoplasm Metastasis"),
)
# The whole branch's heading, when no more specific phrase matched (the words the oncology subset was cut by).
_GENERAL = (
    r"neoplas|cancer|tumou?r|carcinoma|lymphoma|leuka?emia|sarcoma|melanoma|myeloma|glioma|blastoma|"
    r"oncolog|metasta|antineoplastic|nsclc|malignan",
    "Neoplasms",
)
# "Tumor necrosis factor", "tumor-infiltrating" etc. name no neoplasm.
_NOT_A_NEOPLASM = re.compile(r"tumou?r[- ]necrosis|tumou?r[- ]suppress", re.IGNORECASE)


def _descriptor_uis() -> dict[str, str]:
    """{descriptor name in lower case: descriptor UI} from the shipped MeSH tree."""
    by_ui, names = sources.mesh_tree()
    return {names[numbers[0]].lower(): ui for ui, numbers in by_ui.items()}


@functools.lru_cache(maxsize=1)
def _oncology_only() -> set[str]:
    """Descriptor UIs in the oncology branch and in no other demo area's: a heading derived from a title must
    not make an article count in cardiology (Multiple Myeloma is also under C14) or neurology (Brain
    Neoplasms, C10)."""
    by_ui, _ = sources.mesh_tree()
    branches = {spec.name: spec.tree_number for spec in sources.AREAS}
    oncology = branches.pop("Oncology")

    def under(numbers: list[str], branch: str) -> bool:
        return any(n == branch or n.startswith(branch + ".") for n in numbers)

    return {
        ui
        for ui, numbers in by_ui.items()
        if under(numbers, oncology) and not any(under(numbers, b) for b in branches.values())
    }


def headings_for(text: str, uis: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(descriptor UI, name) of the headings the phrases find in `text`, in table order."""
    uis = uis if uis is not None else _descriptor_uis()
    allowed = _oncology_only()
    found: list[tuple[str, str]] = []
    for pattern, name in _PHRASES:
        ui = uis.get(name.lower())
        if ui in allowed and re.search(pattern, text, re.IGNORECASE):
            found.append((ui, name))
    if not found and re.search(_GENERAL[0], _NOT_A_NEOPLASM.sub(" ", text), re.IGNORECASE):
        found.append((uis[_GENERAL[1].lower()], _GENERAL[1]))
    return found


def _replace(frame: pl.DataFrame, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    frame.write_parquet(tmp, compression="zstd")
    os.replace(tmp, path)


def index_unindexed_articles(pubmed_dir: Path) -> int:
    """Add headings to `pubmed_dir`/mesh.parquet for the articles that have none; returns the rows added."""
    mesh_path, articles_path = Path(pubmed_dir) / "mesh.parquet", Path(pubmed_dir) / "articles.parquet"
    mesh = pl.read_parquet(mesh_path)
    indexed = set(mesh["pmid"].to_list())
    articles = pl.read_parquet(articles_path, columns=["pmid", "title", "keywords"])
    uis = _descriptor_uis()
    rows = []
    for pmid, title, keywords in articles.iter_rows():
        if pmid in indexed:
            continue
        text = " ; ".join([title or "", *(keywords or [])])
        for ui, name in headings_for(text, uis):
            rows.append(
                {
                    "pmid": pmid,
                    "descriptor_ui": ui,
                    "descriptor": name,
                    "major": False,
                    "qualifiers": [DEMO_QUALIFIER],
                }
            )
    if rows:
        added = pl.DataFrame(rows, schema=mesh.schema)
        _replace(pl.concat([mesh, added]), mesh_path)
    return len(rows)


def fill_trial_descriptor_ids(trials_dir: Path) -> int:
    """Descriptor ids for the studies that name condition MeSH terms without them; returns the studies filled."""
    path = Path(trials_dir) / "trials.parquet"
    trials = pl.read_parquet(path)
    uis = _descriptor_uis()
    filled = 0
    ids = []
    for terms, given in trials.select("condition_mesh_terms", "condition_mesh_ids").iter_rows():
        if given or not terms:
            ids.append(given)
            continue
        found = [uis[t.lower()] for t in terms if t and t.lower() in uis]
        filled += bool(found)
        ids.append(list(dict.fromkeys(found)))
    if filled:
        series = pl.Series("condition_mesh_ids", ids, dtype=trials.schema["condition_mesh_ids"])
        _replace(trials.with_columns(series), path)
    return filled
