"""Conventions that hold the architecture together, checked on the source itself."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps

from liaison.core.models import AuditedModel

SRC = Path(__file__).resolve().parents[2] / "src"
LIAISON = SRC / "liaison"

# Concrete models that are deliberately not AuditedModel, and why.
NOT_AUDITED = {
    "core.AuditEvent": "the audit trail itself: append-only, hash-chained",
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


# An app's write path is its actions.py, or an actions/ package split by topic (programs; Zulip's zerver/actions).
ACTION_FILES = sorted([*LIAISON.glob("*/actions.py"), *LIAISON.glob("*/actions/*.py")])


@pytest.mark.parametrize(
    "path",
    ACTION_FILES,
    ids=lambda p: p.parent.name if p.name == "actions.py" else f"{p.parent.parent.name}.{p.stem}",
)
def test_it_documents_every_function_of_the_write_path(path):
    assert _functions_without_docstrings(path) == []


# --- one write path: models are written in actions.py, elsewhere only where ALLOWED_WRITES says why ----------

# Modules ("path") or functions ("path::Class.function") under src/liaison that write models outside an
# actions.py, and why that is right. Everything else writes through an app's actions.
ALLOWED_WRITES = {
    "core/models.py::AuditedQuerySet.delete": (
        "the audited queryset itself: a bulk delete becomes one audited delete per row"
    ),
    "core/audit.py::record_event": "the audit chain itself: appends the hash-chained AuditEvent row",
    "core/worker.py": (
        "the worker's own tables: its lease (WorkerHeartbeat) and the reclaiming of jobs whose worker died"
    ),
    "core/schedule.py": "the periodic-job table (PeriodicRun): which worker claimed a due job, and when it ran",
    "accounts/throttle.py": (
        "the sign-in throttle counters (SignInThrottle): reserved before the password check, not a record"
    ),
    "backup.py::_insert": (
        "the restore's raw inserts: rows go back exactly as backed up, past save() and its audit events"
    ),
    "kol/loaders.py": (
        "the loads of the pipelines' Parquet tables: batched upserts of public reference data (one audit "
        "event per load run) and of identity-link suggestions (audited row by row)"
    ),
    "intel/embeddings.py::embed_records": "derived: stored embeddings of audited text, recomputed when it changes",
    "intel/priority_matching.py::match_area": "derived: model scores of an area's insights, recomputed",
    "intel/duplicates.py::link_duplicates": "derived: near-duplicate pairs, recomputed from the embeddings",
    "intel/clusters.py::recluster_area": "derived: clusters of an area's unmatched insights, recomputed",
}

# Written whatever the receiver: no other library in Liaison has methods of these names.
ANY_RECEIVER_WRITES = {"get_or_create", "update_or_create", "bulk_create", "bulk_update"}
# Written on a manager or queryset; `dict.update` and the like are not.
MANAGER_WRITES = {"create", "update", "_insert", "_update"}
# Written on a many-to-many or reverse foreign-key manager: `hcp.therapeutic_areas.add(area)`.
RELATION_WRITES = {"add", "remove", "set", "clear"}
MANAGERS = {"objects", "_base_manager", "_default_manager"}
# Steps that return a queryset: `qs.filter(...).update(...)` writes even when `qs` came from elsewhere.
QUERYSET_STEPS = {
    "all",
    "filter",
    "exclude",
    "restrict",
    "select_related",
    "prefetch_related",
    "order_by",
    "distinct",
    "annotate",
    "select_for_update",
    "only",
    "defer",
    "using",
}
RAW_SQL_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|TRUNCATE|MERGE)\b", re.IGNORECASE)


def relation_accessors() -> set[str]:
    """The names of every relation manager on the installed models: many-to-many fields and the reverse accessors
    of foreign keys and many-to-many fields (`hcp.affiliations`, `user.groups`, `team.user_set`)."""
    names = set()
    for model in apps.get_models():
        for f in model._meta.get_fields():
            if f.many_to_many and not f.auto_created:
                names.add(f.name)
            elif f.auto_created and (f.one_to_many or f.many_to_many):
                names.add(f.get_accessor_name())
    return names


def _receiver(node: ast.AST) -> tuple[str, list[str]]:
    """The root name and the attribute names along a call chain: `HCP.objects.filter(x).update` called on
    `HCP.objects.filter(x)` gives ("HCP", ["objects", "filter"]); the root is "" when it is not a plain name."""
    names: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        else:
            return (node.id if isinstance(node, ast.Name) else ""), list(reversed(names))


def _is_super(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


def _queryset_names(function: ast.AST, relations: set[str]) -> set[str]:
    """Local names bound to a manager's queryset: `qs = Model.objects.filter(...)`, then `qs = qs.exclude(...)`."""
    names: set[str] = set()
    for _ in range(2):  # a second pass picks up names bound from the first pass's names
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            else:
                continue
            if not isinstance(target, ast.Name) or not isinstance(value, ast.Call | ast.Attribute):
                continue
            root, chain = _receiver(value)
            if root in names or (MANAGERS | relations) & set(chain):
                names.add(target.id)
    return names


def _write_call(node: ast.Call, querysets: set[str], relations: set[str]) -> str | None:
    """How `node` writes a model (e.g. "HCP.objects.filter.update("), or None when it does not."""
    func = node.func
    if not isinstance(func, ast.Attribute) or _is_super(func.value):
        return None  # a model's own save()/delete() override calling Django's is the write itself
    method = func.attr
    root, chain = _receiver(func.value)
    what = ".".join(filter(None, [root, *chain, method])) + "("
    if "session" in (root, *chain):
        return None  # request.session.save(): framework plumbing, not a model of ours
    if method in ANY_RECEIVER_WRITES:
        return what
    if method in ("save", "delete"):
        # Model.save()/delete() and QuerySet.delete() take no positional argument; file, workbook and cache
        # save/delete calls do (`index.save(path)`, `cache.delete(key)`). `form.save(commit=False)` writes nothing.
        commit_false = any(
            k.arg == "commit" and isinstance(k.value, ast.Constant) and k.value.value is False
            for k in node.keywords
        )
        return what if not node.args and not commit_false else None
    on_manager = root in querysets or bool((MANAGERS | relations | QUERYSET_STEPS) & set(chain))
    if method in MANAGER_WRITES and on_manager:
        return what
    if method in RELATION_WRITES and chain and chain[-1] in relations:
        return what
    if method in ("execute", "executemany") and node.args:
        sql = node.args[0]
        text = sql.value if isinstance(sql, ast.Constant) else None
        if isinstance(sql, ast.JoinedStr) and sql.values and isinstance(sql.values[0], ast.Constant):
            text = sql.values[0].value
        if isinstance(text, str) and RAW_SQL_WRITE.match(text):
            return what
    return None


@dataclass(frozen=True)
class Write:
    """A direct write found in a module: where, in which function, and the call."""

    module: str
    line: int
    function: str
    call: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line} in {self.function or '<module>'}: {self.call}"


class _WriteFinder(ast.NodeVisitor):
    def __init__(self, module: str, relations: set[str]) -> None:
        self.module, self.relations = module, relations
        self.scope: list[str] = []
        self.querysets: list[set[str]] = [set()]
        self.found: list[Write] = []

    def _enter(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.scope.append(node.name)
        names = set() if isinstance(node, ast.ClassDef) else _queryset_names(node, self.relations)
        self.querysets.append(self.querysets[-1] | names)
        self.generic_visit(node)
        self.scope.pop()
        self.querysets.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _enter

    def visit_Call(self, node: ast.Call) -> None:
        what = _write_call(node, self.querysets[-1], self.relations)
        if what:
            self.found.append(Write(self.module, node.lineno, ".".join(self.scope), what))
        self.generic_visit(node)


def model_writes(path: Path, relations: set[str] | None = None) -> list[Write]:
    """Calls in a module that write a model directly.

    Recognised, by the shape of the call (the check reads source, it does not know types):
    - `get_or_create`, `update_or_create`, `bulk_create`, `bulk_update` on any receiver;
    - `.save(` and `.delete(` with no positional argument (model instances and querysets; not `index.save(path)`
      or `cache.delete(key)`), except `form.save(commit=False)`, `super().save()` in a model's own override and
      `request.session.save()`;
    - `.create(`, `.update(`, `._insert(`, `._update(` on a manager chain (`objects`, `_base_manager`,
      `_default_manager`), on a relation manager (`hcp.affiliations.create(`), or on a local name bound to one
      in the same function (`still = Job.objects.filter(...)`, then `still.update(...)`); `dict.update` is not;
    - `.add(`, `.remove(`, `.set(`, `.clear(` on a relation manager named by the installed models
      (`user.groups.add(`), not on a plain set (`seen.add(`);
    - `cursor.execute(`/`executemany(` of a literal INSERT, UPDATE, DELETE, REPLACE, TRUNCATE or MERGE.
    Not recognised: writes on a queryset passed in as an argument or kept on an attribute, and raw SQL built
    elsewhere. Migrations are not scanned.
    """
    finder = _WriteFinder(_where(path), relation_accessors() if relations is None else relations)
    finder.visit(ast.parse(path.read_text(), str(path)))
    return finder.found


def _where(path: Path) -> str:
    return str(path.relative_to(LIAISON)) if path.is_relative_to(LIAISON) else path.name


def _allowed(write: Write) -> bool:
    return write.module in ALLOWED_WRITES or f"{write.module}::{write.function}" in ALLOWED_WRITES


NON_ACTION_MODULES = sorted(
    p
    for p in LIAISON.rglob("*.py")
    if "migrations" not in p.relative_to(LIAISON).parts
    and p.name != "actions.py"
    and p.parent.name != "actions"
)


def test_it_finds_each_kind_of_direct_write(tmp_path):
    bad = tmp_path / "views.py"
    bad.write_text(
        "def v(request, hcp, form):\n"
        "    HCP.objects.filter(pk=1).update(city='x')\n"
        "    obj.save()\n"
        "    obj.save(update_fields=['city'])\n"
        "    form.save()\n"
        "    Note.objects.create(text='x')\n"
        "    Row._base_manager._insert(rows, fields=f, raw=True)\n"
        "    Tag.objects.get_or_create(name='x')\n"
        "    rows.bulk_create(objs)\n"
        "    hcp.affiliations.create(organization=org)\n"
        "    hcp.therapeutic_areas.add(area)\n"
        "    still = Job.objects.filter(pk=1)\n"
        "    still.update(status='ready')\n"
        "    Job.objects.filter(pk=2).delete()\n"
        "    cursor.execute('UPDATE hcp SET city = %s', ['x'])\n"
        "    qs.filter(pk=1).update(city='y')\n"
        "    _hcps().filter(pk=1).update(city='z')\n"
        "    qs.exclude(pk=1).update(city='w')\n"
    )
    relations = {"affiliations", "therapeutic_areas"}
    assert [w.call for w in model_writes(bad, relations)] == [
        "HCP.objects.filter.update(",
        "obj.save(",
        "obj.save(",
        "form.save(",
        "Note.objects.create(",
        "Row._base_manager._insert(",
        "Tag.objects.get_or_create(",
        "rows.bulk_create(",
        "hcp.affiliations.create(",
        "hcp.therapeutic_areas.add(",
        "still.update(",
        "Job.objects.filter.delete(",
        "cursor.execute(",
        "qs.filter.update(",
        "_hcps.filter.update(",
        "qs.exclude.update(",
    ]
    assert {w.function for w in model_writes(bad, relations)} == {"v"}


def test_it_leaves_alone_what_only_looks_like_a_write(tmp_path):
    fine = tmp_path / "views.py"
    fine.write_text(
        "class Thing(AuditedModel):\n"
        "    def save(self, *args, **kwargs):\n"
        "        super().save(*args, **kwargs)\n"
        "def v(request, form, hcp):\n"
        "    ctx = {}\n    ctx.update(a=1)\n    seen = set()\n    seen.add(1)\n    seen.clear()\n"
        "    request.session.save()\n    form.save(commit=False)\n    index.save(path)\n"
        "    cache.delete(key)\n    progress.update(task, advance=1)\n    hcp.notes.add(1)\n"
        "    rows = table.filter(x)\n    rows.update(y)\n"
        "    cursor.execute('SELECT pg_advisory_xact_lock(%s)', [1])\n"
    )
    assert model_writes(fine, {"affiliations"}) == []


def test_it_writes_to_models_only_through_actions():
    relations = relation_accessors()
    found = [w for path in NON_ACTION_MODULES for w in model_writes(path, relations)]
    unexplained = [str(w) for w in found if not _allowed(w)]
    assert unexplained == [], (
        "write through the app's actions.py, or add the module or function to ALLOWED_WRITES with the reason"
    )


def test_it_allows_only_writes_that_still_exist():
    relations = relation_accessors()
    found = [w for path in NON_ACTION_MODULES for w in model_writes(path, relations)]
    used = {w.module for w in found} | {f"{w.module}::{w.function}" for w in found}
    assert sorted(set(ALLOWED_WRITES) - used) == [], "remove allow-list entries that no longer write anything"
    assert all(reason.strip() for reason in ALLOWED_WRITES.values())


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


# --- function-level imports of liaison modules say why they are not at the top --------------------------------

PRAGMA = re.compile(r"#\s*(noqa|type:|pragma|fmt:|isort:)", re.IGNORECASE)


def _imported_module(node: ast.Import | ast.ImportFrom, module: str) -> list[str]:
    """The absolute names an import statement in `module` (a dotted name) imports from."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if not node.level:
        return [node.module or ""]
    package = module.split(".")[: -node.level]
    return [".".join([*package, *([node.module] if node.module else [])])]


def _module_name(path: Path) -> str:
    """The dotted name of a module under a `liaison` folder: src/liaison/core/audit.py -> liaison.core.audit."""
    parts = list(path.with_suffix("").parts)
    parts = parts[len(parts) - 1 - parts[::-1].index("liaison") :]
    # `from . import x` in a package's __init__ is relative to the package itself.
    return ".".join([*parts[:-1], "__init__"] if parts[-1] == "__init__" else parts)


def _statement_lists(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[list[ast.stmt]]:
    """Every list of statements inside a function (its body, and those of its if/try/with/for blocks), nested
    functions excluded (they are visited on their own)."""
    lists, todo = [], [function.body]
    while todo:
        body = todo.pop()
        lists.append(body)
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            for field in ("body", "orelse", "finalbody"):
                if isinstance(getattr(stmt, field, None), list):
                    todo.append(getattr(stmt, field))
            todo += [h.body for h in getattr(stmt, "handlers", [])]
            todo += [c.body for c in getattr(stmt, "cases", [])]
    return lists


def unexplained_function_imports(path: Path) -> list[str]:
    """Imports of a liaison module inside a function with no reason on the comment line directly above them.

    The comment sits on the line above the import, or above the first of the consecutive import statements the
    import belongs to (one comment explains a block), and says something (a pragma such as `# noqa` is no
    reason): `# Deferred: core.models imports this module`, or in AppConfig.ready() `# Imported here: these
    modules import models, which load only once the app registry is ready`.
    """
    source = path.read_text()
    lines, module = source.splitlines(), _module_name(path)
    missing = []
    for function in ast.walk(ast.parse(source, str(path))):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for body in _statement_lists(function):
            block_start = None
            for stmt in body:
                if not isinstance(stmt, ast.Import | ast.ImportFrom):
                    block_start = None
                    continue
                block_start = block_start or stmt
                names = _imported_module(stmt, module)
                if not any(n == "liaison" or n.startswith("liaison.") for n in names):
                    continue
                above = lines[block_start.lineno - 2].strip() if block_start.lineno > 1 else ""
                reason = above.lstrip("#").strip()
                if not above.startswith("#") or PRAGMA.match(above) or len(reason.split()) < 3:
                    missing.append(f"{_where(path)}:{stmt.lineno} in {function.name}: {', '.join(names)}")
    return missing


def test_it_finds_a_function_level_import_without_its_reason(tmp_path):
    package = tmp_path / "liaison" / "app"
    package.mkdir(parents=True)
    module = package / "views.py"
    module.write_text(
        "import os\n"
        "def a():\n"
        "    from liaison.core.models import AuditEvent\n"
        "def b():\n"
        "    # Deferred: core.models imports this module.\n"
        "    from liaison.core.models import AuditEvent\n"
        "\n"
        "    from .tasks import job\n"
        "    x = 1\n"
        "    from .tasks import other\n"
        "def c():\n"
        "    # noqa\n"
        "    from . import tasks\n"
        "    import json\n"
        "    if x:\n"
        "        from liaison.people.views import hcp_list\n"
    )
    missing = unexplained_function_imports(module)
    assert [m.split(" ", 1)[1] for m in missing] == [
        "in a: liaison.core.models",
        "in b: liaison.app.tasks",
        "in c: liaison.app",
        "in c: liaison.people.views",
    ]


def test_it_explains_every_function_level_import_of_a_liaison_module():
    modules = [p for p in LIAISON.rglob("*.py") if "migrations" not in p.relative_to(LIAISON).parts]
    missing = [hit for path in sorted(modules) for hit in unexplained_function_imports(path)]
    assert missing == [], (
        "move the import to the top of the module, or say on the comment line above it why it cannot be there"
    )
