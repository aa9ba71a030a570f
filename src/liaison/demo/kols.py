"""The oncology KOLs of the demo: the persons at the top of a first, record-less ranking of the real evidence.

The demo's HCP records are made before its field activity, and a KOL ranking needs the HCP records to show
who is known. So the KOL stage's public evidence is ingested first, persons are linked to trial officials
(no HCP records yet) and the oncology area is scored once into a scratch folder; the persons at the top of
that ranking become tier 1 oncology HCPs, with the name, ORCID and the most frequent institution of their
papers. The real scoring run later links them to these records (no Django here).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import polars as pl

from liaison_pipelines.tables import PipelineTables

from . import sources


def _oncology() -> sources.AreaSpec:
    return next(spec for spec in sources.AREAS if spec.name == "Oncology")


def ranked_persons(tables: PipelineTables, *, as_of_year: int) -> pl.DataFrame:
    """person_id, rank, name, area_papers, area_trials of a first oncology ranking, best first."""
    from liaison_pipelines.kol import Area, score_area
    from liaison_pipelines.link import link_persons

    link_persons(tables, tables.links)
    spec = _oncology()
    with tempfile.TemporaryDirectory(prefix="liaison-demo-kols-") as tmp:
        score_area(
            tables, Area(name=spec.name, tree_numbers=(spec.tree_number,)), Path(tmp), as_of_year=as_of_year
        )
        return (
            pl.read_parquet(Path(tmp) / "scores.parquet")
            .select("person_id", "rank", "name", "area_papers", "area_trials")
            .sort("rank")
        )


def strongest_authors(tables: PipelineTables, limit: int, *, as_of_year: int) -> list[sources.Person]:
    """The best-ranked oncology persons with two or more area papers, as HCP-to-be records: three quarters of
    `limit` from the top of the ranking, the rest the best-ranked of those whom linking found among the trial
    officials (a suggestion their MSL can confirm), so that confirmed trials can count."""
    ranking = ranked_persons(tables, as_of_year=as_of_year).filter(pl.col("area_papers") >= 2)
    officials = (
        pl.read_parquet(tables.links, columns=["person_id", "target"])
        .filter(pl.col("target") == "investigator")
        .get_column("person_id")
        .unique()
        .to_list()
    )
    top = ranking.head(limit - limit // 4)["person_id"].to_list()
    investigators = ranking.filter(
        pl.col("person_id").is_in(officials) & ~pl.col("person_id").is_in(top)
    ).head(limit - len(top))
    wanted = top + investigators["person_id"].to_list()
    instances = (
        pl.scan_parquet(tables.authorships)
        .filter(pl.col("person_id").is_in(wanted))
        .select("pmid", "author_position", "person_id")
        .join(
            pl.scan_parquet(tables.authors).select(
                "pmid", "author_position", "last_name", "fore_name", "orcid", "affiliations"
            ),
            on=["pmid", "author_position"],
        )
        .sort("person_id", "pmid")
        .collect()
    )
    people = []
    for person_id in wanted:
        rows = instances.filter(pl.col("person_id") == person_id)
        if rows.is_empty():
            continue
        people.append(_person(rows))
    return people


def _person(rows: pl.DataFrame) -> sources.Person:
    """One Person from a resolved person's author instances: the fullest name, an ORCID, the institution
    named on most of their papers and the place of its most frequent affiliation."""
    fore = max(rows["fore_name"].to_list(), key=lambda f: (len(f or ""), f or ""))
    last = Counter(rows["last_name"].to_list()).most_common(1)[0][0]
    orcids = [o for o in rows["orcid"].to_list() if o]
    affiliations = [a for affs in rows["affiliations"].to_list() for a in (affs or [])]
    institutions = Counter(org for a in set(affiliations) if (org := sources.split_affiliation(a)[0]))
    org = institutions.most_common(1)[0][0] if institutions else ""
    best = Counter(a for a in affiliations if sources.split_affiliation(a)[0] == org).most_common(1)
    org, department, city, country = sources.split_affiliation(best[0][0]) if best else ("", "", "", "")
    given = (fore or "").split() or [""]
    orcid = Counter(orcids).most_common(1)[0][0] if orcids else ""
    return sources.Person(
        first_name=given[0],
        middle_name=" ".join(given[1:]),
        last_name=last,
        area="Oncology",
        source="PubMed",
        specialty="Oncology",
        city=city,
        country=country,
        organization=org,
        organization_kind=sources.organization_kind(org),
        department=department,
        orcid=orcid if sources.orcid_ok(orcid) else "",
        identifiers={"pubmed_pmid": str(rows["pmid"][0])},
    )
