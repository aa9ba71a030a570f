"""The KOL REST API: scores (latest snapshot by default), snapshots, identity links and decisions.

Scores come from a real scoring run on the demo's public samples (see tests/kol/test_kol.py for the inputs).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.kol.test_kol import ingested, tables  # noqa: F401 - shared fixtures

MISSING = "6f1c1f43-0d37-4a4b-9f59-2c1d1d1d1d1d"


@pytest.fixture
def scored(world, tables, system_context) -> dict[str, Any]:  # noqa: F811
    """Two snapshots of oncology (v1 as of 2015, v2 as of 2020) and one identity suggestion to an HCP."""
    from liaison.kol.actions import run_kol_scoring
    from liaison.kol.loaders import load_publications, load_trials

    load_publications(tables)
    load_trials(tables)
    v1 = run_kol_scoring(None, world["oncology"], as_of_year=2015)
    v2 = run_kol_scoring(None, world["oncology"], as_of_year=2020)
    return {"v1": v1, "v2": v2}


@pytest.fixture
def suggestion(world, hcp, system_context) -> Any:
    from liaison.kol.models import IdentityLink

    return IdentityLink.objects.create(
        person_id="P0123456789abcdef",
        person_name="Grace Hopkins",
        target="hcp",
        target_id=str(hcp.uuid),
        target_name="Grace Hopkins",
        hcp=hcp,
        confidence=0.72,
        evidence=["surname and first name agree"],
        status="suggested",
    )


def test_it_lists_the_latest_snapshots_scores_by_rank(api, scored):
    body = api("alice").get("/kol-scores", area="oncology", limit=100).json()
    v2 = scored["v2"]
    assert body["count"] == v2.scores.count() > 0
    assert {item["snapshot"]["uuid"] for item in body["items"]} == {str(v2.uuid)}
    ranks = [item["rank"] for item in body["items"]]
    assert ranks == sorted(ranks) and ranks[0] == 1
    top = body["items"][0]
    assert sum(c["points"] for c in top["components"].values()) == pytest.approx(top["score"], abs=1e-6)


def test_it_lists_an_older_snapshot_when_asked(api, scored):
    body = api("lena").get("/kol-scores", snapshot=str(scored["v1"].uuid)).json()
    assert body["count"] == scored["v1"].scores.count()
    assert {item["snapshot"]["version"] for item in body["items"]} == {1}


def test_it_filters_scores_by_rising_star_and_hcp(api, scored, hcp):
    alice = api("alice")
    stars = alice.get("/kol-scores", rising_star=True, limit=100).json()
    assert all(item["rising_star"] for item in stars["items"])
    assert stars["count"] == scored["v2"].scores.filter(rising_star=True).count()
    assert alice.get("/kol-scores", hcp=str(hcp.uuid)).json()["count"] == 0
    assert alice.get("/kol-scores", area="cardiology").json()["count"] == 0


def test_it_reads_one_score_with_evidence_that_adds_up(api, scored):
    score = scored["v2"].scores.order_by("rank").first()
    body = api("alice").get(f"/kol-scores/{score.uuid}").json()
    assert body["person_id"] == score.person_id and body["evidence"]
    for name, component in body["components"].items():
        points = sum(e["points"] for e in body["evidence"] if e["component"] == name)
        assert points == pytest.approx(component["raw"], abs=1e-6), name
    assert all(e["url"].startswith("https://") for e in body["evidence"])


def test_it_lists_and_reads_snapshots(api, scored):
    alice = api("alice")
    body = alice.get("/kol-snapshots", area="oncology").json()
    assert [item["version"] for item in body["items"]] == [2, 1]
    one = alice.get(f"/kol-snapshots/{scored['v1'].uuid}").json()
    assert one["as_of_year"] == 2015 and one["weights"]["components"]["publications"] == 0.35
    assert "articles" in one["inputs"]


@pytest.mark.parametrize("path", ["/kol-scores", "/kol-snapshots", "/identity-links"])
def test_it_gives_commercial_one_403_on_every_kol_url(api, scored, suggestion, path):
    dave = api("dave")
    existing = {
        "/kol-scores": scored["v2"].scores.first().uuid,
        "/kol-snapshots": scored["v2"].uuid,
        "/identity-links": suggestion.uuid,
    }[path]
    listing = dave.get(path)
    assert listing.status_code == 403 and b"items" not in listing.content
    if path != "/identity-links":
        hit, miss = dave.get(f"{path}/{existing}"), dave.get(f"{path}/{MISSING}")
        assert hit.status_code == miss.status_code == 403 and hit.content == miss.content


def test_it_answers_404_for_a_missing_score(api, scored):
    response = api("alice").get(f"/kol-scores/{MISSING}")
    assert response.status_code == 404 and response.json() == {"detail": "Not found"}


def test_it_lists_identity_links_by_status(api, suggestion):
    alice = api("alice")
    assert alice.get("/identity-links", status="suggested").json()["count"] == 1
    assert alice.get("/identity-links", status="accepted").json()["count"] == 0
    assert alice.get("/identity-links", status="bogus").status_code == 422


def test_it_accepts_a_link_with_a_reason(api, suggestion, world):
    response = api("alice").post(
        f"/identity-links/{suggestion.uuid}/decision", {"accept": True, "reason": "same ORCID on her CV"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["reason"], body["decided_by"]["username"]) == (
        "accepted",
        "same ORCID on her CV",
        "alice",
    )
    suggestion.hcp.refresh_from_db()
    assert suggestion.hcp.identifiers["pubmed_person"] == suggestion.person_id


def test_it_refuses_a_decision_without_a_reason(api, suggestion):
    response = api("alice").post(
        f"/identity-links/{suggestion.uuid}/decision", {"accept": False, "reason": ""}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "reason"]
    suggestion.refresh_from_db()
    assert suggestion.status == "suggested"


@pytest.mark.parametrize(("persona", "status"), [("dave", 403), ("otto", 403), ("iris", 403)])
def test_it_refuses_decisions_from_roles_that_may_not_change_links(api, suggestion, persona, status):
    response = api(persona).post(
        f"/identity-links/{suggestion.uuid}/decision", {"accept": True, "reason": "x"}
    )
    assert response.status_code == status
    assert "detail" in response.json()


def test_it_answers_404_for_a_decision_on_a_missing_link(api, suggestion):
    response = api("alice").post(f"/identity-links/{MISSING}/decision", {"accept": True, "reason": "x"})
    assert response.status_code == 404
