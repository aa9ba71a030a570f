"""The compliance flags queue (compliance/flag_views.py): every save past a compliance flag with its reason, the
record it is on, the author and the date; filterable by author and period, sortable by date, exportable as CSV;
for the oversight roles only (audit_event.view).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

SUPERLATIVE = "Dr Hopkins said Onkotrex is the best option for her patients."
COMPARATIVE = "She thinks onkotrexumab is better than pembrolizumab in this setting."
ALICE_REASON = "Verbatim quote of the HCP opinion; not our claim."
ALICE_INSIGHT_REASON = "The comparison of the HCP, recorded as heard."
BOB_REASON = "Bob quotes a congress speaker."


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def overrides(world, hcp, acting) -> dict[str, Any]:
    """Alice saves flagged notes and then a flagged insight past their flags; Bob saves flagged notes."""
    from liaison.engagement.actions import log_interaction
    from liaison.insights.actions import create_insight

    def log(user: Any, notes: str, reason: str, area: Any) -> Any:
        with acting(user):
            return log_interaction(
                acting_user=user,
                attendees=[hcp],
                data={
                    "occurred_at": timezone.now() - dt.timedelta(hours=2),
                    "channel": "phone",
                    "purpose": "scientific_exchange",
                    "ae_attestation": "no",
                    "therapeutic_area": area,
                    "notes": notes,
                },
                flag_override_reason=reason,
            )

    interaction = log(world["alice"], SUPERLATIVE, ALICE_REASON, world["oncology"])
    with acting(world["alice"]):
        insight = create_insight(
            acting_user=world["alice"],
            text=COMPARATIVE,
            therapeutic_area=world["oncology"],
            submit=True,
            flag_override_reason=ALICE_INSIGHT_REASON,
        )
    bobs = log(world["bob"], SUPERLATIVE, BOB_REASON, world["cardio"])
    return {"interaction": interaction, "insight": insight, "bobs": bobs}


def queue(user: Any, **params: str) -> str:
    response = client_for(user).get(reverse("compliance:flags_queue"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_it_lists_each_override_with_reason_record_author_and_date(world, overrides):
    body = queue(world["carla"])
    assert "<strong>3</strong> overrides" in body
    # The reason as the author gave it (without the audit event's prefix).
    assert ALICE_REASON in body and BOB_REASON in body and ALICE_INSIGHT_REASON in body
    assert "compliance flags overridden:" not in body
    # Each row links the record whose text was flagged.
    assert reverse("engagement:interaction_detail", args=[overrides["interaction"].uuid]) in body
    assert reverse("insights:insight_detail", args=[overrides["insight"].uuid]) in body
    assert "Superlative" in body and "Comparative claim" in body and "“best”" in body
    assert timezone.now().strftime("%Y-%m-%d") in body


def test_it_filters_by_author(world, overrides):
    body = queue(world["carla"], author="alice")
    assert "<strong>2</strong> overrides" in body and "match these filters" in body
    assert BOB_REASON not in body and ALICE_INSIGHT_REASON in body
    body = queue(world["carla"], author="bob")
    assert BOB_REASON in body and ALICE_INSIGHT_REASON not in body
    # Only authors who overrode are offered; an unknown one is an error next to the field, not a 500.
    body = queue(world["carla"], author="mona")
    assert "Select a valid choice" in body


def test_it_filters_by_period(world, overrides):
    today = timezone.localdate()
    assert "<strong>3</strong> overrides" in queue(world["carla"], date_from=today.isoformat())
    assert "No compliance flag was overridden for these filters" in queue(
        world["carla"], date_from=(today + dt.timedelta(days=1)).isoformat()
    )
    assert "No compliance flag was overridden for these filters" in queue(
        world["carla"], date_to=(today - dt.timedelta(days=1)).isoformat()
    )
    body = queue(
        world["carla"], date_from=today.isoformat(), date_to=(today - dt.timedelta(days=1)).isoformat()
    )
    assert "The end date is before the start date." in body


def test_it_sorts_by_date_newest_first_unless_asked(world, overrides):
    newest = queue(world["carla"])
    assert newest.index(BOB_REASON) < newest.index(ALICE_INSIGHT_REASON) < newest.index("Verbatim quote")
    oldest = queue(world["carla"], sort="oldest")
    assert oldest.index("Verbatim quote") < oldest.index(ALICE_INSIGHT_REASON) < oldest.index(BOB_REASON)


def test_it_exports_what_it_shows_as_csv(world, overrides):
    response = client_for(world["carla"]).get(
        reverse("compliance:flags_queue_csv"), {"author": "alice", "sort": "oldest"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header, data = rows[0], rows[1:]
    assert header[:2] == ["When (UTC)", "Author"] and "Reason" in header and "Record page" in header
    col = {name: i for i, name in enumerate(header)}
    assert [r[col["Author"]] for r in data] == ["alice", "alice"]
    assert [r[col["Reason"]] for r in data] == [ALICE_REASON, ALICE_INSIGHT_REASON]
    assert [r[col["Record type"]] for r in data] == ["Interaction", "Insight"]
    assert data[0][col["Flags"]] == "Superlative" and data[0][col["Flagged text"]] == "best"
    assert data[0][col["Record id"]] == str(overrides["interaction"].uuid)
    assert data[0][col["Record page"]].endswith(
        reverse("engagement:interaction_detail", args=[overrides["interaction"].uuid])
    )
    # The page's export link carries the filters.
    body = queue(world["carla"], author="alice")
    assert f"{reverse('compliance:flags_queue_csv')}?author=alice" in body


def test_the_export_keeps_a_formula_as_text(world, hcp, acting):
    from liaison.engagement.actions import log_interaction

    with acting(world["alice"]):
        log_interaction(
            acting_user=world["alice"],
            attendees=[hcp],
            data={
                "occurred_at": timezone.now() - dt.timedelta(hours=1),
                "channel": "phone",
                "purpose": "scientific_exchange",
                "ae_attestation": "no",
                "notes": SUPERLATIVE,
            },
            flag_override_reason='=HYPERLINK("http://evil.example","click")',
        )
    text = client_for(world["carla"]).get(reverse("compliance:flags_queue_csv")).content.decode()
    assert "'=HYPERLINK" in text


@pytest.mark.parametrize("name", ["alice", "mona", "dave", "iris", "sam"])
def test_roles_outside_oversight_get_403_on_the_queue_and_its_export(world, overrides, name):
    client = client_for(world[name])
    for url in (reverse("compliance:flags_queue"), reverse("compliance:flags_queue_csv")):
        response = client.get(url)
        assert response.status_code == 403
        assert ALICE_REASON not in response.content.decode()
    assert reverse("compliance:flags_queue") not in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("name", ["carla", "otto", "ada"])
def test_oversight_roles_open_the_queue_from_the_menu(world, overrides, name):
    home = client_for(world[name]).get(reverse("home")).content.decode()
    assert f'href="{reverse("compliance:flags_queue")}"' in home
    assert BOB_REASON in queue(world[name])
