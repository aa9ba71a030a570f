"""The manager dashboard: every metric for a period and filters, one grouped SQL query per metric.

Every figure is counted from querysets read through `restrict()`, so a manager's dashboard counts what the
manager may see (their team's interactions, insights and follow-ups) and the firewall holds by construction:
the resource `"metrics"` (core/permissions.py) is granted to msl_manager, medical_lead and admin only, and no
metric touches prescribing or sales data (there is none in Liaison). Definitions live in docs/metrics.md and
in `DEFINITIONS` (definitions.py), which the pages and exports show next to each figure.

Why conditional aggregation: `Count("id", filter=Q(...))` computes every bucket of a metric in one pass over
the rows the period and filters select (the `occurred_at`, `due_date`, `received_at` and `day_zero` indexes
narrow them), which is what keeps the dashboard under a second over a million interactions (bench/dashboard.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from liaison.core.permissions import require

from .definitions import ORDER, RESOURCE, Metric
from .feedback import kol_feedback, stakeholder_feedback
from .filters import Filters
from .insight_flow import insight_to_action, insight_yield, priority_coverage
from .querysets import Period
from .reach import kol_coverage, proactive_share
from .timeliness import ae_sla, follow_up_timeliness, inquiry_sla

if TYPE_CHECKING:
    from liaison.accounts.models import User

BUILDERS = {
    "kol_coverage": kol_coverage,
    "priority_coverage": priority_coverage,
    "insight_yield": insight_yield,
    "insight_to_action": insight_to_action,
    "follow_up_timeliness": follow_up_timeliness,
    "inquiry_sla": inquiry_sla,
    "ae_sla": ae_sla,
    "proactive_share": proactive_share,
    "kol_feedback": kol_feedback,
    "stakeholder_feedback": stakeholder_feedback,
}


def dashboard(user: User, f: Filters, keys: tuple[str, ...] = ORDER) -> list[Metric]:
    """Every metric (or those named) for `f`; raises PermissionDenied for roles without `metrics` view."""
    require(user, RESOURCE, "view")
    period = Period(user, f)
    return [BUILDERS[k](user, f, period) for k in keys]
