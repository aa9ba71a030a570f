"""The app's side of the KOL pipelines, writing nothing to the database: where the pipeline tables are, author
resolution over the ingested tables, exports for linking, weights files and area look-up.

Writes live in `actions.py` and `loaders.py`; everything here either reads or writes Parquet files only.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.db.models import Q

from liaison.accounts.models import TherapeuticArea
from liaison.people.models import HCP, HCPStatus
from liaison_pipelines.records import Article, Author, Grant, MeshHeading
from liaison_pipelines.tables import PipelineTables

from .loaders import TablesMissing
from .models import DECIDED, IdentityLink


class UnknownArea(ValueError):
    """No active therapeutic area has this name or code."""


class BadWeights(ValueError):
    """A weights file that cannot be read, is not a JSON object, or names unknown weights."""


class AreaWithoutMesh(ValueError):
    """The area has no MeSH tree numbers, so no record can belong to it."""


def pipeline_tables() -> PipelineTables:
    """The app's pipeline tables: `$LIAISON_DATA_DIR/pipelines/<source>/<table>.parquet`."""
    return PipelineTables(Path(settings.DATA_DIR) / "pipelines")


def find_area(name_or_code: str) -> TherapeuticArea:
    """The therapeutic area named `name_or_code` (its code, or its name in any case)."""
    value = (name_or_code or "").strip()
    area = TherapeuticArea.objects.filter(Q(code__iexact=value) | Q(name__iexact=value)).first()
    if area is None:
        known = (
            ", ".join(TherapeuticArea.objects.order_by("code").values_list("code", flat=True)) or "none yet"
        )
        raise UnknownArea(f"no therapeutic area named {value!r}; known area codes: {known}")
    return area


def read_weights(path: Path) -> dict[str, Any]:
    """A weights file: a JSON object of `liaison_pipelines.kol.Weights` fields to override (docs/kol-scores.md)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadWeights(f"cannot read weights file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise BadWeights(f"weights file {path} must hold a JSON object of weight names and values")
    return data


def make_weights(overrides: dict[str, Any] | None) -> Any:
    """`Weights` with `overrides` merged over the defaults; a misspelt or out-of-range weight is refused."""
    from liaison_pipelines.kol import Weights

    try:
        return Weights.from_dict(overrides or {})
    except (TypeError, ValueError) as exc:
        raise BadWeights(f"invalid weights: {exc}") from exc


# ---- author resolution over the ingested tables ---------------------------------------------------------------


def read_articles(pubmed_dir: Path) -> list[Article]:
    """Rebuild `Article` records (authors, MeSH, grants) from the PubMed tables in `pubmed_dir`, for identity
    resolution (which compares whole articles: affiliations, co-authors, MeSH, title words)."""
    paths = {name: Path(pubmed_dir) / f"{name}.parquet" for name in ("articles", "authors", "mesh")}
    for path in paths.values():
        if not path.exists():
            raise TablesMissing(f"{path} does not exist; run `liaison ingest pubmed FILES` first")
    authors: dict[int, list[Author]] = defaultdict(list)
    for batch in pq.ParquetFile(paths["authors"]).iter_batches(batch_size=20_000):
        for r in batch.to_pylist():
            authors[r["pmid"]].append(
                Author(
                    position=r["author_position"],
                    last_name=r["last_name"] or "",
                    fore_name=r["fore_name"] or "",
                    initials=r["initials"] or "",
                    suffix=r["suffix"] or "",
                    collective_name=r["collective_name"] or "",
                    orcid=r["orcid"] or "",
                    affiliations=list(r["affiliations"] or []),
                    emails=list(r["emails"] or []),
                    valid=bool(r["valid"]),
                )
            )
    mesh: dict[int, list[MeshHeading]] = defaultdict(list)
    for batch in pq.ParquetFile(paths["mesh"]).iter_batches(batch_size=20_000):
        for r in batch.to_pylist():
            mesh[r["pmid"]].append(
                MeshHeading(
                    descriptor=r["descriptor"] or "",
                    descriptor_ui=r["descriptor_ui"] or "",
                    major=bool(r["major"]),
                    qualifiers=list(r["qualifiers"] or []),
                )
            )
    articles = []
    for batch in pq.ParquetFile(paths["articles"]).iter_batches(batch_size=20_000):
        for r in batch.to_pylist():
            articles.append(
                Article(
                    pmid=str(r["pmid"]),
                    title=r["title"] or "",
                    abstract=r["abstract"] or "",
                    journal=r["journal"] or "",
                    journal_iso=r["journal_iso"] or "",
                    issn=r["issn"] or "",
                    year=r["year"],
                    pub_date=r["pub_date"] or "",
                    publication_types=list(r["publication_types"] or []),
                    keywords=list(r["keywords"] or []),
                    grants=[Grant(**g) for g in r["grants"] or []],
                    language=r["language"] or "",
                    doi=r["doi"] or "",
                    mesh=mesh.pop(r["pmid"], []),
                    authors=sorted(authors.pop(r["pmid"], []), key=lambda a: a.position),
                )
            )
    return articles


def resolve_authorships(pubmed_dir: Path) -> int:
    """Cluster the ingested authors into persons and write `pubmed_dir`/authorships.parquet; returns the rows.

    Holds every author instance in memory (see docs/pipelines.md, "Identity resolution": fine for a sample or
    a subject slice, to be partitioned by block key at PubMed scale).
    """
    from liaison_pipelines.resolve import resolve_authors, write_authorships

    assignments = resolve_authors(read_articles(pubmed_dir))
    target = Path(pubmed_dir) / "authorships.parquet"
    tmp = target.with_suffix(".parquet.tmp")
    written = write_authorships(assignments, tmp)
    tmp.replace(target)
    return written


# ---- exports for linking --------------------------------------------------------------------------------------


def _table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """Rows as a table of `schema`, taking only the schema's columns (unknown ones default to empty)."""
    defaults: dict[Any, Any] = {pa.string(): "", pa.bool_(): False}
    columns = {}
    for f in schema:
        default = defaults.get(f.type, [] if pa.types.is_list(f.type) else None)
        columns[f.name] = [row.get(f.name, default) for row in rows]
    return pa.Table.from_pydict(columns, schema=schema)


def export_hcps() -> pa.Table:
    """Every active HCP record as linking's HCP_SCHEMA table (names, identifiers, place, organisations)."""
    from liaison_pipelines.link import HCP_SCHEMA

    rows = []
    hcps = HCP.objects.exclude(status=HCPStatus.MERGED).prefetch_related("affiliations__organization")
    for hcp in hcps.order_by("pk").iterator(chunk_size=2000):
        identifiers = {str(k): str(v) for k, v in (hcp.identifiers or {}).items()}
        organizations = [a.organization.name for a in hcp.affiliations.all()]
        rows.append(
            {
                "hcp_id": str(hcp.uuid),
                "uuid": str(hcp.uuid),
                "first_name": hcp.first_name,
                "middle_name": hcp.middle_name,
                "last_name": hcp.last_name,
                "suffix": hcp.suffix,
                "npi": hcp.npi or "",
                "orcid": hcp.orcid or "",
                "email": hcp.email,
                "city": hcp.city,
                "state": hcp.state,
                "country": hcp.country,
                "organizations": organizations,
                "affiliations": organizations,
                "specialties": list(hcp.specialties or []),
                "open_payments_profile_id": identifiers.get("open_payments_profile_id", ""),
                "profile_id": identifiers.get("open_payments_profile_id", ""),
                "pubmed_person": identifiers.get("pubmed_person", ""),
                "identifiers": json.dumps(identifiers, sort_keys=True),
            }
        )
    return _table(rows, HCP_SCHEMA)


def export_decisions() -> pa.Table:
    """Every accepted or rejected link as linking's DECISION_SCHEMA table, so a re-run keeps the decisions."""
    from liaison_pipelines.link import DECISION_SCHEMA

    rows = [
        {"person_id": p, "target": t, "target_id": i, "status": s, "decision": s, "accepted": s == "accepted"}
        for p, t, i, s in IdentityLink.objects.filter(status__in=DECIDED)
        .order_by("pk")
        .values_list("person_id", "target", "target_id", "status")
    ]
    return _table(rows, DECISION_SCHEMA)
