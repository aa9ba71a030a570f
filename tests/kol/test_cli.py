"""`liaison ingest` loading into the app, `liaison kol score` and `liaison kol links`: output and exit codes.

Inputs are the demo's real public samples (src/liaison/demo/data/*/SOURCE.txt) and the Iowa Open Payments
research sample (tests/fixtures/open_payments/SOURCE.txt).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from liaison.cli import main
from tests.kol.test_kol import DEMO_DATA, PAYMENTS_SAMPLE, ingested, tables  # noqa: F401 - shared fixtures


def _run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


def test_it_ingests_resolves_and_loads_pubmed_and_changes_nothing_the_second_time(db, data_dir):
    from liaison.core.models import AuditEvent
    from liaison.kol.models import Authorship, Publication

    first = _run("ingest", "pubmed", str(DEMO_DATA / "pubmed"), "--workers", "1")
    assert first.exit_code == 0, first.output
    assert (data_dir / "pipelines" / "pubmed" / "authorships.parquet").exists()
    count = Publication.objects.count()
    assert count > 100 and Authorship.objects.exists()
    assert f"publications: {count:,} created, 0 updated" in first.output
    before = list(Publication.objects.order_by("pk").values_list("pk", "updated_at"))
    second = _run("ingest", "pubmed", str(DEMO_DATA / "pubmed"), "--workers", "1")
    assert second.exit_code == 0, second.output
    assert f"0 created, 0 updated, {count:,} unchanged, 0 removed" in second.output
    assert list(Publication.objects.order_by("pk").values_list("pk", "updated_at")) == before
    assert AuditEvent.objects.filter(event_type="kol.publications_loaded", source="cli").count() == 2


def test_it_loads_trials_and_payments(db, data_dir):
    from liaison.kol.models import Payment, Trial

    trials = _run("ingest", "trials", str(DEMO_DATA / "clinicaltrials"))
    payments = _run("ingest", "payments", str(PAYMENTS_SAMPLE))
    assert trials.exit_code == payments.exit_code == 0, trials.output + payments.output
    assert Trial.objects.count() == 4 and "trials: 4 created" in trials.output
    assert Payment.objects.exists() and "payments: " in payments.output


def test_it_skips_loading_with_no_load(db, data_dir):
    from liaison.kol.models import Trial

    result = _run("ingest", "trials", str(DEMO_DATA / "clinicaltrials"), "--no-load")
    assert result.exit_code == 0 and "--no-load" in result.output
    assert (data_dir / "pipelines" / "trials" / "trials.parquet").exists()
    assert not Trial.objects.exists()


def test_it_says_that_mesh_has_no_app_table(db, data_dir):
    result = _run("ingest", "mesh", str(DEMO_DATA / "mesh"))
    assert result.exit_code == 0 and "Nothing to load" in result.output


@pytest.fixture
def ready(world, tables, system_context) -> Any:  # noqa: F811
    from liaison.kol.loaders import load_publications

    load_publications(tables)
    return tables


def test_it_scores_an_area_and_prints_the_top_ten_with_components(ready):
    from liaison.kol.models import KolSnapshot

    result = _run("kol", "score", "--area", "Oncology", "--as-of", "2020")
    assert result.exit_code == 0, result.output
    snapshot = KolSnapshot.objects.get()
    top = snapshot.scores.order_by("rank").first()
    assert "pub = publications" in result.output and "mom = momentum" in result.output
    assert (top.name or top.person_id) in result.output
    assert f"Snapshot v1 of Oncology: {snapshot.persons:,} persons" in result.output
    again = _run("kol", "score", "--area", "oncology", "--as-of", "2020")
    assert again.exit_code == 0 and "Snapshot v2" in again.output


def test_it_applies_a_weights_file(ready, tmp_path):
    from liaison.kol.models import KolSnapshot

    weights = tmp_path / "weights.json"
    weights.write_text(json.dumps({"components": {"network": 0.0, "trials": 0.0}}))
    result = _run("kol", "score", "--area", "oncology", "--weights", str(weights), "--as-of", "2020")
    assert result.exit_code == 0, result.output
    snapshot = KolSnapshot.objects.get()
    assert snapshot.weights["components"]["network"] == 0.0
    top = snapshot.scores.order_by("rank").first()
    assert top.components["network"]["points"] == 0.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read weights file"),
        ('{"components": {"fame": 1}}', "fame"),
        ("[1, 2]", "JSON object"),
    ],
)
def test_it_exits_2_for_a_bad_weights_file(ready, tmp_path, content, message):
    weights = tmp_path / "weights.json"
    weights.write_text(content)
    result = _run("kol", "score", "--area", "oncology", "--weights", str(weights))
    assert result.exit_code == 2
    assert message in result.output


def test_it_exits_2_for_an_unknown_area(ready):
    result = _run("kol", "score", "--area", "dermatology")
    assert result.exit_code == 2
    assert "no therapeutic area named 'dermatology'" in result.output and "oncology" in result.output


def test_it_exits_1_naming_the_ingest_command_when_tables_are_missing(world, data_dir):
    result = _run("kol", "score", "--area", "oncology")
    assert result.exit_code == 1
    assert "liaison ingest pubmed" in result.output


def test_it_counts_identity_links_by_target_and_status(world, hcp, system_context):
    from liaison.kol.models import IdentityLink

    IdentityLink.objects.create(
        person_id="P1", target="hcp", target_id=str(hcp.uuid), hcp=hcp, confidence=0.7, status="suggested"
    )
    result = _run("kol", "links")
    assert result.exit_code == 0
    assert "1 links; 1 suggestions wait for a decision." in result.output
