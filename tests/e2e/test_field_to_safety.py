"""The issue's "done means", in a real browser: an MSL logs an interaction that mentions an adverse event, drug
safety sees it with the right Day 0, the commercial user sees nothing of it, and compliance finds it in an
intact audit trail."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from e2e_helpers import DOCS_IMG, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

AE_NOTES = "Discussed dosing. The patient developed a severe rash after the second dose."
INSIGHT = "Community oncologists wait three weeks for PD-L1 results before starting first-line therapy."
from personas import PASSWORD  # noqa: E402

MEDICAL_NAV = ("Log interaction", "Interactions", "Insights", "Inquiries", "Safety", "Audit")


def login(page: Any, username: str) -> None:
    """Sign in through the login page, as a person would."""
    from playwright.sync_api import expect

    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def logout(page: Any) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def log_ae_interaction(page: Any) -> str:
    """As a signed-in MSL: fill the log-interaction form with AE notes and an insight, submit; returns the
    'Date and time' value the form held (the interaction time, Day 0)."""
    from playwright.sync_api import expect

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Log interaction").click()
    expect(page.get_by_role("heading", name="Log an interaction")).to_be_visible()
    page.get_by_role("searchbox", name="Attendees", exact=True).fill("Hopk")
    page.get_by_role("option", name=re.compile("Grace Hopkins")).click()
    expect(page.get_by_role("list", name=re.compile("Chosen")).get_by_text("Grace Hopkins")).to_be_visible()
    occurred = page.get_by_label("Date and time").input_value()
    page.get_by_role("combobox", name="Channel", exact=True).select_option("in_person")
    page.get_by_role("combobox", name="Purpose", exact=True).select_option("scientific_exchange")
    page.get_by_role("combobox", name="Therapeutic area", exact=True).select_option(label="Oncology")
    page.get_by_role("textbox", name="Notes", exact=True).fill(AE_NOTES)
    page.get_by_role("textbox", name="Insight", exact=True).first.fill(INSIGHT)
    page.get_by_role("group", name=re.compile("mention an adverse event")).get_by_role(
        "radio", name="Yes", exact=True
    ).check()
    shot(page, "e2e-01-log-interaction-filled", full_page=True)
    if os.environ.get(
        "LIAISON_UPDATE_DOCS_IMAGES"
    ):  # refresh the README image on purpose, never as a side effect
        page.screenshot(path=str(DOCS_IMG / "log-interaction.png"), full_page=True)
    page.get_by_role("button", name="Submit", exact=True).click()
    return occurred


def test_it_carries_an_adverse_event_from_the_msl_to_drug_safety_and_hides_it_from_commercial(
    page: Any, world: dict[str, Any], hcp: Any
) -> None:
    from playwright.sync_api import expect

    from liaison.engagement.models import Interaction
    from liaison.safety.models import SafetyReport

    # 1. alice logs the interaction.
    login(page, "alice")
    occurred = log_ae_interaction(page)
    expect(page.get_by_role("status").filter(has_text="Drug safety has been notified")).to_be_visible()
    shot(page, "e2e-02-interaction-submitted")
    interaction = Interaction.objects.get()
    report = SafetyReport.objects.get(interaction=interaction)
    assert report.day_zero == interaction.occurred_at
    assert occurred.replace("T", " ") == interaction.occurred_at.strftime("%Y-%m-%d %H:%M")
    assert interaction.insights.get().text == INSIGHT
    interaction_url = f"/interactions/{interaction.uuid}/"
    report_url = f"/safety/{report.uuid}/"
    assert page.url.endswith(interaction_url)
    # The MSL has an interactions tab on the HCP's page, showing her notes (so its absence below means something).
    page.goto(f"/hcps/{hcp.uuid}/?tab=interactions")
    sections = page.get_by_role("navigation", name=re.compile("Sections"))
    expect(sections.get_by_role("link", name=re.compile("Interactions"))).to_have_count(1)
    expect(page.locator(f'main a[href="{interaction_url}"]')).to_have_count(1)
    expect(page.locator("main")).to_contain_text("Scientific exchange")
    logout(page)

    # 2. sam (drug safety) finds it in the queue, with Day 0 = the interaction time, and opens it.
    login(page, "sam")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Safety").click()
    day_zero = occurred.replace("T", " ")
    row = page.locator("tr", has=page.locator(f'a[href*="{report.uuid}"]'))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(day_zero)
    shot(page, "e2e-03-safety-queue")
    row.locator(f'a[href*="{report.uuid}"]').first.click()
    expect(page).to_have_url(re.compile(str(report.uuid)))
    expect(page.locator("main")).to_contain_text("severe rash")
    expect(page.locator("main")).to_contain_text(day_zero)
    shot(page, "e2e-04-safety-report")
    logout(page)

    # 3. dave (commercial) sees nothing of it.
    login(page, "dave")
    nav = page.get_by_role("navigation", name="Main")
    for label in MEDICAL_NAV:
        expect(nav.get_by_role("link", name=label, exact=True)).to_have_count(0)
    for url in (interaction_url, report_url, f"/interactions/{interaction.uuid}/edit/"):
        response = page.goto(url)
        assert response is not None and response.status in (403, 404), (
            f"{url} -> {response and response.status}"
        )
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Not found|Not allowed"))
        assert "rash" not in page.content()
        assert str(interaction.uuid) not in page.content().replace(url, "")
    response = page.goto(f"/hcps/{hcp.uuid}/")
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text("Grace Hopkins")
    main = page.locator("main")
    expect(
        main.get_by_role("link", name=re.compile("Interactions|Insights|Safety|Inquiries|History"))
    ).to_have_count(0)
    expect(main.get_by_role("tab", name=re.compile("Interactions|Insights|Safety"))).to_have_count(0)
    shot(page, "e2e-05-commercial-hcp-page", full_page=True)
    for url in (
        f"/hcps/{hcp.uuid}/",
        f"/hcps/{hcp.uuid}/?tab=interactions",
        f"/hcps/{hcp.uuid}/?tab=insights",
    ):
        page.goto(url)
        text = page.content()
        for secret in ("severe rash", "second dose", "PD-L1", "Discussed dosing", "Scientific exchange"):
            assert secret not in text, f"{url} shows {secret!r} to the commercial user"
    logout(page)

    # 4. carla (compliance) finds the creation event with its values, and the chain intact.
    login(page, "carla")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit").click()
    # Narrow the log to the interaction's own events with the "Record id" filter, then open the creation event.
    page.get_by_role("textbox", name=re.compile("Record id")).fill(str(interaction.uuid))
    page.get_by_role("button", name=re.compile("Apply")).click()
    created = page.locator("tr", has_text="interaction.created")
    expect(created).to_have_count(1)
    created.locator("summary").click()
    expect(created).to_contain_text("severe rash after the second dose")
    expect(created).to_contain_text("in_person")
    shot(page, "e2e-06-audit-log")
    page.get_by_role("button", name=re.compile("Verify audit trail", re.I)).click()
    expect(page.locator("main")).to_contain_text(re.compile("Audit trail verified", re.I))
    shot(page, "e2e-07-audit-verified")
    assert page.problems == []  # type: ignore[attr-defined]
