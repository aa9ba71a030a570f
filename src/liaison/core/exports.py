"""The one CSV writer of every export: text that a spreadsheet would run as a formula is kept as text.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is evaluated by Excel, LibreOffice and
Google Sheets as a formula (CSV or formula injection: `=HYPERLINK("http://evil","click")` in a therapeutic
area's name becomes a live link in a manager's spreadsheet). Following OWASP's guidance, such a text cell is
written with a leading single quote, which spreadsheets show as text and do not evaluate. Only text is touched:
numbers (a negative number included) stay numbers, so sums and charts over an export still work.

`tests/test_conventions.py` fails when a module under src/ builds a `csv.writer` or `csv.DictWriter` of its own.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

from django.http import HttpResponse
from django.utils.functional import Promise

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
        self._writer = csv.writer(out, **kwargs)  # type: ignore[arg-type]

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
