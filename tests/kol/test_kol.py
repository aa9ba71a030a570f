"""KOL intelligence in the app: loading the pipelines' tables, identity decisions and scoring snapshots.

Inputs are real public samples ingested with the real runners: the demo's PubMed sample (176 articles, 7
deletions), four ClinicalTrials.gov studies and NLM's 2017 MeSH tree (src/liaison/demo/data/*/SOURCE.txt), and
the Iowa Open Payments research sample in tests/fixtures/open_payments (SOURCE.txt there). The fixtures
`ingested` and `tables` are imported by tests/kol/test_api.py and tests/kol/test_cli.py too.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.exceptions import ValidationError

ROOT = Path(__file__).resolve().parents[2]
DEMO_DATA = ROOT / "src" / "liaison" / "demo" / "data"
PAYMENTS_SAMPLE = (
    ROOT / "tests" / "fixtures" / "open_payments" / "OP_research_payments_PY2015_Iowa_sample.csv.gz"
)


@pytest.fixture(scope="session")
def ingested(tmp_path_factory: Any) -> Path:
    """A pipelines root with pubmed (+ authorships), trials, payments and mesh tables, built once."""
    from liaison.kol.pipelines import resolve_authorships
    from liaison_pipelines.pubmed_run import run_pubmed
    from liaison_pipelines.sources_run import RUNNERS

    root = tmp_path_factory.mktemp("pipelines")
    run_pubmed([DEMO_DATA / "pubmed"], root / "pubmed", workers=1)
    resolve_authorships(root / "pubmed")
    RUNNERS["trials"]([DEMO_DATA / "clinicaltrials"], root / "trials")
    RUNNERS["payments"]([PAYMENTS_SAMPLE], root / "payments")
    RUNNERS["mesh"]([DEMO_DATA / "mesh"], root / "mesh")
    return root


@pytest.fixture
def tables(ingested: Path, settings: Any, tmp_path: Path) -> Any:
    """The ingested tables under this test's own LIAISON_DATA_DIR (a copy, so a test may change them)."""
    from liaison.kol.pipelines import pipeline_tables

    settings.DATA_DIR = tmp_path
    shutil.copytree(ingested, tmp_path / "pipelines")
    return pipeline_tables()


def _count(path: Path) -> int:
    return pq.ParquetFile(path).metadata.num_rows


# ---- publications ---------------------------------------------------------------------------------------------


def test_it_loads_every_article_with_its_resolved_authors_and_mesh(db, system_context, tables):
    from liaison.kol.loaders import load_publications
    from liaison.kol.models import Authorship, Publication

    result = load_publications(tables)
    assert result.created == _count(tables.articles) == Publication.objects.count() > 100
    assert Authorship.objects.count() == _count(tables.authorships)
    row = pq.read_table(tables.authorships).slice(0, 1).to_pylist()[0]
    stored = Authorship.objects.get(publication__pmid=row["pmid"], position=row["author_position"])
    assert (stored.person_id, stored.last_name) == (row["person_id"], row["last_name"])
    mesh = pq.read_table(tables.mesh).to_pylist()
    with_mesh = Publication.objects.get(pmid=mesh[0]["pmid"])
    assert {m["ui"] for m in with_mesh.mesh} == {
        m["descriptor_ui"] for m in mesh if m["pmid"] == with_mesh.pmid
    }


def test_it_changes_nothing_when_the_same_tables_are_loaded_again(db, system_context, tables):
    from liaison.kol.loaders import load_publications
    from liaison.kol.models import Authorship, Publication

    load_publications(tables)
    before = list(Publication.objects.order_by("pk").values_list("pk", "uuid", "updated_at"))
    authors = list(Authorship.objects.order_by("pk").values_list("pk", flat=True))
    again = load_publications(tables)
    assert (again.created, again.updated, again.removed) == (0, 0, 0)
    assert again.unchanged == len(before)
    assert list(Publication.objects.order_by("pk").values_list("pk", "uuid", "updated_at")) == before
    assert list(Authorship.objects.order_by("pk").values_list("pk", flat=True)) == authors


def test_it_restores_a_publication_changed_since_the_last_load(db, system_context, tables):
    from liaison.kol.loaders import load_publications
    from liaison.kol.models import Publication

    load_publications(tables)
    changed = Publication.objects.order_by("pmid").first()
    title = changed.title
    Publication.objects.filter(pk=changed.pk).update(title="edited")
    result = load_publications(tables)
    assert (result.created, result.updated) == (0, 1)
    changed.refresh_from_db()
    assert changed.title == title


def test_it_removes_the_pmids_that_pubmed_deleted(db, system_context, tables):
    from liaison.kol.loaders import load_publications
    from liaison.kol.models import Publication

    deleted = pq.read_table(tables.deleted).column("pmid").to_pylist()
    assert deleted, "the demo sample has DeleteCitation entries"
    Publication.objects.create(pmid=deleted[0], title="loaded before PubMed deleted it")
    result = load_publications(tables)
    assert result.removed == 1
    assert not Publication.objects.filter(pmid__in=deleted).exists()


def test_it_writes_one_audit_event_per_load_run(db, system_context, tables):
    from liaison.core.models import AuditEvent
    from liaison.kol.loaders import load_publications

    before = AuditEvent.objects.count()
    result = load_publications(tables)
    events = list(AuditEvent.objects.order_by("seq")[before:])
    assert [e.event_type for e in events] == ["kol.publications_loaded"]
    assert events[0].changes["counts"][1]["created"] == result.created
    assert "articles.parquet" in events[0].changes["inputs"][1]


def test_it_refuses_to_load_without_an_audit_context(db, tables):
    from liaison.core.context import MissingAuditContext
    from liaison.kol.loaders import load_trials
    from liaison.kol.models import Trial

    with pytest.raises(MissingAuditContext):
        load_trials(tables)
    assert not Trial.objects.exists()  # the rows rolled back with the missing event


def test_it_names_the_ingest_command_when_a_table_is_missing(db, system_context, tables):
    from liaison.kol.loaders import TablesMissing, load_payments

    tables.payments.unlink()
    with pytest.raises(TablesMissing, match="liaison ingest payments"):
        load_payments(tables)


# ---- trials and payments --------------------------------------------------------------------------------------


def test_it_loads_trials_with_their_investigators_idempotently(db, system_context, tables):
    from liaison.kol.loaders import load_trials
    from liaison.kol.models import Trial, TrialInvestigator

    first = load_trials(tables)
    people = pq.read_table(tables.trial_people).to_pylist()
    assert first.created == _count(tables.trials) == Trial.objects.count()
    assert TrialInvestigator.objects.count() == len(people)
    pi = TrialInvestigator.objects.select_related("trial").get(
        trial__nct_id=people[0]["nct_id"], position=people[0]["position"]
    )
    assert (pi.name, pi.role, pi.target_id) == (
        people[0]["name"],
        people[0]["role"],
        f"{people[0]['nct_id']}:{people[0]['position']}",
    )
    again = load_trials(tables)
    assert (again.created, again.updated, again.unchanged) == (0, 0, first.created)


def test_it_loads_payments_with_exact_amounts_idempotently(db, system_context, tables):
    from decimal import Decimal

    from liaison.kol.loaders import load_payments
    from liaison.kol.models import Payment

    first = load_payments(tables)
    rows = pq.read_table(tables.payments).to_pylist()
    assert first.created == len(rows) == Payment.objects.count() > 0
    sample = rows[0]
    stored = Payment.objects.get(kind=sample["kind"], record_id=sample["record_id"])
    assert stored.amount_usd == Decimal(str(sample["amount_usd"])).quantize(Decimal("0.01"))
    again = load_payments(tables)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(rows))


# ---- identity links -------------------------------------------------------------------------------------------


def _write_links(path: Path, rows: list[dict[str, Any]]) -> None:
    from liaison_pipelines.link.schema import LINK_SCHEMA

    path.parent.mkdir(parents=True, exist_ok=True)
    defaults = {"person_name": "Jane Doe", "target_name": "Jane Doe", "evidence": ["same ORCID"]}
    pq.write_table(pa.Table.from_pylist([{**defaults, **r} for r in rows], schema=LINK_SCHEMA), path)


def test_it_keeps_a_users_decision_when_links_are_loaded_again(db, system_context, world, hcp, tables):
    from liaison.kol.actions import decide_link
    from liaison.kol.loaders import load_links
    from liaison.kol.models import IdentityLink

    rows = [
        {
            "person_id": "P1",
            "target": "hcp",
            "target_id": str(hcp.uuid),
            "confidence": 0.7,
            "status": "suggested",
        },
        {
            "person_id": "P1",
            "target": "npi",
            "target_id": "1234567893",
            "confidence": 0.95,
            "status": "linked",
        },
        {
            "person_id": "P2",
            "target": "npi",
            "target_id": "1999999992",
            "confidence": 0.6,
            "status": "suggested",
        },
    ]
    _write_links(tables.links, rows)
    assert load_links(tables.links).created == 3
    link = IdentityLink.objects.get(person_id="P1", target="hcp")
    assert link.hcp == hcp
    decide_link(world["alice"], link, accept=False, reason="different person: other specialty")
    # Linking now rates the rejected pair higher and drops P2's suggestion.
    rows[0] = {**rows[0], "confidence": 0.93, "status": "linked", "evidence": ["new evidence"]}
    rows[1] = {**rows[1], "confidence": 0.91}
    _write_links(tables.links, rows[:2])
    result = load_links(tables.links)
    assert (result.updated, result.unchanged, result.removed) == (1, 1, 1)
    link.refresh_from_db()
    assert (link.status, link.decided_by, link.reason, link.confidence) == (
        "rejected",
        world["alice"],
        "different person: other specialty",
        0.7,
    )
    assert IdentityLink.objects.get(person_id="P1", target="npi").confidence == 0.91
    assert not IdentityLink.objects.filter(person_id="P2").exists()


def test_it_audits_every_link_it_writes(db, system_context, hcp, tables):
    from liaison.core.models import AuditEvent
    from liaison.kol.loaders import load_links

    _write_links(
        tables.links,
        [
            {
                "person_id": "P9",
                "target": "hcp",
                "target_id": str(hcp.uuid),
                "confidence": 0.95,
                "status": "linked",
            }
        ],
    )
    load_links(tables.links)
    assert AuditEvent.objects.filter(event_type="identitylink.created").count() == 1
    assert AuditEvent.objects.filter(event_type="kol.identity links_loaded").count() == 1


# ---- decisions ------------------------------------------------------------------------------------------------


@pytest.fixture
def suggestion(db, system_context, hcp) -> Any:
    from liaison.kol.models import IdentityLink

    return IdentityLink.objects.create(
        person_id="P0123456789abcdef",
        person_name="Grace Hopkins",
        target="hcp",
        target_id=str(hcp.uuid),
        target_name="Grace Hopkins",
        hcp=hcp,
        confidence=0.72,
        evidence=["surname and first name agree (Grace Hopkins / Grace Hopkins)"],
        status="suggested",
    )


def test_it_records_an_accepted_link_on_the_hcp_with_the_reason(world, suggestion, acting):
    from liaison.core.models import AuditEvent
    from liaison.kol.actions import decide_link

    with acting(world["alice"]):
        link = decide_link(world["alice"], suggestion, accept=True, reason="same ORCID on her CV")
    assert (link.status, link.decided_by, link.reason) == ("accepted", world["alice"], "same ORCID on her CV")
    link.hcp.refresh_from_db()
    assert link.hcp.identifiers["pubmed_person"] == "P0123456789abcdef"
    event = AuditEvent.objects.filter(event_type="identitylink.updated").latest("seq")
    assert event.changes["status"] == ["suggested", "accepted"] and event.reason == "same ORCID on her CV"
    assert AuditEvent.objects.filter(event_type="hcp.updated", object_uuid=str(link.hcp.uuid)).exists()


@pytest.mark.parametrize("accept", [True, False])
def test_it_requires_a_reason_to_decide(world, suggestion, acting, accept):
    from liaison.kol.actions import decide_link

    with acting(world["alice"]), pytest.raises(ValidationError):
        decide_link(world["alice"], suggestion, accept=accept, reason="  ")
    suggestion.refresh_from_db()
    assert suggestion.status == "suggested"


@pytest.mark.parametrize("persona", ["dave", "iris", "otto"])
def test_it_refuses_decisions_from_roles_without_change(world, suggestion, acting, persona):
    from liaison.core.permissions import PermissionDenied
    from liaison.kol.actions import decide_link

    with acting(world[persona]), pytest.raises(PermissionDenied):
        decide_link(world[persona], suggestion, accept=True, reason="looks right")


def test_it_takes_the_person_off_the_hcp_when_an_accepted_link_is_rejected(world, suggestion, acting):
    from liaison.kol.actions import decide_link

    with acting(world["alice"]):
        decide_link(world["alice"], suggestion, accept=True, reason="same ORCID")
        decide_link(world["bob"], suggestion, accept=False, reason="ORCID belongs to a namesake")
    suggestion.hcp.refresh_from_db()
    assert "pubmed_person" not in suggestion.hcp.identifiers


# ---- scoring --------------------------------------------------------------------------------------------------

pipelines_ready = pytest.mark.skipif(
    not (ROOT / "src" / "liaison_pipelines" / "kol" / "__init__.py").exists()
    or not (ROOT / "src" / "liaison_pipelines" / "link" / "__init__.py").exists(),
    reason="liaison_pipelines.kol / .link are not written yet",
)


@pytest.fixture
def loaded(world, tables, system_context) -> Any:
    """Publications and trials loaded, as `liaison ingest` leaves them."""
    from liaison.kol.loaders import load_publications, load_trials

    load_publications(tables)
    load_trials(tables)
    return tables


@pipelines_ready
def test_it_stores_a_new_snapshot_version_on_every_run(loaded, world, system_context):
    from liaison.kol.actions import run_kol_scoring

    first = run_kol_scoring(None, world["oncology"], as_of_year=2020)
    second = run_kol_scoring(None, world["oncology"], as_of_year=2020)
    assert (first.version, second.version) == (1, 2)
    assert first.persons == second.persons > 0
    assert Path(second.summary["directory"]).name == "v2"
    assert list(first.scores.values_list("person_id", "score")) == list(
        second.scores.values_list("person_id", "score")
    )


@pipelines_ready
def test_it_explains_every_score_by_its_components_and_evidence(loaded, world, system_context):
    from django.db.models import Sum

    from liaison.kol.actions import run_kol_scoring

    snapshot = run_kol_scoring(None, world["oncology"], as_of_year=2020)
    top = snapshot.scores.order_by("rank").first()
    assert top.rank == 1 and top.score > 0
    assert sum(c["points"] for c in top.components.values()) == pytest.approx(top.score, abs=1e-6)
    for name, component in top.components.items():
        evidence = top.evidence.filter(component=name).aggregate(s=Sum("points"))["s"] or 0.0
        assert evidence == pytest.approx(component["raw"], abs=1e-6), name


@pipelines_ready
def test_it_keeps_the_top_and_every_person_linked_to_an_hcp(loaded, world, system_context, settings, hcp):
    from liaison.kol.actions import run_kol_scoring
    from liaison.kol.models import IdentityLink

    settings.LIAISON_KOL_TOP = 2
    full = pq.read_table(
        Path(run_kol_scoring(None, world["oncology"], as_of_year=2020).summary["directory"])
        / "scores.parquet"
    )
    last = full.slice(full.num_rows - 1, 1).to_pylist()[0]
    IdentityLink.objects.create(
        person_id=last["person_id"],
        target="hcp",
        target_id=str(hcp.uuid),
        hcp=hcp,
        confidence=1.0,
        status="accepted",
        reason="test",
    )
    snapshot = run_kol_scoring(None, world["oncology"], as_of_year=2020)
    kept = dict(snapshot.scores.values_list("person_id", "rank"))
    assert len(kept) == 3 and last["person_id"] in kept
    assert snapshot.scores.get(person_id=last["person_id"]).hcp == hcp


def test_it_explains_which_command_makes_missing_tables(db, world, system_context, settings, tmp_path):
    from liaison.kol.actions import ScoringInputError, run_kol_scoring

    settings.DATA_DIR = tmp_path
    with pytest.raises(ScoringInputError, match="liaison ingest pubmed") as info:
        run_kol_scoring(None, world["oncology"])
    assert "liaison ingest mesh" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_it_refuses_an_area_without_mesh_tree_numbers(db, world, system_context):
    from liaison.accounts.actions import save_therapeutic_area
    from liaison.kol.actions import ScoringInputError, run_kol_scoring

    area = save_therapeutic_area(None, acting_user=None, name="Rare diseases", mesh_tree_numbers=[])
    with pytest.raises(ScoringInputError, match="no MeSH tree numbers"):
        run_kol_scoring(None, area)


def test_it_refuses_scoring_to_an_msl(db, world, system_context):
    from liaison.core.permissions import PermissionDenied
    from liaison.kol.actions import run_kol_scoring

    with pytest.raises(PermissionDenied):
        run_kol_scoring(world["alice"], world["oncology"])
