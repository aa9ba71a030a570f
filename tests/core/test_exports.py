"""CSV exports and formula injection: every export writes through liaison.core.exports, which keeps text that a
spreadsheet would run as a formula (= + - @ tab CR) as text, and numbers as numbers.

Personas: alice (MSL, Oncology East), lena (medical lead).
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from liaison.core.exports import csv_writer, neutralise

HYPERLINK = '=HYPERLINK("http://x","y")'


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_it_keeps_text_with_a_formula_prefix_as_text(prefix):
    assert neutralise(f"{prefix}cmd|' /C calc'!A0") == f"'{prefix}cmd|' /C calc'!A0"


@pytest.mark.parametrize("value", ["Oncology", "a=b", " =not first", "", "'=already quoted"])
def test_it_leaves_other_text_alone(value):
    assert neutralise(value) == value


@pytest.mark.parametrize("value", [-3, -0.25, 0, 12, 1.5, None])
def test_it_leaves_numbers_as_numbers_even_negative_ones(value):
    assert neutralise(value) == value

    out = io.StringIO()
    csv_writer(out, lineterminator="\n").writerow([value, "x"])
    assert out.getvalue() == ("" if value is None else str(value)) + ",x\n"


def test_it_writes_whole_rows_through_the_writer():
    out = io.StringIO()
    csv_writer(out).writerows([["name", "delta"], [HYPERLINK, -2], ["\t@SUM(A1)", 3]])

    assert _rows(out.getvalue()) == [["name", "delta"], ["'" + HYPERLINK, "-2"], ["'\t@SUM(A1)", "3"]]


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_loop_report_csv_keeps_a_formula_area_name_as_text(world, acting, system_context):
    from liaison.accounts.actions import save_therapeutic_area
    from liaison.insights.actions import create_insight, review_insight

    area = save_therapeutic_area(None, acting_user=None, name=HYPERLINK)
    with acting(world["alice"]):
        insight = create_insight(
            acting_user=world["alice"],
            text="Sites wait weeks",
            therapeutic_area=area,
            submit=True,
            screen=False,
        )
    with acting(world["lena"]):
        review_insight(insight, acting_user=world["lena"])

    rows = _rows(_client(world["lena"]).get("/loop/report.csv").content.decode())

    labels = [r[1] for r in rows[1:]]
    assert "'" + HYPERLINK in labels
    assert HYPERLINK not in labels
    total = next(r for r in rows if r[0] == "total")
    assert total[2] == "1", "counts stay plain numbers"


@pytest.mark.parametrize("name", ["\t=1+2", "\r@SUM(A1:A9)", "-2+3", "+CMD()"])
def test_the_metrics_csv_keeps_names_with_a_leading_tab_or_cr_as_text(world, interaction, name):
    from liaison.accounts.models import TherapeuticArea

    # clean_text strips whitespace from names typed in; an imported or legacy name may still carry it.
    TherapeuticArea.objects.filter(pk=world["oncology"].pk).update(name=name)

    text = _client(world["lena"]).get("/metrics/export.csv").content.decode()

    cells = [cell for row in _rows(text) for cell in row]
    assert "'" + name in cells
    assert name not in cells
