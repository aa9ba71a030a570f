"""The records the PubMed parser yields and identity resolution consumes (plain dataclasses, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Author:
    """One author instance on one article; `position` is 1-based in the article's author list."""

    position: int
    last_name: str = ""
    fore_name: str = ""
    initials: str = ""
    suffix: str = ""
    collective_name: str = ""
    orcid: str = ""
    affiliations: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)  # found inside affiliation strings
    valid: bool = True  # PubMed's ValidYN

    @property
    def is_person(self) -> bool:
        return bool(self.last_name) and not self.collective_name


@dataclass(slots=True)
class MeshHeading:
    descriptor: str
    descriptor_ui: str = ""
    major: bool = False
    qualifiers: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Chemical:
    """A substance of the ChemicalList: its name and MeSH (supplementary) concept id, with its registry number."""

    name: str
    ui: str = ""
    registry_number: str = ""


@dataclass(slots=True)
class Grant:
    grant_id: str = ""
    agency: str = ""
    country: str = ""


@dataclass(slots=True)
class Article:
    """One PubMed citation; `deleted` marks a DeleteCitation entry from an update file (pmid only)."""

    pmid: str
    title: str = ""
    abstract: str = ""
    journal: str = ""
    journal_iso: str = ""
    issn: str = ""
    year: int | None = None
    pub_date: str = ""  # ISO date as precise as the record allows: YYYY, YYYY-MM or YYYY-MM-DD
    publication_types: list[str] = field(default_factory=list)
    mesh: list[MeshHeading] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    authors: list[Author] = field(default_factory=list)
    doi: str = ""
    language: str = ""
    version: int = 1
    deleted: bool = False
    volume: str = ""
    issue: str = ""
    pages: str = ""  # MedlinePgn as printed ("1123-31"), else StartPage-EndPage
    country: str = ""  # the journal's country of publication (MedlineJournalInfo/Country)
    pmc_id: str = ""  # "PMC1234567"
    chemicals: list[Chemical] = field(default_factory=list)
    cited_pmids: list[str] = field(default_factory=list)  # the reference list's PubMed ids, in order
