"""Conventions that hold the architecture together, checked on the source itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps

from liaison.core.models import AuditedModel

SRC = Path(__file__).resolve().parent.parent / "src"
LIAISON = SRC / "liaison"

# Concrete models that are deliberately not AuditedModel, and why.
NOT_AUDITED = {
    "compliance.AuditEvent": "the audit trail itself: append-only, hash-chained",
    "accounts.SignInThrottle": "sign-in throttling counters, not a regulated record",
    "core.WorkerHeartbeat": "a worker process's lease on its jobs, renewed every few seconds",
    "core.PeriodicRun": "when each periodic job last ran, shared by the workers",
    # Public reference data, reloaded from the pipelines' Parquet tables: each load run writes one audit event.
    "kol.Publication": "public PubMed record, reloaded by imports (one audit event per load run)",
    "kol.Authorship": "public PubMed author position, reloaded by imports",
    "kol.Trial": "public ClinicalTrials.gov record, reloaded by imports",
    "kol.TrialInvestigator": "public ClinicalTrials.gov investigator, reloaded by imports",
    "kol.Payment": "public CMS Open Payments row, reloaded by imports",
    # Score snapshots are written once by a scoring run (one `kol.scored` audit event) and never changed.
    "kol.KolSnapshot": "immutable scoring run output; the run is audited as one event",
    "kol.KolScore": "row of an immutable snapshot",
    "kol.KolEvidence": "row of an immutable snapshot",
    # Insight intelligence: derived from audited records by jobs, recomputed at will, never edited by a person
    # (reviewers' theme decisions are intel.ThemeFeedback, which is audited).
    "intel.TextEmbedding": "derived: the embedding of an audited record's text, recomputed when it changes",
    "intel.ThemeMatch": "derived: model scores of an insight against its area's priorities, recomputed",
    "intel.DuplicateLink": "derived: near-duplicate pairs recomputed from the insights' embeddings",
    "intel.InsightCluster": "derived: clusters of unmatched insights, recomputed per area",
    "intel.ClusterMember": "derived: membership of a recomputed cluster",
}

WRITE_METHODS = {
    "create",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
    "save",
    "delete",
}
QUERYSET_HOPS = {
    "objects",
    "filter",
    "exclude",
    "all",
    "restrict",
    "select_related",
    "prefetch_related",
    "order_by",
    "distinct",
    "_base_manager",
    "_default_manager",
}


def liaison_models() -> list[type]:
    return [m for m in apps.get_models() if m.__module__.startswith("liaison.")]


def test_it_keeps_django_out_of_the_text_package():
    offenders = []
    for path in sorted((SRC / "liaison_text").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(SRC)}: {n}" for n in names if n.split(".")[0] in ("django", "liaison")
            ]
    assert offenders == []


@pytest.mark.parametrize("model", liaison_models(), ids=lambda m: m._meta.label)
def test_it_audits_every_model_that_holds_user_visible_data(model):
    assert issubclass(model, AuditedModel) or model._meta.label in NOT_AUDITED


@pytest.mark.parametrize("model", liaison_models(), ids=lambda m: m._meta.label)
def test_it_documents_every_model(model):
    doc = model.__dict__.get("__doc__") or ""
    # Django fills in "Model(field, field...)" when a class has no docstring of its own.
    assert doc.strip() and not doc.startswith(f"{model.__name__}("), f"{model._meta.label} needs a docstring"


def _functions_without_docstrings(path: Path) -> list[str]:
    missing = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and not (node.name.startswith("__") and node.name.endswith("__"))
            and not ast.get_docstring(node)
        ):
            missing.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name}")
    return missing


ACTION_FILES = sorted(LIAISON.glob("*/actions.py"))


@pytest.mark.parametrize("path", ACTION_FILES, ids=lambda p: p.parent.name)
def test_it_documents_every_function_of_the_write_path(path):
    assert _functions_without_docstrings(path) == []


def _chain(node: ast.AST) -> list[str]:
    """Attribute names along a call chain, innermost first: HCP.objects.filter(...).update -> [objects, filter]."""
    names: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        else:
            return list(reversed(names))


def _where(path: Path) -> str:
    return str(path.relative_to(SRC)) if path.is_relative_to(SRC) else path.name


def domain_writes(path: Path) -> list[str]:
    """Calls in a view or API module that write a domain model directly instead of through an action."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        receiver = _chain(node.func.value)
        # `.update(` on a dict (context.update) is fine; on a queryset it is a write.
        is_write = method in WRITE_METHODS or (method == "update" and QUERYSET_HOPS & set(receiver))
        # request.session.save() and similar framework plumbing are not domain writes.
        if is_write and "session" not in receiver:
            found.append(f"{_where(path)}:{node.lineno} .{'.'.join([*receiver, method])}(")
    return found


WEB_FILES = sorted([*LIAISON.glob("*/views.py"), *LIAISON.glob("*/api.py")])


def test_it_finds_a_direct_write_when_there_is_one(tmp_path):
    bad = tmp_path / "views.py"
    bad.write_text(
        "def v(request):\n    HCP.objects.filter(pk=1).update(city='x')\n    obj.save()\n"
        "    ctx = {}\n    ctx.update(a=1)\n"
    )
    assert [line.split(" ", 1)[1] for line in domain_writes(bad)] == [".objects.filter.update(", ".save("]


@pytest.mark.parametrize("path", WEB_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_it_writes_only_through_actions_in_views_and_api(path):
    assert domain_writes(path) == []


# --- one CSV writer: every export neutralises spreadsheet formulas (liaison.core.exports) ---------------------

CSV_WRITERS = {"writer", "DictWriter"}
SHARED_CSV_WRITER = LIAISON / "core" / "exports.py"


def own_csv_writers(path: Path) -> list[str]:
    """Places in a module that build a csv writer of their own (`csv.writer(`, `from csv import DictWriter`)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr in CSV_WRITERS and ast.unparse(node.value) == "csv":
            found.append(f"{_where(path)}:{node.lineno} csv.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "csv":
            found += [
                f"{_where(path)}:{node.lineno} from csv import {a.name}"
                for a in node.names
                if a.name in CSV_WRITERS
            ]
    return found


def test_it_finds_a_csv_writer_of_a_modules_own(tmp_path):
    bad = tmp_path / "views.py"
    bad.write_text("import csv\nfrom csv import DictWriter\nw = csv.writer(out)\nr = csv.reader(f)\n")
    assert [line.split(" ", 1)[1] for line in own_csv_writers(bad)] == [
        "from csv import DictWriter",
        "csv.writer",
    ]


def test_it_writes_every_csv_through_the_shared_writer():
    modules = [p for p in SRC.rglob("*.py") if p != SHARED_CSV_WRITER]
    found = [hit for path in modules for hit in own_csv_writers(path)]
    assert found == [], "write CSV with liaison.core.exports.csv_writer (it neutralises formulas)"
