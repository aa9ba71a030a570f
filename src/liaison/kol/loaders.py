"""Load the pipelines' Parquet tables into the app: publications, trials, payments and identity links.

Public records are reference data: a load upserts them on their natural keys (PMID, NCT id, payment kind +
record id) in batches with `bulk_create(update_conflicts=True)`, which is one INSERT ... ON CONFLICT per batch on
both SQLite and PostgreSQL. Rows are compared with what is stored first, so a re-run on the same tables writes
nothing and reports every row as unchanged. Memory stays flat: child tables (authorships, MeSH headings,
trial people) are grouped and joined to their parent by Polars' streaming engine into a temporary Parquet file,
which is then read one record batch at a time. Each load writes one audit event for the run (counts and input
checksums), in the same transaction as the rows.

Identity links are regulated records (`IdentityLink` is audited row by row): a user's decision is never
overwritten by a re-run, undecided links follow the new confidence and evidence, and undecided links that
linking no longer proposes are removed.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
import pyarrow.parquet as pq
from django.db import models, transaction

from liaison.core.audit import record_event
from liaison.people.models import HCP
from liaison_pipelines.inputs import sha256_of
from liaison_pipelines.tables import PipelineTables

from .models import (
    DECIDED,
    Authorship,
    IdentityLink,
    LinkStatus,
    LinkTarget,
    Payment,
    Publication,
    Trial,
    TrialInvestigator,
)

Progress = Callable[[str, int], None]
BATCH_ROWS = 2_000


class TablesMissing(ValueError):
    """A table a load or a scoring run needs was never ingested; the message names the command to run."""


@dataclass
class LoadResult:
    """What one load did, per record kind: created, updated, unchanged, removed, and skipped by reason."""

    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    inputs: dict[str, str] = field(default_factory=dict)  # table file -> sha256

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.removed

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "skipped": dict(self.skipped),
        }

    def summary(self) -> str:
        """One line for the CLI: `publications: 176 created, 0 updated, ...`."""
        text = (
            f"{self.kind}: {self.created:,} created, {self.updated:,} updated, {self.unchanged:,} unchanged, "
            f"{self.removed:,} removed"
        )
        for reason, n in sorted(self.skipped.items()):
            text += f"; skipped {n:,} ({reason})"
        return text


def _noop(stage: str, steps: int) -> None:
    return None


def _require(path: Path, command: str) -> None:
    if not path.exists():
        raise TablesMissing(f"{path} does not exist; run `{command}` first")


def _text(value: Any, limit: int) -> str:
    """Parquet strings may be null; model text columns are not, and some have a length limit."""
    return (value or "")[:limit]


def _batches(path: Path, rows: int = BATCH_ROWS) -> Iterator[list[dict[str, Any]]]:
    for batch in pq.ParquetFile(path).iter_batches(batch_size=rows):
        yield batch.to_pylist()


@dataclass
class _Upsert:
    """Upserts one batch of rows of `model` on its natural key and says which keys were created or changed."""

    model: type[models.Model]
    key: tuple[str, ...]
    fields: tuple[str, ...]

    def _stored(
        self, keys: Iterable[tuple[Any, ...]], *columns: str
    ) -> dict[tuple[Any, ...], dict[str, Any]]:
        """Stored rows whose last key field is among `keys`' (one IN list: an OR of thousands of composite-key
        terms would exceed SQLite's expression depth); the caller keeps the exact key matches."""
        values = list({k[-1] for k in keys})
        rows = self.model._base_manager.filter(**{f"{self.key[-1]}__in": values}).values(*self.key, *columns)
        return {tuple(r[k] for k in self.key): r for r in rows}

    def run(self, rows: list[dict[str, Any]], result: LoadResult) -> tuple[dict[Any, int], set[Any]]:
        """Write the new and changed rows of the batch; returns (pk by key, keys created or changed)."""
        if not rows:
            return {}, set()
        by_key = {tuple(r[k] for k in self.key): r for r in rows}  # last one wins within a batch
        stored = {k: r for k, r in self._stored(by_key, "pk", *self.fields).items() if k in by_key}
        write, touched = [], set()
        for k, row in by_key.items():
            old = stored.get(k)
            if old is not None and all(old[f] == row[f] for f in self.fields):
                result.unchanged += 1
                continue
            if old is None:
                result.created += 1
            else:
                result.updated += 1
            touched.add(k)
            write.append(self.model(**{f: row[f] for f in (*self.key, *self.fields)}))
        if write:
            self.model._base_manager.bulk_create(
                write,
                update_conflicts=True,
                unique_fields=list(self.key),
                update_fields=[*self.fields, "updated_at"],
            )
        pks = {k: v["pk"] for k, v in stored.items()}
        if touched - set(pks):
            created = self._stored(touched - set(pks), "pk")
            pks.update({k: v["pk"] for k, v in created.items() if k in touched})
        return pks, touched


# The child rows _replace_children rewrites: a publication's authors, a trial's investigators.
Child = TypeVar("Child", Authorship, TrialInvestigator)


def _replace_children(
    child: type[Child],
    parent_field: str,
    parent_pks: dict[Any, int],
    wanted: dict[Any, list[dict[str, Any]]],
    compare: tuple[str, ...],
) -> set[Any]:
    """Make each parent's child rows equal `wanted[key]` (ordered by position); returns the keys that changed.

    Child rows carry no public identity, so a parent whose children differ gets them deleted and re-inserted.
    """
    key_by_pk = {pk: k for k, pk in parent_pks.items()}
    stored: dict[Any, list[tuple[Any, ...]]] = {k: [] for k in parent_pks}
    rows = child.objects.filter(**{f"{parent_field}__in": list(key_by_pk)}).order_by(parent_field, "position")
    for r in rows.values(parent_field, *compare):
        stored[key_by_pk[r[parent_field]]].append(tuple(r[c] for c in compare))
    changed = {
        k for k in parent_pks if stored[k] != [tuple(r[c] for c in compare) for r in wanted.get(k, [])]
    }
    if changed:
        child.objects.filter(**{f"{parent_field}__in": [parent_pks[k] for k in changed]}).delete()
        child.objects.bulk_create(
            [
                child(**{f"{parent_field}_id": parent_pks[k], **r})
                for k in sorted(changed, key=str)
                for r in wanted.get(k, [])
            ],
            batch_size=BATCH_ROWS,
        )
    return changed


def _record_load(result: LoadResult, object_type: str) -> None:
    record_event(
        f"kol.{result.kind}_loaded",
        action="load",
        object_type=object_type,
        object_repr=result.summary(),
        changes={"counts": [None, result.as_dict()], "inputs": [None, result.inputs]},
    )


def _checksums(*paths: Path) -> dict[str, str]:
    return {p.name: sha256_of(p) for p in paths if p.exists()}


# ---- PubMed ---------------------------------------------------------------------------------------------------

PUBLICATION_FIELDS = (
    "title",
    "abstract",
    "journal",
    "year",
    "pub_date",
    "doi",
    "publication_types",
    "keywords",
    "mesh",
)
AUTHORSHIP_FIELDS = ("position", "person_id", "last_name", "fore_name", "initials", "confidence")


def _joined_articles(tables: PipelineTables, out: Path) -> None:
    """articles + their MeSH headings + their resolved authors, one row per PMID, written by Polars' streaming
    engine (group-bys and joins spill instead of holding every table in memory)."""
    articles = pl.scan_parquet(tables.articles).select(
        "pmid", "title", "abstract", "journal", "year", "pub_date", "doi", "publication_types", "keywords"
    )
    mesh = (
        pl.scan_parquet(tables.mesh)
        .group_by("pmid")
        .agg(
            pl.struct(ui="descriptor_ui", name="descriptor", major="major").alias("mesh"),
        )
    )
    joined = articles.join(mesh, on="pmid", how="left")
    if tables.authorships.exists():
        authors = (
            pl.scan_parquet(tables.authorships)
            .sort("pmid", "author_position")
            .group_by("pmid", maintain_order=True)
            .agg(
                pl.struct(
                    position="author_position",
                    person_id="person_id",
                    last_name="last_name",
                    fore_name="fore_name",
                    initials="initials",
                    confidence="confidence",
                ).alias("authorships")
            )
        )
        joined = joined.join(authors, on="pmid", how="left")
    joined.sink_parquet(out)


def load_publications(tables: PipelineTables, *, progress: Progress | None = None) -> LoadResult:
    """Upsert articles.parquet into Publication, with mesh.parquet as `mesh` and authorships.parquet as
    Authorship rows; delete the PMIDs of deleted.parquet. Needs an audit context (one event for the run)."""
    progress = progress or _noop
    _require(tables.articles, "liaison ingest pubmed FILES")
    _require(tables.mesh, "liaison ingest pubmed FILES")
    result = LoadResult(
        "publications",
        inputs=_checksums(tables.articles, tables.mesh, tables.authorships, tables.deleted),
    )
    if not tables.authorships.exists():
        result.skipped["authorships.parquet missing: authors not loaded"] += 1
    upsert = _Upsert(Publication, ("pmid",), PUBLICATION_FIELDS)
    with tempfile.TemporaryDirectory(prefix="liaison-load-") as tmp:
        joined = Path(tmp) / "articles.parquet"
        _joined_articles(tables, joined)
        with transaction.atomic():
            for batch in _batches(joined):
                rows, authors = [], {}
                for r in batch:
                    if r["pmid"] is None:
                        result.skipped["no PMID"] += 1
                        continue
                    rows.append(
                        {
                            "pmid": r["pmid"],
                            "title": r["title"] or "",
                            "abstract": r["abstract"] or "",
                            "journal": _text(r["journal"], 400),
                            "year": r["year"],
                            "pub_date": _text(r["pub_date"], 10),
                            "doi": _text(r["doi"], 200),
                            "publication_types": list(r["publication_types"] or []),
                            "keywords": list(r["keywords"] or []),
                            "mesh": [
                                {"ui": m["ui"] or "", "name": m["name"] or "", "major": bool(m["major"])}
                                for m in sorted(
                                    r["mesh"] or [], key=lambda m: (m["ui"] or "", m["name"] or "")
                                )
                            ],
                        }
                    )
                    authors[(r["pmid"],)] = [
                        {
                            "position": a["position"],
                            "person_id": a["person_id"],
                            "last_name": _text(a["last_name"], 200),
                            "fore_name": _text(a["fore_name"], 200),
                            "initials": _text(a["initials"], 20),
                            "confidence": a["confidence"],
                        }
                        for a in r.get("authorships") or []
                    ]
                pks, touched = upsert.run(rows, result)
                if tables.authorships.exists():
                    changed = _replace_children(Authorship, "publication", pks, authors, AUTHORSHIP_FIELDS)
                    # A publication whose only change is who its authors resolve to counts as updated.
                    moved = changed - touched
                    result.updated += len(moved)
                    result.unchanged -= len(moved)
                progress("publications", len(batch))
            if tables.deleted.exists():
                deleted = pq.read_table(tables.deleted, columns=["pmid"]).column("pmid").to_pylist()
                for start in range(0, len(deleted), BATCH_ROWS):
                    chunk = deleted[start : start + BATCH_ROWS]
                    removed = Publication.objects.filter(pmid__in=chunk)
                    result.removed += removed.count()
                    removed.delete()
            _record_load(result, "kol.publication")
    return result


# ---- ClinicalTrials.gov ---------------------------------------------------------------------------------------

TRIAL_FIELDS = (
    "title",
    "overall_status",
    "phases",
    "conditions",
    "condition_mesh_ids",
    "start_date",
    "lead_sponsor",
)
INVESTIGATOR_FIELDS = ("position", "name", "role", "affiliation", "source")


def load_trials(tables: PipelineTables, *, progress: Progress | None = None) -> LoadResult:
    """Upsert trials.parquet into Trial and trial_people.parquet into TrialInvestigator rows."""
    progress = progress or _noop
    _require(tables.trials, "liaison ingest trials FILES")
    result = LoadResult("trials", inputs=_checksums(tables.trials, tables.trial_people))
    upsert = _Upsert(Trial, ("nct_id",), TRIAL_FIELDS)
    with tempfile.TemporaryDirectory(prefix="liaison-load-") as tmp:
        joined = Path(tmp) / "trials.parquet"
        trials = pl.scan_parquet(tables.trials).select(
            "nct_id",
            "brief_title",
            "official_title",
            "overall_status",
            "phases",
            "conditions",
            "condition_mesh_ids",
            "start_date",
            "lead_sponsor",
        )
        if tables.trial_people.exists():
            people = (
                pl.scan_parquet(tables.trial_people)
                .sort("nct_id", "position")
                .group_by("nct_id", maintain_order=True)
                .agg(pl.struct("position", "name", "role", "affiliation", "source").alias("people"))
            )
            trials = trials.join(people, on="nct_id", how="left")
        trials.sink_parquet(joined)
        with transaction.atomic():
            for batch in _batches(joined):
                rows, people_of = [], {}
                for r in batch:
                    nct = (r["nct_id"] or "").strip()
                    if not nct or len(nct) > 11:
                        result.skipped["no valid NCT id"] += 1
                        continue
                    rows.append(
                        {
                            "nct_id": nct,
                            "title": r["brief_title"] or r["official_title"] or "",
                            "overall_status": _text(r["overall_status"], 40),
                            "phases": list(r["phases"] or []),
                            "conditions": list(r["conditions"] or []),
                            "condition_mesh_ids": list(r["condition_mesh_ids"] or []),
                            "start_date": _text(r["start_date"], 10),
                            "lead_sponsor": _text(r["lead_sponsor"], 300),
                        }
                    )
                    people_of[(nct,)] = [
                        {
                            "position": p["position"],
                            "name": _text(p["name"], 300),
                            "role": _text(p["role"], 60),
                            "affiliation": _text(p["affiliation"], 400),
                            "source": _text(p["source"], 20),
                        }
                        for p in r.get("people") or []
                        if p["name"]
                    ]
                pks, touched = upsert.run(rows, result)
                if tables.trial_people.exists():
                    moved = _replace_children(TrialInvestigator, "trial", pks, people_of, INVESTIGATOR_FIELDS)
                    moved -= touched
                    result.updated += len(moved)
                    result.unchanged -= len(moved)
                progress("trials", len(batch))
            _record_load(result, "kol.trial")
    return result


# ---- Open Payments --------------------------------------------------------------------------------------------

PAYMENT_FIELDS = (
    "program_year",
    "profile_id",
    "npi",
    "first_name",
    "last_name",
    "city",
    "state",
    "manufacturer",
    "amount_usd",
    "date",
    "nature_of_payment",
    "nct_id",
)


def _amount(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


def load_payments(tables: PipelineTables, *, progress: Progress | None = None) -> LoadResult:
    """Upsert payments.parquet (general and research rows) into Payment on (kind, record_id)."""
    progress = progress or _noop
    _require(tables.payments, "liaison ingest payments FILES")
    result = LoadResult("payments", inputs=_checksums(tables.payments))
    upsert = _Upsert(Payment, ("kind", "record_id"), PAYMENT_FIELDS)
    with transaction.atomic():
        for batch in _batches(tables.payments):
            rows = []
            for r in batch:
                amount = _amount(r["amount_usd"])
                record_id = (r["record_id"] or "").strip()
                if not record_id or len(record_id) > 40:
                    result.skipped["no valid record id"] += 1
                    continue
                if amount is None or abs(amount) >= Decimal("1e12"):
                    result.skipped["no usable amount"] += 1
                    continue
                date = r["date"]
                rows.append(
                    {
                        "kind": _text(r["kind"], 10),
                        "record_id": record_id,
                        "program_year": r["program_year"],
                        "profile_id": _text(r["recipient_profile_id"], 20),
                        "npi": _text(r["npi"], 10),
                        "first_name": _text(r["first_name"], 100),
                        "last_name": _text(r["last_name"], 100),
                        "city": _text(r["city"], 120),
                        "state": _text(r["state"], 40),
                        "manufacturer": _text(r["manufacturer"], 300),
                        "amount_usd": amount,
                        "date": date.isoformat() if isinstance(date, dt.date) else _text(date, 10),
                        "nature_of_payment": _text(r["nature_of_payment"], 300),
                        "nct_id": _text(r["nct_id"], 11),
                    }
                )
            upsert.run(rows, result)
            progress("payments", len(batch))
        _record_load(result, "kol.payment")
    return result


# ---- identity links -------------------------------------------------------------------------------------------

LINK_FIELDS = ("person_name", "target_name", "confidence", "evidence", "status", "hcp_id")


def _hcp_ids(uuids: Iterable[str]) -> dict[str, int]:
    wanted = []
    for value in uuids:
        try:  # a malformed target id names no record
            wanted.append(str(uuid.UUID(value)))
        except ValueError:
            continue
    return {str(u): pk for u, pk in HCP._base_manager.filter(uuid__in=wanted).values_list("uuid", "pk")}


def load_links(path: Path, *, progress: Progress | None = None) -> LoadResult:
    """Load links.parquet into IdentityLink: keep decisions, follow linking for the rest, drop stale suggestions.

    - accepted / rejected links are never changed (status, decided_by, reason, and the confidence and evidence
      the user decided on);
    - other links take the new confidence, evidence, names and status (`linked` or `suggested`);
    - an `hcp` link points its `hcp` at the HCP record its target_id names (skipped if that record is gone);
    - undecided links that the new file no longer has are deleted.
    Every row written is audited (IdentityLink is an audited model); needs an audit context.
    """
    progress = progress or _noop
    _require(path, "liaison kol score --area AREA")
    result = LoadResult("identity links", inputs=_checksums(path))
    seen: set[tuple[str, str, str]] = set()
    with transaction.atomic():
        for batch in _batches(path):
            hcps = _hcp_ids(r["target_id"] for r in batch if r["target"] == LinkTarget.HCP)
            rows: dict[tuple[str, str, str], dict[str, Any]] = {}
            for r in batch:
                key = (r["person_id"] or "", r["target"] or "", r["target_id"] or "")
                if not all(key) or key[1] not in LinkTarget.values or len(key[2]) > 64:
                    result.skipped["malformed link"] += 1
                    continue
                hcp_id = None
                if key[1] == LinkTarget.HCP:
                    hcp_id = hcps.get(key[2])
                    if hcp_id is None:
                        result.skipped["HCP record no longer exists"] += 1
                        continue
                status = r["status"] if r["status"] in LinkStatus.values else LinkStatus.SUGGESTED
                rows[key] = {
                    "person_name": _text(r.get("person_name"), 300),
                    "target_name": _text(r["target_name"], 300),
                    "confidence": round(float(r["confidence"] or 0.0), 9),
                    "evidence": [str(e) for e in r["evidence"] or []],
                    "status": status,
                    "hcp_id": hcp_id,
                }
            seen.update(rows)
            _upsert_links(rows, result)
            progress("identity links", len(batch))
        stale = IdentityLink.objects.exclude(status__in=DECIDED)
        stale_pks = [
            pk
            for pk, *key in stale.values_list("pk", "person_id", "target", "target_id").iterator()
            if tuple(key) not in seen
        ]
        for start in range(0, len(stale_pks), BATCH_ROWS):
            result.removed += IdentityLink.objects.filter(
                pk__in=stale_pks[start : start + BATCH_ROWS]
            ).delete()[0]
        _record_load(result, "kol.identitylink")
    return result


def _upsert_links(rows: dict[tuple[str, str, str], dict[str, Any]], result: LoadResult) -> None:
    if not rows:
        return
    persons = {k[0] for k in rows}
    stored = {
        (link.person_id, link.target, link.target_id): link
        for link in IdentityLink.objects.filter(person_id__in=persons)
    }
    create, update = [], []
    for key, row in rows.items():
        link = stored.get(key)
        if link is None:
            result.created += 1
            create.append(IdentityLink(person_id=key[0], target=key[1], target_id=key[2], **row))
        elif link.status in DECIDED or all(getattr(link, f) == row[f] for f in LINK_FIELDS):
            result.unchanged += 1
        else:
            result.updated += 1
            for f, value in row.items():
                setattr(link, f, value)
            update.append(link)
    if create:
        IdentityLink.objects.bulk_create(create, batch_size=500)
    if update:
        IdentityLink.objects.bulk_update(update, list(LINK_FIELDS), batch_size=500)
