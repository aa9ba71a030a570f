"""What a demo load is made of: its random seed, the sizes, the company's users and its progress steps."""

from __future__ import annotations

from dataclasses import dataclass

from . import sources

SEED = 2026
DEMO_REASON = "demo data set"

EAST_IOWA = {
    "Iowa City",
    "Cedar Rapids",
    "Davenport",
    "Bettendorf",
    "Dubuque",
    "Waterloo",
    "Cedar Falls",
    "Coralville",
    "Clinton",
    "Muscatine",
    "West Burlington",
    "Burlington",
    "Decorah",
    "Hiawatha",
    "Marion",
    "Ottumwa",
    "Mount Pleasant",
    "Keokuk",
    "Fort Madison",
    "Maquoketa",
    "Oelwein",
}


@dataclass(frozen=True)
class Size:
    """How much of everything to load; `small` keeps tests fast, `full` is what `liaison demo` loads."""

    physicians_per_area: int
    pubmed_authors: int
    oncology_kols: int  # the strongest authors of the oncology PubMed file, as tier 1 oncology HCPs
    interactions: int
    standalone_insights: int
    commercial_handoffs: int


SIZES = {
    "small": Size(
        physicians_per_area=4,
        pubmed_authors=4,
        oncology_kols=25,
        interactions=30,
        standalone_insights=3,
        commercial_handoffs=1,
    ),
    "full": Size(
        physicians_per_area=45,
        pubmed_authors=21,
        oncology_kols=40,
        interactions=480,
        standalone_insights=24,
        commercial_handoffs=4,
    ),
}

# (username, role, first, last, title, area or None); the first user of each role is that role's demo login.
USERS: tuple[tuple[str, str, str, str, str, str | None], ...] = (
    ("alice", "msl", "Alice", "Moreau", "Senior MSL, Oncology", "Oncology"),
    ("omar", "msl", "Omar", "Haddad", "MSL, Oncology", "Oncology"),
    ("bob", "msl", "Bob", "Lindqvist", "MSL, Cardiology", "Cardiology"),
    ("priya", "msl", "Priya", "Raman", "MSL, Cardiology", "Cardiology"),
    ("nina", "msl", "Nina", "Kowalski", "MSL, Neurology", "Neurology"),
    ("tom", "msl", "Tom", "Okafor", "MSL, Neurology", "Neurology"),
    ("mona", "msl_manager", "Mona", "Fischer", "Field Medical Director, Oncology", "Oncology"),
    ("mark", "msl_manager", "Mark", "Benson", "Field Medical Director, Cardiology", "Cardiology"),
    ("nadia", "msl_manager", "Nadia", "Costa", "Field Medical Director, Neurology", "Neurology"),
    ("lena", "medical_lead", "Lena", "Vogel", "Head of Medical Strategy", None),
    ("iris", "medical_information", "Iris", "Tanaka", "Medical Information Specialist", None),
    ("sam", "drug_safety", "Sam", "Adeyemi", "Drug Safety Physician", None),
    ("carla", "compliance", "Carla", "Jensen", "Compliance Officer", None),
    ("otto", "auditor", "Otto", "Brandt", "Quality Auditor", None),
    ("dave", "commercial", "Dave", "Miller", "Key Account Manager", None),
    ("ada", "admin", "Ada", "Nakamura", "System Administrator", None),
)


def hcp_slots(spec: Size) -> int:
    """Progress steps planned for HCPs: every physician slot, PubMed author, oncology KOL and trial official."""
    return (
        3 * spec.physicians_per_area
        + spec.pubmed_authors
        + spec.oncology_kols
        + len(list(sources.trial_officials()))
    )
