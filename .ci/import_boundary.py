#!/usr/bin/env python3
"""Fail when the Django-free packages import Django or the Django app.

src/liaison_text and src/liaison_pipelines must run anywhere (Spark executors, notebooks, benchmarks) without
Django settings, so they may not import django, django_* or ninja packages, nor `liaison` (the Django app).
Run by `make lint`; exits 1 and lists every offending import.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("src/liaison_text", "src/liaison_pipelines")
FORBIDDEN = ("django", "ninja", "liaison")


def forbidden(module: str) -> bool:
    top = module.split(".")[0]
    return top in FORBIDDEN or top.startswith("django_")


def violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        found += [
            f"{path.relative_to(ROOT)}:{node.lineno}: imports {name}" for name in names if forbidden(name)
        ]
    return found


def main() -> int:
    problems: list[str] = []
    checked = 0
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            checked += 1
            problems += violations(path)
    for line in problems:
        print(line)
    if problems:
        print(f"import boundary: {len(problems)} forbidden import(s); these packages must stay Django-free")
        return 1
    print(f"import boundary: {checked} files in {', '.join(PACKAGES)} import no Django")
    return 0


if __name__ == "__main__":
    sys.exit(main())
