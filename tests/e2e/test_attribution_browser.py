"""In a real browser: a meeting with two HCPs, where each inline insight and follow-up says which attendee it is
about; the rows' attendee lists follow the attendee picker as HCPs are added and removed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from test_field_to_safety import login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _add_attendee(page: Any, typed: str, name: str) -> None:
    from playwright.sync_api import expect

    page.get_by_role("searchbox", name="Attendees", exact=True).fill(typed)
    page.get_by_role("option", name=re.compile(name)).click()
    expect(page.get_by_role("list", name=re.compile("Chosen: attendees")).get_by_text(name)).to_be_visible()


def test_the_msl_attributes_each_insight_and_follow_up_to_an_attendee(
    page: Any, world: dict[str, Any], hcp: Any
) -> None:
    from playwright.sync_api import expect

    from liaison.engagement.models import Interaction
    from liaison.people.actions import create_hcp

    omar = create_hcp(
        acting_user=None,
        data={
            "first_name": "Omar",
            "last_name": "Haddad",
            "city": "Ames",
            "state": "IA",
            "owner": world["alice"],
        },
        therapeutic_areas=[world["oncology"]],
    )
    login(page, "alice")
    page.goto("/interactions/new/")
    _add_attendee(page, "Hopk", "Grace Hopkins")
    _add_attendee(page, "Hadd", "Omar Haddad")
    about = page.get_by_role("combobox", name="About", exact=True).first
    expect(about.locator("option")).to_have_text(
        ["The meeting as a whole", re.compile("Grace Hopkins"), "Omar Haddad"]
    )
    page.get_by_role("combobox", name="Channel", exact=True).select_option("in_person")
    page.get_by_role("combobox", name="Purpose", exact=True).select_option("scientific_exchange")
    page.get_by_role("combobox", name="Therapeutic area", exact=True).select_option(label="Oncology")
    page.get_by_role("textbox", name="Notes", exact=True).fill("Tumour board on second-line options.")
    page.get_by_role("textbox", name="Insight", exact=True).first.fill(
        "Omar's centre retests at progression."
    )
    about.select_option(label="Omar Haddad")
    page.get_by_role("textbox", name="Follow-up", exact=True).first.fill("Send Grace the poster")
    page.get_by_label("Due date").first.fill("2030-01-15")
    follow_up_for = page.get_by_role("combobox", name="For", exact=True).first
    follow_up_for.select_option(value=str(hcp.uuid))
    # Removing Grace takes her off the rows' lists: the follow-up promised to her is now for nobody chosen, and
    # the insight keeps Omar, who is still there.
    page.get_by_role("button", name="Remove Grace Hopkins").click()
    expect(about.locator("option")).to_have_count(2)
    expect(follow_up_for).to_have_value("")
    expect(about).to_have_value(str(omar.uuid))
    page.get_by_role("group", name=re.compile("mention an adverse event")).get_by_role(
        "radio", name="No", exact=True
    ).check()
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Interaction submitted")).to_be_visible()
    interaction = Interaction.objects.get()
    assert list(interaction.attendees.all()) == [omar]
    assert interaction.insights.get().hcp == omar
    # With one HCP left, the follow-up is his.
    assert interaction.follow_ups.get().hcp == omar
