"""Insight intelligence in a browser: an MSL searches as she types (htmx swaps the results, her team's records
only), then opens the trends page (server-drawn SVG chart and the table behind it)."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_helpers import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

from test_kol_browser import login  # noqa: E402

from tests.intel.test_intel import IMMEDIATE, PD_L1, PD_L1_AGAIN  # noqa: E402

CARDIO = "Prior authorisation for newer heart failure drugs takes two to four weeks at most practices here."


@pytest.fixture
def indexed(world: dict[str, Any], settings: Any) -> dict[str, Any]:
    from liaison.core.context import audit_context
    from liaison.insights.actions import create_insight
    from liaison.intel.index import INDEX

    settings.TASKS = IMMEDIATE
    out = {}
    for name, text, area in (
        ("alice", PD_L1, "oncology"),
        ("mona", PD_L1_AGAIN, "oncology"),
        ("bob", CARDIO, "cardio"),
    ):
        with audit_context(actor=world[name], source="test"):
            out[name] = create_insight(
                acting_user=world[name], text=text, therapeutic_area=world[area], submit=True, screen=False
            )
    INDEX.rebuild()
    return out


def test_an_msl_searches_as_she_types_and_reads_the_trends(page: Any, indexed: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    login(page, "alice")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Search", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    page.get_by_label("Search for").press_sequentially("waiting for biomarker results", delay=30)
    results = page.locator("#search-results")
    expect(results.locator(".search-hit").first).to_be_visible()
    expect(results).to_contain_text("PD-L1")
    expect(results).not_to_contain_text("Prior authorisation")  # bob's team: never shown to alice
    assert "q=waiting" in page.url  # htmx pushed the query into the address bar
    shot(page, "e2e-intel-01-search")

    page.get_by_label("Search for").fill("")
    page.get_by_label("Search for").press_sequentially("prior authorisation", delay=30)
    expect(results).not_to_contain_text("heart failure")

    page.goto("/intel/trends/?months=6")
    expect(page.get_by_role("heading", level=1)).to_have_text("Trends")
    expect(page.locator("svg polyline.trend-line").first).to_be_attached()
    table = page.get_by_role("table", name="Signals per month, by theme")
    expect(table).to_contain_text("Biomarker testing barriers")
    expect(page.locator(".page-head")).to_contain_text("2 insights")
    assert not page.problems  # type: ignore[attr-defined]
    shot(page, "e2e-intel-02-trends", full_page=True)
