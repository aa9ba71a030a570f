"""Demo records for stakeholders: the map, a first round of digests (in-app channel: a demo sends no e-mail)
and some feedback, so the stakeholder pages and the dashboard's feedback metric have something to show."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from . import actions

STAKEHOLDERS = (
    ("R&D early development", "rnd", "monthly", "Unmet needs and trial design feedback from investigators"),
    ("HEOR", "heor", "quarterly", "Real-world treatment patterns and access barriers for value dossiers"),
    ("Clinical operations", "clinical_operations", "monthly", "Site feasibility and recruitment barriers"),
    ("Market access", "market_access", "quarterly", "Payer and formulary themes heard in the field"),
    ("Brand marketing", "marketing", "quarterly", "De-identified aggregate themes only (firewall)"),
)
FEEDBACK = (
    ("used", "Fed into the next protocol amendment"),
    ("not_relevant", "Too early for our planning cycle"),
)


def load_stakeholders_demo(
    *, acting: Callable[[Any], AbstractContextManager[None]], lead: Any, areas: list[Any]
) -> None:
    """Create the map as the medical lead, send each stakeholder a digest and record feedback on two of them."""
    with acting(lead):
        for n, (name, function, cadence, expects) in enumerate(STAKEHOLDERS):
            stakeholder = actions.save_stakeholder(
                None,
                acting_user=lead,
                name=name,
                function=function,
                owner=lead,
                preferred_channel="in_app",
                cadence=cadence,
                expectations=expects,
                therapeutic_areas=areas,
            )
            delivery = actions.send_digest(stakeholder, acting_user=lead)
            if n < len(FEEDBACK):
                verdict, comment = FEEDBACK[n]
                actions.record_feedback(
                    stakeholder, acting_user=lead, verdict=verdict, comment=comment, delivery=delivery
                )
