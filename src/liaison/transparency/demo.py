"""The demo's transfers of value (called by the demo load: liaison.demo.workflows).

A year of realistic activity up to today, recorded by the compliance officer: advisory-board honoraria with the
travel, lodging and meals around them, consulting fees under contracts, research payments on a study with its
ClinicalTrials.gov id, and a grant to a US teaching hospital; then European HCPs (created here, with their
national register ids) paid for an advisory board, most of whom consented to individual disclosure and some
not. One honorarium is voided and recorded again, as a correction would be. Both the CMS files and the EFPIA
disclosure then have rows, and a few US HCPs without a state or NPI show what a refusal looks like.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

from django.utils import timezone

from liaison.people.actions import create_hcp, save_organization
from liaison.people.models import HCP, Organization

from . import actions
from .cms import US_STATES

SEED = 20261207
# European KOLs of the demo's advisory board (fictional people; register ids in each country's format).
EUROPEANS = (
    ("Claire", "Dubois", "Lyon", "FR", {"RPPS": "10003456781"}),
    ("Julien", "Moreau", "Paris", "FR", {"RPPS": "10004567892"}),
    ("Amélie", "Laurent", "Bordeaux", "FR", {"RPPS": "10005678903"}),
    ("Katrin", "Schneider", "Heidelberg", "DE", {"LANR": "123456701"}),
    ("Matthias", "Weber", "München", "DE", {"LANR": "234567802"}),
    ("Lucía", "García", "Madrid", "ES", {"CNP": "282812345"}),
)
STUDY = ("ONK-301: a phase 3 study of onkotrexumab in metastatic NSCLC", "NCT05512345")


def _npi(n: int) -> str:
    """A synthetic NPI with a valid check digit (Luhn over 80840 + nine digits), for demo HCPs without one."""
    body = f"19{n:07d}"
    digits = [int(d) for d in "80840" + body]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return body + str((10 - total % 10) % 10)


def _money(rng: random.Random, low: int, high: int, step: int = 5) -> Decimal:
    return Decimal(rng.randrange(low, high, step)).quantize(Decimal("0.01"))


def _europeans(owner: Any) -> list[HCP]:
    """The European advisors, created once (a second demo load finds them by name and city)."""
    people = []
    for first, last, city, country, _ in EUROPEANS:
        found = HCP.objects.filter(first_name=first, last_name=last, city=city).first()
        people.append(
            found
            or create_hcp(
                acting_user=None,
                data={
                    "first_name": first,
                    "last_name": last,
                    "credentials": "MD",
                    "city": city,
                    "country": country,
                    "owner": owner,
                },
                allow_duplicate=True,
            )
        )
    return people


def _hospital() -> Organization:
    found = Organization.objects.filter(name="Iowa River Teaching Hospital").first()
    return found or save_organization(
        None,
        acting_user=None,
        data={
            "name": "Iowa River Teaching Hospital",
            "kind": "hospital",
            "city": "Iowa City",
            "state": "IA",
            "country": "United States",
        },
    )


def load_transparency_demo(
    *,
    acting: Callable[[Any], AbstractContextManager[Any]],
    compliance: Any,
    owner: Any,
    hcps: dict[str, list[Any]],
    today: dt.date | None = None,
) -> dict[str, int]:
    """Record the demo's transfers and consents as `compliance`; European advisors are owned by `owner`.
    Returns counts for the summary."""
    today = today or timezone.localdate()
    rng = random.Random(SEED)
    counts = {"transfers": 0, "consents": 0}
    start = today - dt.timedelta(days=330)

    def day(after: int = 0) -> dt.date:
        return min(today, start + dt.timedelta(days=after + rng.randrange(0, 30)))

    def pay(**fields: Any) -> Any:
        counts["transfers"] += 1
        return actions.record_transfer(acting_user=compliance, **fields)

    everyone = [h for people in hcps.values() for h in people]
    us = [h for h in everyone if h.country == "United States"]
    us.sort(key=lambda h: (h.state.upper() not in US_STATES, h.tier or 9, h.last_name))
    with acting(None):
        europeans = _europeans(owner)
        hospital = _hospital()
    with acting(compliance):
        for i, hcp in enumerate(us[:14]):
            ids = {} if hcp.npi or i % 7 == 6 else {"NPI": _npi(1000 + i)}
            base = {"recipient_hcp": hcp, "currency": "USD", "country": "US", "register_ids": ids}
            board = day(30 * (i % 9))
            label = f"Oncology advisory board, {board:%B %Y}"
            event = {"source_kind": "event", "source_label": label, "paid_on": board}
            pay(
                nature="honorarium",
                amount=_money(rng, 2000, 3500, 250),
                products=["Onkotrex"],
                **event,
                **base,
            )
            pay(nature="travel", amount=_money(rng, 320, 680), form_of_payment="in_kind", **event, **base)
            pay(nature="lodging", amount=_money(rng, 240, 480), form_of_payment="in_kind", **event, **base)
            pay(
                nature="food_beverage",
                amount=_money(rng, 45, 125),
                form_of_payment="in_kind",
                **event,
                **base,
            )
            if i % 3 == 0:
                pay(
                    nature="consulting_fee",
                    amount=_money(rng, 1500, 4000, 250),
                    paid_on=day(60 + 20 * (i % 5)),
                    source_kind="contract",
                    source_label="Consulting agreement: protocol review",
                    **base,
                )
            if i % 5 == 1:
                pay(
                    nature="research",
                    amount=_money(rng, 8000, 18000, 500),
                    paid_on=day(120),
                    study_name=STUDY[0],
                    nct_id=STUDY[1],
                    source_kind="study",
                    source_label="Site payment, ONK-301",
                    products=["Onkotrex"],
                    **base,
                )
        pay(
            recipient_organization=hospital,
            nature="grant",
            amount=Decimal("50000.00"),
            currency="USD",
            country="US",
            paid_on=day(150),
            register_ids={"CCN": "160999"},
            source_kind="contract",
            source_label="Independent medical education grant: molecular tumour board",
        )
        board = day(200)
        for i, (hcp, (*_, country, register)) in enumerate(zip(europeans, EUROPEANS, strict=True)):
            base = {"recipient_hcp": hcp, "currency": "EUR", "country": country, "register_ids": register}
            event = {
                "source_kind": "event",
                "source_label": "European oncology advisory board",
                "paid_on": board,
            }
            fee = pay(nature="honorarium", amount=_money(rng, 1500, 3000, 250), **event, **base)
            pay(nature="travel", amount=_money(rng, 180, 520), form_of_payment="in_kind", **event, **base)
            pay(nature="lodging", amount=_money(rng, 150, 330), form_of_payment="in_kind", **event, **base)
            pay(
                nature="registration_fee",
                amount=Decimal("650.00"),
                paid_on=day(90),
                source_kind="event",
                source_label="ESMO Congress registration",
                **base,
            )
            if i == 0:
                actions.void_transfer(
                    fee, acting_user=compliance, reason="Recorded in USD by mistake; re-recorded"
                )
                pay(nature="honorarium", amount=fee.amount, **event, **base)
            actions.record_consent(
                acting_user=compliance,
                hcp=hcp,
                year=board.year,
                consented=i not in (2, 4),
                recorded_on=board,
                note="Signed disclosure form at the advisory board",
            )
            counts["consents"] += 1
    return counts
