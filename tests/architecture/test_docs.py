"""The operator docs keep up with the code: every setting and every CLI command is documented."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest

from liaison.cli import main

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "src" / "liaison" / "settings.py"
CONFIGURATION = ROOT / "docs" / "configuration.md"
OPERATIONS = ROOT / "docs" / "operations.md"


def environment_variables(path: Path) -> set[str]:
    """Names read from the environment in a settings file: os.environ.get/[...], os.getenv, env_*(...)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            reads_env = (
                isinstance(func, ast.Attribute)
                and func.attr in ("get", "getenv", "pop")
                and "environ" in ast.unparse(func.value) + func.attr
            ) or (isinstance(func, ast.Name) and func.id.startswith("env_"))
            if reads_env and isinstance(node.args[0].value, str):
                names.add(node.args[0].value)
        elif (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value).endswith("environ")
            and isinstance(node.slice, ast.Constant)
        ):
            names.add(str(node.slice.value))
    return names


def command_paths(group: click.Group = main, prefix: tuple[str, ...] = ()) -> list[str]:
    paths: list[str] = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            paths += command_paths(command, (*prefix, name))
        else:
            paths.append(" ".join((*prefix, name)))
    return paths


def test_it_finds_the_variables_settings_read():
    names = environment_variables(SETTINGS)

    assert {"DATABASE_URL", "LIAISON_DATA_DIR", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"} <= names


@pytest.mark.parametrize("name", sorted(environment_variables(SETTINGS)))
def test_every_environment_variable_is_documented(name):
    documented = CONFIGURATION.read_text(encoding="utf-8")

    assert re.search(rf"`{re.escape(name)}`", documented), (
        f"{name} is read in settings.py but missing from {CONFIGURATION}"
    )


@pytest.mark.parametrize("path", command_paths())
def test_every_cli_command_is_documented(path):
    documented = OPERATIONS.read_text(encoding="utf-8")

    assert f"liaison {path}" in documented, f"`liaison {path}` is missing from {OPERATIONS}"


def test_the_readme_shows_the_two_commands_and_links_the_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    assert "make demo" in readme and "make test" in readme
    for doc in ("docs/configuration.md", "docs/operations.md"):
        assert doc in readme
        assert (ROOT / doc).exists()
