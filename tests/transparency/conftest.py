"""Fixtures of the transparency tests: HCPs in two countries and a helper that records transfers as a user."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from liaison.transparency import actions

PAID = dt.date(2026, 3, 14)


@pytest.fixture
def record(world, acting):
    """`record(hcp=..., **fields)` records a transfer as carla (compliance) unless `user=` says otherwise."""

    def _record(user: Any = None, **fields: Any) -> Any:
        user = user or world["carla"]
        values: dict[str, Any] = {
            "nature": "consulting_fee",
            "paid_on": PAID,
            "amount": "1500.00",
            "currency": "USD",
            "country": "US",
        }
        values.update(fields)
        with acting(user):
            return actions.record_transfer(acting_user=user, **values)

    return _record


@pytest.fixture
def french_hcps(world, system_context):
    """Three HCPs practising in France, owned by alice."""
    from liaison.people.actions import create_hcp

    return [
        create_hcp(
            acting_user=None,
            data={
                "first_name": first,
                "last_name": last,
                "city": "Lyon",
                "country": "FR",
                "owner": world["alice"],
            },
        )
        for first, last in (("Claire", "Martin"), ("Hugo", "Bernard"), ("Inès", "Petit"))
    ]


@pytest.fixture
def hospital(system_context):
    from liaison.people.actions import save_organization

    return save_organization(
        None,
        acting_user=None,
        data={
            "name": "University of Iowa Hospitals",
            "kind": "hospital",
            "city": "Iowa City",
            "state": "IA",
            "country": "US",
        },
    )
