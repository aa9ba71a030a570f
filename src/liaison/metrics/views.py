"""The manager dashboard: every metric with its definition, chart and table; drill-down; CSV and PDF export.

Only roles granted `metrics` view (msl_manager, medical_lead, admin) may open these pages; commercial users get
403 and never see the menu entry. Filters are query values, so every view (and export) can be bookmarked.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from liaison.core.charts import bar_chart
from liaison.core.permissions import can, require
from liaison.core.views import AuthenticatedRequest

from .dashboard import BUILDERS
from .dashboard import dashboard as compute_dashboard
from .definitions import RESOURCE
from .drilldown import drill as drill_down
from .exports import metrics_csv, metrics_pdf
from .filters import Filters, InvalidFilters, filter_choices, parse_filters


def _filters(request: AuthenticatedRequest) -> tuple[Filters | None, dict[str, list[str]]]:
    """The filters named in the query, or None and the errors per field (the page shows them, status 400)."""
    try:
        return parse_filters(request.user, request.GET.dict()), {}
    except InvalidFilters as exc:
        return None, exc.message_dict


def _page(
    request: AuthenticatedRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context = {
        "f": None,
        "qs": "",
        "drill": None,
        **context,
        "choices": filter_choices(request.user),
        "values": {**dict.fromkeys(("start", "end", "team", "territory", "area"), ""), **request.GET.dict()},
        "perms_stakeholders": can(request.user, "stakeholder", "view"),
    }
    return render(request, template, context, status=status)


@login_required
@require_GET
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    """All metrics for the chosen period and filters."""
    require(request.user, RESOURCE, "view")
    f, errors = _filters(request)
    if f is None:
        return _page(request, "metrics/dashboard.html", {"errors": errors, "cards": []}, status=400)
    cards = [(m, bar_chart(m.bars)) for m in compute_dashboard(request.user, f)]
    return _page(request, "metrics/dashboard.html", {"cards": cards, "f": f, "qs": urlencode(f.query())})


@login_required
@require_GET
def drill(request: AuthenticatedRequest, key: str) -> HttpResponse:
    """The records behind one metric, each linked to its page where the viewer may open it."""
    require(request.user, RESOURCE, "view")
    if key not in BUILDERS:
        raise Http404("No such metric")
    f, errors = _filters(request)
    if f is None:
        return _page(request, "metrics/drill.html", {"errors": errors, "key": key}, status=400)
    result = drill_down(request.user, key, f)
    context = {"drill": result, "chart": bar_chart(result.metric.bars), "f": f, "key": key}
    return _page(request, "metrics/drill.html", {**context, "qs": urlencode(f.query())})


def _export(request: AuthenticatedRequest) -> Filters | HttpResponse:
    require(request.user, RESOURCE, "view")
    f, errors = _filters(request)
    if f is None:
        text = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
        return HttpResponse(f"Invalid filters: {text}", status=400, content_type="text/plain")
    return f


@login_required
@require_GET
def export_csv(request: AuthenticatedRequest) -> HttpResponse:
    """Every metric's table as CSV, for the chosen filters."""
    f = _export(request)
    if isinstance(f, HttpResponse):
        return f
    body = metrics_csv(compute_dashboard(request.user, f), f)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="metrics-{f.start}-{f.end}.csv"'
    return response


@login_required
@require_GET
def export_pdf(request: AuthenticatedRequest) -> HttpResponse:
    """Every metric with its definition, chart and table as a PDF, for the chosen filters."""
    f = _export(request)
    if isinstance(f, HttpResponse):
        return f
    body = metrics_pdf(compute_dashboard(request.user, f), f)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="metrics-{f.start}-{f.end}.pdf"'
    return response
