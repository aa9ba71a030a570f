"""Deployment checks for the audit key and anchors (`manage.py check --deploy`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks


def _inside(path: Path, folder: Path) -> bool:
    return path.expanduser().resolve().is_relative_to(folder.resolve())


@checks.register(checks.Tags.security, deploy=True)
def audit_key_outside_the_data_directory(app_configs: Any = None, **_: Any) -> list[checks.CheckMessage]:
    """The audit key and anchors must not sit with the database they protect."""
    found: list[checks.CheckMessage] = []
    data_dir = Path(settings.DATA_DIR)
    if not os.environ.get("LIAISON_AUDIT_KEYS", "").strip() and _inside(
        Path(settings.LIAISON_AUDIT_KEY_FILE), data_dir
    ):
        found.append(
            checks.Warning(
                "The audit key file lies inside LIAISON_DATA_DIR, beside the database it protects.",
                hint="Set LIAISON_AUDIT_KEY_FILE to a path outside it, or give the keys in LIAISON_AUDIT_KEYS.",
                id="liaison.W001",
            )
        )
    if _inside(Path(settings.LIAISON_AUDIT_ANCHOR_FILE), data_dir):
        found.append(
            checks.Warning(
                "The audit anchor file lies inside LIAISON_DATA_DIR: whoever can rewrite the database can rewrite it.",
                hint="Set LIAISON_AUDIT_ANCHOR_FILE to an append-only location outside it (docs/operations.md).",
                id="liaison.W002",
            )
        )
    return found
