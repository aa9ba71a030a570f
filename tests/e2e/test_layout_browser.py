"""Page layout in a browser: a long unbroken word wraps instead of widening the page sideways."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

from personas import PASSWORD  # noqa: E402

LONG_WORD = "Oncologyandhaematologycentreofexcellenceforadvancedcelltherapiesandtranslationalresearch"


def test_a_long_unbroken_word_does_not_widen_the_hcp_page(page: Any, world: Any, system_context: Any) -> None:
    from playwright.sync_api import expect

    from liaison.people.actions import create_hcp

    hcp = create_hcp(
        acting_user=None, data={"first_name": "Ana", "last_name": LONG_WORD, "city": LONG_WORD[:60]}
    )
    page.goto("/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()

    page.goto(f"/hcps/{hcp.uuid}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ana")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.goto("/hcps/")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert not getattr(page, "problems", [])
