"""Insight intelligence, app side: stored embeddings, theme matching that learns, near-duplicate signals,
clusters of the unmatched, emerging trends and the index rebuild. Real SQLite, real MiniLM embeddings (the
ONNX model is built once per test session into the session's temporary data directory)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

PD_L1 = "Community oncologists wait three weeks for PD-L1 results and start chemotherapy before they arrive."
PD_L1_AGAIN = "Community oncologists are waiting about three weeks for PD-L1 results, so chemotherapy often starts first."
TRAVEL = [
    "Rural patients skip appointments because the bus to the cancer centre runs twice a week.",
    "Parking costs at the university hospital stop families from coming to every infusion.",
    "Petrol prices mean patients from the county ask to space out their visits.",
]
TRAVEL_NEW = "Patients miss chemotherapy cycles when nobody can drive them to the hospital."
PODCASTS = [
    "Residents say they learn about new oncology trials mainly from podcasts rather than journals.",
    "Young oncologists now follow trial news on podcasts more than in journals.",
    "Fellows told me podcasts are where they first hear about new trial results.",
]


@pytest.fixture
def jobs(settings, django_capture_on_commit_callbacks):
    """Run django-tasks jobs synchronously, and the on-commit hooks that enqueue them."""
    settings.TASKS = IMMEDIATE

    def run(fn: Any, *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def access_priority(world, system_context):
    from liaison.insights.actions import save_listening_priority

    return save_listening_priority(
        None,
        acting_user=None,
        therapeutic_area=world["oncology"],
        title="Access to care outside academic centres",
        description="Where do patients travel for treatment, and what stops care closer to home?",
    )


def add_insight(world: dict[str, Any], jobs: Any, author: str, text: str, **kwargs: Any) -> Any:
    from liaison.core.context import audit_context
    from liaison.insights.actions import create_insight

    user = world[author]
    with audit_context(actor=user, source="test"):
        return jobs(
            create_insight,
            acting_user=user,
            text=text,
            therapeutic_area=kwargs.pop("area", None) or world["oncology" if author != "bob" else "cardio"],
            submit=True,
            screen=False,
            **kwargs,
        )


def best(insight: Any) -> Any:
    from liaison.intel.models import ThemeMatch

    return ThemeMatch.objects.select_related("priority").get(insight=insight, rank=1)


# ---- embeddings ----------------------------------------------------------------------------------------------


def test_it_embeds_an_insight_on_save_once_and_not_again_for_unchanged_text(world, jobs):
    from liaison.intel import embeddings
    from liaison.intel.models import TextEmbedding

    insight = add_insight(world, jobs, "alice", PD_L1)
    row = TextEmbedding.objects.get(kind="insight", object_id=insight.pk)
    vector = row.as_array()
    assert vector.shape == (384,) and abs(float(vector @ vector) - 1.0) < 1e-3
    assert row.model_version == embeddings.embedder().version
    assert row.text_hash == embeddings.text_hash(PD_L1)
    assert embeddings.embed_records("insight", [insight.pk]) == 0  # unchanged text: nothing to do


def test_it_re_embeds_when_the_text_changes(world, jobs, acting):
    from liaison.insights.actions import update_insight
    from liaison.intel.models import TextEmbedding

    insight = add_insight(world, jobs, "alice", PD_L1)
    insight.status = "draft"  # the author edits a draft
    with acting(world["alice"]):
        type(insight).objects.filter(pk=insight.pk).update(status="draft")
        jobs(update_insight, insight, acting_user=world["alice"], text=TRAVEL[0])
    row = TextEmbedding.objects.get(kind="insight", object_id=insight.pk)
    assert row.text_hash != TextEmbedding(text_hash="").text_hash
    from liaison.intel.embeddings import text_hash

    assert row.text_hash == text_hash(TRAVEL[0])


def test_it_embeds_interaction_notes_and_inquiry_questions_on_save(world, jobs, interaction, acting):
    from liaison.intel import reindex
    from liaison.intel.models import TextEmbedding
    from liaison.medinfo.actions import capture_inquiry

    # the `interaction` fixture saved outside the jobs hook: the rebuild catches it up
    assert not TextEmbedding.objects.filter(kind="interaction", object_id=interaction.pk).exists()
    with acting(world["iris"]):
        inquiry = jobs(
            capture_inquiry,
            acting_user=world["iris"],
            question="Can the infusion be given at home by a visiting nurse?",
            channel="phone",
            unsolicited_attested=True,
            requester_name="Dr Example",
        )
    assert TextEmbedding.objects.filter(kind="inquiry", object_id=inquiry.pk).exists()
    report = reindex.rebuild()
    assert report.embedded["interaction"] == 1
    assert TextEmbedding.objects.filter(kind="interaction", object_id=interaction.pk).exists()


# ---- themes --------------------------------------------------------------------------------------------------


def test_it_matches_an_insight_to_the_listening_priority_it_answers(world, jobs, access_priority):
    insight = add_insight(world, jobs, "alice", PD_L1)
    match = best(insight)
    assert match.priority == world["priority"]  # "Biomarker testing barriers"
    assert match.matched and 0.5 <= match.score <= 1.0
    other = insight.theme_matches.get(priority=access_priority)
    assert other.rank == 2 and other.score < match.score


def test_it_only_matches_priorities_of_the_insights_own_area(world, jobs, system_context):
    from liaison.insights.actions import save_listening_priority

    save_listening_priority(
        None,
        acting_user=None,
        therapeutic_area=world["cardio"],
        title="PD-L1 testing delays",
        description="What delays PD-L1 results?",
    )
    insight = add_insight(world, jobs, "alice", PD_L1)
    assert {m.priority.therapeutic_area_id for m in insight.theme_matches.all()} == {world["oncology"].pk}


def test_reviewer_corrections_change_a_later_match(world, jobs, access_priority, acting):
    from liaison.intel.actions import decide_theme
    from liaison.intel.models import ThemeFeedback, ThemeVerdict

    before = add_insight(world, jobs, "alice", TRAVEL_NEW)
    first = best(before)
    assert not (first.priority == access_priority and first.matched)
    for text in TRAVEL:
        insight = add_insight(world, jobs, "alice", text)
        with acting(world["mona"]):
            jobs(decide_theme, insight, acting_user=world["mona"], priority=access_priority)
    after = add_insight(world, jobs, "alice", TRAVEL_NEW + " ")
    again = best(after)
    assert again.priority == access_priority and again.matched
    # the re-match job moved the earlier insight too
    assert before.theme_matches.get(priority=access_priority).score > first.score
    assert (
        ThemeFeedback.objects.filter(verdict__in=[ThemeVerdict.CONFIRMED, ThemeVerdict.CORRECTED]).count()
        == 3
    )


def test_a_theme_decision_is_audited_and_refused_to_the_author_and_other_teams(
    world, jobs, access_priority, acting
):
    from django.core.exceptions import ValidationError

    from liaison.core.models import AuditEvent
    from liaison.core.permissions import PermissionDenied
    from liaison.intel.actions import decide_theme

    insight = add_insight(world, jobs, "alice", PD_L1)
    with acting(world["mona"]):
        feedback = jobs(
            decide_theme, insight, acting_user=world["mona"], priority=world["priority"], note="yes"
        )
    assert feedback.verdict == "confirmed" and feedback.suggested == world["priority"]
    event = AuditEvent.objects.get(event_type="themefeedback.created")
    assert event.actor_username == "mona" and event.changes["verdict"] == [None, "confirmed"]
    with acting(world["alice"]), pytest.raises(PermissionDenied):
        decide_theme(insight, acting_user=world["alice"], priority=None)
    from liaison.accounts.actions import create_user

    with acting(None):
        outsider = create_user(
            username="mo", role="msl_manager", password=None, team=world["teams"]["Cardio West"]
        )
    with acting(outsider), pytest.raises(ValidationError):
        decide_theme(insight, acting_user=outsider, priority=None)
    with acting(world["lena"]), pytest.raises(ValidationError, match="another therapeutic area"):
        from liaison.insights.actions import save_listening_priority

        cardio_priority = save_listening_priority(
            None, acting_user=None, therapeutic_area=world["cardio"], title="Lipids"
        )
        decide_theme(insight, acting_user=world["lena"], priority=cardio_priority)


# ---- near-duplicates -----------------------------------------------------------------------------------------


def test_it_links_near_duplicates_across_authors_and_counts_voices(world, jobs):
    from liaison.intel import duplicates
    from liaison.intel.models import DuplicateLink

    a = add_insight(world, jobs, "alice", PD_L1)
    same_author = add_insight(world, jobs, "alice", PD_L1_AGAIN)
    assert not DuplicateLink.objects.exists()  # one MSL repeating herself is not a second voice
    b = add_insight(world, jobs, "mona", PD_L1_AGAIN + " Heard at the tumour board.")
    unrelated = add_insight(world, jobs, "mona", PODCASTS[0])
    links = {(link.insight_id, link.other_id) for link in DuplicateLink.objects.all()}
    assert (min(a.pk, b.pk), max(a.pk, b.pk)) in links
    assert all(unrelated.pk not in pair for pair in links)
    signal = duplicates.signal_of(world["lena"], a)
    assert {i.pk for i in signal.insights} == {a.pk, same_author.pk, b.pk}
    assert signal.voices == 2
    # bob (another team) sees none of it
    assert not DuplicateLink.objects.restrict(world["bob"], "view").exists()
    assert not DuplicateLink.objects.restrict(world["dave"], "view").exists()


# ---- clusters of the unmatched -------------------------------------------------------------------------------


def test_it_clusters_what_nobody_asked_about_and_labels_it(world, jobs):
    from liaison.intel import clusters

    for text in PODCASTS:
        add_insight(world, jobs, "alice", text)
    add_insight(world, jobs, "alice", PD_L1)  # matched: not part of any cluster
    assert clusters.recluster_area(world["oncology"].pk) >= 1
    views = clusters.clusters_for(world["lena"])
    podcast = next(v for v in views if len(v.insights) >= 3)
    assert "podcasts" in podcast.keywords
    assert all("PD-L1" not in i.text for v in views for i in v.insights)
    assert clusters.clusters_for(world["bob"]) == []


# ---- trends --------------------------------------------------------------------------------------------------


def test_it_detects_a_planted_emerging_theme(world, jobs, access_priority, acting):
    from liaison.insights.models import Insight
    from liaison.intel import trends

    today = timezone.localdate()
    stamps = []
    # a steady trickle of biomarker insights (one a month for six months) ...
    background = [
        "PD-L1 turnaround is slow at the community hospital.",
        "Pathology capacity limits EGFR testing in the region.",
        "Clinics send PD-L1 samples to a central lab and wait.",
        "EGFR results arrive after the first-line decision is made.",
        "The tumour board asks for faster biomarker reports.",
        "Reflex testing for PD-L1 is not routine yet here.",
    ]
    for months_ago, text in zip(range(6, 0, -1), background, strict=True):
        stamps.append((add_insight(world, jobs, "alice", text), months_ago))
    # ... then a burst of access insights this month, after months of silence
    for text in [*TRAVEL, TRAVEL_NEW, "Families cannot afford the drive to the infusion centre every week."]:
        stamps.append((add_insight(world, jobs, "alice", text, listening_priority=access_priority), 0))
    with acting(None):
        for insight, months_ago in stamps:
            Insight.objects.filter(pk=insight.pk).update(
                submitted_at=timezone.now() - dt.timedelta(days=30 * months_ago + 1 if months_ago else 0)
            )
    table = trends.trend_table(world["lena"], months=8, today=today)
    rows = {r.label: r for r in table.rows}
    assert rows["Access to care outside academic centres"].emerging == [table.months[-1]]
    assert rows["Biomarker testing barriers"].emerging == []
    assert rows["Biomarker testing barriers"].total == 6
    # the firewall: bob's team sees none of alice's insights, so no trend at all
    assert trends.trend_table(world["bob"], months=8).rows == []


def test_near_duplicates_count_once_in_trends(world, jobs):
    from liaison.intel import trends

    add_insight(world, jobs, "alice", PD_L1)
    add_insight(world, jobs, "mona", PD_L1_AGAIN)
    table = trends.trend_table(world["lena"], months=4)
    assert table.insights == 2 and table.signals == 1
    assert sum(r.total for r in table.rows) == 1


# ---- the index ------------------------------------------------------------------------------------------------


def test_rebuild_writes_the_index_cache_and_a_stale_cache_is_rebuilt(world, jobs, settings):
    import json
    from pathlib import Path

    from liaison.intel import embeddings, reindex
    from liaison.intel.index import _IndexCache, split_key

    add_insight(world, jobs, "alice", PD_L1)
    report = reindex.rebuild()
    manifest = json.loads((Path(settings.DATA_DIR) / "index" / "manifest.json").read_text())
    assert manifest["size"] == report.indexed >= 1
    add_insight(world, jobs, "alice", TRAVEL[0])
    fresh = _IndexCache()  # a new process: the cache on disk is stale now
    index = fresh.get()
    hits = index.search(embeddings.encode([TRAVEL[0]])[0], 1)
    assert split_key(int(hits[0][0]))[0] == "insight"
    assert fresh.fingerprint == fresh.db_fingerprint(embeddings.embedder().version)
