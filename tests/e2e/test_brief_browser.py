"""The pre-call brief in a browser at 1024 px: an MSL opens it from the HCP record, checks a planned meeting
and sees every section render; the print stylesheet hides the navigation. Data as in tests/briefs/test_briefs.py (the
HCP's own paper is the real PubMed record 29768149). With LIAISON_UPDATE_DOCS_IMAGES=1 the page is saved to
docs/img/brief.png."""

from __future__ import annotations

import os
from typing import Any

import pytest
from e2e_helpers import DOCS_IMG, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

from personas import PASSWORD  # noqa: E402
from tests.briefs.test_briefs import kol_hcp  # noqa: E402, F401 - the fixture


def login(page: Any, username: str) -> None:
    from playwright.sync_api import expect

    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_an_msl_opens_the_brief_from_the_hcp_page_and_every_section_renders(page: Any, kol_hcp: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1024, "height": 900})
    login(page, "alice")
    page.goto(f"/hcps/{kol_hcp.uuid}/")
    page.get_by_role("link", name="Pre-call brief").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pre-call brief: Paul O'Byrne, MD")
    for name in ("Who they are", "Their own work", "New evidence in their areas", "Our history with them",
                 "Suggested purpose"):  # fmt: skip
        expect(page.get_by_role("heading", level=2, name=name)).to_be_visible()
    expect(page.get_by_text("Their own work: discuss, don't present back.")).to_be_visible()
    expect(page.locator("#brief-new-evidence")).to_contain_text(
        "As-needed budesonide-formoterol in adolescents"
    )

    page.get_by_label("Planned time").fill("2030-06-11T09:00")
    page.get_by_label("Planned channel").select_option("video")
    page.get_by_role("button", name="Check the plan").click()
    expect(page.locator(".brief-verdict")).to_contain_text("Does the planned meeting respect them? Yes.")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")

    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    page.emulate_media(media="screen")
    shot(page, "e2e-brief", full_page=True)
    if os.environ.get("LIAISON_UPDATE_DOCS_IMAGES") == "1":
        page.screenshot(path=str(DOCS_IMG / "brief.png"), full_page=True)
    assert not getattr(page, "problems", [])
