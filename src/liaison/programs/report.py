"""The event report as a PDF (the HTML page is templates/programs/event_report.html, from the same data).

Participants' names come in any script, so the PDF does not use the core Helvetica font (Latin-1 only, see
core/exports.py) but Kurinto Sans, shipped as TrueType files by the `weblate-fonts` package (OFL): the pan-script
face for Latin, Greek and Cyrillic, with its Chinese, Japanese and Korean faces as fallbacks for the glyphs it
lacks. fpdf2 embeds only the glyphs used (subsetting), so a report stays small.
"""

from __future__ import annotations

import functools
import logging
from importlib import resources
from pathlib import Path

from django.utils import timezone
from fpdf import FPDF

from . import congress_report
from .queries import EventReport

FONT = "kurinto"
# (family, style, file): the main face and the fallbacks tried, in order, for a glyph the main face lacks.
FONT_FILES = (
    (FONT, "", "KurintoSans-Rg.ttf"),
    (FONT, "B", "KurintoSans-Bd.ttf"),
    ("kurinto-sc", "", "KurintoSansSC-Rg.ttf"),
    ("kurinto-jp", "", "KurintoSansJP-Rg.ttf"),
    ("kurinto-kr", "", "KurintoSansKR-Rg.ttf"),
)
FALLBACKS = ["kurinto-sc", "kurinto-jp", "kurinto-kr"]
# fontTools logs every step of subsetting at INFO: noise in the server log for each report.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)


@functools.cache
def font_dir() -> Path:
    """Where the package installed the TrueType files."""
    return Path(str(resources.files("weblate_fonts"))) / "static" / "weblate_fonts" / "kurinto" / "ttf"


def _pdf() -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    for family, style, name in FONT_FILES:
        pdf.add_font(family, style, str(font_dir() / name))
    pdf.set_fallback_fonts(FALLBACKS, exact_match=False)
    return pdf


def _when(report: EventReport) -> str:
    event = report.event
    start = timezone.localtime(event.starts_at, event.zone)
    end = timezone.localtime(event.ends_at, event.zone)
    same_day = start.date() == end.date()
    return (
        f"{start:%d %b %Y %H:%M}–{end:%H:%M}"
        if same_day
        else f"{start:%d %b %Y %H:%M} – {end:%d %b %Y %H:%M}"
    ) + f" ({event.time_zone})"


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(2)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)


def _line(pdf: FPDF, text: str) -> None:
    pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")


def _table(pdf: FPDF, columns: list[str], rows: list[list[str]]) -> None:
    with pdf.table(text_align="LEFT", line_height=4.5, first_row_as_headings=True) as table:
        header = table.row()
        for column in columns:
            header.cell(column)
        for row in rows:
            cells = table.row()
            for cell in row:
                cells.cell(cell)


def render_pdf(report: EventReport) -> bytes:
    """The report as an A4 PDF: facts, objectives and priorities, staff, participants with attendance,
    minutes, insights (the medical text: an internal medical report) and action items."""
    event = report.event
    pdf = _pdf()
    pdf.add_page()
    pdf.set_font(FONT, "B", 14)
    pdf.multi_cell(0, 7, f"Event report: {event.title}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    _line(pdf, f"{event.get_kind_display()} · {event.get_status_display()} · {event.therapeutic_area.name}")
    _line(pdf, f"When: {_when(report)}")
    _line(pdf, f"Where: {event.place}")
    _line(pdf, f"Owner: {event.owner.display_name}")
    if event.budget is not None:
        _line(pdf, f"Budget: {event.budget:,.2f} {event.currency}")
    _line(pdf, "Internal medical report: not for promotional use or for audiences outside medical.")

    _heading(pdf, "Objectives")
    for objective in event.objectives or ["—"]:
        _line(pdf, f"• {objective}")
    if report.priorities:
        _line(pdf, "Listening priorities: " + "; ".join(p.title for p in report.priorities))

    _heading(pdf, "Staff")
    if report.staff:
        _table(pdf, ["Name", "Role"], [[s.user.display_name, s.get_role_display()] for s in report.staff])

    c = report.counts
    _heading(
        pdf,
        f"Participants ({c.get('attended', 0)} attended of {c.get('invited', 0)}; "
        f"{c.get('walk_ins', 0)} walk-in)",
    )
    if report.participants:
        _table(
            pdf,
            ["Name", "Who", "Role", "Invitation", "Attendance"],
            [
                [
                    p.name + (" (walk-in)" if p.walk_in else ""),
                    p.affiliation,
                    p.get_role_display(),
                    p.get_invitation_display(),
                    p.get_attendance_display(),
                ]
                for p in report.participants
            ],
        )

    _heading(pdf, "Minutes")
    _line(pdf, event.minutes or "—")

    _heading(pdf, f"Insights captured at the event ({len(report.insights)})")
    for insight in report.insights:
        about = f" [{insight.listening_priority.title}]" if insight.listening_priority is not None else ""
        _line(pdf, f"• {insight.text}{about}")

    if report.congress is not None:
        congress_report.write_pdf(
            report.congress,
            heading=lambda text: _heading(pdf, text),
            line=lambda text: _line(pdf, text),
            table=lambda columns, rows: _table(pdf, columns, rows),
        )

    _heading(pdf, "Action items")
    if report.action_items:
        _table(
            pdf,
            ["Action", "Owner", "Due", "Done"],
            [
                [
                    a.title,
                    a.owner.display_name,
                    f"{a.due_date:%Y-%m-%d}" if a.due_date else "",
                    f"{timezone.localtime(a.done_at):%Y-%m-%d}" if a.done_at else "",
                ]
                for a in report.action_items
            ],
        )
    return bytes(pdf.output())
