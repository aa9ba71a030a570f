"""The demo's meetings with external people and its planned meetings (called near the end of the demo load:
liaison.demo.workflows).

Per therapeutic area with MSLs: a formulary meeting with only a payer (two weeks ago) and a mixed meeting with an
HCP and a hospital pharmacist (last week), both submitted; then three planned meetings in the coming ten days
(one with the payer again), which show on the MSL's home page and in their calendar feed. All through
engagement.actions, with the directory entries through people.actions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from django.utils import timezone

from liaison.people.actions import save_external_person, save_organization
from liaison.people.models import ExternalPerson, Organization

from . import actions

# (first name, last name, role, job title, organisation, kind, city, country)
PEOPLE = (
    (
        "Sandra",
        "Whitfield",
        "payer",
        "Director of Pharmacy Benefits",
        "Midwest Regional Health Plan",
        "payer",
        "Chicago",
        "US",
    ),
    (
        "Tomás",
        "Ibarra",
        "pharmacist",
        "Oncology Clinical Pharmacist",
        "Lakeshore University Hospital",
        "hospital",
        "Milwaukee",
        "US",
    ),
    (
        "Naomi",
        "Okafor",
        "patient_advocate",
        "Director of Patient Programs",
        "Heartland Patient Alliance",
        "society",
        "Indianapolis",
        "US",
    ),
)


def _person(
    first: str, last: str, role: str, title: str, org_name: str, kind: str, city: str, country: str
) -> Any:
    """The directory entry, created once (a second demo load in the same database reuses it)."""
    found = ExternalPerson.objects.filter(first_name=first, last_name=last).first()
    if found is not None:
        return found
    org = Organization.objects.filter(name=org_name, city=city, country=country).first() or save_organization(
        None, acting_user=None, data={"name": org_name, "kind": kind, "city": city, "country": country}
    )
    return save_external_person(
        None,
        acting_user=None,
        data={
            "first_name": first,
            "last_name": last,
            "role": role,
            "title": title,
            "organization": org,
            "country": country,
        },
    )


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def load_engagement_demo(
    *,
    acting: Callable[[Any], AbstractContextManager[Any]],
    msls: dict[str, list[Any]],
    hcps: dict[str, list[Any]],
    areas: dict[str, Any],
    today: dt.date | None = None,
) -> dict[str, int]:
    """Create the demo's meetings with external people and its planned meetings; returns counts."""
    today = today or timezone.localdate()
    counts = {"external_people": 0, "external_meetings": 0, "planned_meetings": 0}
    with acting(None):
        payer, pharmacist, advocate = (_person(*row) for row in PEOPLE)
    counts["external_people"] = len(PEOPLE)
    for area_name, people in sorted(msls.items()):
        area_hcps = [h for h in hcps.get(area_name, []) if h.status == "active"]
        if not people or not area_hcps:
            continue
        msl, area = people[0], areas[area_name]
        with acting(msl):
            actions.log_interaction(
                acting_user=msl,
                attendees=[],
                external_attendees=[payer],
                data={
                    "occurred_at": _at(today - dt.timedelta(days=14), 10),
                    "duration_minutes": 60,
                    "channel": "in_person",
                    "purpose": "scientific_exchange",
                    "therapeutic_area": area,
                    "ae_attestation": "no",
                    "notes": "Walked the plan's pharmacy team through the phase 3 efficacy and safety data ahead "
                    "of their formulary review; they asked about real-world persistence.",
                },
            )
            actions.log_interaction(
                acting_user=msl,
                attendees=area_hcps[:1],
                external_attendees=[pharmacist],
                data={
                    "occurred_at": _at(today - dt.timedelta(days=6), 14),
                    "duration_minutes": 45,
                    "channel": "video",
                    "purpose": "education",
                    "therapeutic_area": area,
                    "ae_attestation": "no",
                    "notes": "Reviewed dosing adjustments and infusion-site logistics with the oncologist and "
                    "the hospital pharmacist.",
                },
            )
            counts["external_meetings"] += 2
            plans: tuple[tuple[int, int, list[Any], list[Any], str, str], ...] = (
                (2, 9, area_hcps[1:2], [], "video", "scientific_exchange"),
                (5, 11, [], [payer, advocate], "in_person", "insight_gathering"),
                (9, 15, area_hcps[2:4], [], "in_person", "congress_follow_up"),
            )
            for days, hour, attendees, external, channel, purpose in plans:
                if not attendees and not external:
                    continue
                actions.log_interaction(
                    acting_user=msl,
                    attendees=attendees,
                    external_attendees=external,
                    submit=False,
                    data={
                        "occurred_at": _at(today + dt.timedelta(days=days), hour),
                        "duration_minutes": 45,
                        "channel": channel,
                        "purpose": purpose,
                        "therapeutic_area": area,
                    },
                )
                counts["planned_meetings"] += 1
    return counts
