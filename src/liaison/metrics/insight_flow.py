"""Insight metrics: listening-priority coverage, insight yield and rated quality, insight-to-action rate."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Count, F, IntegerField, Q, QuerySet
from django.db.models.functions import Cast

from liaison.core.permissions import can
from liaison.insights.models import Insight, InsightStatus, ListeningPriority
from liaison.loop.models import InsightRating
from liaison.loop.queries import build_loop_report

from .definitions import Metric, build_metric, percent, ratio
from .filters import Filters
from .querysets import REPORTED, Period, insights, interactions

if TYPE_CHECKING:
    from liaison.accounts.models import User

# A rated insight is high-value when its mean specific and actionable ratings both reach this and at least
# half of its reviewers judged it new.
HIGH_VALUE_SCORE = 4
FRESH_DAYS = 90  # a listening priority is covered when it has insights submitted in the last 90 days


def priority_coverage(user: User, f: Filters, period: Period | None = None) -> Metric:
    since = f.end_at - dt.timedelta(days=FRESH_DAYS)
    fresh = dict(
        insights(user, f)
        .filter(submitted_at__gte=since, submitted_at__lt=f.end_at, listening_priority__isnull=False)
        .values("listening_priority_id")
        .annotate(n=Count("id"))
        .values_list("listening_priority_id", "n")
    )
    priorities = ListeningPriority.objects.restrict(user, "view").filter(active=True)
    if f.area:
        priorities = priorities.filter(therapeutic_area=f.area)
    rows, bars, covered = [], [], 0
    listed = list(priorities.select_related("therapeutic_area"))
    for p in listed:
        n = fresh.get(p.pk, 0)
        covered += n > 0
        rows.append([p.title, p.therapeutic_area.name, n, "yes" if n else "no"])
        bars.append((p.title, 1.0 if n else 0.0, f"{n} insight(s)"))
    top = max((r[2] for r in rows), default=0)
    bars = [(label, ratio(r[2], top), text) for (label, _, text), r in zip(bars, rows, strict=True)]
    return build_metric(
        "priority_coverage",
        f"{covered} of {len(listed)} priorities with fresh insights ({percent(covered, len(listed))})",
        ["Listening priority", "Area", f"Insights, last {FRESH_DAYS} days", "Covered"],
        rows,
        bars,
    )


def rated_insights(user: User, qs: QuerySet) -> QuerySet:
    """One row per insight of `qs`: its interaction's area (`area_id`), its status, and the means of the ratings
    the viewer may see: `specific` and `actionable` (1-5) and `new` (the share of its reviewers who judged it
    new), None when no visible rating exists.

    Aggregating these rows (QuerySet.aggregate wraps them in a subquery) weighs every rated insight the same
    however many reviewers rated it, which is what a manager means by "the mean rating of our insights". The
    area is its id, not its name: names are read once per dashboard (Period), which spares a join per insight.
    (A FilteredRelation joining the visible ratings once was tried: SQLite then walks the whole list of visible
    ratings for every insight, which is quadratic.)
    """
    return qs.values(
        "pk", "status", "interaction_id", area_id=F("interaction__therapeutic_area_id")
    ).annotate(**rating_means(user, "ratings"))


def rating_means(user: User, ratings: str) -> dict[str, models.Avg]:
    """`r_specific`, `r_actionable` and `r_new` over the ratings at the path `ratings` that the viewer may see."""
    visible = Q(**{f"{ratings}__in": InsightRating.objects.restrict(user, "view")})
    return {
        "r_specific": models.Avg(f"{ratings}__specific", filter=visible),
        "r_actionable": models.Avg(f"{ratings}__actionable", filter=visible),
        "r_new": models.Avg(Cast(f"{ratings}__new", IntegerField()), filter=visible),
    }


# A rated insight's means reach HIGH_VALUE_SCORE on both scales and half its reviewers or more judged it new.
HIGH_VALUE = Q(r_specific__gte=HIGH_VALUE_SCORE, r_actionable__gte=HIGH_VALUE_SCORE, r_new__gte=0.5)


def _insight_figures(user: User, f: Filters, areas: list[int | None], ratings: bool) -> dict[str, Any]:
    """Insights, reviewed, and with `ratings` the rated, mean and high-value figures, per area (by id, in the
    order of `areas`) and overall ("" keys), in one query: conditional aggregation over per-insight rows, one
    set per area.

    The per-insight rows are read from the period's interactions (restricted) to their insights (restricted
    too) and ratings, so SQLite walks the period's range of `interaction_metrics_idx`, which also holds the
    area, and looks up each interaction's insights; the other way round (insights whose interaction is `IN` the
    period's) first lists every interaction id, then fetches each insight's interaction again for its area,
    about a third slower. One row per insight and the same means as `rated_insights`.
    """
    rows = interactions(user, f).filter(
        insights__status__in=REPORTED, insights__in=Insight.objects.restrict(user, "view")
    )
    columns = {
        "pk": F("insights__pk"),
        "insight_status": F("insights__status"),
        "area_id": F("therapeutic_area_id"),
    }
    if ratings:
        rows = rows.values(**columns).annotate(**rating_means(user, "insights__ratings"))
    else:
        rows = rows.values(**columns)
    wanted: dict[str, Any] = {}
    for i, area in [("", None), *((str(i), a) for i, a in enumerate(areas))]:
        where = Q() if i == "" else Q(area_id__isnull=True) if area is None else Q(area_id=area)
        wanted[f"n{i}"] = Count("pk", filter=where)
        wanted[f"reviewed{i}"] = Count("pk", filter=where & Q(insight_status=InsightStatus.REVIEWED))
        if ratings:
            wanted[f"rated{i}"] = Count("r_specific", filter=where)
            wanted[f"specific{i}"] = models.Avg("r_specific", filter=where)
            wanted[f"actionable{i}"] = models.Avg("r_actionable", filter=where)
            wanted[f"new{i}"] = Count("pk", filter=where & Q(r_new__gte=0.5))
            wanted[f"high{i}"] = Count("pk", filter=where & HIGH_VALUE)
    return rows.aggregate(**wanted)


def _mean(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "n/a"


def insight_yield(user: User, f: Filters, period: Period | None = None) -> Metric:
    """Yield and rated quality per area: the period's interactions per area (shared with other metrics), and one
    query for the insights and their ratings."""
    period = period or Period(user, f)
    per_area = period.per_area
    areas = sorted(per_area, key=lambda a: (a is None, a or ""))
    ratings = can(user, "insight_rating", "view")
    got = _insight_figures(user, f, [period.area_id[a] for a in areas], ratings) if areas else {}
    columns = ["Area", "Interactions", "Insights", "Insights per interaction", "Reviewed"]
    if ratings:
        columns += ["Rated", "Mean specific", "Mean actionable", "New", "High-value per interaction"]

    def row(label: str, n_int: int, i: str) -> list[Any]:
        n = got.get(f"n{i}", 0)
        cells = [label, n_int, n, f"{ratio(n, n_int):.2f}", percent(got.get(f"reviewed{i}", 0), n)]
        if ratings:
            rated = got.get(f"rated{i}", 0)
            cells += [
                percent(rated, n),
                _mean(got.get(f"specific{i}")),
                _mean(got.get(f"actionable{i}")),
                percent(got.get(f"new{i}", 0), rated),
                f"{ratio(got.get(f'high{i}', 0), n_int):.2f}",
            ]
        return cells

    rows, bars = [], []
    for i, area in enumerate(areas):
        label, n_int = area or "No area", per_area[area]
        rows.append(row(label, n_int, str(i)))
        n_ins = got.get(f"n{i}", 0)
        bars.append((label, ratio(n_ins, n_int), f"{ratio(n_ins, n_int):.2f} per interaction"))
    total_i, total_n = sum(per_area.values()), got.get("n", 0)
    if len(areas) > 1:
        rows.append(row("All areas", total_i, ""))
    top = max((b[1] for b in bars), default=0) or 1
    bars = [(label, v / top, text) for label, v, text in bars]
    headline = f"{ratio(total_n, total_i):.2f} insights per interaction ({total_n} from {total_i}); "
    if ratings:
        high = got.get("high", 0)
        headline += f"{ratio(high, total_i):.2f} high-value per interaction ({high} rated high-value)"
    else:
        headline += "rated quality not shown: it needs view permission on insight ratings"
    return build_metric("insight_yield", headline, columns, rows, bars)


def insight_to_action(user: User, f: Filters, period: Period | None = None) -> Metric:
    """Rate and latency from the loop's own report, so the dashboard and /loop/report/ never disagree."""
    if not (can(user, "insight", "view") and can(user, "insight_action", "view")):
        note = "Needs view permission on insights and actions"
        return build_metric("insight_to_action", note, ["Note"], [[note]], [], available=False)
    report = build_loop_report(user, since=f.start, until=f.end)
    if f.team is not None:
        chosen = [r for r in report.by_team if r.label == f.team.name]
    elif f.area is not None:
        chosen = [r for r in report.by_area if r.label == f.area.name]
    else:
        chosen = report.by_area
    rows, bars = [], []
    for r in chosen:
        rate = r.rate or 0.0
        rows.append(
            [r.label, r.reviewed, r.fed_action, percent(r.fed_action, r.reviewed), r.median_days_to_action,
             r.median_days_to_outcome]
        )  # fmt: skip
        bars.append((r.label, rate, f"{percent(r.fed_action, r.reviewed)} fed an action"))
    reviewed = sum(r.reviewed for r in chosen)
    fed = sum(r.fed_action for r in chosen)
    latency = report.total.median_days_to_action if f.team is None and f.area is None else None
    if latency is None and len(chosen) == 1:
        latency = chosen[0].median_days_to_action
    headline = f"{percent(fed, reviewed)} of {reviewed} reviewed insights fed an action"
    if latency is not None:
        headline += f"; median {latency} days to action"
    return build_metric(
        "insight_to_action",
        headline,
        ["Group", "Reviewed", "Fed an action", "Rate", "Median days to action", "Median days to outcome"],
        rows,
        bars,
    )
