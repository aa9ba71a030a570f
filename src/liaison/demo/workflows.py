"""The demo loader's later stages, from insight reviews to HCP feedback, and `DemoLoader.run` over them all."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from django.utils import timezone

from liaison.engagement.actions import log_interaction, record_hcp_feedback
from liaison.engagement.demo import load_engagement_demo
from liaison.engagement.models import Interaction, InteractionAttendee, InteractionStatus
from liaison.insights.actions import release_summary, review_insight
from liaison.insights.models import Insight, InsightStatus
from liaison.intel import reindex
from liaison.kol.actions import decide_link, run_kol_scoring
from liaison.kol.loaders import load_links, load_payments, load_publications, load_trials
from liaison.kol.models import IdentityLink, LinkStatus, LinkTarget
from liaison.kol.pipelines import export_decisions, export_hcps, pipeline_tables, resolve_authorships
from liaison.loop.actions import complete_action, create_action, create_theme, rate_insight
from liaison.medinfo.actions import answer_inquiry, assign_inquiry, close_inquiry
from liaison.medinfo.models import MedicalInquiry
from liaison.planning.demo import load_planning_demo
from liaison.programs.demo import load_programs_demo
from liaison.safety.actions import triage_report
from liaison.safety.models import SafetyReport
from liaison.stakeholders.demo import load_stakeholders_demo
from liaison.transparency.demo import load_transparency_demo
from liaison_pipelines.tables import PipelineTables

from . import content, indexing, kols, sources
from .field import FieldStages
from .plan import SEED

UNDECIDED = (LinkStatus.LINKED, LinkStatus.SUGGESTED)


class DemoLoader(FieldStages):
    """The whole demo load: the field stages, then the workflows that build on them."""

    def run(self) -> None:
        self.reference_data()
        self.progress("reference data", 1)
        self.people_of_the_company()
        self.progress("users", 1)
        self.public_evidence()
        self.hcps_from_public_data()
        for _ in range(self.size.interactions):
            self.one_interaction()
            self.progress("interactions", 1)
        self.standalone_insights()
        self.commercial_handoffs()
        self.review_insights()
        self.release_summaries()
        self.progress("insight reviews", 1)
        self.work_inquiries()
        self.progress("medical information", 1)
        self.triage_safety_reports()
        self.progress("safety triage", 1)
        self.kol_rankings()
        self.insight_intelligence()
        self.insight_to_action()
        self.engagement_planning()
        self.events()
        self.external_and_planned_meetings()
        self.stakeholders()
        self.transparency()
        self.hcp_feedback()
        self.flag_overrides()

    # -- workflows ------------------------------------------------------------------------------------------

    def review_insights(self) -> None:
        """Managers and the medical lead review most insights that are older than two weeks."""
        lena = self.users["lena"]
        cutoff = self.now - dt.timedelta(days=14)
        submitted = Insight.objects.filter(
            status=InsightStatus.SUBMITTED, interaction__occurred_at__lt=cutoff
        )
        for insight in submitted.select_related("therapeutic_area").order_by("pk"):
            if self.rng.random() < 0.35:
                continue
            reviewer = self.managers.get(insight.therapeutic_area.name) if self.rng.random() < 0.7 else lena
            reviewer = reviewer or lena
            with self.acting(reviewer):
                review_insight(
                    insight,
                    acting_user=reviewer,
                    note=self.rng.choice(
                        (
                            "Clear and actionable.",
                            "Shared with the brand medical team.",
                            "Matches what we hear in other regions.",
                            "",
                        )
                    ),
                )

    def release_summaries(self) -> None:
        """The medical lead releases a rewritten summary of one reviewed insight per listening priority and month
        heard, so the aggregate report commercial colleagues read has words as well as counts (it shows a summary
        only from a month whose group is large enough to be shown)."""
        lena = self.users["lena"]
        for title, summary in content.RELEASED_SUMMARIES.items():
            reviewed = (
                Insight.objects.filter(status=InsightStatus.REVIEWED, listening_priority__title=title)
                .exclude(author=lena)
                .select_related("interaction")
                .order_by("-pk")
            )
            months: dict[str, Insight] = {}
            for insight in reviewed:
                heard = (
                    insight.interaction.occurred_at if insight.interaction is not None else insight.created_at
                )
                months.setdefault(timezone.localtime(heard).strftime("%Y-%m"), insight)
            for insight in months.values():
                with self.acting(lena):
                    release_summary(insight, acting_user=lena, summary=summary)

    def work_inquiries(self) -> None:
        """Medical information works the queue: the newest inquiries are open or in progress, older ones
        answered, and the oldest closed."""
        iris = self.users["iris"]
        newest_first = list(MedicalInquiry.objects.order_by("-received_at", "-pk"))
        for rank, inquiry in enumerate(newest_first):
            if rank < 3:
                continue  # still waiting in the queue
            with self.acting(iris):
                assign_inquiry(inquiry, acting_user=iris, assignee=iris)
                if rank < 6:
                    continue
                answer_inquiry(
                    inquiry,
                    acting_user=iris,
                    answer=content.INQUIRY_ANSWER.format(code=f"SR-{len(newest_first) - rank:03d}"),
                )
                if self.now - inquiry.received_at > dt.timedelta(days=45):
                    close_inquiry(inquiry, acting_user=iris, reason="answer delivered; no further questions")

    def triage_safety_reports(self) -> None:
        """Drug safety forwards older reports to the safety database (the two most recent of them through the
        outbox, for the worker to deliver); the newest wait in the queue."""
        sam = self.users["sam"]
        newest_first = list(SafetyReport.objects.order_by("-day_zero", "-pk").select_related("reported_by"))
        # A small demo raises only a few reports (the detector no longer raises on conditions merely named):
        # it still shows one new and one forwarded through the outbox, for the worker to deliver.
        fresh, in_review = (2, 2) if len(newest_first) >= 6 else (min(1, len(newest_first) - 1), 0)
        for rank, report in enumerate(newest_first):
            if rank < fresh:
                continue  # new: inside the SLA, nobody has looked yet
            number = len(newest_first) - rank
            with self.acting(sam):
                if rank < fresh + in_review:
                    triage_report(
                        report,
                        acting_user=sam,
                        status="in_review",
                        note="asked the MSL for the patient's age and sex",
                    )
                    continue
                if rank < fresh + in_review + 2:
                    # Forwarded through the outbox: the worker that `liaison serve` runs drops them into
                    # $LIAISON_DATA_DIR/safety-outbox, where they await the safety database's acknowledgement
                    # (or the case id drug safety types in).
                    triage_report(
                        report,
                        acting_user=sam,
                        status="forwarded",
                        note="forwarded through the outbox",
                        reporter_name=str(report.reported_by),
                    )
                    continue
                triage_report(
                    report,
                    acting_user=sam,
                    status="forwarded",
                    note="forwarded to the safety database",
                    safety_case_id=f"LSN-{report.day_zero:%Y}-{number:05d}",
                    reporter_name=str(report.reported_by),
                )

    # -- insight intelligence -------------------------------------------------------------------------------

    def insight_intelligence(self) -> None:
        """Index every demo record: embeddings, themes, near-duplicate links, clusters and the search index.

        Runs inside the load's transaction, so the on-commit indexing jobs that the saves queued find nothing
        left to do. Without the local model the demo still loads; `liaison text reindex` indexes later.
        """
        import logging

        with self.acting(None):
            try:
                reindex.rebuild()
            except Exception as exc:  # noqa: BLE001 - a missing model must not stop the demo
                logging.getLogger("liaison.demo").warning(
                    "demo: insight intelligence skipped (%s); run `liaison text reindex`", exc
                )
        self.progress("insight intelligence", 1)

    # -- insight-to-action loop -----------------------------------------------------------------------------

    def insight_to_action(self) -> None:
        """The medical lead rates reviewed insights, themes the two busiest listening priorities of each area and
        turns each theme into an action; the first of each area is closed with an outcome (liaison.loop)."""
        lena = self.users["lena"]
        owners = ("HEOR", "Medical Education", "Clinical Operations", "R&D")
        with self.acting(lena):
            for area in self.areas.values():
                reviewed = Insight.objects.filter(
                    therapeutic_area=area, status=InsightStatus.REVIEWED, listening_priority__isnull=False
                ).exclude(author=lena)
                busiest = Counter(reviewed.values_list("listening_priority", flat=True)).most_common(2)
                for n, (priority_pk, _) in enumerate(busiest):
                    members = list(reviewed.filter(listening_priority_id=priority_pk).order_by("pk")[:8])
                    for insight in members[:4]:
                        rate_insight(
                            insight,
                            acting_user=lena,
                            specific=self.rng.randint(3, 5),
                            actionable=self.rng.randint(2, 5),
                            new=self.rng.random() < 0.5,
                        )
                    priority = members[0].listening_priority
                    assert priority is not None  # the insights were chosen by their listening priority
                    theme = create_theme(
                        acting_user=lena,
                        name=f"{priority.title}: what the field reports",
                        therapeutic_area=area,
                        listening_priority=priority,
                        insights=members,
                        seed=f"listening priority: {priority}",
                    )
                    action = create_action(
                        theme,
                        acting_user=lena,
                        title=f"Address: {priority.title}"[:200],
                        owner_function=self.rng.choice(owners),
                        due_date=(self.now + dt.timedelta(days=60)).date(),
                    )
                    if n == 0:
                        complete_action(
                            action,
                            acting_user=lena,
                            outcome="Briefing and an FAQ for the field were published; tracked at the next review.",
                        )

    # -- HCP feedback on interactions -----------------------------------------------------------------------

    def hcp_feedback(self) -> None:
        """Feedback from the lead attendee of about a third of the last 120 days' submitted interactions, so the
        managers' "KOL feedback" metric has figures over its default 90 days. Its own random stream keeps the
        rest of the demo as it was."""
        rng = random.Random(SEED + 5)
        today = timezone.localdate()
        recent = Interaction.objects.filter(
            status=InteractionStatus.SUBMITTED,
            occurred_at__gte=self.now - dt.timedelta(days=120),
            owner__role="msl",  # only MSLs record feedback (core/permissions.py)
        ).select_related("owner")
        for interaction in recent.order_by("occurred_at", "pk"):
            if rng.random() >= 0.35:
                continue
            first = InteractionAttendee.objects.filter(interaction=interaction).order_by("pk").first()
            if first is None:
                continue
            met_on = timezone.localtime(interaction.occurred_at).date()
            in_person = interaction.channel in ("in_person", "congress", "advisory_board")
            source = rng.choice(("during_meeting",) * 3 + ("afterwards",)) if in_person else None
            source = source or rng.choice(("afterwards", "survey"))
            later = met_on + dt.timedelta(days=0 if source == "during_meeting" else rng.randint(1, 14))
            with self.acting(interaction.owner):
                record_hcp_feedback(
                    interaction,
                    acting_user=interaction.owner,
                    hcp=first.hcp,
                    value=rng.choices((5, 4, 3, 2, 1), weights=(35, 35, 18, 8, 4))[0],
                    source=source,
                    received_on=min(later, today),
                    comment=rng.choice(content.FEEDBACK_COMMENTS),
                )

    def flag_overrides(self) -> None:
        """A few recent meetings whose notes quote comparative or superlative words the HCP used, saved past the
        compliance flag with the MSL's reason, so compliance's flags queue has real cases to look at."""
        rng = random.Random(SEED + 6)
        for days, (notes, reason) in zip((3, 9, 16, 24), content.FLAGGED_NOTES, strict=False):
            area = rng.choice(list(self.hcps))
            hcp = rng.choice(self.hcps[area][:20])
            msl = next((u for u in self.msls[area] if u.pk == hcp.owner_id), self.msls[area][0])
            with self.acting(msl):
                log_interaction(
                    acting_user=msl,
                    attendees=[hcp],
                    data={
                        "occurred_at": self.now - dt.timedelta(days=days, hours=rng.randint(1, 8)),
                        "channel": "in_person",
                        "purpose": "scientific_exchange",
                        "initiation": "reactive",
                        "duration_minutes": 30,
                        "therapeutic_area": self.areas[area],
                        "notes": notes,
                        "ae_attestation": "no",
                    },
                    flag_override_reason=reason,
                )

    # -- plans and stakeholders -----------------------------------------------------------------------------

    def engagement_planning(self) -> None:
        """Plans and standing interests (liaison.planning), after the literature they match against is loaded."""
        load_planning_demo(acting=self.acting, msls=self.msls, hcps=self.hcps, priorities=self.priorities)

    def events(self) -> None:
        """Events (liaison.programs): a completed advisory board with its outputs, and upcoming events."""
        load_programs_demo(
            acting=self.acting, msls=self.msls, hcps=self.hcps, priorities=self.priorities, areas=self.areas
        )

    def external_and_planned_meetings(self) -> None:
        """Meetings with payers and pharmacists, and planned meetings ahead (liaison.engagement)."""
        load_engagement_demo(acting=self.acting, msls=self.msls, hcps=self.hcps, areas=self.areas)

    def stakeholders(self) -> None:
        """Internal stakeholders, a first digest each and some feedback (liaison.stakeholders)."""
        load_stakeholders_demo(acting=self.acting, lead=self.users["lena"], areas=list(self.areas.values()))

    def transparency(self) -> None:
        """A year of transfers of value and disclosure consents (liaison.transparency), recorded by compliance."""
        load_transparency_demo(
            acting=self.acting, compliance=self.users["carla"], owner=self.users["alice"], hcps=self.hcps
        )

    # -- KOL intelligence -----------------------------------------------------------------------------------

    def public_evidence(self) -> None:
        """Ingest the demo's own public files into $LIAISON_DATA_DIR/pipelines (PubMed articles with their
        authors resolved into persons, trials, payments, MeSH), and pick the oncology KOLs from a first ranking
        of them (kols.py), before the HCP records are made."""
        from liaison_pipelines.pubmed_run import run_pubmed
        from liaison_pipelines.sources_run import RUNNERS

        tables = pipeline_tables()
        run_pubmed([sources.PUBMED_SAMPLE, sources.ONCOLOGY_PUBMED], tables.root / "pubmed", workers=1)
        resolve_authorships(tables.root / "pubmed")
        indexing.index_unindexed_articles(tables.root / "pubmed")
        RUNNERS["trials"]([sources.TRIALS_DIR, sources.ONCOLOGY_TRIALS], tables.root / "trials")
        indexing.fill_trial_descriptor_ids(tables.root / "trials")
        RUNNERS["payments"]([sources.OPEN_PAYMENTS_PROFILES], tables.root / "payments")
        RUNNERS["mesh"]([sources.MESH_TREE], tables.root / "mesh")
        self.kol_people = kols.strongest_authors(tables, self.size.oncology_kols, as_of_year=self.now.year)

    def kol_rankings(self) -> None:
        """Load the ingested public evidence, confirm the oncology KOLs' identities and score every area, so
        the KOL pages have rankings, evidence and identity suggestions to show."""
        tables = pipeline_tables()
        with self.acting(None):
            load_publications(tables)
            load_trials(tables)
            load_payments(tables)
        self.confirm_kol_identities(tables)
        self.progress("public evidence", 1)
        for area in self.areas.values():
            with self.acting(None):
                run_kol_scoring(None, area, as_of_year=self.now.year)
            self.progress("KOL rankings", 1)

    def confirm_kol_identities(self, tables: PipelineTables) -> None:
        """Link the resolved authors to the HCP records and trial officials, then let each oncology KOL's owner
        confirm what linking found for that KOL: the record's link to its author (the most confident one) and
        that author's suggested trial officials. Scoring keeps the decisions, so the KOLs' trials count."""
        from liaison_pipelines.link import link_persons

        link_persons(tables, tables.links, hcps=export_hcps(), decisions=export_decisions())
        with self.acting(None):
            load_links(tables.links)
        taken: set[str] = set()
        for hcp in self.kol_hcps:
            best = (
                IdentityLink.objects.filter(hcp=hcp, target=LinkTarget.HCP, status__in=UNDECIDED)
                .exclude(person_id__in=taken)
                .order_by("-confidence", "person_id")
                .first()
            )
            owner = hcp.owner
            if best is None or owner is None:
                continue
            taken.add(best.person_id)
            with self.acting(owner):
                decide_link(
                    owner,
                    best,
                    accept=True,
                    reason="Checked against the HCP's institution and publication list before the first visit.",
                )
                officials = IdentityLink.objects.filter(
                    person_id=best.person_id, target=LinkTarget.INVESTIGATOR, status__in=UNDECIDED
                ).order_by("target_id")
                for link in officials:
                    decide_link(
                        owner,
                        link,
                        accept=True,
                        reason="Reviewed the suggested match against the study record and the HCP's papers.",
                    )
