"""Fixtures of the programs tests: a held advisory board owned by alice, with one HCP advisor accepted."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from helpers_governance import approve_needs_assessment


def event_data(world: dict[str, Any], *, days: int = -1, **extra: Any) -> dict[str, Any]:
    """An advisory board's fields, starting `days` from now (negative: already held)."""
    starts = timezone.now() + dt.timedelta(days=days)
    data = {
        "kind": "advisory_board",
        "title": "Oncology advisory board",
        "starts_at": starts,
        "ends_at": starts + dt.timedelta(hours=6),
        "time_zone": "Europe/Berlin",
        "city": "Berlin",
        "country": "Germany",
        "therapeutic_area": world["oncology"],
        "objectives": ["Understand testing delays"],
    }
    data.update(extra)
    return data


@pytest.fixture
def board(world, hcp, acting):
    """A board held yesterday, owned by alice, its needs assessment approved by carla (compliance), with Grace
    Hopkins (HCP) invited as an advisor and accepted."""
    from liaison.programs import actions

    alice = world["alice"]
    with acting(alice):
        event = actions.create_event(
            acting_user=alice, data=event_data(world), listening_priorities=[world["priority"]]
        )
    approve_needs_assessment(event, compliance=world["carla"], acting=acting)
    with acting(alice):
        actions.invite_participant(event, acting_user=alice, hcp=hcp, role="advisor", invitation="accepted")
    return event


@pytest.fixture
def payer(world, system_context):
    from liaison.people.actions import save_external_person, save_organization

    org = save_organization(None, acting_user=None, data={"name": "Regional Health Fund", "kind": "payer"})
    return save_external_person(
        None,
        acting_user=None,
        data={"first_name": "Katrin", "last_name": "Vogel", "role": "payer", "organization": org},
    )
