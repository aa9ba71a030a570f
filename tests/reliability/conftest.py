"""Print what the reliability suite tried, by kind, at the end of the run (also when everything passed)."""

from __future__ import annotations

from typing import Any

import pytest


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    counts = getattr(config, "liaison_tamperings", None)
    if not counts:
        return
    missed = getattr(config, "liaison_tampering_missed", [])
    terminalreporter.section("tamperings tried and detected")
    for kind, n in sorted(counts.items()):
        lost = sum(1 for m in missed if f" {kind} (" in m)
        terminalreporter.write_line(f"{n - lost:5d} / {n:5d}  {kind}")
    terminalreporter.write_line(
        f"{sum(counts.values()) - len(missed):5d} / {sum(counts.values()):5d}  in all"
    )
