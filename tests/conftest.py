"""Shared fixtures: one persona per role, reference data, and an audit context for test set-up.

Personas (healthchecks style): alice (MSL, team Oncology East), bob (MSL, team Cardio West), mona (MSL manager,
Oncology East), lena (medical lead), iris (medical information), sam (drug safety), carla (compliance),
otto (auditor), dave (commercial), ada (admin). Every persona's password is PASSWORD.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

os.environ.setdefault("LIAISON_DATA_DIR", tempfile.mkdtemp(prefix="liaison-test-"))

from personas import PASSWORD, PERSONAS  # noqa: E402,F401 - re-exported for older imports


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Any]:
    """A real SMTP server (aiosmtpd) on a free local port, with Django's SMTP backend pointed at it."""
    from helpers_smtp import SmtpServer

    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 5
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        yield server


@pytest.fixture(scope="session", autouse=True)
def flushable_audit_trail() -> Iterator[None]:
    """Transactional tests (live server, browser, races) end with a flush (DELETE or TRUNCATE of every table)
    that the append-only triggers rightly refuse; lift them for that flush only and put them back straight after."""
    from django.core.management.commands import flush
    from django.db import connections

    from audit_support import set_audit_guards

    original = flush.Command.handle

    def handle(self: Any, *args: Any, **options: Any) -> Any:
        conn = connections[options.get("database") or "default"]
        set_audit_guards(False, conn)
        try:
            return original(self, *args, **options)
        finally:
            set_audit_guards(True, conn)

    flush.Command.handle = handle
    yield
    flush.Command.handle = original


@pytest.fixture
def system_context() -> Iterator[Any]:
    """An audit context for set-up code that acts as the system."""
    from liaison.core.context import audit_context

    with audit_context(actor=None, source="test", reason="test set-up") as ctx:
        yield ctx


@pytest.fixture
def acting():
    """`with acting(user): ...` runs writes as `user`."""
    from liaison.core.context import audit_context

    def _acting(user: Any):
        return audit_context(actor=user, source="test")

    return _acting


@pytest.fixture
def world(db, system_context) -> dict[str, Any]:
    """Reference data plus every persona: {"oncology": area, "cardio": area, "product": product, "alice": user...}."""
    from liaison.accounts.actions import create_user, save_product, save_team, save_therapeutic_area
    from liaison.insights.actions import save_listening_priority

    oncology = save_therapeutic_area(None, acting_user=None, name="Oncology", mesh_tree_numbers=["C04"])
    cardio = save_therapeutic_area(None, acting_user=None, name="Cardiology", mesh_tree_numbers=["C14"])
    teams = {
        "Oncology East": save_team(None, acting_user=None, name="Oncology East", therapeutic_area=oncology),
        "Cardio West": save_team(None, acting_user=None, name="Cardio West", therapeutic_area=cardio),
    }
    product = save_product(
        None,
        acting_user=None,
        name="Onkotrex",
        generic_name="onkotrexumab",
        therapeutic_area=oncology,
        approved_indications=["metastatic NSCLC"],
    )
    priority = save_listening_priority(
        None,
        acting_user=None,
        therapeutic_area=oncology,
        title="Biomarker testing barriers",
        description="What stops clinics from testing for PD-L1 and EGFR?",
    )
    out: dict[str, Any] = {
        "oncology": oncology,
        "cardio": cardio,
        "product": product,
        "priority": priority,
        "teams": teams,
    }
    for name, (role, team) in PERSONAS.items():
        out[name] = create_user(
            username=name,
            role=role,
            password=PASSWORD,
            first_name=name.title(),
            last_name="Tester",
            team=teams.get(team) if team else None,
        )
    return out


@pytest.fixture
def hcp(world, system_context):
    from liaison.people.actions import create_hcp

    return create_hcp(
        acting_user=None,
        data={
            "first_name": "Grace",
            "last_name": "Hopkins",
            "credentials": "MD, PhD",
            "npi": "1234567893",
            "city": "Iowa City",
            "state": "IA",
            "owner": world["alice"],
        },
        therapeutic_areas=[world["oncology"]],
    )


@pytest.fixture
def interaction(world, hcp, acting):
    from liaison.engagement.actions import log_interaction

    with acting(world["alice"]):
        return log_interaction(
            acting_user=world["alice"],
            attendees=[hcp],
            data={
                "occurred_at": timezone.now() - dt.timedelta(days=1),
                "channel": "in_person",
                "purpose": "scientific_exchange",
                "ae_attestation": "no",
                "therapeutic_area": world["oncology"],
                "notes": "Discussed the phase 3 design and biomarker strategy.",
                "topics": ["biomarkers"],
            },
            insights=[{"text": "Community oncologists wait three weeks for PD-L1 results."}],
            follow_ups=[{"description": "Send the subgroup analysis", "due_date": timezone.localdate()}],
        )


# REST API test clients (`api("alice")`, `anonymous`), defined in tests/api_support.py.
from api_support import anonymous, api  # noqa: E402, F401
