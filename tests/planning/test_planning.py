"""Engagement planning: progress against plan, standing interests (renewal, expiry), reminders, pages, API.

Publications are two real PubMed records (PMIDs 12091962 and 9997) from tests/fixtures/pubmed/
biopython_Entrez_pubmed*.xml (see that folder's SOURCE.txt), with their MeSH headings as ingested.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from liaison.core.permissions import PermissionDenied
from liaison.planning import actions
from liaison.planning.matching import Evidence, match_interest
from liaison.planning.models import InterestReminder, StandingInterest
from liaison.planning.queries import plan_progress
from personas import PASSWORD

AIDS_PAPER = {
    "pmid": 12091962,
    "title": "The treatment of AIDS behind the walls of correctional facilities.",
    "keywords": ["Health Care and Public Health", "Legal Approach"],
    "mesh": [
        {"ui": "D000163", "name": "Acquired Immunodeficiency Syndrome", "major": True},
        {"ui": "D006679", "name": "HIV Seropositivity", "major": True},
        {"ui": "D011329", "name": "Prisoners", "major": True},
    ],
}
HEME_PAPER = {
    "pmid": 9997,
    "title": "Magnetic studies of Chromatium flavocytochrome C552. A mechanism for heme-flavin interaction.",
    "keywords": [],
    "mesh": [
        {"ui": "D003574", "name": "Cytochrome c Group", "major": True},
        {"ui": "D006418", "name": "Heme", "major": False},
    ],
}


def login(client: Any, user: Any) -> Any:
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _interaction(
    world: Any, acting: Any, user: Any, hcps: list[Any], when: dt.datetime, submit: bool = True
) -> Any:
    from liaison.engagement.actions import log_interaction

    with acting(user):
        return log_interaction(
            acting_user=user,
            attendees=hcps,
            data={
                "occurred_at": when,
                "channel": "phone",
                "purpose": "scientific_exchange",
                "ae_attestation": "no",
                "notes": "Discussed the study design.",
            },
            submit=submit,
        )


@pytest.fixture
def kol_plan(world, hcp, acting):
    today = timezone.localdate()
    with acting(world["alice"]):
        return actions.create_plan(
            acting_user=world["alice"],
            kind="kol",
            year=today.year,
            hcp=hcp,
            planned_per_quarter=2,
            objectives=["Discuss the phase 3 design"],
            listening_priorities=[world["priority"]],
        )


@pytest.fixture
def publications(db):
    from liaison.kol.models import Publication

    return [Publication.objects.create(**AIDS_PAPER), Publication.objects.create(**HEME_PAPER)]


# --- progress ---------------------------------------------------------------------------------------------------


def test_it_counts_submitted_interactions_the_hcp_attended_in_the_period(world, hcp, acting, kol_plan):
    now = timezone.now()
    _interaction(world, acting, world["alice"], [hcp], now - dt.timedelta(hours=2))
    _interaction(world, acting, world["alice"], [hcp], now - dt.timedelta(hours=1))
    _interaction(world, acting, world["alice"], [hcp], now - dt.timedelta(hours=3), submit=False)  # draft
    _interaction(world, acting, world["alice"], [hcp], now.replace(year=now.year - 1))  # last year

    progress = plan_progress(kol_plan, world["alice"])

    assert (progress.total.planned, progress.total.done) == (8, 2)  # 2 per quarter x 4 quarters
    assert progress.total.percent == 25
    assert 0 < progress.elapsed_percent <= 100


def test_it_counts_territory_progress_per_tier_and_hcps_reached(world, acting, system_context):
    from liaison.accounts.actions import save_territory
    from liaison.people.actions import create_hcp

    territory = save_territory(
        None, acting_user=None, name="Iowa", regions=["IA"], team=world["teams"]["Oncology East"]
    )
    people = [
        create_hcp(
            acting_user=None,
            data={"first_name": first, "last_name": last, "tier": tier, "territory": territory},
        )
        for first, last, tier in [("Ada", "Lovelace", 1), ("Carl", "Gauss", 1), ("Emmy", "Noether", 2)]
    ]
    elsewhere = create_hcp(acting_user=None, data={"first_name": "Far", "last_name": "Away", "tier": 1})
    now = timezone.now() - dt.timedelta(hours=1)
    _interaction(
        world, acting, world["alice"], [people[0], people[1]], now
    )  # one interaction, two tier-1 HCPs
    _interaction(world, acting, world["alice"], [people[0]], now)
    _interaction(world, acting, world["alice"], [elsewhere], now)  # not in the territory
    today = timezone.localdate()
    with acting(world["alice"]):
        plan = actions.create_plan(
            acting_user=world["alice"],
            kind="territory",
            year=today.year,
            quarter=(today.month - 1) // 3 + 1,
            territory=territory,
            tier_targets={"1": 4, "2": 3, "3": 0},
        )
    assert plan.tier_targets == {"1": 4, "2": 3}

    progress = plan_progress(plan, world["alice"])

    tier1, tier2 = progress.rows
    assert (tier1.planned, tier1.done, tier1.reached, tier1.hcps) == (4, 2, 2, 2)
    assert (tier2.planned, tier2.done, tier2.reached, tier2.hcps) == (3, 0, 0, 1)
    assert (progress.total.planned, progress.total.done) == (7, 2)


def test_it_refuses_a_kol_plan_without_its_hcp_or_with_a_bad_quarter(world, acting):
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        actions.create_plan(acting_user=world["alice"], kind="kol", year=2025, planned_per_quarter=2)
    assert "hcp" in exc.value.message_dict
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        actions.create_plan(acting_user=world["alice"], kind="territory", year=2025, quarter=5)
    assert "quarter" in exc.value.message_dict


# --- standing interests -------------------------------------------------------------------------------------


def test_it_expires_an_interest_after_a_year_and_renews_it_for_another(world, hcp, acting):
    today = timezone.localdate()
    with acting(world["alice"]):
        interest = actions.record_standing_interest(
            acting_user=world["alice"],
            hcp=hcp,
            topic="HIV in prisons",
            recorded_on=today - dt.timedelta(days=300),
        )
    assert interest.expires_on == today + dt.timedelta(days=65)
    assert interest.status_on(today) == "active"
    assert interest.status_on(today + dt.timedelta(days=66)) == "expired"

    with acting(world["bob"]), pytest.raises(ValidationError):  # another team's MSL
        actions.renew_standing_interest(interest, acting_user=world["bob"])
    with acting(world["alice"]):
        actions.renew_standing_interest(interest, acting_user=world["alice"])

    interest.refresh_from_db()
    assert interest.renewed_on == today and interest.expires_on == today + dt.timedelta(days=365)
    from liaison.core.models import AuditEvent

    event = AuditEvent.objects.filter(event_type="standinginterest.updated").latest("seq")
    assert "renewed" in event.reason and "expires_on" in event.changes


def test_it_refuses_an_interest_asked_more_than_a_year_ago_or_in_the_future(world, hcp, acting):
    today = timezone.localdate()
    for day in (today - dt.timedelta(days=400), today + dt.timedelta(days=1)):
        with acting(world["alice"]), pytest.raises(ValidationError) as exc:
            actions.record_standing_interest(acting_user=world["alice"], hcp=hcp, topic="x", recorded_on=day)
        assert "recorded_on" in exc.value.message_dict


def test_it_matches_on_mesh_topic_words_and_not_on_a_partial_topic():
    paper = Evidence(title=AIDS_PAPER["title"], keywords=AIDS_PAPER["keywords"], mesh=AIDS_PAPER["mesh"])
    assert match_interest("anything", ["d000163"], paper) == ["MeSH Acquired Immunodeficiency Syndrome"]
    assert match_interest("AIDS treatment in correctional facilities", [], paper) == [
        "topic words aids, treatment, correctional, facilitie"
    ]
    assert match_interest("AIDS vaccines", [], paper) == []


# --- reminders ----------------------------------------------------------------------------------------------


def test_it_raises_one_reminder_per_matching_publication_and_none_on_a_second_run(
    world, hcp, acting, system_context, publications
):
    from liaison.engagement.models import FollowUp

    with acting(world["alice"]):
        interest = actions.record_standing_interest(
            acting_user=world["alice"],
            hcp=hcp,
            topic="HIV in prisons",
            mesh_terms=["Prisoners"],
            recorded_on=timezone.localdate() - dt.timedelta(days=10),
        )
    first = actions.remind_standing_interests()
    second = actions.remind_standing_interests()

    assert (first.created, second.created, second.already) == (1, 0, 1)
    reminder = InterestReminder.objects.get(interest=interest)
    assert reminder.source_key == "12091962" and reminder.matched_on == ["MeSH Prisoners"]
    follow_up = FollowUp.objects.get(pk=reminder.follow_up_id)
    assert follow_up.owner == world["alice"] and follow_up.hcp == hcp
    assert "PMID 12091962" in follow_up.description and "HIV in prisons" in follow_up.description
    assert FollowUp.objects.filter(description__contains="PMID").count() == 1


def test_it_raises_no_reminder_for_expired_interests_old_evidence_or_the_hcps_own_paper(
    world, hcp, acting, system_context, publications
):
    from liaison.kol.models import Authorship, Publication

    with acting(world["alice"]):
        expired = actions.record_standing_interest(
            acting_user=world["alice"],
            hcp=hcp,
            topic="Heme",
            mesh_terms=["Heme"],
            recorded_on=timezone.localdate() - dt.timedelta(days=200),
        )
    # Evidence loaded before the HCP asked is not new to them.
    Publication.objects.filter(pmid=9997).update(created_at=timezone.now() - dt.timedelta(days=300))
    assert actions.remind_standing_interests().created == 0
    Publication.objects.filter(pmid=9997).update(created_at=timezone.now())
    # Their own paper is not news to them.
    Authorship.objects.create(publication=publications[1], position=1, person_id="P42", last_name="Strekas")
    hcp.identifiers = {"pubmed_person": "P42"}
    hcp.save()
    assert actions.remind_standing_interests().created == 0
    hcp.identifiers = {}
    hcp.save()
    assert actions.remind_standing_interests(today=expired.expires_on + dt.timedelta(days=1)).created == 0
    assert actions.remind_standing_interests().created == 1


def test_the_cli_command_reports_the_run(world, hcp, acting, publications):
    from click.testing import CliRunner

    from liaison.cli.planning import planning

    with acting(world["alice"]):
        actions.record_standing_interest(acting_user=world["alice"], hcp=hcp, topic="x", mesh_terms=["Heme"])
    result = CliRunner().invoke(planning, ["remind"])
    assert result.exit_code == 0, result.output
    assert "1 reminder(s) created" in result.output
    assert "0 reminder(s) created, 1 already raised" in CliRunner().invoke(planning, ["remind"]).output


# --- permissions --------------------------------------------------------------------------------------------


def test_commercial_users_can_neither_plan_nor_see_plans_or_interests(world, hcp, acting, kol_plan):
    from liaison.planning.models import EngagementPlan

    with acting(world["dave"]), pytest.raises(PermissionDenied):
        actions.record_standing_interest(acting_user=world["dave"], hcp=hcp, topic="x")
    assert not EngagementPlan.objects.restrict(world["dave"], "view").exists()
    assert EngagementPlan.objects.restrict(world["mona"], "view").exists()  # alice's manager
    assert not EngagementPlan.objects.restrict(world["bob"], "view").exists()  # another team


# --- pages --------------------------------------------------------------------------------------------------


def test_the_plan_pages_show_progress_numbers(client, world, hcp, acting, kol_plan):
    _interaction(world, acting, world["alice"], [hcp], timezone.now() - dt.timedelta(hours=1))
    login(client, world["alice"])

    listing = client.get("/plans/").content.decode()
    detail = client.get(f"/plans/{kol_plan.uuid}/").content.decode()
    home = client.get("/").content.decode()

    assert "Grace Hopkins" in listing and "1 / 8 (12%)" in listing
    assert (
        "<svg" in detail and "Discuss the phase 3 design" in detail and "Biomarker testing barriers" in detail
    )
    assert "Plan progress" in home and "1 / 8" in home


def test_a_commercial_user_gets_403_on_the_plan_pages(client, world, kol_plan):
    login(client, world["dave"])
    assert client.get("/plans/").status_code == 403
    assert client.get(f"/plans/{kol_plan.uuid}/").status_code == 403
    assert "Plan progress" not in client.get("/").content.decode()


def test_it_records_renews_and_completes_from_the_hcp_page(client, world, hcp, interaction):
    from liaison.engagement.models import FollowUp

    login(client, world["alice"])
    response = client.post(
        f"/plans/hcp/{hcp.uuid}/interests/", {"topic": "PD-L1 testing", "mesh_terms": "Lung Neoplasms"}
    )
    assert response.status_code == 302
    interest = StandingInterest.objects.get(hcp=hcp)
    assert interest.mesh_terms == ["Lung Neoplasms"]
    page = client.get(f"/plans/hcp/{hcp.uuid}/").content.decode()
    assert "PD-L1 testing" in page and "Interests &amp; plan" in page and "Send the subgroup analysis" in page

    renewed = client.post(f"/plans/interests/{interest.uuid}/renew/", headers={"HX-Request": "true"})
    assert "Renewed to" in renewed.content.decode()

    follow_up = FollowUp.objects.get(hcp=hcp)
    done = client.post(f"/home/follow-ups/{follow_up.uuid}/done/", headers={"HX-Request": "true"})
    assert done.status_code == 200
    follow_up.refresh_from_db()
    assert follow_up.status == "done"


def test_an_empty_topic_is_refused_with_the_form_and_nothing_saved(client, world, hcp):
    login(client, world["alice"])
    response = client.post(f"/plans/hcp/{hcp.uuid}/interests/", {"topic": ""})
    assert response.status_code == 422
    assert not StandingInterest.objects.exists()


def test_the_overdue_page_lists_the_teams_overdue_follow_ups(client, world, hcp, acting):
    from liaison.engagement.actions import create_follow_up

    with acting(world["alice"]):
        create_follow_up(
            acting_user=world["alice"],
            description="Send the poster",
            hcp=hcp,
            due_date=timezone.localdate() - dt.timedelta(days=3),
        )
    assert "Send the poster" in login(client, world["mona"]).get("/plans/overdue/").content.decode()
    client.logout()
    assert "Send the poster" not in login(client, world["bob"]).get("/plans/overdue/").content.decode()


# --- API ----------------------------------------------------------------------------------------------------


def test_the_api_creates_reads_and_renews_interests_and_plans(api, world, hcp):
    alice = api("alice")
    created = alice.post(
        "/standing-interests", {"hcp": str(hcp.uuid), "topic": "EGFR resistance", "mesh_terms": ["D008175"]}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "active" and body["mesh_terms"] == ["D008175"]
    renewed = alice.post(f"/standing-interests/{body['uuid']}/renew", {})
    assert renewed.status_code == 200 and renewed.json()["renewed_on"] == str(timezone.localdate())

    plan = alice.post(
        "/engagement-plans",
        {"kind": "kol", "year": timezone.localdate().year, "hcp": str(hcp.uuid), "planned_per_quarter": 3},
    )
    assert plan.status_code == 201, plan.content
    total = plan.json()["progress"]["total"]
    assert (total["planned"], total["done"], total["percent"]) == (12, 0, 0)
    assert alice.get("/engagement-plans").json()["count"] == 1
    patched = alice.patch(
        f"/engagement-plans/{plan.json()['uuid']}", {"objectives": ["Understand unmet need"]}
    )
    assert patched.json()["objectives"] == ["Understand unmet need"]


def test_the_api_answers_bad_input_with_422_and_commercial_with_403(api, world, hcp):
    alice = api("alice")
    bad = alice.post("/engagement-plans", {"kind": "territory", "year": 2025, "tier_targets": {"9": 1}})
    assert bad.status_code == 422 and "detail" in bad.json()
    assert alice.post("/standing-interests", {"hcp": str(hcp.uuid), "topic": ""}).status_code == 422
    dave = api("dave")
    assert dave.get("/engagement-plans").status_code == 403
    assert dave.get("/standing-interests").status_code == 403


def test_the_demo_step_creates_plans_interests_and_reminders(world, hcp, acting, publications):
    from liaison.planning.demo import load_planning_demo
    from liaison.planning.models import EngagementPlan

    hcp.tier = 1
    counts = load_planning_demo(
        acting=acting_or_system(acting),
        msls={"Oncology": [world["alice"]]},
        hcps={"Oncology": [hcp]},
        priorities={"Oncology": [(world["priority"], [])]},
    )
    assert counts["plans"] == 1 and counts["interests"] == 1  # alice has no territory: no territory plan
    assert EngagementPlan.objects.get().listening_priorities.get() == world["priority"]
    assert counts["reminders"] == InterestReminder.objects.count() >= 1


def acting_or_system(acting: Any) -> Any:
    """The loader's `acting(None)` runs as the system."""
    from liaison.core.context import audit_context

    return lambda user: acting(user) if user is not None else audit_context(actor=None, source="test")
