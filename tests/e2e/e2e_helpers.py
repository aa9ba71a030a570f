"""Paths and the screenshot helper shared by the browser tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "test-results"
DOCS_IMG = ROOT / "docs" / "img"


def shot(pg: Any, name: str, *, full_page: bool = False) -> Path:
    """Save a screenshot under test-results/ (git-ignored)."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=full_page)
    return path
