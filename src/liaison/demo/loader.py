"""Load the demo data set: real people and places from public data, fictional company activity around them.

Every row is written through the apps' actions inside audit contexts, exactly as users would write it, so the
audit chain verifies afterwards and the safety screening runs on every note. The random parts come from a
fixed seed: two loads on the same day give the same data (dates are relative to today).

This module holds the entry points; plan.py says what a load is made of, field.py and workflows.py hold its
stages (`DemoLoader`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from liaison.accounts.models import Product, TherapeuticArea, User
from liaison.compliance.anchors import write_anchor
from liaison.compliance.verification import verify_and_record
from liaison.core.context import audit_context
from liaison.core.models import AuditEvent
from liaison.engagement.models import FollowUp, Interaction
from liaison.insights.models import Insight
from liaison.medinfo.models import MedicalInquiry
from liaison.people.models import HCP, Organization
from liaison.safety.models import SafetyReport

from . import content, sources
from .plan import SIZES, USERS, hcp_slots
from .workflows import DemoLoader


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
        + hcp_slots(spec)
        + spec.interactions
        + spec.standalone_insights
        + spec.commercial_handoffs
        + 3
        + 1
        + len(sources.AREAS)
        + 1  # insight intelligence: embeddings, themes, duplicate links, clusters, search index
    )


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
        DemoLoader(SIZES[size], progress or (lambda stage, steps: None)).run()
    write_anchor("demo loaded")  # the demo's audit trail is anchored outside the database from the start
    # Compliance's first verification of the trail (chain, anchors, every audited record), as a new deployment
    # would run it: the oversight homes show when it last held.
    with audit_context(actor=User.objects.get(username="carla"), source="cli", reason="first verification"):
        verified = verify_and_record()
    if not verified.ok:
        raise RuntimeError(f"the demo's audit trail does not verify: {verified.describe()}")
    return DemoSummary(
        loaded=True, counts=count_rows(), seconds=time.monotonic() - started, message="demo data set loaded"
    )
