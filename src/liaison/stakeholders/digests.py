"""Digests for internal stakeholders: building one (a read, as its sender) and rendering it as an HTML e-mail,
plain text and PDF. (The feedback reads the metrics dashboard shows are in queries.py.)

A digest covers the period since the stakeholder's last one (or one cadence back) and holds:

- for medical-side functions (R&D, HEOR, clinical operations, market access, ...): insights per listening
  priority in the stakeholder's therapeutic areas, a chart of them, and up to MAX_EXAMPLES insight
  texts run through `liaison_text.deidentify` with every HCP and staff name known to Liaison; no author, HCP,
  interaction or date below the day;
- for commercial functions (marketing): only the de-identified aggregate report of insights/aggregate_report.py, with
  its small-cell suppression; nothing from single records.

Insights are read through `restrict()` as the stakeholder's owner (the medical person who sends the digest), so a
digest never holds more than its sender may see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from fpdf import FPDF

from liaison.core.charts import bar_chart
from liaison.core.exports import draw_bars, draw_table, pdf_text
from liaison.core.permissions import require
from liaison.insights.aggregate_report import InsightReport, build_insight_report, known_names
from liaison.insights.models import Insight, InsightStatus
from liaison_text.deidentify import deidentify

from .models import CADENCE_DAYS, DigestForm, Stakeholder

MAX_EXAMPLES = 10
REPORTED = (InsightStatus.SUBMITTED, InsightStatus.REVIEWED)


@dataclass
class PriorityCount:
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
    priorities: list[PriorityCount] = field(default_factory=list)
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
        """Chart bars: insights per listening priority, relative to the busiest (aggregate form: per report row)."""
        if self.form == DigestForm.AGGREGATE:
            rows = [(f"{r.area}: {r.priority}", r.total) for r in (self.report.rows if self.report else [])]
            shown = [(label, e.count, e.display) for label, e in rows if not e.suppressed]
            top = max((n for _, n, _ in shown), default=0) or 1
            return [(label, n / top, text) for label, n, text in shown]
        top = max((p.count for p in self.priorities), default=0) or 1
        return [(p.title, p.count / top, str(p.count)) for p in self.priorities]


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
    priorities = [
        PriorityCount(
            r["listening_priority__title"] or "No listening priority", r["therapeutic_area__name"], r["n"]
        )
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
        priorities=priorities,
        examples=examples,
        insight_count=sum(p.count for p in priorities),
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
        counts = [f"- {p.title} ({p.area}): {p.count}" for p in digest.priorities]
        lines += counts or ["- none in this period"]
        lines += ["", "What the field heard (de-identified)"] + [f"- {x}" for x in digest.examples]
    return "\n".join(lines) + "\n"


def render_pdf(digest: Digest) -> bytes:
    """The digest as an A4 PDF with the same chart and tables as the e-mail."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 7, pdf_text(digest.subject), new_x="LMARGIN", new_y="NEXT")
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
        if digest.priorities:
            draw_table(
                pdf, ["Theme", "Area", "Insights"], [[p.title, p.area, p.count] for p in digest.priorities]
            )
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 6, "What the field heard (de-identified)", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        for text in digest.examples:
            pdf.multi_cell(0, 5, pdf_text(f"- {text}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
