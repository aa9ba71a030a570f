"""The one CSV writer of every export: text that a spreadsheet would run as a formula is kept as text.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is evaluated by Excel, LibreOffice and
Google Sheets as a formula (CSV or formula injection: `=HYPERLINK("http://evil","click")` in a therapeutic
area's name becomes a live link in a manager's spreadsheet). Following OWASP's guidance, such a text cell is
written with a leading single quote, which spreadsheets show as text and do not evaluate. Only text is touched:
numbers (a negative number included) stay numbers, so sums and charts over an export still work.

`tests/architecture/test_conventions.py` fails when a module under src/ builds a `csv.writer` or `csv.DictWriter` of its own.

PDF exports share the helpers at the end: fpdf2 (pure Python, no system libraries) with its core Helvetica font,
whose text is limited to Latin-1, so `pdf_text` replaces anything else rather than failing the export.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import IO, TYPE_CHECKING, Any

from django.http import HttpResponse
from django.utils.functional import Promise

if TYPE_CHECKING:
    from fpdf import FPDF

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The value as a spreadsheet should read it: text with a formula prefix gets a leading `'`, the rest is
    returned unchanged (numbers, dates and None are never text to a spreadsheet)."""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class SafeCsvWriter:
    """`csv.writer` with every text cell neutralised (see the module docstring); same `writerow(s)` API."""

    def __init__(self, out: IO[str] | HttpResponse, **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        """Write one row, neutralising its text cells."""
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write several rows, neutralising their text cells."""
        for row in rows:
            self.writerow(row)


def csv_writer(out: IO[str] | HttpResponse, **kwargs: Any) -> SafeCsvWriter:
    """The CSV writer every export uses: `csv_writer(io.StringIO())` or `csv_writer(response)`."""
    return SafeCsvWriter(out, **kwargs)


def csv_response(filename: str) -> tuple[HttpResponse, SafeCsvWriter]:
    """A CSV download (UTF-8, `attachment; filename=...`) and the safe writer that fills it."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response, csv_writer(response)


def pdf_text(value: object) -> str:
    """Latin-1 text for the PDF core font (CSV cells go through `csv_writer` instead)."""
    return str(value).encode("latin-1", "replace").decode("latin-1")


def draw_bars(pdf: FPDF, bars: list[tuple[str, float, str]]) -> None:
    """Horizontal bars: label, a filled rectangle proportional to the share, the value text."""
    pdf.set_fill_color(0, 114, 178)
    for label, share, text in bars:
        y = pdf.get_y()
        pdf.cell(55, 5, pdf_text(label[:34]))
        pdf.rect(pdf.l_margin + 56, y + 1, max(90 * min(max(share, 0.0), 1.0), 0.3), 3, style="F")
        pdf.set_x(pdf.l_margin + 150)
        pdf.cell(0, 5, pdf_text(text), new_x="LMARGIN", new_y="NEXT")


def draw_table(pdf: FPDF, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """The table behind a chart, with a header row."""
    with pdf.table(text_align="LEFT", line_height=4.5, first_row_as_headings=True) as table:
        header = table.row()
        for c in columns:
            header.cell(pdf_text(c))
        for row in rows:
            r = table.row()
            for cell in row:
                r.cell(pdf_text(cell))
