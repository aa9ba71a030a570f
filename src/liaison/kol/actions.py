"""The write path of KOL intelligence: identity decisions and scoring runs (snapshots with their scores).

`decide_link` is a user's audited accept or reject of an identity link, with a reason; linking keeps it on every
re-run. `run_kol_scoring` links persons, loads the links, scores one therapeutic area with the Django-free
pipeline (`liaison_pipelines.kol.score_area`) and stores the result as a new, immutable snapshot version.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from liaison.accounts.models import TherapeuticArea, User
from liaison.core.audit import record_event
from liaison.core.context import reason as audit_reason
from liaison.core.permissions import require
from liaison.core.validation import clean_text
from liaison.people.actions import update_hcp
from liaison_pipelines.tables import PipelineTables

from . import loaders, pipelines
from .models import IdentityLink, KolEvidence, KolScore, KolSnapshot, LinkStatus, LinkTarget

Progress = Callable[[str, int], None]
ENGINES = ("local", "spark")
SCORING_STEPS = 5  # link, load links, score, store scores, store evidence: the progress total of a run

# Tables a scoring run cannot do without, and the command that makes each.
REQUIRED_TABLES = {
    "articles": "liaison ingest pubmed PATH...",
    "authors": "liaison ingest pubmed PATH...",
    "mesh": "liaison ingest pubmed PATH...",
    "authorships": "liaison ingest pubmed PATH...",
    "mesh_tree": "liaison ingest mesh PATH...",
}


class ScoringInputError(ValueError):
    """A scoring run cannot start: tables are missing, or the area names no MeSH tree numbers."""


# ---- identity decisions ---------------------------------------------------------------------------------------


@transaction.atomic
def decide_link(user: User, link: IdentityLink, *, accept: bool, reason: str) -> IdentityLink:
    """Accept or reject an identity link, with a reason; audited, and kept when linking runs again.

    Accepting a link to an HCP record also writes the person id into the HCP's identifiers as
    `pubmed_person` (through people.actions, so that change is audited on the HCP too); rejecting a link that
    had put it there takes it out again.
    """
    require(user, "identity_link", "change")
    text = clean_text(reason, "reason", required=True, max_length=2000)
    status = LinkStatus.ACCEPTED if accept else LinkStatus.REJECTED
    link.status, link.decided_by, link.decided_at, link.reason = status, user, timezone.now(), text
    with audit_reason(text):
        link.save()
        if link.target == LinkTarget.HCP and link.hcp is not None:
            _sync_hcp_identifier(user, link, accept=accept, reason=text)
    return link


def _sync_hcp_identifier(user: User, link: IdentityLink, *, accept: bool, reason: str) -> None:
    """Keep the HCP's `pubmed_person` identifier in step with the decision, through the people app's action."""
    hcp = link.hcp
    assert hcp is not None
    identifiers = dict(hcp.identifiers or {})
    if accept:
        identifiers["pubmed_person"] = link.person_id
    elif identifiers.get("pubmed_person") == link.person_id:
        identifiers.pop("pubmed_person")
    if identifiers != (hcp.identifiers or {}):
        update_hcp(hcp, acting_user=user, data={"identifiers": identifiers}, reason=reason)


# ---- scoring --------------------------------------------------------------------------------------------------


def check_tables(tables: PipelineTables) -> None:
    """ScoringInputError naming the `liaison ingest` command for every required table that is missing."""
    missing = [(name, cmd) for name, cmd in REQUIRED_TABLES.items() if not getattr(tables, name).exists()]
    if missing:
        commands = sorted({cmd for _, cmd in missing})
        raise ScoringInputError(
            f"KOL scoring needs {', '.join(f'{n}.parquet' for n, _ in missing)} under {tables.root}; "
            f"run {' and '.join(f'`{c}`' for c in commands)} first"
        )


def run_kol_scoring(
    user_or_none: User | None,
    area: TherapeuticArea,
    *,
    weights: dict[str, Any] | None = None,
    as_of_year: int | None = None,
    engine: str = "local",
    progress: Progress | None = None,
) -> KolSnapshot:
    """Link persons, load the links, score `area`, and store the result as snapshot version N+1.

    The snapshot keeps the top `settings.LIAISON_KOL_TOP` persons and every person linked to an HCP as
    KolScore rows with their evidence; the full ranking stays in
    `$LIAISON_DATA_DIR/pipelines/kol/<area code>/v<N>/`. Needs an audit context (the CLI's, or a job's).
    Raises ScoringInputError (a ValueError) when tables are missing or the area has no MeSH tree numbers,
    pipelines.BadWeights for invalid weights, PermissionDenied when the user may not score.
    """
    from liaison_pipelines.kol import Area, score_area
    from liaison_pipelines.link import link_persons

    if user_or_none is not None:
        require(user_or_none, "kol_score", "score")
    advance = progress or (lambda stage, steps: None)
    if engine not in ENGINES:
        raise ScoringInputError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    tree_numbers = tuple(str(t).strip() for t in area.mesh_tree_numbers or [] if str(t).strip())
    if not tree_numbers:
        raise ScoringInputError(
            f"therapeutic area {area.name!r} has no MeSH tree numbers; an admin must set them (e.g. C04) "
            "before it can be scored"
        )
    parsed = pipelines.make_weights(weights)
    year = as_of_year or timezone.now().year
    tables = pipelines.pipeline_tables()
    check_tables(tables)
    started = time.monotonic()

    linking = link_persons(
        tables, tables.links, hcps=pipelines.export_hcps(), decisions=pipelines.export_decisions()
    )
    advance("linking", 1)
    links = loaders.load_links(tables.links)
    advance("identity links", 1)

    version = (KolSnapshot.objects.filter(area=area).aggregate(v=Max("version"))["v"] or 0) + 1
    out_dir = tables.root / "kol" / area.code / f"v{version}"
    if out_dir.exists():
        shutil.rmtree(
            out_dir
        )  # left by a run that failed before its snapshot was stored: no snapshot uses it
    out_dir.mkdir(parents=True)
    try:
        summary = score_area(
            tables,
            Area(name=area.name, tree_numbers=tree_numbers),
            out_dir,
            weights=parsed,
            as_of_year=year,
            engine=engine,
        )
    except FileNotFoundError as exc:
        raise ScoringInputError(str(exc)) from exc
    advance("scoring", 1)
    with transaction.atomic():
        snapshot = KolSnapshot.objects.create(
            area=area,
            version=version,
            as_of_year=year,
            engine=engine,
            weights=parsed.to_dict(),
            inputs=summary.inputs,
            code_version=_code_version(out_dir),
            persons=summary.persons,
            summary={
                **json.loads(json.dumps(summary.as_dict(), default=str)),
                "links": links.as_dict(),
                "linking": linking.as_dict(),
                "directory": str(out_dir),
                "seconds_total": round(time.monotonic() - started, 3),
            },
            created_by=user_or_none,
        )
        kept = _store_scores(snapshot, out_dir, parsed.components)
        advance("scores", 1)
        evidence = _store_evidence(out_dir, kept)
        advance("evidence", 1)
        record_event(
            "kol.scored",
            obj=snapshot,
            action="score",
            changes={
                "version": [None, version],
                "persons": [None, summary.persons],
                "scores_kept": [None, len(kept)],
                "evidence_rows": [None, evidence],
                "inputs": [None, summary.inputs],
            },
        )
    return snapshot


def _code_version(out_dir: Path) -> str:
    """The pipeline code version the run's manifest states (the package's, if the manifest is unreadable)."""
    try:
        return str(json.loads((out_dir / "kol.manifest.json").read_text(encoding="utf-8"))["code_version"])
    except (OSError, ValueError, KeyError):
        from liaison_pipelines import __version__

        return __version__


def _linked_hcps() -> dict[str, int]:
    """person_id -> HCP pk for every used (linked or accepted) HCP link; the most confident one wins."""
    out: dict[str, int] = {}
    used = IdentityLink.objects.filter(
        target=LinkTarget.HCP, status__in=(LinkStatus.LINKED, LinkStatus.ACCEPTED), hcp__isnull=False
    ).order_by(
        "person_id", "-status", "-confidence"
    )  # "accepted" sorts after "linked": -status puts it first
    for person_id, hcp_id in used.values_list("person_id", "hcp_id"):
        out.setdefault(person_id, hcp_id)
    return out


def components_of(row: dict[str, Any], component_weights: dict[str, float]) -> dict[str, dict[str, float]]:
    """{name: {raw, norm, weight, points}}, points = weight × norm / Σ weights, so the points add up to the score."""
    total = sum(component_weights.values()) or 1.0
    return {
        name: {
            "raw": row[f"{name}_raw"],
            "norm": row[f"{name}_norm"],
            "weight": weight,
            "points": round(weight * row[f"{name}_norm"] / total, 9),
        }
        for name, weight in component_weights.items()
    }


def _score_rows(out_dir: Path) -> Iterator[dict[str, Any]]:
    """scores.parquet row by row, in rank order, one record batch in memory at a time."""
    for batch in pq.ParquetFile(out_dir / "scores.parquet").iter_batches(batch_size=5_000):
        yield from batch.to_pylist()


def _store_scores(
    snapshot: KolSnapshot, out_dir: Path, component_weights: dict[str, float]
) -> dict[str, int]:
    """KolScore rows for the top LIAISON_KOL_TOP and every person linked to an HCP; returns person_id -> pk."""
    top = settings.LIAISON_KOL_TOP
    hcps = _linked_hcps()
    batch: list[KolScore] = []
    kept: dict[str, int] = {}

    def flush() -> None:
        """Insert the pending rows and remember their primary keys for the evidence rows."""
        for score in KolScore.objects.bulk_create(batch):
            kept[score.person_id] = score.pk
        batch.clear()

    for row in _score_rows(out_dir):
        if row["rank"] > top and row["person_id"] not in hcps:
            continue
        batch.append(
            KolScore(
                snapshot=snapshot,
                person_id=row["person_id"],
                hcp_id=hcps.get(row["person_id"]),
                rank=row["rank"],
                score=row["score"],
                components=components_of(row, component_weights),
                name=(row["name"] or "")[:300],
                orcid=row["orcid"] or "",
                area_papers=row["area_papers"],
                area_trials=row["area_trials"],
                first_year=row["first_year"],
                last_year=row["last_year"],
                rising_star=bool(row["rising_star"]),
                payments_usd=Decimal(str(row["payments_usd"] or 0)).quantize(Decimal("0.01")),
            )
        )
        if len(batch) >= 1_000:
            flush()
    if batch:
        flush()
    if any(pk is None for pk in kept.values()):  # pragma: no cover - databases that return no ids
        kept = dict(KolScore.objects.filter(snapshot=snapshot).values_list("person_id", "pk"))
    return kept


def _store_evidence(out_dir: Path, kept: dict[str, int]) -> int:
    """KolEvidence rows of the kept scores, read from evidence.parquet one batch at a time."""
    written = 0
    for batch in pq.ParquetFile(out_dir / "evidence.parquet").iter_batches(batch_size=10_000):
        rows = [
            KolEvidence(
                score_id=kept[r["person_id"]],
                component=r["component"],
                source=r["source"],
                record_id=r["record_id"][:20],
                points=r["points"],
                detail=(r["detail"] or "")[:300],
            )
            for r in batch.to_pylist()
            if r["person_id"] in kept
        ]
        KolEvidence.objects.bulk_create(rows, batch_size=2_000)
        written += len(rows)
    return written
