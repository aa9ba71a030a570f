"""Building digests for internal stakeholders, and the feedback counts the metrics dashboard shows.

A digest covers the period since the stakeholder's last one (or one cadence back) and holds:

- for medical-side functions (R&D, HEOR, clinical operations, market access, ...): insights per listening
  priority (the themes) in the stakeholder's therapeutic areas, a chart of them, and up to MAX_EXAMPLES insight
  texts run through `liaison_text.deidentify` with every HCP and staff name known to Liaison; no author, HCP,
  interaction or date below the day;
- for commercial functions (marketing): only the de-identified aggregate report of insights/reports.py, with
  its small-cell suppression; nothing from single records.

Insights are read through `restrict()` as the stakeholder's owner (the medical person who sends the digest), so a
digest never holds more than its sender may see.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from fpdf import FPDF

from liaison.core.permissions import require
from liaison.insights.models import Insight, InsightStatus
from liaison.insights.reports import InsightReport, build_insight_report, known_names
from liaison.metrics.charts import bar_chart
from liaison.metrics.exports import _safe, draw_bars, draw_table
from liaison_text.deidentify import deidentify

from .models import CADENCE_DAYS, DigestForm, Stakeholder, StakeholderFeedback, Verdict

MAX_EXAMPLES = 10
REPORTED = (InsightStatus.SUBMITTED, InsightStatus.REVIEWED)


@dataclass
class Theme:
    """Insights heard on one listening priority (or none) in the period."""

    title: str
    area: str
    count: int


@dataclass
class Digest:
    """What one stakeholder receives for one period, in either form."""

    stakeholder: Stakeholder
    form: str
    period_start: dt.datetime
    period_end: dt.datetime
    themes: list[Theme] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    report: InsightReport | None = None
    insight_count: int = 0

    @property
    def subject(self) -> str:
        return (
            f"Medical insights digest for {self.stakeholder.name}: "
            f"{self.period_start:%d %b %Y} to {self.period_end:%d %b %Y}"
        )

    @property
    def bars(self) -> list[tuple[str, float, str]]:
        """Chart bars: insights per theme, relative to the busiest (aggregate form: per report row)."""
        if self.form == DigestForm.AGGREGATE:
            rows = [(f"{r.area}: {r.priority}", r.total) for r in (self.report.rows if self.report else [])]
            shown = [(label, e.count, e.display) for label, e in rows if not e.suppressed]
            top = max((n for _, n, _ in shown), default=0) or 1
            return [(label, n / top, text) for label, n, text in shown]
        top = max((t.count for t in self.themes), default=0) or 1
        return [(t.title, t.count / top, str(t.count)) for t in self.themes]


def period_for(stakeholder: Stakeholder, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """From the last digest (or one cadence back) to now."""
    start = stakeholder.last_sent_at or now - dt.timedelta(days=CADENCE_DAYS[stakeholder.cadence])
    return start, now


def is_due(stakeholder: Stakeholder, now: dt.datetime) -> bool:
    """True when a full cadence has passed since the last digest (or none was ever sent)."""
    if stakeholder.last_sent_at is None:
        return True
    return now - stakeholder.last_sent_at >= dt.timedelta(days=CADENCE_DAYS[stakeholder.cadence])


def _insights(stakeholder: Stakeholder, start: dt.datetime, end: dt.datetime) -> QuerySet:
    qs = Insight.objects.restrict(stakeholder.owner, "view").filter(
        status__in=REPORTED, submitted_at__gte=start, submitted_at__lt=end
    )
    area_ids = list(stakeholder.therapeutic_areas.values_list("pk", flat=True))
    return qs.filter(therapeutic_area_id__in=area_ids) if area_ids else qs


def build_digest(stakeholder: Stakeholder, *, now: dt.datetime | None = None) -> Digest:
    """The digest `stakeholder` is due for, built with what its owner may see."""
    now = now or timezone.now()
    start, end = period_for(stakeholder, now)
    if stakeholder.commercial:
        # Behind the firewall: the de-identified aggregate report, which checks `insight_report` itself.
        report = build_insight_report(stakeholder.owner)
        total = 0 if report.total.suppressed else report.total.count
        return Digest(stakeholder, DigestForm.AGGREGATE, start, end, report=report, insight_count=total)
    require(stakeholder.owner, "insight", "view")
    qs = _insights(stakeholder, start, end)
    themes = [
        Theme(r["listening_priority__title"] or "No listening priority", r["therapeutic_area__name"], r["n"])
        for r in qs.values("listening_priority__title", "therapeutic_area__name")
        .annotate(n=Count("id"))
        .order_by("-n", "listening_priority__title")
    ]
    names = known_names()
    texts = qs.order_by("-status", "-submitted_at").values_list("text", flat=True)[:MAX_EXAMPLES]
    examples = [deidentify(t, names=names) for t in texts]
    return Digest(
        stakeholder,
        DigestForm.INSIGHTS,
        start,
        end,
        themes=themes,
        examples=examples,
        insight_count=sum(t.count for t in themes),
    )


def render_html(digest: Digest) -> str:
    """The HTML e-mail body (inline SVG chart plus the table behind it; tables work in every mail client)."""
    return render_to_string("stakeholders/digest_email.html", {"d": digest, "chart": bar_chart(digest.bars)})


def render_text(digest: Digest) -> str:
    """The plain-text alternative of the e-mail."""
    lines = [digest.subject, ""]
    if digest.form == DigestForm.AGGREGATE:
        lines.append("De-identified aggregate of field insights (groups under five HCPs are hidden).")
        for r in digest.report.rows if digest.report else []:
            lines.append(f"- {r.area}: {r.priority}: {r.total.display}")
    else:
        lines.append("Themes")
        lines += [f"- {t.title} ({t.area}): {t.count}" for t in digest.themes] or ["- none in this period"]
        lines += ["", "What the field heard (de-identified)"] + [f"- {x}" for x in digest.examples]
    return "\n".join(lines) + "\n"


def render_pdf(digest: Digest) -> bytes:
    """The digest as an A4 PDF with the same chart and tables as the e-mail."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 7, _safe(digest.subject), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    draw_bars(pdf, digest.bars)
    pdf.ln(2)
    if digest.form == DigestForm.AGGREGATE:
        pdf.multi_cell(
            0, 5, "De-identified aggregate: groups under five HCPs are hidden.", new_x="LMARGIN", new_y="NEXT"
        )
        rows = [[r.area, r.priority, r.total.display] for r in (digest.report.rows if digest.report else [])]
        if rows:
            draw_table(pdf, ["Area", "Listening priority", "Insights"], rows)
    else:
        if digest.themes:
            draw_table(
                pdf, ["Theme", "Area", "Insights"], [[t.title, t.area, t.count] for t in digest.themes]
            )
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 6, "What the field heard (de-identified)", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        for text in digest.examples:
            pdf.multi_cell(0, 5, _safe(f"- {text}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


# ---- feedback, for the metrics dashboard ----------------------------------------------------------------------


def feedback_records(user: Any, *, start: dt.datetime, end: dt.datetime) -> QuerySet:
    """Feedback recorded in [start, end) that `user` may see, newest first."""
    return (
        StakeholderFeedback.objects.restrict(user, "view")
        .filter(created_at__gte=start, created_at__lt=end)
        .select_related("stakeholder")
        .order_by("-created_at")
    )


def feedback_counts(user: Any, *, start: dt.datetime, end: dt.datetime) -> dict[str, tuple[int, int]]:
    """{function label: (used, not relevant)} over the feedback `user` may see; one grouped query."""
    from .models import Function

    out: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
    rows = (
        feedback_records(user, start=start, end=end)
        .order_by()
        .values("stakeholder__function")
        .annotate(
            used=Count("id", filter=Q(verdict=Verdict.USED)),
            not_relevant=Count("id", filter=Q(verdict=Verdict.NOT_RELEVANT)),
        )
    )
    for r in rows:
        out[Function(r["stakeholder__function"]).label] = (r["used"], r["not_relevant"])
    return dict(out)
