"""The Content-Security-Policy in Chromium: the main pages load with no violation reported, and what htmx and
app.js do (live compliance and AE checks, the HCP picker, repeatable rows, filters that submit themselves) still
works with scripts from this site only and no eval."""

from __future__ import annotations

import re
from typing import Any

import pytest

from personas import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PAGES = (
    "/",
    "/hcps/",
    "/interactions/",
    "/interactions/new/",
    "/insights/",
    "/insights/new/",
    "/insights/report/",
    "/inquiries/",
    "/safety/",
    "/kol/",
    "/intel/trends/",
    "/loop/",
    "/loop/report/",
    "/metrics/",
    "/stakeholders/",
    "/accounts/tokens/",
)
ADMIN_PAGES = ("/audit/", "/accounts/admin/", "/accounts/admin/users/")


def watch_csp(page: Any) -> list[str]:
    """Console messages about the policy (Chromium reports each blocked script, style or eval there) and
    htmx's own errors (an eval it refused, a target it could not find)."""
    seen: list[str] = []

    def on_console(msg: Any) -> None:
        text = msg.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text or "htmx:" in text:
            seen.append(f"{page.url}: {text}")

    page.on("console", on_console)
    return seen


def login(page: Any, username: str) -> None:
    from playwright.sync_api import expect

    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_the_main_pages_load_without_a_policy_violation(page: Any, world: dict[str, Any], hcp: Any) -> None:
    violations = watch_csp(page)
    login(page, "lena")

    for path in (*PAGES, f"/hcps/{hcp.uuid}/", f"/briefs/{hcp.uuid}/"):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Sign out").click()
    login(page, "ada")
    for path in ADMIN_PAGES:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")

    assert violations == []
    assert not page.problems  # type: ignore[attr-defined]


def test_htmx_and_the_page_scripts_work_under_the_policy(page: Any, world: dict[str, Any], hcp: Any) -> None:
    from playwright.sync_api import expect

    violations = watch_csp(page)
    login(page, "alice")
    page.goto("/interactions/new/")

    # The HCP picker: htmx search, a picked result becomes a chip (app.js).
    page.get_by_role("searchbox", name="Attendees", exact=True).fill("Hopk")
    page.get_by_role("option", name=re.compile("Grace Hopkins")).click()
    expect(page.get_by_role("list", name=re.compile("Chosen")).get_by_text("Grace Hopkins")).to_be_visible()

    # Live checks post the field's text without eval (data-text-from): compliance flags and AE terms.
    notes = page.get_by_role("textbox", name="Notes", exact=True)
    notes.press_sequentially("Onkotrex is the best option. The patient developed a severe rash.", delay=5)
    expect(page.locator("#flags-notes mark.flag-term")).to_have_text(["best"])
    expect(
        page.locator("#flags-notes").locator("xpath=preceding-sibling::div[@class='ae-live'][1]")
    ).to_contain_text(re.compile("rash", re.I))

    # Repeatable rows: another insight row, whose own live flag check reads its own textarea.
    rows = page.locator("#insight-rows [data-row]")
    before = rows.count()
    page.get_by_role("button", name="+ Add another insight").click()
    expect(rows).to_have_count(before + 1)
    rows.last.locator("textarea").press_sequentially("The best drug we have.", delay=5)
    expect(rows.last.locator(".flag-live mark.flag-term")).to_have_text(["best"])

    # A filter that submits itself when changed (data-autosubmit), on the admin's user list.
    page.goto("/")
    page.get_by_role("button", name="Sign out").click()
    login(page, "ada")
    page.goto("/accounts/admin/users/")
    page.get_by_role("combobox", name="Role").select_option("msl")
    expect(page).to_have_url(re.compile(r"role=msl"))

    assert violations == []
    assert not page.problems  # type: ignore[attr-defined]
