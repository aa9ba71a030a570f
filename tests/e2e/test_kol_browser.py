"""KOL pages in a browser at 1024 px: an MSL opens the ranking, a person's breakdown and their co-author
network (SVG with its table), then accepts an identity suggestion in the queue (htmx row swap), after first
being told that a reason is required. Data: real PubMed, ClinicalTrials.gov and Open Payments records, scored
as in tests/kol/test_web.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
from e2e_helpers import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

from personas import PASSWORD  # noqa: E402
from tests.kol.test_web import build_kol_world  # noqa: E402


@pytest.fixture
def kol(world: dict[str, Any], hcp: Any, system_context: Any) -> dict[str, Any]:
    return build_kol_world(world, hcp)


def login(page: Any, username: str) -> None:
    from playwright.sync_api import expect

    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def no_horizontal_scroll(page: Any) -> bool:
    """The page itself fits the viewport (wide tables may scroll inside their own wrapper)."""
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_an_msl_reads_ranking_breakdown_and_network_and_accepts_a_suggestion(
    page: Any, kol: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    from liaison.kol.models import IdentityLink

    page.set_viewport_size({"width": 1024, "height": 800})
    login(page, "alice")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="KOL", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("KOL ranking")
    table = page.get_by_role("table", name="KOL ranking")
    expect(table.locator("tbody tr")).to_have_count(len(kol["v2_rows"]))
    assert no_horizontal_scroll(page)
    shot(page, "e2e-kol-01-ranking")

    # The second person (not linked to an HCP) opens on their breakdown.
    second = kol["v2_rows"][1]
    table.get_by_role("link", name=second["name"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(second["name"])
    expect(page.get_by_role("heading", name="How the score is made")).to_be_visible()
    pubmed = page.locator('a[href^="https://pubmed.ncbi.nlm.nih.gov/"]')
    expect(pubmed.first).to_be_visible()
    assert no_horizontal_scroll(page)
    shot(page, "e2e-kol-02-breakdown", full_page=True)

    page.get_by_role("link", name="Co-author network").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Co-authors of")
    svg = page.get_by_role("img", name=re.compile("Co-author network"))
    expect(svg).to_be_visible()
    rows = page.get_by_role("table").locator("tbody tr")
    assert rows.count() >= 1
    # The chart and the table list the same people.
    assert page.locator("svg a.kol-node").count() == rows.count()
    assert no_horizontal_scroll(page)
    shot(page, "e2e-kol-03-network")

    # The identity queue: a decision without a reason is refused next to the field, then accepted.
    link = kol["links"]["suggested"]
    page.goto("/kol/identity/")
    card = page.locator(f"#link-{link.uuid}")
    expect(card).to_contain_text("topic overlap 0.4")
    card.get_by_role("button", name="Accept").click()
    card = page.locator(f"#link-{link.uuid}")
    expect(card).to_contain_text("Give a reason")
    card.get_by_label("Reason").fill("Same site and topic; checked the trial record")
    card.get_by_role("button", name="Accept").click()
    card = page.locator(f"#link-{link.uuid}")
    expect(card).to_contain_text("Decided by Alice Tester")
    expect(card.get_by_role("button", name="Accept")).to_have_count(0)
    assert not page.problems  # type: ignore[attr-defined]
    shot(page, "e2e-kol-04-identity-accepted")
    link.refresh_from_db()
    assert link.status == "accepted" and link.reason == "Same site and topic; checked the trial record"
    assert IdentityLink.objects.get(pk=kol["links"]["other"].pk).status == "suggested"
