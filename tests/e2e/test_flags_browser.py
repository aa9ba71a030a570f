"""Compliance flags in a real browser: an MSL types a superlative into the interaction notes, the flag appears
next to the field while she types (htmx, no save), saving is refused with the flag shown, and saving with
"Keep the flagged wording" and a reason stores the record with its override."""

from __future__ import annotations

import re
from typing import Any

import pytest
from e2e_helpers import shot

from personas import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

NOTES = "Dr Hopkins thinks Onkotrex is the best option for her patients with metastatic NSCLC."
REASON = "Verbatim opinion of the HCP, not a company claim."


def login(page: Any, username: str) -> None:
    from playwright.sync_api import expect

    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_the_msl_sees_the_flag_as_she_types_and_saves_with_a_reason(
    page: Any, world: dict[str, Any], hcp: Any
) -> None:
    from playwright.sync_api import expect

    from liaison.core.models import AuditEvent
    from liaison.engagement.models import Interaction

    login(page, "alice")
    page.goto(f"/interactions/new/?hcp={hcp.uuid}")
    expect(page.get_by_role("heading", name="Log an interaction")).to_be_visible()
    page.get_by_role("combobox", name="Channel", exact=True).select_option("in_person")
    page.get_by_role("combobox", name="Purpose", exact=True).select_option("scientific_exchange")
    page.get_by_role("group", name=re.compile("mention an adverse event")).get_by_role(
        "radio", name="No", exact=True
    ).check()

    # 1. Typing: the flag appears next to the notes, before anything is saved.
    notes = page.get_by_role("textbox", name="Notes", exact=True)
    notes.press_sequentially(NOTES, delay=5)
    flags = page.locator("#flags-notes")
    expect(flags.locator(".flag-box")).to_be_visible()
    expect(flags.locator("mark.flag-term")).to_have_text(["best"])
    shot(page, "flags-01-as-typed")
    assert Interaction.objects.count() == 0

    # 2. Submitting as is: refused, the flag shown next to the field, what was typed kept.
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator("#id_notes_error")).to_contain_text("Compliance flag (Superlative)")
    expect(page.locator("#flags-notes mark.flag-term")).to_have_text(["best"])
    expect(page.get_by_role("textbox", name="Notes", exact=True)).to_have_value(NOTES)
    assert Interaction.objects.count() == 0
    shot(page, "flags-02-refused", full_page=True)

    # 3. Keeping the wording with a reason: saved, the override on the record and in the audit trail.
    page.get_by_role("checkbox", name="Keep the flagged wording").check()
    page.get_by_role("textbox", name="Why the flagged wording stays").fill(REASON)
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page).to_have_url(re.compile(r"/interactions/[0-9a-f-]{36}/$"))
    interaction = Interaction.objects.get()
    assert interaction.notes == NOTES
    assert interaction.flag_override_reason == REASON
    assert [f["text"] for f in interaction.compliance_flags] == ["best"]
    assert AuditEvent.objects.get(
        object_uuid=str(interaction.uuid), event_type="interaction.flags_overridden"
    ).reason.endswith(REASON)
    assert not page.problems  # type: ignore[attr-defined]
