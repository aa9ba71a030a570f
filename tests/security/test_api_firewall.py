"""The medical/commercial firewall in the API: one 403 for every medical list and detail URL, whatever exists."""

from __future__ import annotations

from typing import Any

import pytest

MISSING = "6f1c1f43-0d37-4a4b-9f59-2c1d1d1d1d1d"
MEDICAL = [
    "interactions",
    "insights",
    "inquiries",
    "follow-ups",
    "safety-reports",
    "audit-events",
    "listening-priorities",
]


@pytest.fixture
def records(api: Any, hcp: Any, interaction: Any, world: Any) -> dict[str, str]:
    """One existing record per medical resource (a safety report and an inquiry included)."""
    from liaison.core.models import AuditEvent

    alice = api("alice")
    raised = alice.post(
        "/interactions",
        {
            "attendees": [str(hcp.uuid)],
            "occurred_at": interaction.occurred_at.isoformat(),
            "channel": "phone",
            "purpose": "education",
            "ae_attestation": "yes",
            "notes": "Patient reported liver injury.",
        },
    ).json()
    inquiry = alice.post(
        "/inquiries",
        {
            "question": "Renal dosing?",
            "channel": "email",
            "unsolicited_attested": True,
            "requester_hcp": str(hcp.uuid),
        },
    ).json()
    return {
        "interactions": str(interaction.uuid),
        "insights": str(interaction.insights.get().uuid),
        "inquiries": inquiry["uuid"],
        "follow-ups": str(interaction.follow_ups.get().uuid),
        "safety-reports": raised["safety_reports"][0]["uuid"],
        "audit-events": str(AuditEvent.objects.values_list("uuid", flat=True).first()),
        "listening-priorities": str(world["priority"].uuid),
    }


@pytest.mark.parametrize("resource", MEDICAL)
def test_it_gives_commercial_one_403_on_every_medical_url(
    api: Any, records: dict[str, str], resource: str
) -> None:
    dave = api("dave")
    listing = dave.get(f"/{resource}")
    existing = dave.get(f"/{resource}/{records[resource]}")
    missing = dave.get(f"/{resource}/{MISSING}")
    assert listing.status_code == existing.status_code == missing.status_code == 403
    assert existing.content == missing.content
    assert b"count" not in listing.content and b"items" not in listing.content


@pytest.mark.parametrize("resource", MEDICAL)
def test_it_gives_commercial_the_same_403_with_filters_that_would_match(
    api: Any, records: dict[str, str], resource: str, hcp: Any
) -> None:
    dave = api("dave")
    # Only filters that are valid input everywhere: a 422 for a malformed filter depends on the request alone.
    matching = dave.get(f"/{resource}", hcp=str(hcp.uuid), object_uuid=str(hcp.uuid), limit=1)
    other = dave.get(f"/{resource}", hcp=MISSING, object_uuid=MISSING, limit=1, offset=50)
    assert matching.status_code == other.status_code == 403
    assert matching.content == other.content


def test_it_lets_commercial_route_an_inquiry_without_reading_anything_back(api: Any, records: Any) -> None:
    dave = api("dave")
    routed = dave.post(
        "/inquiries",
        {
            "question": "Off-label use in children?",
            "channel": "phone",
            "unsolicited_attested": True,
            "requester_name": "Dr Who",
        },
    )
    assert routed.status_code == 202 and set(routed.json()) == {"uuid", "status"}
    assert dave.get(f"/inquiries/{routed.json()['uuid']}").status_code == 403


def test_it_shows_commercial_hcps_without_any_medical_trace(api: Any, records: Any, hcp: Any) -> None:
    body = api("dave").get(f"/hcps/{hcp.uuid}").content
    for medical in (b"interaction", b"insight", b"safety", b"inquir", b"follow"):
        assert medical not in body.lower()


def test_it_gives_commercial_the_aggregate_report_without_any_text_written_in_the_field(
    api: Any, records: dict[str, str], interaction: Any
) -> None:
    dave = api("dave")
    report = dave.get("/insight-report")
    insight_text = interaction.insights.get().text

    assert report.status_code == 200
    assert set(report.json()) == {"minimum_hcps", "months", "rows", "month_totals", "total"}
    assert insight_text not in report.content.decode() and b"liver injury" not in report.content


def test_it_refuses_commercial_the_release_of_a_summary(api: Any, records: dict[str, str]) -> None:
    dave = api("dave")
    existing = dave.post(f"/insights/{records['insights']}/release", {"summary": "Anything at all."})
    missing = dave.post(f"/insights/{MISSING}/release", {"summary": "Anything at all."})

    assert existing.status_code == missing.status_code == 403
    assert existing.content == missing.content
