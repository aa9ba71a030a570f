"""The demo loader's first stages: reference data, the company's people, HCPs, field activity."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.utils import timezone

from liaison.accounts.actions import (
    create_user,
    save_product,
    save_team,
    save_territory,
    save_therapeutic_area,
)
from liaison.accounts.models import Product, Team, Territory, TherapeuticArea, User
from liaison.core.context import audit_context
from liaison.engagement.actions import log_interaction, update_follow_up
from liaison.insights.actions import create_insight, save_listening_priority
from liaison.insights.models import ListeningPriority
from liaison.medinfo.actions import capture_inquiry
from liaison.people.actions import PossibleDuplicate, add_affiliation, create_hcp, save_organization
from liaison.people.models import HCP, Organization

from . import content, sources
from .plan import DEMO_REASON, EAST_IOWA, SEED, USERS, Size, hcp_slots


class FieldStages:
    """The loader's state (seeded random stream, what it created so far) and the stages up to field activity."""

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
        self.kol_people: list[sources.Person] = []  # public_evidence() picks them from a first ranking
        self.kol_hcps: list[HCP] = []  # the oncology KOLs' records, whose identity links the owners confirm

    @contextmanager
    def acting(self, user: User | None) -> Iterator[None]:
        with audit_context(actor=user, source="cli", reason=DEMO_REASON):
            yield

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
            for team_area, area_team in teams.items():
                for region in ("East", "West"):
                    label = (
                        "Eastern Iowa and international" if region == "East" else "Central and Western Iowa"
                    )
                    self.territories[(team_area, region)] = save_territory(
                        None, acting_user=None, name=f"{team_area}: {label}", team=area_team, regions=["IA"]
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
        # The oncology KOLs come first, so that a later public record of the same person is the duplicate.
        kols = self.kol_people
        academics = (
            kols
            + list(sources.pubmed_authors())[: self.size.pubmed_authors]
            + list(sources.trial_officials())
        )
        for person in chosen:
            self.add_hcp(person, tier=self.rng.choice((2, 3, 3, 3, 4, 4)))
            self.progress("HCPs", 1)
        for person in academics:
            hcp = self.add_hcp(person, tier=1 if person in kols else self.rng.choice((1, 1, 2)))
            if hcp is not None and person in kols:
                self.kol_hcps.append(hcp)
            self.progress("HCPs", 1)
        # Steps were planned per physician slot; make up for areas with fewer physicians than planned.
        self.progress("HCPs", max(0, hcp_slots(self.size) - len(chosen) - len(academics)))

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

    def add_hcp(self, person: sources.Person, *, tier: int) -> HCP | None:
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
            "orcid": person.orcid,
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
                return None  # two public records of one person: keep the first
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
        return hcp

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
                    "hcp": hcp,  # the lead attendee: a follow-up must name its HCP when several attended
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


def _flagged(text: str) -> bool:
    from liaison_text.ae_lexicon import detect

    return detect(text).flagged
