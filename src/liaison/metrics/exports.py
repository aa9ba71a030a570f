"""CSV and PDF exports of the dashboard: the same metrics, definitions and tables the page shows.

The PDF is drawn with fpdf2 (pure Python, no system libraries) using its core Helvetica font, so text is
limited to Latin-1: anything else is replaced rather than failing the export.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from fpdf import FPDF

from liaison.core.exports import csv_writer

from .services import Filters, Metric


def _safe(value: object) -> str:
    """Latin-1 text for the PDF core font (the CSV goes through liaison.core.exports instead)."""
    return str(value).encode("latin-1", "replace").decode("latin-1")


def metrics_csv(metrics: Iterable[Metric], f: Filters) -> str:
    """One block per metric: its title, headline and table; the filters on the first line."""
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(["period", f.start.isoformat(), f.end.isoformat(), "filters", *f.query().values()])
    for m in metrics:
        writer.writerow([])
        writer.writerow([m.title, m.headline])
        writer.writerow(m.columns)
        writer.writerows(m.rows)
    return out.getvalue()


def metrics_pdf(metrics: Iterable[Metric], f: Filters, title: str = "Impact metrics") -> bytes:
    """An A4 PDF: per metric its headline, definition, a bar chart and the table behind it."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _safe(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    filters = ", ".join(f"{k}={v}" for k, v in f.query().items())
    pdf.multi_cell(
        0, 5, _safe(f"Period {f.start} to {f.end}. Filters: {filters}"), new_x="LMARGIN", new_y="NEXT"
    )
    for m in metrics:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(0, 6, _safe(m.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "B", 10)
        pdf.multi_cell(0, 5, _safe(m.headline), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "I", 8)
        pdf.multi_cell(0, 4, _safe(m.definition), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 8)
        draw_bars(pdf, m.bars)
        if m.rows:
            draw_table(pdf, m.columns, m.rows)
    return bytes(pdf.output())


def draw_bars(pdf: FPDF, bars: list[tuple[str, float, str]]) -> None:
    """Horizontal bars: label, a filled rectangle proportional to the share, the value text."""
    pdf.set_fill_color(0, 114, 178)
    for label, share, text in bars:
        y = pdf.get_y()
        pdf.cell(55, 5, _safe(label[:34]))
        pdf.rect(pdf.l_margin + 56, y + 1, max(90 * min(max(share, 0.0), 1.0), 0.3), 3, style="F")
        pdf.set_x(pdf.l_margin + 150)
        pdf.cell(0, 5, _safe(text), new_x="LMARGIN", new_y="NEXT")


def draw_table(pdf: FPDF, columns: list[str], rows: list[list[object]]) -> None:
    """The table behind a chart, with a header row."""
    with pdf.table(text_align="LEFT", line_height=4.5, first_row_as_headings=True) as table:
        header = table.row()
        for c in columns:
            header.cell(_safe(c))
        for row in rows:
            r = table.row()
            for c in row:
                r.cell(_safe(c))
