"""The aggregate insight report for audiences beyond medical: counts per therapeutic area x listening priority x
month, no figure from fewer than five HCPs, complementary suppression so totals give nothing away, and no text
written in the field (only summaries a medical reviewer released). Commercial may open it; it is the only
insight-derived thing they may see.

The world built here: 6 HCPs heard on "Biomarker testing barriers" three months ago, 5 of them again two months
ago, and 2 other HCPs on no listening priority two months ago (a small group). Every insight text carries the
HCP's name, NPI, a date and a patient's name and record number, so any leak would show.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import random
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from personas import PASSWORD

pytestmark = pytest.mark.django_db

NAMES = [
    ("Amara", "Okafor"),
    ("Bernd", "Vogelsang"),
    ("Chiara", "Lombardi"),
    ("Dmitri", "Volkov"),
    ("Eun-ji", "Park"),
    ("Farida", "Haddad"),
    ("Gustavo", "Pereira"),
    ("Hiroshi", "Tanaka"),
]
PATIENT = "patient Jane Whitfield"
MRN = "MRN 48213377"


def npi(seed: int) -> str:
    """A valid NPI (Luhn over 80840 + nine digits), distinct per seed."""
    body = f"1{seed:08d}"
    digits = [int(d) for d in "80840" + body]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return body + str((10 - total % 10) % 10)


def month_start(months_ago: int) -> dt.datetime:
    """Noon on the 10th, `months_ago` calendar months back, in the site's time zone."""
    today = timezone.localdate()
    year, month = today.year, today.month - months_ago
    while month < 1:
        year, month = year - 1, month + 12
    return timezone.make_aware(dt.datetime(year, month, 10, 12, 0))


def insight_text(hcp: Any) -> str:
    return (
        f"Dr {hcp.first_name} {hcp.last_name} (NPI {hcp.npi}) said on 14 March 2025 that {PATIENT}, {MRN}, "
        "waited three weeks for PD-L1 results before first-line therapy."
    )


@pytest.fixture
def hcps(world, system_context) -> list[Any]:
    from liaison.people.actions import create_hcp

    return [
        create_hcp(
            acting_user=None,
            data={"first_name": first, "last_name": last, "npi": npi(i), "owner": world["alice"]},
            therapeutic_areas=[world["oncology"]],
        )
        for i, (first, last) in enumerate(NAMES)
    ]


def hear(world: dict[str, Any], hcp: Any, when: dt.datetime, *, priority: Any, submit: bool = True) -> None:
    from liaison.engagement.actions import log_interaction

    log_interaction(
        acting_user=world["alice"],
        attendees=[hcp],
        data={
            "occurred_at": when,
            "channel": "in_person",
            "purpose": "insight_gathering",
            "ae_attestation": "no" if submit else "",
            "therapeutic_area": world["oncology"],
        },
        insights=[{"text": insight_text(hcp), "listening_priority": priority}],
        submit=submit,
    )


@pytest.fixture
def heard(world, hcps, acting) -> dict[str, Any]:
    older, recent = month_start(3), month_start(2)
    with acting(world["alice"]):
        for hcp in hcps[:6]:
            hear(world, hcp, older, priority=world["priority"])
        for hcp in hcps[:5]:
            hear(world, hcp, recent, priority=world["priority"])
        for hcp in hcps[6:]:
            hear(world, hcp, recent, priority=None)
    return {"older": older.strftime("%Y-%m"), "recent": recent.strftime("%Y-%m")}


def page_of(client: Any) -> bytes:
    """The report page without its per-response CSRF tokens, so two responses compare byte for byte."""
    content = client.get(reverse("insights:insight_report")).content
    return re.sub(rb'"X-CSRFToken": "[^"]*"|name="csrfmiddlewaretoken" value="[^"]*"', b"", content)


def login(client: Any, user: Any) -> Any:
    assert client.login(username=user.username, password=PASSWORD)
    return client


def leaks(body: str, hcps: list[Any]) -> list[str]:
    """Every name, NPI, date or patient detail of the world found in `body`."""
    found = []
    for hcp in hcps:
        for needle in (hcp.first_name, hcp.last_name, hcp.npi):
            if re.search(rf"\b{re.escape(needle)}\b", body, re.IGNORECASE):
                found.append(needle)
    for needle in ("Whitfield", "48213377", "March 2025", "Hopkins"):
        if needle in body:
            found.append(needle)
    return found


# --- what commercial sees ----------------------------------------------------------------------------------


def test_commercial_can_open_the_report_but_still_no_insight(client, world, heard):
    login(client, world["dave"])

    assert client.get(reverse("insights:insight_report")).status_code == 200
    assert client.get(reverse("insights:insight_report_csv")).status_code == 200
    assert client.get(reverse("insights:insight_list")).status_code == 403


def test_it_counts_insights_per_area_priority_and_month(client, world, heard):
    login(client, world["dave"])
    report = client.get(reverse("insights:insight_report")).context["report"]

    assert report.months == [heard["older"], heard["recent"]]
    [row] = report.rows
    assert (row.area, row.priority) == ("Oncology", "Biomarker testing barriers")
    # Three months ago: six HCPs, shown. Two months ago: five HCPs, but hidden with its column's small group
    # (otherwise the month's total minus it would be the two HCPs heard on no priority).
    assert [c.display for c in row.cells] == ["6", "\u2014"]
    assert [c.display for c in report.month_totals] == ["6", "7"]
    assert report.total.display == "13"


def test_it_leaves_out_a_group_of_fewer_than_five_hcps_entirely(client, world, heard):
    login(client, world["dave"])
    response = client.get(reverse("insights:insight_report"))

    assert "No listening priority" not in response.content.decode()
    assert all(r.priority != "No listening priority" for r in response.context["report"].rows)


def test_it_shows_no_hcp_or_patient_name_npi_or_date_to_commercial(client, world, hcps, heard):
    login(client, world["dave"])
    page = client.get(reverse("insights:insight_report")).content.decode()
    exported = client.get(reverse("insights:insight_report_csv")).content.decode()

    # What the field wrote never reaches the report, scrubbed or not: only released summaries do
    # (tests/insights/test_release.py).
    assert "three weeks for PD-L1 results" not in page and "[NAME]" not in page
    assert leaks(page, hcps) == []
    assert leaks(exported, hcps) == []


def test_it_takes_examples_only_from_figures_that_are_shown(client, world, hcps, acting, heard):
    from liaison.insights.actions import create_insight

    with acting(world["alice"]):
        create_insight(
            acting_user=world["alice"],
            text="A marker sentence heard from one HCP only.",
            therapeutic_area=world["oncology"],
            hcp=hcps[7],
            submit=True,
        )
    login(client, world["dave"])

    assert "marker sentence" not in client.get(reverse("insights:insight_report")).content.decode()


def test_it_exports_the_same_figures_as_csv(client, world, heard):
    login(client, world["dave"])
    response = client.get(reverse("insights:insight_report_csv"))

    assert response["Content-Type"].startswith("text/csv")
    assert "insight-report.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["therapeutic_area", "listening_priority", heard["older"], heard["recent"], "total"],
        ["Oncology", "Biomarker testing barriers", "6", "\u2014", "\u2014"],
        ["Total", "", "6", "7", "13"],
    ]


def test_it_counts_neither_drafts_nor_anything_for_the_empty_world(client, world, hcps, acting):
    login(client, world["dave"])
    empty = page_of(client)
    with acting(world["alice"]):
        for hcp in hcps:
            hear(world, hcp, month_start(1), priority=world["priority"], submit=False)

    assert page_of(client) == empty
    assert b"Nothing to show yet" in empty


def test_a_few_insights_change_nothing_commercial_can_see(client, world, hcps, acting):
    login(client, world["dave"])
    before = page_of(client)
    with acting(world["alice"]):
        for hcp in hcps[:4]:
            hear(world, hcp, month_start(1), priority=world["priority"])

    assert page_of(client) == before
    assert client.get(reverse("insights:insight_report_csv")).content.decode().splitlines() == [
        "therapeutic_area,listening_priority,total"
    ]


def test_it_asks_anonymous_visitors_to_sign_in(client, heard):
    response = client.get(reverse("insights:insight_report"))

    assert response.status_code == 302 and "/login/" in response["Location"]


def test_it_turns_formula_like_names_into_text_in_the_csv():
    from liaison.insights.aggregate_report import Entry, InsightReport, ReportRow, report_csv

    report = InsightReport(
        months=["2025-01"],
        rows=[ReportRow("=HYPERLINK(1)", "+x", [Entry(6, set(range(6)))], Entry(6, set(range(6))), [])],
        month_totals=[Entry(6, set(range(6)))],
        total=Entry(6, set(range(6))),
    )

    assert "'=HYPERLINK(1),'+x" in report_csv(report)


# --- the suppression itself ----------------------------------------------------------------------------------


def entry(hcps: range | list[int], count: int | None = None) -> Any:
    from liaison.insights.aggregate_report import Entry

    people = set(hcps)
    return Entry(count if count is not None else len(people), people)


def grid_of(cells: dict[tuple[str, str], Any], rows: list[str], cols: list[str]) -> dict[Any, Any]:
    from liaison.insights.aggregate_report import TOTAL, Entry

    grid: dict[Any, Any] = {}
    for r in [*rows, TOTAL]:
        for c in [*cols, TOTAL]:
            grid[(r, c)] = Entry()
    for (r, c), e in cells.items():
        for key in ((r, c), (r, TOTAL), (TOTAL, c), (TOTAL, TOTAL)):
            grid[key].count += e.count
            grid[key].hcps |= e.hcps
    return grid


def assert_safe(grid: dict[Any, Any], rows: list[str], cols: list[str], minimum: int = 5) -> None:
    """Every shown figure covers `minimum` HCPs, and no shown total minus its shown members is a small group."""
    from liaison.insights.aggregate_report import _lines

    for e in grid.values():
        assert e.suppressed or e.count == 0 or len(e.hcps) >= minimum
    for members, total in _lines(rows, cols):
        hidden = [grid[k] for k in members if grid[k].suppressed]
        if grid[total].suppressed or not hidden or sum(e.count for e in hidden) == 0:
            continue
        assert len(set().union(*(e.hcps for e in hidden))) >= minimum, (members, total)


def test_one_small_cell_in_a_row_takes_its_smallest_neighbour_with_it():
    from liaison.insights.aggregate_report import suppress

    rows, cols = ["a"], ["m1", "m2", "m3"]
    grid = grid_of(
        {
            ("a", "m1"): entry(range(0, 3)),
            ("a", "m2"): entry(range(10, 17)),
            ("a", "m3"): entry(range(20, 40)),
        },
        rows,
        cols,
    )
    suppress(grid, rows, cols)

    assert [grid[("a", c)].display for c in cols] == ["<5", "\u2014", "20"]
    assert grid[("a", "__total__")].display == "30"
    assert_safe(grid, rows, cols)


def test_insights_from_no_hcp_at_all_are_not_shown():
    from liaison.insights.aggregate_report import suppress

    rows, cols = ["a", "b"], ["m1"]
    grid = grid_of({("a", "m1"): entry([], count=9), ("b", "m1"): entry(range(8))}, rows, cols)
    suppress(grid, rows, cols)

    assert grid[("a", "m1")].display == "<5"
    assert grid[("b", "m1")].suppressed  # else the month's total would give "a" away
    assert_safe(grid, rows, cols)


def test_a_hidden_figure_is_protected_when_the_same_hcps_fill_its_neighbour():
    """Five HCPs in the neighbour are no cover if they are the small cell's own three plus two: the residual
    must come from five distinct HCPs, so a third figure is hidden."""
    from liaison.insights.aggregate_report import suppress

    rows, cols = ["a"], ["m1", "m2", "m3"]
    grid = grid_of(
        {
            ("a", "m1"): entry([1, 2, 3]),
            ("a", "m2"): entry([1, 2, 3, 4]),
            ("a", "m3"): entry(range(1, 30)),
        },
        rows,
        cols,
    )
    suppress(grid, rows, cols)

    assert_safe(grid, rows, cols)
    assert grid[("a", "m3")].suppressed or grid[("a", "__total__")].suppressed


@pytest.mark.parametrize("seed", range(40))
def test_random_tables_come_out_safe(seed):
    from liaison.insights.aggregate_report import suppress

    rng = random.Random(seed)
    rows = [f"r{i}" for i in range(rng.randint(1, 5))]
    cols = [f"m{j}" for j in range(rng.randint(1, 6))]
    pool = list(range(40))
    cells = {}
    for r, c in itertools.product(rows, cols):
        size = rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 15])
        if size:
            people = rng.sample(pool, size)
            cells[(r, c)] = entry(people, count=size + rng.randint(0, 3))
    grid = grid_of(cells, rows, cols)
    suppress(grid, rows, cols)

    assert_safe(grid, rows, cols)
    for key, e in cells.items():
        if len(e.hcps) < 5:
            assert grid[key].suppressed and grid[key].display == "<5"
