"""Load the demo data set: real people and places from public data, fictional company activity around them.

Every row is written through the apps' actions inside audit contexts, exactly as users would write it, so the
audit chain verifies afterwards and the safety screening runs on every note. The random parts come from a
fixed seed: two loads on the same day give the same data (dates are relative to today).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from liaison.accounts.actions import (
    create_user,
    save_product,
    save_team,
    save_territory,
    save_therapeutic_area,
)
from liaison.accounts.models import Product, Team, Territory, TherapeuticArea, User
from liaison.compliance.anchors import write_anchor
from liaison.core.context import audit_context
from liaison.engagement.actions import log_interaction, update_follow_up
from liaison.engagement.models import FollowUp, Interaction
from liaison.insights.actions import create_insight, release_summary, review_insight, save_listening_priority
from liaison.insights.models import Insight, InsightStatus, ListeningPriority
from liaison.medinfo.actions import answer_inquiry, assign_inquiry, capture_inquiry, close_inquiry
from liaison.medinfo.models import MedicalInquiry
from liaison.people.actions import PossibleDuplicate, add_affiliation, create_hcp, save_organization
from liaison.people.models import HCP, Organization
from liaison.safety.actions import triage_report
from liaison.safety.models import SafetyReport

from . import content, sources

SEED = 2026
DEMO_REASON = "demo data set"
# What HCPs said about an exchange (the demo's HCP feedback); clean of adverse-event wording by test.
FEEDBACK_COMMENTS = (
    "",
    "",
    "Found the subgroup data directly relevant to her clinic.",
    "Wants the full trial design slides before the next tumour board.",
    "Useful, though he would have liked more time on dosing schedules.",
    "Said the biomarker testing summary answered questions from his fellows.",
    "Already knew most of the data; asked for real-world evidence next time.",
    "Appreciated the balanced discussion of the open questions.",
)

EAST_IOWA = {
    "Iowa City",
    "Cedar Rapids",
    "Davenport",
    "Bettendorf",
    "Dubuque",
    "Waterloo",
    "Cedar Falls",
    "Coralville",
    "Clinton",
    "Muscatine",
    "West Burlington",
    "Burlington",
    "Decorah",
    "Hiawatha",
    "Marion",
    "Ottumwa",
    "Mount Pleasant",
    "Keokuk",
    "Fort Madison",
    "Maquoketa",
    "Oelwein",
}


@dataclass(frozen=True)
class Size:
    """How much of everything to load; `small` keeps tests fast, `full` is what `liaison demo` loads."""

    physicians_per_area: int
    pubmed_authors: int
    interactions: int
    standalone_insights: int
    commercial_handoffs: int


SIZES = {
    "small": Size(
        physicians_per_area=4, pubmed_authors=4, interactions=30, standalone_insights=3, commercial_handoffs=1
    ),
    "full": Size(
        physicians_per_area=45,
        pubmed_authors=21,
        interactions=480,
        standalone_insights=24,
        commercial_handoffs=4,
    ),
}

# (username, role, first, last, title, area or None); the first user of each role is that role's demo login.
USERS: tuple[tuple[str, str, str, str, str, str | None], ...] = (
    ("alice", "msl", "Alice", "Moreau", "Senior MSL, Oncology", "Oncology"),
    ("omar", "msl", "Omar", "Haddad", "MSL, Oncology", "Oncology"),
    ("bob", "msl", "Bob", "Lindqvist", "MSL, Cardiology", "Cardiology"),
    ("priya", "msl", "Priya", "Raman", "MSL, Cardiology", "Cardiology"),
    ("nina", "msl", "Nina", "Kowalski", "MSL, Neurology", "Neurology"),
    ("tom", "msl", "Tom", "Okafor", "MSL, Neurology", "Neurology"),
    ("mona", "msl_manager", "Mona", "Fischer", "Field Medical Director, Oncology", "Oncology"),
    ("mark", "msl_manager", "Mark", "Benson", "Field Medical Director, Cardiology", "Cardiology"),
    ("nadia", "msl_manager", "Nadia", "Costa", "Field Medical Director, Neurology", "Neurology"),
    ("lena", "medical_lead", "Lena", "Vogel", "Head of Medical Strategy", None),
    ("iris", "medical_information", "Iris", "Tanaka", "Medical Information Specialist", None),
    ("sam", "drug_safety", "Sam", "Adeyemi", "Drug Safety Physician", None),
    ("carla", "compliance", "Carla", "Jensen", "Compliance Officer", None),
    ("otto", "auditor", "Otto", "Brandt", "Quality Auditor", None),
    ("dave", "commercial", "Dave", "Miller", "Key Account Manager", None),
    ("ada", "admin", "Ada", "Nakamura", "System Administrator", None),
)


@dataclass
class DemoSummary:
    """What a load did: row counts per kind, seconds taken, and whether it loaded at all."""

    loaded: bool
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    message: str = ""


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, role, password) for the first demo user of each role, in role order."""
    seen: set[str] = set()
    rows = []
    for username, role, *_ in USERS:
        if role not in seen:
            seen.add(role)
            rows.append((username, role, content.DEMO_PASSWORD))
    return rows


def database_is_empty() -> bool:
    """True when no user, HCP or therapeutic area exists yet (a fresh, migrated database)."""
    return not (User.objects.exists() or HCP.objects.exists() or TherapeuticArea.objects.exists())


def count_rows() -> dict[str, int]:
    """Row counts of the records the demo creates, for summaries and tests."""
    from liaison.compliance.models import AuditEvent

    models = (
        ("users", User),
        ("therapeutic areas", TherapeuticArea),
        ("products", Product),
        ("organisations", Organization),
        ("HCPs", HCP),
        ("interactions", Interaction),
        ("insights", Insight),
        ("follow-ups", FollowUp),
        ("inquiries", MedicalInquiry),
        ("safety reports", SafetyReport),
        ("audit events", AuditEvent),
    )
    return {label: model.objects.count() for label, model in models}


def planned_steps(size: str = "full") -> int:
    """How many progress steps a load of `size` reports (for a progress bar's total)."""
    spec = SIZES[size]
    # reference data + users, people, interactions, standalone insights, hand-offs, then three workflow passes,
    # then the public evidence and one KOL ranking per area
    return (
        2
        + _hcp_slots(spec)
        + spec.interactions
        + spec.standalone_insights
        + spec.commercial_handoffs
        + 3
        + 1
        + len(sources.AREAS)
        + 1  # insight intelligence: embeddings, themes, duplicate links, clusters, search index
    )


def _hcp_slots(spec: Size) -> int:
    return 3 * spec.physicians_per_area + spec.pubmed_authors + len(list(sources.trial_officials()))


def load_demo(*, size: str = "full", progress: Callable[[str, int], None] | None = None) -> DemoSummary:
    """Load the demo into an empty database in one transaction; on a non-empty database do nothing.

    `progress(stage, steps)` is called as work advances; the steps add up to `planned_steps(size)`.
    """
    if size not in SIZES:
        raise ValueError(f"unknown demo size {size!r}; choose one of: {', '.join(SIZES)}")
    if not database_is_empty():
        return DemoSummary(
            loaded=False,
            counts=count_rows(),
            message="the database already holds data, so the demo data set was not loaded",
        )
    started = time.monotonic()
    with transaction.atomic():
        _Loader(SIZES[size], progress or (lambda stage, steps: None)).run()
    write_anchor("demo loaded")  # the demo's audit trail is anchored outside the database from the start
    return DemoSummary(
        loaded=True, counts=count_rows(), seconds=time.monotonic() - started, message="demo data set loaded"
    )


class _Loader:
    def __init__(self, size: Size, progress: Callable[[str, int], None]) -> None:
        self.size = size
        self.progress = progress
        self.rng = random.Random(SEED)
        self.now = timezone.now()
        self.areas: dict[str, TherapeuticArea] = {}
        self.products: dict[str, list[Product]] = {}
        self.priorities: dict[str, list[tuple[ListeningPriority, list[str]]]] = {}
        self.users: dict[str, User] = {}
        self.msls: dict[str, list[User]] = {}
        self.managers: dict[str, User] = {}
        self.territories: dict[tuple[str, str], Territory] = {}
        self.hcps: dict[str, list[HCP]] = {}
        self.orgs: dict[tuple[str, str, str], Organization] = {}
        self.topics: dict[str, list[str]] = {}

    @contextmanager
    def acting(self, user: User | None) -> Iterator[None]:
        with audit_context(actor=user, source="cli", reason=DEMO_REASON):
            yield

    def run(self) -> None:
        self.reference_data()
        self.progress("reference data", 1)
        self.people_of_the_company()
        self.progress("users", 1)
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
        self.stakeholders()
        self.hcp_feedback()

    # -- reference data -------------------------------------------------------------------------------------

    def reference_data(self) -> None:
        with self.acting(None):
            for spec in sources.AREAS:
                heading = sources.mesh_name(spec.tree_number)
                self.areas[spec.name] = save_therapeutic_area(
                    None,
                    acting_user=None,
                    name=spec.name,
                    code=spec.name.lower(),
                    mesh_tree_numbers=[spec.tree_number],
                    description=f"{heading} (MeSH tree {spec.tree_number}, {sources.MESH_VERSION}).",
                )
                self.topics[spec.name] = [
                    t for t in sources.mesh_topics(spec.tree_number) if not _flagged(t)
                ] or [heading]
            for product in content.PRODUCTS:
                self.products.setdefault(product.area, []).append(
                    save_product(
                        None,
                        acting_user=None,
                        name=product.name,
                        generic_name=product.generic_name,
                        therapeutic_area=self.areas[product.area],
                        approved_indications=list(product.indications),
                    )
                )
            for area_name, items in content.PRIORITIES.items():
                self.priorities[area_name] = [
                    (
                        save_listening_priority(
                            None,
                            acting_user=None,
                            therapeutic_area=self.areas[area_name],
                            title=title,
                            description=description,
                            order=order,
                        ),
                        insights,
                    )
                    for order, (title, description, insights) in enumerate(items)
                ]

    def people_of_the_company(self) -> None:
        with self.acting(None):
            teams: dict[str, Team] = {
                name: save_team(None, acting_user=None, name=f"{name} Field Medical", therapeutic_area=area)
                for name, area in self.areas.items()
            }
            for area_name, team in teams.items():
                for region in ("East", "West"):
                    label = (
                        "Eastern Iowa and international" if region == "East" else "Central and Western Iowa"
                    )
                    self.territories[(area_name, region)] = save_territory(
                        None, acting_user=None, name=f"{area_name}: {label}", team=team, regions=["IA"]
                    )
            region_turn: Counter[str] = Counter()
            for username, role, first, last, title, area_name in USERS:
                team = teams[area_name] if area_name else None
                territory = None
                if role == "msl" and area_name:
                    region = ("East", "West")[region_turn[area_name] % 2]
                    region_turn[area_name] += 1
                    territory = self.territories[(area_name, region)]
                user = create_user(
                    username=username,
                    role=role,
                    password=content.DEMO_PASSWORD,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@example.com",
                    title=title,
                    team=team,
                    territory=territory,
                    therapeutic_areas=[self.areas[area_name]] if area_name else list(self.areas.values()),
                )
                self.users[username] = user
                if role == "msl" and area_name:
                    self.msls.setdefault(area_name, []).append(user)
                if role == "msl_manager" and area_name:
                    self.managers[area_name] = user

    # -- HCPs and organisations -----------------------------------------------------------------------------

    def hcps_from_public_data(self) -> None:
        physicians = list(sources.open_payments_physicians())
        chosen: list[sources.Person] = []
        for spec in sources.AREAS:
            in_area = sorted(
                (p for p in physicians if p.area == spec.name),
                key=lambda p: int(p.identifiers["open_payments_profile_id"]),
            )
            chosen += self.rng.sample(in_area, min(self.size.physicians_per_area, len(in_area)))
        academics = list(sources.pubmed_authors())[: self.size.pubmed_authors] + list(
            sources.trial_officials()
        )
        for person in chosen:
            self.add_hcp(person, tier=self.rng.choice((2, 3, 3, 3, 4, 4)))
            self.progress("HCPs", 1)
        for person in academics:
            self.add_hcp(person, tier=self.rng.choice((1, 1, 2)))
            self.progress("HCPs", 1)
        # Steps were planned per physician slot; make up for areas with fewer physicians than planned.
        self.progress("HCPs", max(0, _hcp_slots(self.size) - len(chosen) - len(academics)))

    def organization(self, person: sources.Person) -> Organization | None:
        if not person.organization:
            return None
        city = "" if person.organization_kind == "practice" else person.city
        key = (person.organization.lower(), city.lower(), person.country.lower())
        if key not in self.orgs:
            self.orgs[key] = save_organization(
                None,
                acting_user=None,
                data={
                    "name": person.organization,
                    "kind": person.organization_kind,
                    "city": city,
                    "state": person.state,
                    "country": person.country,
                },
            )
        return self.orgs[key]

    def add_hcp(self, person: sources.Person, *, tier: int) -> None:
        region = "East" if person.country != "United States" or person.city in EAST_IOWA else "West"
        territory = self.territories[(person.area, region)]
        owners = [u for u in self.msls[person.area] if u.territory_id == territory.pk] or self.msls[
            person.area
        ]
        channels = self.rng.sample(
            ["in_person", "video", "email", "phone", "congress"], k=self.rng.randint(1, 3)
        )
        data: dict[str, Any] = {
            "first_name": person.first_name,
            "middle_name": person.middle_name,
            "last_name": person.last_name,
            "credentials": person.credentials,
            "specialties": [person.specialty or person.area],
            "city": person.city,
            "state": person.state,
            "country": person.country,
            "identifiers": person.identifiers,
            "tier": tier,
            "owner": owners[0],
            "territory": territory,
            "preferred_channels": channels,
            "preferred_frequency": self.rng.choice(["monthly", "quarterly", "quarterly", "twice_a_year"]),
            "preferred_time_window": self.rng.choice(
                ["Tue-Thu 08:00-10:00", "Mon/Wed after 16:00", "Fridays 12:00-13:00", ""]
            ),
            "consent_status": self.rng.choice(["granted", "granted", "not_asked"]),
        }
        with self.acting(None):
            try:
                hcp = create_hcp(acting_user=None, data=data, therapeutic_areas=[self.areas[person.area]])
            except PossibleDuplicate:
                return  # two public records of one person: keep the first
            org = self.organization(person)
            if org is not None:
                add_affiliation(
                    hcp,
                    org,
                    acting_user=None,
                    department=person.department,
                    primary=True,
                    title=person.specialty,
                )
        self.hcps.setdefault(person.area, []).append(hcp)

    # -- field activity -------------------------------------------------------------------------------------

    def when(self, max_days: int = 365) -> dt.datetime:
        """A weekday working-hours moment in the last `max_days` days."""
        day = self.now - dt.timedelta(days=self.rng.randint(1, max_days))
        while day.weekday() >= 5:
            day -= dt.timedelta(days=1)
        return day.replace(
            hour=self.rng.randint(8, 16), minute=self.rng.choice((0, 15, 30, 45)), second=0, microsecond=0
        )

    def fill(self, template: str, *, hcp: HCP, product: Product, area: str) -> str:
        affiliation = hcp.affiliations.first()
        org = (
            affiliation.organization.name
            if affiliation and affiliation.organization.kind != "practice"
            else "their practice"
        )
        return template.format(
            hcp=f"Dr {hcp.last_name}",
            product=product.name,
            topic=self.rng.choice(self.topics[area]).lower(),
            org=org,
            city=hcp.city or "the region",
        )

    def one_interaction(self) -> None:
        area = self.rng.choice(list(self.hcps))
        pool = self.hcps[area]
        # Tier 1 KOLs are seen far more often than tier 4 HCPs.
        hcp = self.rng.choices(pool, weights=[{1: 8, 2: 4, 3: 2, 4: 1}.get(h.tier or 4, 1) for h in pool])[0]
        msl = next((u for u in self.msls[area] if u.pk == hcp.owner_id), self.msls[area][0])
        attendees = [hcp]
        channel = self.rng.choices(
            ["in_person", "video", "phone", "email", "congress", "advisory_board"],
            weights=[40, 25, 10, 8, 12, 5],
        )[0]
        if channel in ("congress", "advisory_board") and len(pool) > 3:
            attendees += self.rng.sample([h for h in pool if h.pk != hcp.pk], k=self.rng.randint(1, 2))
        product = self.rng.choice(self.products[area])
        occurred = self.when()
        roll = self.rng.random()
        safety = roll < 0.09
        draft = not safety and roll > 0.96
        template = self.rng.choice(content.AE_NOTES if safety else content.CLEAN_NOTES)
        notes = self.fill(template, hcp=hcp, product=product, area=area)
        insights = []
        if self.rng.random() < 0.55:
            insights.append(self.insight_item(area, hcp, product))
        follow_ups = []
        if self.rng.random() < 0.35:
            due = occurred.date() + dt.timedelta(days=self.rng.choice((7, 14, 21)))
            follow_ups.append(
                {
                    "description": self.fill(
                        self.rng.choice(content.FOLLOW_UPS), hcp=hcp, product=product, area=area
                    )[:2000],
                    "due_date": due,
                }
            )
        purpose = self.rng.choices(
            [
                "scientific_exchange",
                "insight_gathering",
                "clinical_trial_support",
                "congress_follow_up",
                "iis_discussion",
                "education",
                "response_to_inquiry",
            ],
            weights=[35, 20, 10, 10, 5, 10, 10],
        )[0]
        if channel == "advisory_board":
            purpose = "advisory_board"
        with self.acting(msl):
            interaction = log_interaction(
                acting_user=msl,
                attendees=attendees,
                products=[product],
                insights=insights,
                follow_ups=follow_ups,
                submit=not draft,
                data={
                    "occurred_at": occurred,
                    "channel": channel,
                    "purpose": purpose,
                    "initiation": "reactive" if purpose == "response_to_inquiry" else "proactive",
                    "duration_minutes": self.rng.choice((20, 30, 45, 60)),
                    "therapeutic_area": self.areas[area],
                    "topics": self.rng.sample(self.topics[area], k=min(2, len(self.topics[area]))),
                    "notes": notes,
                    "materials_shared": self.rng.choice(content.MATERIALS),
                    "ae_attestation": "" if draft else ("yes" if safety else "no"),
                },
            )
            if not draft and (purpose == "response_to_inquiry" or self.rng.random() < 0.05):
                off_label = self.rng.random() < 0.25
                question = self.rng.choice(
                    content.OFF_LABEL_QUESTIONS if off_label else content.INQUIRY_QUESTIONS
                )
                capture_inquiry(
                    acting_user=msl,
                    question=question.format(product=product.name),
                    channel=channel if channel not in ("advisory_board", "congress") else "in_person",
                    unsolicited_attested=True,
                    requester_hcp=hcp,
                    product=product,
                    off_label=off_label,
                    received_at=occurred,
                    interaction=interaction,
                )
            for follow_up in interaction.follow_ups.all():
                if follow_up.due_date < self.now.date() and self.rng.random() < 0.7:
                    update_follow_up(follow_up, acting_user=msl, status="done")

    def insight_item(self, area: str, hcp: HCP, product: Product) -> dict[str, Any]:
        if self.rng.random() < 0.15:
            text, priority = self.rng.choice(content.UNEXPECTED_INSIGHTS), None
        else:
            priority, texts = self.rng.choice(self.priorities[area])
            text = self.rng.choice(texts)
        return {
            "text": self.fill(text, hcp=hcp, product=product, area=area),
            "listening_priority": priority,
            "product": product,
        }

    def standalone_insights(self) -> None:
        """Draft insights MSLs started and have not submitted yet."""
        for _ in range(self.size.standalone_insights):
            area = self.rng.choice(list(self.hcps))
            hcp = self.rng.choice(self.hcps[area])
            msl = next((u for u in self.msls[area] if u.pk == hcp.owner_id), self.msls[area][0])
            item = self.insight_item(area, hcp, self.rng.choice(self.products[area]))
            with self.acting(msl):
                create_insight(
                    acting_user=msl,
                    text=item["text"],
                    therapeutic_area=self.areas[area],
                    hcp=hcp,
                    listening_priority=item["listening_priority"],
                    product=item["product"],
                    submit=False,
                )
            self.progress("draft insights", 1)

    def commercial_handoffs(self) -> None:
        """A sales colleague routes unsolicited questions to medical information (and never sees them again)."""
        dave = self.users["dave"]
        for _ in range(self.size.commercial_handoffs):
            area = self.rng.choice(list(self.hcps))
            hcp = self.rng.choice(self.hcps[area])
            product = self.rng.choice(self.products[area])
            question = self.rng.choice(content.INQUIRY_QUESTIONS).format(product=product.name)
            with self.acting(dave):
                capture_inquiry(
                    acting_user=dave,
                    question=question,
                    channel="in_person",
                    unsolicited_attested=True,
                    requester_hcp=hcp,
                    product=product,
                    received_at=self.when(60),
                )
            self.progress("commercial hand-offs", 1)

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
                heard = insight.interaction.occurred_at if insight.interaction_id else insight.created_at
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
        for rank, report in enumerate(newest_first):
            if rank < 2:
                continue  # new: inside the SLA, nobody has looked yet
            number = len(newest_first) - rank
            with self.acting(sam):
                if rank < 4:
                    triage_report(
                        report,
                        acting_user=sam,
                        status="in_review",
                        note="asked the MSL for the patient's age and sex",
                    )
                    continue
                if rank < 6:
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

        from liaison.intel import services

        with self.acting(None):
            try:
                services.rebuild()
            except Exception as exc:  # noqa: BLE001 - a missing model must not stop the demo
                logging.getLogger("liaison.demo").warning(
                    "demo: insight intelligence skipped (%s); run `liaison text reindex`", exc
                )
        self.progress("insight intelligence", 1)

    # -- insight-to-action loop -----------------------------------------------------------------------------

    def insight_to_action(self) -> None:
        """The medical lead rates reviewed insights, themes the two busiest listening priorities of each area and
        turns each theme into an action; the first of each area is closed with an outcome (liaison.loop)."""
        from liaison.loop.actions import complete_action, create_action, create_theme, rate_insight

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
        from liaison.engagement.actions import record_hcp_feedback
        from liaison.engagement.models import InteractionAttendee, InteractionStatus

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
                    comment=rng.choice(FEEDBACK_COMMENTS),
                )

    # -- KOL intelligence -----------------------------------------------------------------------------------

    def engagement_planning(self) -> None:
        """Plans and standing interests (liaison.planning), after the literature they match against is loaded."""
        from liaison.planning.demo import load_planning_demo

        load_planning_demo(acting=self.acting, msls=self.msls, hcps=self.hcps, priorities=self.priorities)

    def stakeholders(self) -> None:
        """Internal stakeholders, a first digest each and some feedback (liaison.stakeholders)."""
        from liaison.stakeholders.demo import load_stakeholders_demo

        load_stakeholders_demo(acting=self.acting, lead=self.users["lena"], areas=list(self.areas.values()))

    def kol_rankings(self) -> None:
        """Ingest the demo's own public files into $LIAISON_DATA_DIR/pipelines, load them, and score every area,
        so the KOL pages have rankings, evidence and identity suggestions to show."""
        from liaison.kol.actions import run_kol_scoring
        from liaison.kol.loaders import load_payments, load_publications, load_trials
        from liaison.kol.services import pipeline_tables, resolve_authorships
        from liaison_pipelines.pubmed_run import run_pubmed
        from liaison_pipelines.sources_run import RUNNERS

        tables = pipeline_tables()
        run_pubmed([sources.PUBMED_SAMPLE], tables.root / "pubmed", workers=1)
        resolve_authorships(tables.root / "pubmed")
        RUNNERS["trials"]([sources.TRIALS_DIR], tables.root / "trials")
        RUNNERS["payments"]([sources.OPEN_PAYMENTS_PROFILES], tables.root / "payments")
        RUNNERS["mesh"]([sources.MESH_TREE], tables.root / "mesh")
        with self.acting(None):
            load_publications(tables)
            load_trials(tables)
            load_payments(tables)
        self.progress("public evidence", 1)
        for area in self.areas.values():
            with self.acting(None):
                run_kol_scoring(None, area, as_of_year=self.now.year)
            self.progress("KOL rankings", 1)


def _flagged(text: str) -> bool:
    from liaison_text.ae_lexicon import detect

    return detect(text).flagged
