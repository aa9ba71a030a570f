"""CSV and PDF exports of the dashboard: the same metrics, definitions and tables the page shows.

Both go through liaison.core.exports: its CSV writer, and its PDF helpers (fpdf2's core Helvetica font, so text
is limited to Latin-1: anything else is replaced rather than failing the export).
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from fpdf import FPDF

from liaison.core.exports import csv_writer, draw_bars, draw_table, pdf_text

from .definitions import Metric
from .filters import Filters


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
    pdf.cell(0, 10, pdf_text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    filters = ", ".join(f"{k}={v}" for k, v in f.query().items())
    pdf.multi_cell(
        0, 5, pdf_text(f"Period {f.start} to {f.end}. Filters: {filters}"), new_x="LMARGIN", new_y="NEXT"
    )
    for m in metrics:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(0, 6, pdf_text(m.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "B", 10)
        pdf.multi_cell(0, 5, pdf_text(m.headline), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "I", 8)
        pdf.multi_cell(0, 4, pdf_text(m.definition), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 8)
        draw_bars(pdf, m.bars)
        if m.rows:
            draw_table(pdf, m.columns, m.rows)
    return bytes(pdf.output())
