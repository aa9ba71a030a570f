"""Insight intelligence pages and API: search (firewalled), the theme panel and decision, clusters, trends."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.engagement.test_web import login
from tests.intel.test_intel import PD_L1, PD_L1_AGAIN, PODCASTS, add_insight, jobs  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

CARDIO = "Prior authorisation for newer heart failure drugs takes two to four weeks at most practices here."


@pytest.fixture
def corpus(world, jobs, acting):  # noqa: F811 - the jobs fixture
    """Alice's (Oncology East) and Bob's (Cardio West) insights, plus an inquiry, all indexed."""
    from liaison.intel.index import INDEX
    from liaison.medinfo.actions import capture_inquiry

    out = {
        "alice": add_insight(world, jobs, "alice", PD_L1),
        "mona": add_insight(world, jobs, "mona", PD_L1_AGAIN),
        "bob": add_insight(world, jobs, "bob", CARDIO),
    }
    with acting(world["iris"]):
        out["inquiry"] = jobs(
            capture_inquiry,
            acting_user=world["iris"],
            question="How long does PD-L1 testing take before treatment can start?",
            channel="phone",
            unsolicited_attested=True,
            requester_name="Dr Example",
        )
    INDEX.rebuild()
    return out


def _uuids(response):
    return {item["uuid"] for item in response.json()["items"]}


def test_search_finds_by_meaning_what_shares_no_word_with_the_query(api, corpus):
    response = api("lena").get("/search", q="slow biomarker lab reports delay treatment")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["semantic"] is True
    top = body["items"][0]
    assert top["uuid"] in {str(corpus["alice"].uuid), str(corpus["mona"].uuid), str(corpus["inquiry"].uuid)}
    assert str(corpus["bob"].uuid) not in [i["uuid"] for i in body["items"][:3]]


def test_search_combines_keyword_and_meaning_hits(api, corpus):
    items = api("lena").get("/search", q="PD-L1 results").json()["items"]
    both = [i for i in items if i["keyword"] and i["meaning"]]
    assert {i["uuid"] for i in both} >= {str(corpus["alice"].uuid)}


def test_an_msl_searches_only_their_teams_records(api, corpus):
    alice = _uuids(api("alice").get("/search", q="prior authorisation heart failure drugs"))
    assert str(corpus["bob"].uuid) not in alice
    bob = _uuids(api("bob").get("/search", q="PD-L1 results three weeks"))
    assert not bob & {str(corpus["alice"].uuid), str(corpus["mona"].uuid)}
    assert str(corpus["bob"].uuid) in _uuids(api("bob").get("/search", q="prior authorisation"))


def test_a_user_who_may_see_few_records_still_gets_the_nearest_of_them(api, corpus, monkeypatch):
    # With no oversampling, the unfiltered nearest neighbours are mostly other teams' records: search must fall
    # back to filtering the index by the records Bob may see rather than return fewer (or hidden) results.
    from liaison.intel import search

    monkeypatch.setattr(search, "OVERSAMPLE", 1)
    bob = _uuids(api("bob").get("/search", q="PD-L1 results three weeks", limit=1))
    assert not bob & {str(corpus["alice"].uuid), str(corpus["mona"].uuid)}
    assert str(corpus["bob"].uuid) in bob


def test_drug_safety_searches_inquiries_but_never_insights(api, corpus):
    items = api("sam").get("/search", q="PD-L1 testing").json()["items"]
    assert {i["kind"] for i in items} <= {"inquiry", "interaction"}
    assert str(corpus["inquiry"].uuid) in {i["uuid"] for i in items}


def test_commercial_gets_no_search_results_and_no_counts(api, client, world, corpus):
    response = api("dave").get("/search", q="PD-L1")
    assert response.status_code == 403
    assert set(response.json()) == {"detail"}
    login(client, world["dave"])
    page = client.get(reverse("intel:search"), {"q": "PD-L1"})
    assert page.status_code == 403
    assert b"PD-L1" not in page.content
    home = client.get(reverse("home"))
    assert reverse("intel:search").encode() not in home.content  # no Search in the menu
    for name in ("intel:trends", "intel:clusters"):
        assert client.get(reverse(name)).status_code == 403
    assert api("dave").get("/intel/trends").status_code == 403


def test_bad_search_input_is_a_422_not_a_500(api, corpus):
    assert api("lena").get("/search").status_code == 422
    assert api("lena").get("/search", q="x" * 500).status_code == 422
    assert api("lena").get("/search", q="a", kind="secrets").status_code == 422
    assert api("lena").get("/search", q="\x00").status_code in (200, 422)


def test_the_search_page_answers_htmx_with_the_results_fragment(client, world, corpus):
    login(client, world["alice"])
    full = client.get(reverse("intel:search"), {"q": "PD-L1"})
    assert (
        full.status_code == 200
        and b"<html" in full.content
        and str(corpus["alice"].uuid)[:8].encode() in full.content
    )
    part = client.get(reverse("intel:search"), {"q": "PD-L1"}, headers={"HX-Request": "true"})
    assert part.status_code == 200 and b"<html" not in part.content
    assert b"search-hit" in part.content
    assert CARDIO[:20].encode() not in part.content


def test_the_theme_panel_shows_scores_and_voices_and_a_reviewer_decides(client, world, corpus):
    from liaison.intel.models import ThemeFeedback

    url = reverse("intel:insight_theme", args=[corpus["alice"].uuid])
    login(client, world["mona"])
    panel = client.get(url, {"panel": 1})
    assert panel.status_code == 200
    assert b"Biomarker testing barriers" in panel.content
    assert b"<strong>2</strong> voices" in panel.content
    response = client.post(
        url, {"priority": "none", "note": "not about testing"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert ThemeFeedback.objects.get().verdict == "none"
    assert b"No listening priority matched" in response.content
    bad = client.post(url, {"priority": "not-a-uuid"}, headers={"HX-Request": "true"})
    assert bad.status_code == 200 and b"Choose a listening priority" in bad.content


def test_the_author_cannot_decide_and_another_team_gets_404(client, world, corpus):
    url = reverse("intel:insight_theme", args=[corpus["alice"].uuid])
    login(client, world["alice"])
    assert client.post(url, {"priority": "none"}).status_code == 403
    client.logout()
    login(client, world["bob"])
    assert client.get(url).status_code == 404


def test_the_api_reads_and_decides_a_theme(api, world, corpus):
    path = f"/intel/insights/{corpus['alice'].uuid}/theme"
    body = api("lena").get(path).json()
    assert body["source"] == "model" and body["theme"] == str(world["priority"].uuid)
    assert body["voices"] == 2 and body["duplicates"] == [str(corpus["mona"].uuid)]
    assert api("bob").get(path).status_code == 404
    made = api("lena").post(path, {"priority": str(world["priority"].uuid)})
    assert made.status_code == 201 and made.json()["verdict"] == "confirmed"
    assert api("lena").get(path).json()["source"] == "reviewer"
    assert api("alice").post(path, {"priority": None}).status_code == 403
    assert api("lena").post(path, {"priority": "nope"}).status_code == 422


def test_the_trends_page_draws_a_chart_and_the_table_behind_it(client, api, world, corpus):
    login(client, world["lena"])
    page = client.get(reverse("intel:trends"), {"months": 6})
    assert page.status_code == 200
    assert b"<svg" in page.content and b"trend-line" in page.content
    assert b"Biomarker testing barriers" in page.content
    body = api("lena").get("/intel/trends", months=6).json()
    assert len(body["months"]) == 6 and body["insights"] == 3 and body["signals"] == 2
    assert api("lena").get("/intel/trends", area="nowhere").status_code == 422


def test_the_clusters_page_lists_unmatched_insights(client, api, world, jobs):  # noqa: F811
    from liaison.intel.clusters import recluster_area

    for text in PODCASTS:
        add_insight(world, jobs, "alice", text)
    recluster_area(world["oncology"].pk)
    login(client, world["mona"])
    page = client.get(reverse("intel:clusters"))
    assert page.status_code == 200 and b"podcasts" in page.content
    assert api("bob").get("/intel/clusters").json() == []
    assert len(api("mona").get("/intel/clusters").json()[0]["insights"]) == 3
