"""The manager dashboard in a browser at 1024 px: mona opens Metrics from the menu, applies an area filter,
reads a chart and the table behind it, and drills down to the HCP behind KOL coverage."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from e2e_helpers import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

from test_kol_browser import login, no_horizontal_scroll  # noqa: E402


@pytest.fixture
def visited(world: dict[str, Any], hcp: Any) -> Any:
    from liaison.core.context import audit_context
    from liaison.engagement.models import Interaction, InteractionAttendee
    from liaison.people.models import HCP

    with audit_context(actor=None, source="test"):
        HCP.objects.filter(pk=hcp.pk).update(tier=1)
        interaction = Interaction.objects.create(
            owner=world["alice"],
            occurred_at=timezone.now() - dt.timedelta(days=3),
            channel="video",
            purpose="scientific_exchange",
            therapeutic_area=world["oncology"],
            status="submitted",
        )
        InteractionAttendee.objects.create(interaction=interaction, hcp=hcp)
    return hcp


def test_a_manager_filters_the_dashboard_and_drills_down(
    page: Any, world: dict[str, Any], visited: Any
) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1024, "height": 900})
    login(page, "mona")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Metrics", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Impact metrics")
    page.get_by_label("Therapeutic area").select_option(label="Oncology")
    page.get_by_role("button", name="Apply").click()
    assert "area=" in page.url
    card = page.locator("#metric-kol_coverage")
    expect(card.locator("svg")).to_be_visible()
    expect(card.locator("table")).to_contain_text("Tier 1")
    assert no_horizontal_scroll(page)
    shot(page, "e2e-metrics-01-dashboard")

    card.get_by_role("link", name="Records behind this metric").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Coverage of tiered KOLs against plan")
    expect(page.locator(".drill-table")).to_contain_text("Hopkins")
    assert "area=" in page.url  # the filter travels with the drill-down
    page.locator(".drill-table").get_by_role("link", name="Grace Hopkins").click()
    assert f"/hcps/{visited.uuid}/" in page.url
