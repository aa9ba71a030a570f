"""The app layers of docs/architecture.md hold: the import contract passes, and the hooks that let a lower
app's write call a higher app are all provided (a missing provider must fail loudly, never skip screening)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from liaison.core import hooks

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contract_between_the_apps_holds():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint_imports)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    "hook",
    [
        hooks.screen_texts,
        hooks.schedule_index,
        hooks.create_insight,
        hooks.run_detector,
        hooks.listening_priorities,
    ],
    ids=repr,
)
def test_every_hook_has_its_provider_once_the_apps_are_ready(hook):
    assert hook.path is not None, f"{hook.name} should be provided by {hook.provider}"
    assert callable(hook.impl) and hook.impl.__module__.startswith(hook.provider)


def test_a_hook_without_a_provider_refuses_instead_of_skipping():
    orphan = hooks.Hook("screen_texts", "liaison.safety")
    with pytest.raises(ImproperlyConfigured, match="no provider"):
        orphan({"notes": "the patient had a rash"})


def test_a_hook_refuses_a_second_provider():
    hook = hooks.Hook("example", "liaison.example")
    hook.provide("builtins.print")
    hook.provide("builtins.print")  # the same one again (a second ready()) is fine
    with pytest.raises(ImproperlyConfigured, match="provided twice"):
        hook.provide("builtins.len")


def test_the_hcp_profile_tabs_and_merge_steps_come_from_the_apps_that_own_the_records():
    from liaison.people.extensions import hcp_tabs, merge_steps

    assert [t.key for t in hcp_tabs()] == [
        "profile",
        "preferences",
        "interactions",
        "insights",
        "inquiries",
        "events",
        "transfers",
        "changelog",
    ]
    assert [s.__module__ for s in merge_steps()] == [
        "liaison.engagement.actions",
        "liaison.insights.actions",
        "liaison.medinfo.actions",
        "liaison.programs.actions",
        "liaison.transparency.actions",
    ]


SRC = ROOT / "src" / "liaison"
APPS = sorted(p.parent.name for p in SRC.glob("*/apps.py"))
RECORD_FILES = ("models.py", "actions.py", "views.py", "urls.py", "api.py", "schemas.py")


@pytest.mark.parametrize("app", [a for a in APPS if (SRC / a / "models.py").exists() and a != "core"])
def test_every_app_that_owns_records_has_the_file_set_the_architecture_promises(app):
    # actions.py may be an actions/ package split by topic (docs/architecture.md, Layout).
    missing = [
        name
        for name in RECORD_FILES
        if not (SRC / app / name).exists()
        and not (name == "actions.py" and (SRC / app / "actions" / "__init__.py").exists())
    ]
    assert not missing, f"{app} lacks {missing} (docs/architecture.md, Layout)"


@pytest.mark.parametrize("package", [*APPS, "web", "cli", "demo"])
def test_every_app_has_its_tests_in_a_folder_of_its_own(package):
    assert list((ROOT / "tests" / package).glob("test_*.py")), f"tests/{package}/ holds no tests"


def test_no_module_is_longer_than_800_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for path in (ROOT / "src").rglob("*.py")
        if "migrations" not in path.parts and (n := len(path.read_text(encoding="utf-8").splitlines())) > 800
    }
    assert not long, f"split these by what they hold: {long}"
