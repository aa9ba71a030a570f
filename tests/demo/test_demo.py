"""The demo data set: built from the real public files shipped with it, written through the actions, and
loaded only into an empty database."""

from __future__ import annotations

import itertools

from click.testing import CliRunner


def test_its_public_sources_are_shipped_with_their_provenance():
    from liaison.demo import sources

    for path in (
        sources.MESH_TREE,
        sources.PUBMED_SAMPLE,
        sources.OPEN_PAYMENTS_PROFILES,
        sources.ONCOLOGY_PUBMED,
        sources.ONCOLOGY_TRIALS,
    ):
        assert path.exists(), path
        assert (path.parent / "SOURCE.txt").exists()
    assert (sources.TRIALS_DIR / "SOURCE.txt").exists()
    assert sources.mesh_name("C04") == "Neoplasms"
    assert sources.mesh_name("C14") == "Cardiovascular Diseases"
    assert sources.mesh_name("C10") == "Nervous System Diseases"


def test_it_reads_real_people_from_every_source():
    from liaison.demo import sources

    physicians = list(sources.open_payments_physicians())
    authors = list(sources.pubmed_authors())
    officials = list(sources.trial_officials())

    assert {p.area for p in physicians} == {"Oncology", "Cardiology", "Neurology"}
    assert all(p.state == "IA" and p.identifiers["open_payments_profile_id"] for p in physicians)
    assert not any(p.specialty == "Psychiatry" for p in physicians)
    assert authors and all(p.identifiers["pubmed_pmid"].isdigit() for p in authors)
    assert any(p.organization for p in authors)
    assert {o.identifiers["clinicaltrials_gov_nct"] for o in officials} >= {"NCT03475563", "NCT06171568"}
    assert all("MD" not in o.last_name for o in officials)


def test_unindexed_articles_get_oncology_headings_from_their_titles_only():
    from liaison.demo import indexing

    def names(text):
        return [name for _, name in indexing.headings_for(text)]

    assert names("Atezolizumab in metastatic urothelial carcinoma") == [
        "Urinary Bladder Neoplasms",
        "Carcinoma",
        "Neoplasm Metastasis",
    ]
    assert "Urinary Bladder Neoplasms" not in names("Gallbladder carcinoma outcomes")
    assert names("Outcomes of NSCLC immunotherapy") == ["Carcinoma, Non-Small-Cell Lung"]
    # Multiple Myeloma and Brain Neoplasms are also under C14 and C10: the derived heading stays in oncology.
    assert names("Daratumumab in relapsed multiple myeloma") == ["Neoplasms"]
    assert "Brain Neoplasms" not in names("Brain metastases of breast cancer")
    assert names("Tumor necrosis factor in sepsis") == []


def test_clean_demo_texts_raise_no_safety_flag_and_ae_notes_do():
    from liaison.demo import content
    from liaison_text.ae_lexicon import detect

    slots = {
        "hcp": "Dr Smith",
        "product": "Onkotrex",
        "topic": "lung neoplasms",
        "org": "Mercy Medical Center",
        "city": "Des Moines",
        "code": "SR-001",
    }
    clean = [
        *content.CLEAN_NOTES,
        *content.INQUIRY_QUESTIONS,
        *content.OFF_LABEL_QUESTIONS,
        *content.FOLLOW_UPS,
        *content.MATERIALS,
        *content.UNEXPECTED_INSIGHTS,
        content.INQUIRY_ANSWER,
        *itertools.chain.from_iterable(texts for items in content.PRIORITIES.values() for *_, texts in items),
    ]
    for template in clean:
        text = template.format(**slots)
        assert not detect(text).flagged, f"would raise a safety report: {text!r} ({detect(text).terms})"
    for template in content.AE_NOTES:
        assert detect(template.format(**slots)).flagged, template


def test_it_loads_the_small_demo_through_the_actions_and_the_audit_chain_verifies(db):
    from django.utils import timezone

    from liaison.accounts.models import User
    from liaison.compliance.anchors import check_anchors
    from liaison.compliance.chain import chain_head, verify_chain
    from liaison.compliance.reconcile import reconcile
    from liaison.core.models import AuditEvent
    from liaison.core.roles import INVITED_ROLES, Role
    from liaison.demo import DEMO_PASSWORD, content, load_demo, planned_steps
    from liaison.engagement.models import Interaction
    from liaison.insights.models import Insight
    from liaison.people.models import HCP
    from liaison.safety.models import SafetyReport

    steps: list[int] = []
    summary = load_demo(size="small", progress=lambda stage, n: steps.append(n))

    assert summary.loaded
    assert sum(steps) == planned_steps("small")
    # Every role has a demo user, but advisors: they come with an invitation to an asynchronous board, which
    # the demo creates only where an area has enough HCPs (programs/demo.py).
    assert (
        set(User.objects.values_list("role", flat=True)) - INVITED_ROLES == set(Role.values) - INVITED_ROLES
    )
    assert User.objects.get(username="alice").check_password(DEMO_PASSWORD)
    assert HCP.objects.filter(identifiers__has_key="open_payments_profile_id").exists()
    assert HCP.objects.filter(identifiers__has_key="pubmed_pmid").exists()
    # The field stage's 30 and the meetings whose flagged notes were saved with a reason, then meetings with
    # external people and planned meetings (engagement/demo.py).
    flagged = len(content.FLAGGED_NOTES)
    assert (
        Interaction.objects.filter(external_attendees=None, occurred_at__lte=timezone.now()).count()
        == 30 + flagged
    )
    overrides = AuditEvent.objects.filter(event_type="interaction.flags_overridden")
    assert overrides.count() == flagged, set(AuditEvent.objects.values_list("event_type", flat=True))
    assert Interaction.objects.filter(attendance=None, external_attendees__role="payer").exists()
    assert Interaction.objects.filter(status="draft", occurred_at__gt=timezone.now()).exists()
    assert {"draft", "submitted"} <= set(Insight.objects.values_list("status", flat=True))
    # A medical reviewer released rewritten summaries, so the aggregate report commercial reads has words too.
    released = Insight.objects.exclude(released_summary="")
    assert released.exists() and not released.filter(released_by=None).exists()
    assert all(i.released_summary not in i.text for i in released)
    assert SafetyReport.objects.filter(interaction__isnull=False).exists()
    assert all(
        r.day_zero == r.interaction.occurred_at for r in SafetyReport.objects.exclude(interaction=None)
    )
    # Every record was written through an action, so each one has its "created" audit event.
    for hcp in HCP.objects.all():
        assert AuditEvent.objects.filter(event_type="hcp.created", object_uuid=str(hcp.uuid)).exists()
    assert set(AuditEvent.objects.values_list("source", flat=True)) == {"cli"}
    report = verify_chain()
    assert report.ok, report.describe()
    assert report.checked == AuditEvent.objects.count() == summary.counts["audit events"]
    # ... and every record holds exactly what the replay of its audit events gives: nothing bypassed the trail.
    records = reconcile()
    assert records.ok and records.records > 100, [d.describe() for d in records.discrepancies[:5]]
    _assert_the_oncology_ranking_has_depth()
    # Anchored when loaded, then verified once by compliance: the anchor of the verified head, then the event that
    # records the verification (the oversight homes show when the trail last held).
    anchored = check_anchors(chain_head())
    assert anchored.ok and anchored.checked == 2
    assert anchored.latest["reason"] == "verified" and anchored.latest["seq"] == report.head.seq - 1
    last = AuditEvent.objects.order_by("-seq").first()
    assert (last.event_type, last.actor_username) == ("audit.verified", "carla")


def _assert_the_oncology_ranking_has_depth():
    """The oncology KOLs come from one real 2021 PubMed file and 550 real oncology studies: the top ten have
    several papers each, an HCP record each with the link its owner confirmed, and the confirmed trial
    officials put their trials in the ranking."""
    from liaison.kol.models import IdentityLink, KolSnapshot, LinkStatus, LinkTarget

    snapshot = KolSnapshot.objects.get(area__name="Oncology")
    top = list(snapshot.scores.order_by("rank")[:10])
    assert len(top) == 10
    assert all(score.area_papers >= 2 for score in top), [(s.name, s.area_papers) for s in top]
    assert sum(score.area_papers >= 3 for score in top) >= 8
    assert all(score.hcp_id is not None for score in top), [s.name for s in top if s.hcp_id is None]
    for score in top:
        assert IdentityLink.objects.filter(
            person_id=score.person_id, hcp_id=score.hcp_id, target=LinkTarget.HCP, status=LinkStatus.ACCEPTED
        ).exists(), score.name
    with_trials = snapshot.scores.filter(area_trials__gt=0, rank__lte=30)
    assert with_trials.count() >= 3, list(
        snapshot.scores.filter(area_trials__gt=0).values_list("name", "rank")
    )
    assert IdentityLink.objects.filter(target=LinkTarget.INVESTIGATOR, status=LinkStatus.ACCEPTED).exists()
    # Most of the 2021 records were not indexed by NLM yet: the demo indexes them, so they count in oncology.
    assert snapshot.persons > 10_000


def test_it_does_not_load_twice(db):
    from liaison.demo import count_rows, load_demo

    load_demo(size="small")
    before = count_rows()

    again = load_demo(size="small")

    assert not again.loaded
    assert "already holds data" in again.message
    assert count_rows() == before


def test_the_demo_command_prints_one_login_per_role(db):
    from liaison.cli import main
    from liaison.core.roles import INVITED_ROLES, Role
    from liaison.demo import DEMO_PASSWORD

    result = CliRunner().invoke(main, ["demo", "--size", "small"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert "Demo data loaded" in result.output
    login_lines = [line for line in result.output.splitlines() if DEMO_PASSWORD in line]
    # Advisors have no password: they sign in by the portal link (`liaison programs portal-link`).
    roles = [r for r in Role.values if r not in INVITED_ROLES]
    assert len(login_lines) == len(roles)
    for role in roles:
        assert any(f" {role} " in line for line in login_lines), role

    second = CliRunner().invoke(main, ["demo", "--size", "small"], catch_exceptions=False)

    assert second.exit_code == 0
    assert "was not loaded again" in second.output
