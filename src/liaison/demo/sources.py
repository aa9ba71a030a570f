"""Read the real public records shipped in `demo/data/` into plain Python records (no Django here).

The files are NLM MeSH and PubMed data, ClinicalTrials.gov records and CMS Open Payments physician profiles;
each folder's SOURCE.txt names where they came from. These readers are deliberately small and tolerant: the
demo needs names, places, specialties and therapeutic areas, not a full importer (that is the pipelines' job).
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

MESH_TREE = DATA_DIR / "mesh" / "2017MeshTree.txt.gz"
PUBMED_SAMPLE = DATA_DIR / "pubmed" / "fatcat_pubmedsample_2019.xml.gz"
OPEN_PAYMENTS_PROFILES = DATA_DIR / "open_payments" / "OP_physician_profile_supplement_2014_Iowa.csv.gz"
TRIALS_DIR = DATA_DIR / "clinicaltrials"
# The oncology area's depth: one 2021 PubMed update file's oncology articles and 550 oncology studies.
ONCOLOGY_PUBMED = DATA_DIR / "pubmed_oncology" / "pubmed21n1298_oncology.xml.gz"
ONCOLOGY_TRIALS = DATA_DIR / "clinicaltrials_oncology" / "ctgov_legacy_xml_oncology_subset_550.tar.gz"

MESH_VERSION = "MeSH 2017"


@dataclass(frozen=True)
class AreaSpec:
    """A therapeutic area of the demo company, defined by a MeSH tree branch."""

    name: str
    tree_number: str
    specialty_keywords: tuple[str, ...]


AREAS: tuple[AreaSpec, ...] = (
    AreaSpec("Oncology", "C04", ("Oncology",)),
    AreaSpec("Cardiology", "C14", ("Cardiovascular", "Cardiology")),
    AreaSpec("Neurology", "C10", ("Neurology", "Neurological Surgery", "Neuromuscular", "Neurophysiology")),
)


@dataclass
class Person:
    """A real healthcare professional as a public source names them."""

    first_name: str
    last_name: str
    area: str
    source: str
    middle_name: str = ""
    credentials: str = ""
    specialty: str = ""
    city: str = ""
    state: str = ""
    country: str = ""
    organization: str = ""
    organization_kind: str = "other"
    department: str = ""
    orcid: str = ""
    identifiers: dict[str, str] = field(default_factory=dict)


@lru_cache(maxsize=1)
def mesh_tree() -> tuple[dict[str, list[str]], dict[str, str]]:
    """({descriptor UI: [tree numbers]}, {tree number: descriptor name}) from the MeSH 2017 tree file."""
    by_ui: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    with gzip.open(MESH_TREE, "rt", encoding="utf-8-sig") as handle:
        next(handle)  # header: Tree Number, Desc Ui, Term
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3:
                continue
            tree_number, ui, term = parts
            by_ui.setdefault(ui, []).append(tree_number)
            names[tree_number] = term
    return by_ui, names


def mesh_name(tree_number: str) -> str:
    """The MeSH descriptor name at a tree number, e.g. C04 -> Neoplasms."""
    return mesh_tree()[1].get(tree_number, tree_number)


def mesh_topics(tree_number: str, *, max_depth: int = 2) -> list[str]:
    """Descriptor names under a branch, at most `max_depth` levels below it (for interaction topics)."""
    names = mesh_tree()[1]
    prefix = tree_number + "."
    return sorted(
        {
            name
            for number, name in names.items()
            if number.startswith(prefix) and number.count(".") <= max_depth
        }
    )


def _area_of_tree_numbers(numbers: list[str]) -> str | None:
    for spec in AREAS:
        if any(n == spec.tree_number or n.startswith(spec.tree_number + ".") for n in numbers):
            return spec.name
    return None


_INSTITUTION = re.compile(
    r"Universit|Hospital|Institut|Cent(?:er|re)|College|School|Clinic|Foundation|Trust", re.IGNORECASE
)


def _organization_kind(name: str) -> str:
    lowered = name.lower()
    if "universit" in lowered or "college" in lowered or "school" in lowered:
        return "university"
    if "hospital" in lowered or "clinic" in lowered or "trust" in lowered or "medical cent" in lowered:
        return "hospital"
    if "institut" in lowered or "foundation" in lowered:
        return "research"
    return "other"


_COUNTRIES = {
    "united states",
    "usa",
    "u.s.a",
    "canada",
    "united kingdom",
    "uk",
    "england",
    "scotland",
    "ireland",
    "france",
    "germany",
    "italy",
    "spain",
    "netherlands",
    "the netherlands",
    "belgium",
    "switzerland",
    "austria",
    "sweden",
    "norway",
    "denmark",
    "finland",
    "poland",
    "japan",
    "china",
    "korea",
    "australia",
    "israel",
    "brazil",
    "india",
    "greece",
    "portugal",
}
_US_NAMES = {"usa", "u.s.a", "united states"}


def split_affiliation(text: str) -> tuple[str, str, str, str]:
    """(organisation, department, city, country) from a free-text PubMed affiliation, best effort.

    The organisation is the first comma-separated part that names an institution; the country is the last
    part when it is a known country; the city is the part before it. Anything unsure is left empty.
    """
    text = re.sub(r"\s*\S+@\S+", "", text).strip().rstrip(".")
    parts = [p.strip() for p in text.split(",") if p.strip()]
    department_prefixes = ("department", "dept", "division", "section", "unit", "laboratory", "service")
    institution = next(
        (
            p
            for p in parts
            if _INSTITUTION.search(p)
            and not any(ch.isdigit() for ch in p)
            and not p.lower().startswith(department_prefixes)
        ),
        "",
    )
    department = next((p for p in parts if p.lower().startswith(department_prefixes)), "")
    city = country = ""
    if parts and parts[-1].lower().rstrip(".") in _COUNTRIES:
        country = parts[-1].rstrip(".")
        country = "United States" if country.lower() in _US_NAMES else country
        if len(parts) >= 2 and parts[-2] != institution and not any(ch.isdigit() for ch in parts[-2]):
            city = parts[-2]
        if (
            country == "United States"
            and len(parts) >= 3
            and len(parts[-2]) <= 14
            and parts[-3] != institution
        ):
            # "Boston, Massachusetts, USA" or "Boston, MA, USA": the city comes before the state
            city = parts[-3]
    return institution[:300], department[:200], city[:120], country[:80]


def pubmed_authors() -> Iterator[Person]:
    """Authors with an affiliation and a full first name, on articles indexed under one of the demo's areas."""
    by_ui, _ = mesh_tree()
    with gzip.open(PUBMED_SAMPLE, "rb") as handle:
        root = ET.parse(handle).getroot()
    for article in root.iter("PubmedArticle"):
        pmid = article.findtext("MedlineCitation/PMID") or ""
        numbers = [n for d in article.iter("DescriptorName") for n in by_ui.get(d.get("UI") or "", [])]
        area = _area_of_tree_numbers(numbers)
        if area is None:
            continue
        for author in article.iter("Author"):
            fore = (author.findtext("ForeName") or "").strip()
            last = (author.findtext("LastName") or "").strip()
            affiliation = (author.findtext("AffiliationInfo/Affiliation") or "").strip()
            given = fore.split()
            if not last or not affiliation or not given or len(given[0].rstrip(".")) < 2:
                continue  # initials only: too ambiguous to make a profile from
            org, department, city, country = split_affiliation(affiliation)
            yield Person(
                first_name=given[0],
                middle_name=" ".join(given[1:]),
                last_name=last,
                area=area,
                source="PubMed",
                city=city,
                country=country,
                organization=org,
                organization_kind=_organization_kind(org),
                department=department,
                identifiers={"pubmed_pmid": pmid},
            )


def _title(name: str) -> str:
    """MARIA -> Maria, MCDONALD -> McDonald, O'BRIEN -> O'Brien."""
    titled = name.strip().title()
    return re.sub(r"\bMc([a-z])", lambda m: "Mc" + m.group(1).upper(), titled)


# The one address in the Iowa file that names a well-known institution; other addresses become practice sites.
KNOWN_ADDRESSES = {("200 Hawkins Dr", "Iowa City"): ("University of Iowa Hospitals and Clinics", "hospital")}


def open_payments_physicians() -> Iterator[Person]:
    """Iowa physicians from the CMS Open Payments profile supplement whose specialty is in a demo area."""
    with gzip.open(OPEN_PAYMENTS_PROFILES, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            specialty_path = row.get("Physician_Profile_Primary_Specialty") or ""
            # The leaf of the taxonomy path decides: "Psychiatry & Neurology, Psychiatry" is not neurology.
            specialty = specialty_path.split("/")[-1].split(",")[-1].strip()
            area = next(
                (
                    spec.name
                    for spec in AREAS
                    if any(k.lower() in specialty.lower() for k in spec.specialty_keywords)
                ),
                None,
            )
            if (
                area is None
                or not row.get("Physician_Profile_First_Name")
                or not row.get("Physician_Profile_Last_Name")
            ):
                continue
            address = (row.get("Physician_Profile_Address_Line_1") or "").strip()
            city = _title(row.get("Physician_Profile_City") or "")
            org, kind = KNOWN_ADDRESSES.get(
                (address, city), (f"{address}, {city}" if address else "", "practice")
            )
            yield Person(
                first_name=_title(row["Physician_Profile_First_Name"]),
                last_name=_title(row["Physician_Profile_Last_Name"]),
                area=area,
                source="Open Payments",
                credentials="MD",
                specialty=specialty,
                city=city,
                state=(row.get("Physician_Profile_State") or "").strip(),
                country="United States",
                organization=org,
                organization_kind=kind,
                identifiers={"open_payments_profile_id": row["Physician_Profile_ID"].strip()},
            )


_CREDENTIALS = re.compile(r",?\s*(M\.?D\.?|Ph\.?D\.?|MPH|FRCPC?|MBBS)\b\.?", re.IGNORECASE)

_CONDITION_AREAS = {"Brain Injuries": "Neurology", "Coronary Artery Disease": "Cardiology"}


def trial_officials() -> Iterator[Person]:
    """Overall officials of the shipped ClinicalTrials.gov studies whose condition is in a demo area."""
    for path in sorted(TRIALS_DIR.glob("NCT*.json")):
        study = json.loads(path.read_text(encoding="utf-8"))
        protocol = study.get("protocolSection", {})
        conditions = protocol.get("conditionsModule", {}).get("conditions", [])
        area = next((_CONDITION_AREAS[c] for c in conditions if c in _CONDITION_AREAS), None)
        if area is None:
            continue
        nct = protocol.get("identificationModule", {}).get("nctId", path.stem)
        for official in protocol.get("contactsLocationsModule", {}).get("overallOfficials", []):
            raw = official.get("name") or ""
            credentials = ", ".join(m.group(1).replace(".", "") for m in _CREDENTIALS.finditer(raw))
            name = _CREDENTIALS.sub("", raw).strip(" ,")
            parts = name.split()
            if len(parts) < 2:
                continue
            affiliation = official.get("affiliation") or ""
            yield Person(
                first_name=parts[0],
                middle_name=" ".join(parts[1:-1]),
                last_name=parts[-1],
                area=area,
                source="ClinicalTrials.gov",
                credentials=credentials,
                organization=affiliation[:300],
                organization_kind=_organization_kind(affiliation),
                identifiers={"clinicaltrials_gov_nct": nct},
            )


# -- helpers for the oncology KOLs (kols.py) ------------------------------------------------------------------


def organization_kind(name: str) -> str:
    """university, hospital, research or other, from an institution's name."""
    return _organization_kind(name)


def orcid_ok(orcid: str) -> bool:
    """An ORCID iD with a valid check character (the HCP form refuses any other)."""
    if not re.fullmatch(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]", orcid):
        return False
    total = 0
    for ch in orcid.replace("-", "")[:-1]:
        total = (total + int(ch)) * 2
    return orcid[-1] == "0123456789X"[(12 - total % 11) % 11]
