"""An asynchronous advisory board in a browser: the moderator sends the portal link, the external advisor opens it
from the e-mail the real SMTP server received, accepts the terms, answers a question, sees the moderator's
follow-up and replies (docs/programs.md)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

from helpers_governance import approve_needs_assessment  # noqa: E402
from personas import PASSWORD  # noqa: E402


def _board(world: Any, hcp: Any, acting: Any) -> Any:
    from django.utils import timezone

    from liaison.programs import actions

    alice = world["alice"]
    starts = timezone.now() - dt.timedelta(days=2)
    with acting(alice):
        event = actions.create_event(
            acting_user=alice,
            data={
                "kind": "advisory_board",
                "title": "Asynchronous board: testing pathways",
                "starts_at": starts,
                "ends_at": starts + dt.timedelta(days=12),
                "therapeutic_area": world["oncology"],
                "virtual": True,
            },
        )
    approve_needs_assessment(event, compliance=world["carla"], acting=acting)
    with acting(alice):
        actions.invite_participant(event, acting_user=alice, hcp=hcp, role="advisor", invitation="accepted")
        actions.board.save_board_question(
            event, acting_user=alice, title="Where does biomarker testing stall?"
        )
    return event


def test_an_external_advisor_answers_the_board_through_the_portal(
    page: Any, browser: Any, live_server: Any, world: Any, hcp: Any, acting: Any, smtp_server: Any
) -> None:
    from playwright.sync_api import expect

    event = _board(world, hcp, acting)
    # The moderator sends the link from the board page.
    page.goto("/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/events/{event.uuid}/board/")
    page.get_by_label("E-mail", exact=True).fill("advisor@example.org")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_text("Invitation sent to")).to_be_visible()

    (message,) = smtp_server.wait_for(1)
    link = re.search(r"http://\S+/portal/enter/\S+/", smtp_server.text_of(message)).group(0)

    context = browser.new_context(base_url=live_server.url)
    try:
        _advisor_answers(context.new_page(), page, link)
    finally:
        context.close()
    assert not getattr(page, "problems", [])


def _advisor_answers(advisor: Any, page: Any, link: str) -> None:
    from playwright.sync_api import expect

    advisor.goto(link)
    advisor.get_by_role("button", name="Continue to the board").click()
    expect(advisor.get_by_role("heading", name="Confidentiality and consent")).to_be_visible()
    advisor.get_by_label("I accept the confidentiality terms").check()
    advisor.get_by_role("button", name="Accept and continue").click()
    expect(advisor.get_by_role("heading", level=2)).to_contain_text("Where does biomarker testing stall?")
    expect(advisor.get_by_role("navigation", name="Main")).to_have_count(0)  # no staff navigation
    advisor.get_by_label("Your answer").fill("Tissue waits four days for the courier.")
    advisor.get_by_role("button", name="Post").click()
    expect(advisor.get_by_text("Tissue waits four days for the courier.")).to_be_visible()
    expect(advisor.locator("#progress")).to_have_text("1 answered, 0 open")

    page.reload()
    page.get_by_label("Follow-up").fill("Would a daily courier fix most of it?")
    page.get_by_role("button", name="Post follow-up").click()
    expect(page.get_by_text("Follow-up posted.")).to_be_visible()

    advisor.reload()
    expect(advisor.get_by_text("Would a daily courier fix most of it?")).to_be_visible()
    advisor.get_by_label("Your answer").fill("Mostly, yes: the lab itself turns results around in two days.")
    advisor.get_by_role("button", name="Post").click()
    expect(advisor.get_by_text("the lab itself turns results around in two days")).to_be_visible()

    # The link worked once; the advisor's session reaches nothing else.
    assert advisor.goto(link).status == 410
    assert advisor.goto("/hcps/").status == 403
