"""REST endpoints of the impact metrics: the dashboard as data, one metric at a time or all of them.

Only roles granted `metrics` view get them (403 for the others, commercial included); figures are counted
from restricted querysets (querysets.py), and bad filters answer 422 naming the field.
"""

from __future__ import annotations

from typing import Any

from ninja import Query, Router

from liaison.core.api_common import ApiRequest, not_found, responses
from liaison.core.permissions import require

from .dashboard import BUILDERS, dashboard
from .definitions import RESOURCE, Metric
from .filters import Filters, parse_filters
from .schemas import DashboardRead, MetricQuery, MetricRead

metrics_router = Router(tags=["metrics"])


def _read(metric: Metric) -> dict[str, Any]:
    bars = [{"label": label, "share": share, "text": text} for label, share, text in metric.bars]
    return {**metric.__dict__, "bars": bars}


def _filters(request: ApiRequest, query: MetricQuery) -> Filters:
    require(request.user, RESOURCE, "view")
    values = {k: v for k, v in query.dict().items() if v is not None}
    return parse_filters(request.user, values)  # InvalidFilters is a ValidationError: 422


@metrics_router.get("", response=responses({200: DashboardRead}), operation_id="metrics_dashboard")
def metrics_dashboard(request: ApiRequest, query: Query[MetricQuery]) -> Any:
    """Every metric for the period and filters, with definitions, tables and chart bars."""
    f = _filters(request, query)
    return {
        "start": f.start,
        "end": f.end,
        "metrics": [_read(m) for m in dashboard(request.user, f)],
    }


@metrics_router.get("/{key}", response=responses({200: MetricRead}), operation_id="metric_read")
def metric_read(request: ApiRequest, key: str, query: Query[MetricQuery]) -> Any:
    """One metric by key (see docs/metrics.md for the keys); 404 for an unknown key."""
    f = _filters(request, query)
    if key not in BUILDERS:
        raise not_found()
    return _read(dashboard(request.user, f, (key,))[0])
