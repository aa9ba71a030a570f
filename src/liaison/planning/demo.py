"""The demo's engagement plans and standing interests (called at the end of the demo load: liaison.demo.workflows).

Per therapeutic area: a KOL plan and a territory plan for this year owned by the area's first MSL, two standing
interests on tiered HCPs (MeSH terms taken from the area's most frequent headings in the ingested literature,
one of them due for renewal soon), then one reminder run so the HCP pages show reminders.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from django.utils import timezone

from liaison.kol.models import Publication

from . import actions


def _top_headings(limit: int = 40) -> list[str]:
    """The most frequent MeSH headings of the ingested publications (major topics first)."""
    counts: Counter[str] = Counter()
    for mesh in Publication.objects.values_list("mesh", flat=True)[:5000]:
        for heading in mesh or []:
            if isinstance(heading, dict) and heading.get("major") and heading.get("name"):
                counts[heading["name"]] += 1
    skip = {"Humans", "Female", "Male", "Adult", "Aged", "Middle Aged", "Animals"}
    return [name for name, _ in counts.most_common(limit) if name not in skip]


def load_planning_demo(
    *,
    acting: Callable[[Any], AbstractContextManager[Any]],
    msls: dict[str, list[Any]],
    hcps: dict[str, list[Any]],
    priorities: dict[str, list[tuple[Any, list[str]]]],
    today: dt.date | None = None,
) -> dict[str, int]:
    """Create the demo's plans and interests and run the reminder job once; returns counts for the summary."""
    today = today or timezone.localdate()
    quarter = (today.month - 1) // 3 + 1
    headings = _top_headings()
    counts = {"plans": 0, "interests": 0, "reminders": 0}
    for i, (area, people) in enumerate(sorted(msls.items())):
        if not people:
            continue
        msl = people[0]
        tiered = [h for h in hcps.get(area, []) if h.tier and h.owner_id == msl.pk] or [
            h for h in hcps.get(area, []) if h.tier
        ]
        area_priorities = [p for p, _ in priorities.get(area, [])][:2]
        with acting(msl):
            if tiered:
                actions.create_plan(
                    acting_user=msl,
                    kind="kol",
                    year=today.year,
                    hcp=tiered[0],
                    planned_per_quarter=2,
                    objectives=[
                        "Understand their view of the unmet need in second-line treatment",
                        "Explore interest in an investigator-initiated study",
                    ],
                    listening_priorities=area_priorities,
                )
                counts["plans"] += 1
            if msl.territory_id:
                actions.create_plan(
                    acting_user=msl,
                    kind="territory",
                    year=today.year,
                    quarter=quarter,
                    territory=msl.territory,
                    tier_targets={"1": 4, "2": 6, "3": 6},
                    objectives=["See every tier 1 KOL at least once this quarter"],
                    listening_priorities=area_priorities,
                )
                counts["plans"] += 1
            for j, hcp in enumerate(tiered[:2]):
                terms = (
                    headings[(2 * i + j) % len(headings) : (2 * i + j) % len(headings) + 1]
                    if headings
                    else []
                )
                actions.record_standing_interest(
                    acting_user=msl,
                    hcp=hcp,
                    topic=f"New evidence on {terms[0]}" if terms else "New evidence in their field",
                    mesh_terms=terms,
                    recorded_on=today - dt.timedelta(days=350 if j else 90),
                )
                counts["interests"] += 1
    with acting(None):
        counts["reminders"] = actions.remind_standing_interests(today=today, limit_per_interest=2).created
    return counts
