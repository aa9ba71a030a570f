"""Each role lands on a home for its own work (web/home.py ROLE_HOMES; docs/roles.md "Each role's home").

One small world holds a bit of everything: Alice (MSL, Oncology East) met a tier-1 KOL a day and a half ago and
attested an adverse event (a safety report past its 24 h SLA), left a follow-up overdue, submitted an insight and
saved notes past a compliance flag; Bob (MSL, Cardio West) submitted an insight of his own; a request for medical
information came in three days ago. Each role's home must show its panels with those records, and the commercial
home none of it, not even a count.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

ALICE_INSIGHT = "Clinics lack capacity for PD-L1 retesting after progression."
BOB_INSIGHT = "Cardiologists ask for outcome data in patients over 80."
FOLLOW_UP = "Send the dosing table for renal impairment"
QUESTION = "Can Onkotrex be given with warfarin?"
FLAGGED_NOTES = "Dr Hopkins said Onkotrex is the best option for her patients."
OVERRIDE_REASON = "Quoting the HCP verbatim; not our claim."


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def home_of(user: Any) -> str:
    response = client_for(user).get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def day(world, hcp, acting) -> dict[str, Any]:
    """The records every role's home is built from (see the module docstring)."""
    from liaison.engagement.actions import log_interaction
    from liaison.insights.actions import create_insight
    from liaison.medinfo.actions import capture_inquiry
    from liaison.people.actions import create_hcp, update_hcp

    now = timezone.now()
    with acting(world["alice"]):
        update_hcp(hcp, acting_user=world["alice"], data={"tier": 1})
        unseen = create_hcp(
            acting_user=world["alice"],
            data={"first_name": "Una", "last_name": "Seenless", "city": "Ames", "tier": 1},
            therapeutic_areas=[world["oncology"]],
        )
        met = log_interaction(
            acting_user=world["alice"],
            attendees=[hcp],
            data={
                "occurred_at": now - dt.timedelta(hours=36),
                "channel": "in_person",
                "purpose": "scientific_exchange",
                "ae_attestation": "yes",
                "therapeutic_area": world["oncology"],
            },
            follow_ups=[{"description": FOLLOW_UP, "due_date": timezone.localdate() - dt.timedelta(days=3)}],
        )
        flagged = log_interaction(
            acting_user=world["alice"],
            attendees=[hcp],
            data={
                "occurred_at": now - dt.timedelta(hours=2),
                "channel": "phone",
                "purpose": "scientific_exchange",
                "ae_attestation": "no",
                "therapeutic_area": world["oncology"],
                "notes": FLAGGED_NOTES,
            },
            flag_override_reason=OVERRIDE_REASON,
        )
        insight = create_insight(
            acting_user=world["alice"], text=ALICE_INSIGHT, therapeutic_area=world["oncology"], submit=True
        )
        inquiry = capture_inquiry(
            acting_user=world["alice"],
            question=QUESTION,
            channel="email",
            unsolicited_attested=True,
            requester_name="Dr Who",
            received_at=now - dt.timedelta(days=3),
        )
    with acting(world["bob"]):
        create_insight(
            acting_user=world["bob"], text=BOB_INSIGHT, therapeutic_area=world["cardio"], submit=True
        )
    return {"met": met, "flagged": flagged, "insight": insight, "inquiry": inquiry, "unseen": unseen}


def test_the_msl_home_keeps_the_msls_own_worklist_and_no_team_panels(world, day):
    body = home_of(world["alice"])
    assert "My follow-ups due" in body and FOLLOW_UP in body and "Mark done" in body
    assert "My recent interactions" in body and "My drafts" in body
    for panel in ("Insights awaiting your review", "Team KOL coverage", "Safety queue", "Inquiry queue"):
        assert panel not in body


def test_the_manager_home_shows_the_review_queue_coverage_overdue_follow_ups_and_ae_sla(world, hcp, day):
    body = home_of(world["mona"])
    # The review queue: Alice's (her team's) insight, not Bob's (another team's).
    assert "Insights awaiting your review" in body
    assert ALICE_INSIGHT in body and BOB_INSIGHT not in body
    assert reverse("insights:insight_review") in body
    # Coverage: the tier-1 KOL Alice met is seen, the other is named as not seen.
    assert "Team KOL coverage" in body and "1 of 2</strong> tiered KOLs seen" in body
    assert "Una Seenless" in body and reverse("people:hcp_detail", args=[day["unseen"].uuid]) in body
    # The team's overdue follow-up, with whose it is.
    assert "Team follow-ups overdue" in body and FOLLOW_UP in body and "Alice Tester" in body
    # The AE SLA as figures: Alice's report is past the SLA and unacknowledged.
    assert "Team AE SLA" in body and "(0 of 1)" in body
    # The MSL's own panels are not the manager's home.
    assert "Plan progress" not in body and "My recent interactions" not in body


def test_the_medical_leads_review_queue_spans_every_team(world, day):
    body = home_of(world["lena"])
    assert ALICE_INSIGHT in body and BOB_INSIGHT in body
    assert "2</strong> submitted insights waiting" in body
    assert "Team KOL coverage" in body and "Team AE SLA" in body


def test_the_drug_safety_home_is_the_safety_queue_against_the_sla(world, day):
    from liaison.safety.models import SafetyReport

    report = SafetyReport.objects.get(interaction=day["met"])
    body = home_of(world["sam"])
    assert "Safety queue" in body
    assert reverse("safety:report_detail", args=[report.uuid]) in body
    assert "Safety reports new" in body and "Past SLA" in body and "Overdue" in body
    assert "36 h" in body  # the report's age since Day 0
    assert "My follow-ups due" not in body and "Inquiry queue" not in body


def test_the_medical_information_home_is_the_inquiry_queue_with_due_times(world, day):
    body = home_of(world["iris"])
    assert "Inquiry queue" in body and "Inquiries open" in body
    assert QUESTION in body and reverse("medinfo:inquiry_detail", args=[day["inquiry"].uuid]) in body
    assert "Past SLA" in body and "Unassigned" in body
    due = day["inquiry"].received_at + dt.timedelta(hours=48)
    assert timezone.localtime(due).strftime("%-d %b, %H:%M") in body
    assert "Safety queue" not in body


def test_the_compliance_home_shows_overridden_flags_by_author_and_the_audit_trail(world, day):
    body = home_of(world["carla"])
    assert "Compliance flags overridden" in body
    assert f"{reverse('compliance:flags_queue')}?author=alice" in body
    assert 'class="badge warn">1</span>' in body
    assert "Recent audit activity" in body and reverse("compliance:audit_verify") in body
    assert reverse("compliance:audit_list") in body
    # Compliance reads the trail, not the MSL's worklist.
    assert "My follow-ups due" not in body and "Mark done" not in body


def test_the_auditor_home_shows_the_audit_trail_and_its_verification(world, day):
    body = home_of(world["otto"])
    assert "Recent audit activity" in body and "Verify audit trail" in body
    assert "The trail has not been verified yet." in body
    client_for(world["otto"]).post(reverse("compliance:audit_verify"))
    body = home_of(world["otto"])
    assert "Trail last verified" in body and "intact" in body
    assert "Compliance flags overridden" not in body


def test_the_admin_home_shows_users_system_health_and_the_audit_trail(world, day):
    body = home_of(world["ada"])
    assert "Users" in body and "active users" in body and reverse("accounts:user_list") in body
    assert "System health" in body and "Workers running" in body
    assert "Recent audit activity" in body
    assert ALICE_INSIGHT not in body


def test_the_commercial_home_holds_nothing_medical_not_even_a_count(world, day):
    body = home_of(world["dave"])
    assert reverse("people:hcp_list") in body and reverse("medinfo:inquiry_new") in body
    # The one insight-derived page commercial may open is the de-identified report (its menu entry).
    body = body.replace(">Insight report<", "><")
    for text in (
        ALICE_INSIGHT,
        BOB_INSIGHT,
        FOLLOW_UP,
        QUESTION,
        FLAGGED_NOTES,
        "Grace Hopkins",
        "Una Seenless",
        "Insight",
        "Safety",
        "Inquir",
        "follow-up",
        "SLA",
        "KOL",
        "overridden",
        "stat-card",
        'class="card"',
    ):
        assert text not in body, text


@pytest.mark.parametrize(
    ("name", "bound"),
    [
        ("alice", 24),
        ("mona", 20),
        ("lena", 20),
        ("sam", 9),
        ("iris", 10),
        ("carla", 10),
        ("otto", 9),
        ("ada", 13),
        ("dave", 5),
    ],
)
def test_each_home_reads_a_bounded_number_of_queries(world, day, name, bound, django_assert_max_num_queries):
    """No panel reads per row: the bounds hold on the demo's larger data set too (alice 20, mona 16 there)."""
    client = client_for(world[name])
    with django_assert_max_num_queries(bound):
        assert client.get(reverse("home")).status_code == 200
