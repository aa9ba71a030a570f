"""The de-identified aggregate report of insights (a read, deliberately not row-restricted): what the field is
hearing, for audiences beyond medical.

The report counts submitted and reviewed insights per therapeutic area x listening priority x month, with the
summaries medical reviewers released. It is the only insight-derived thing the commercial role may see (resource
`"insight_report"` in core/permissions.py), so it is built to reveal nobody:

- every figure stands for at least `MINIMUM_HCPS` distinct HCPs; a smaller group shows as "<5";
- complementary suppression: in every row, column and margin, what the shown figures let a reader work out about
  the hidden ones (total minus shown cells) must itself cover at least five HCPs, else another cell is hidden
  (shown as an em dash: it is not small, it protects a small one);
- rows and months whose every figure is hidden are left out entirely, so their existence is not revealed either;
- no text written in the field (an insight's `text`, its review note, anything else medical staff typed) is ever
  read here: de-identification by known names and patterns misses too much ("Patient Jane Doe, 54, ...") to be
  the barrier. The only wording shown is an insight's `released_summary`, which a medical reviewer rewrote and
  released through `actions.release_summary` (permission `insight release`, audited);
- released summaries come only from cells that are shown, and are run through `liaison_text.deidentify` again
  (HCP and staff names from the database, patient names, identifiers and dates by pattern) as a second layer.

Why it reads insights without `restrict()`: the report is company-wide by design and identical for every role that
may open it; what makes it safe to show is the aggregation and suppression here, not a row policy. Nothing in it
is a record: no uuid, author, HCP, interaction or date below the month.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from django.db.models.functions import Coalesce
from django.utils import timezone

from liaison.accounts.models import User
from liaison.core.exports import csv_writer
from liaison.core.permissions import require
from liaison.engagement.models import InteractionAttendee
from liaison.people.models import HCP

from .models import Insight, InsightStatus

MINIMUM_HCPS = 5
SUPPRESSED = f"<{MINIMUM_HCPS}"  # fewer than five HCPs stand behind this figure
COMPLEMENT = "\u2014"  # hidden so that a total cannot give a small group away
REPORTED_STATUSES = (InsightStatus.SUBMITTED, InsightStatus.REVIEWED)
EXAMPLES_PER_ROW = 3
NO_PRIORITY = "No listening priority"
TOTAL = "__total__"

RowKey = tuple[str, str]  # (therapeutic area, listening priority)
Key = tuple[Any, str]  # (row key or TOTAL, month or TOTAL)


@dataclass
class Entry:
    """One figure of the report: how many insights, from which HCPs (never shown), and whether it is hidden."""

    count: int = 0
    hcps: set[int] = field(default_factory=set)
    suppressed: bool = False
    small: bool = False  # primary suppression: from fewer than MINIMUM_HCPS HCPs

    @property
    def display(self) -> str:
        """The figure as shown: "<5" for a small group, an em dash for one hidden to protect it, else the count."""
        if not self.suppressed:
            return str(self.count)
        return SUPPRESSED if self.small else COMPLEMENT


@dataclass
class ReportRow:
    area: str
    priority: str
    cells: list[Entry]
    total: Entry
    examples: list[str]


@dataclass
class InsightReport:
    """The report as shown: only the rows and months that have something to show."""

    months: list[str]
    rows: list[ReportRow]
    month_totals: list[Entry]
    total: Entry
    minimum: int = MINIMUM_HCPS

    @property
    def empty(self) -> bool:
        return not self.rows and (self.total.suppressed or self.total.count == 0)

    @property
    def has_summaries(self) -> bool:
        return any(row.examples for row in self.rows)


# ---------------------------------------------------------------------------------------------------------------
# Suppression (pure: a grid of Entry in, hidden flags set)
# ---------------------------------------------------------------------------------------------------------------


def _lines(rows: list[Any], cols: list[str]) -> Iterator[tuple[list[Key], Key]]:
    """Every additive line of the table: its member entries and the total they sum to."""
    for r in rows:
        yield [(r, c) for c in cols], (r, TOTAL)
    for c in cols:
        yield [(r, c) for r in rows], (TOTAL, c)
    yield [(r, TOTAL) for r in rows], (TOTAL, TOTAL)
    yield [(TOTAL, c) for c in cols], (TOTAL, TOTAL)


def suppress(grid: dict[Key, Entry], rows: list[Any], cols: list[str], minimum: int = MINIMUM_HCPS) -> None:
    """Hide every figure from fewer than `minimum` HCPs, then hide more until no line gives a small group away.

    Primary: a non-zero entry with fewer than `minimum` distinct HCPs. Complementary: in each line whose total is
    shown, the hidden members add up to (total - shown members); that residual must be zero or come from at least
    `minimum` distinct HCPs, else the smallest shown member is hidden too (the total itself when none is left).
    Suppression only ever grows, so the loop ends.
    """
    from liaison_text.deidentify import small_groups

    keys = [k for k, e in grid.items() if e.count > 0]
    small = small_groups({repr(k): len(grid[k].hcps) for k in keys}, minimum=minimum, complementary=False)
    for k in keys:
        # Insights linked to no HCP at all are a group of none: not shareable either.
        if repr(k) in small or not grid[k].hcps:
            grid[k].suppressed = grid[k].small = True
    lines = list(_lines(rows, cols))
    changed = True
    while changed:
        changed = False
        for members, total in lines:
            if grid[total].suppressed:
                continue
            hidden = [grid[k] for k in members if grid[k].suppressed]
            residual = sum(e.count for e in hidden)
            if not hidden or residual == 0 or len(set().union(*(e.hcps for e in hidden))) >= minimum:
                continue
            shown = [k for k in members if not grid[k].suppressed and grid[k].count > 0]
            target = min(shown, key=lambda k: (grid[k].count, len(grid[k].hcps), repr(k))) if shown else total
            grid[target].suppressed = True
            changed = True


# ---------------------------------------------------------------------------------------------------------------
# Building the report from the database
# ---------------------------------------------------------------------------------------------------------------


def _insight_rows() -> list[dict[str, Any]]:
    """Submitted and reviewed insights with their area, priority, month heard and contributing HCPs."""
    # Plain dicts: each row gains "hcps", "month" and "row" below.
    insights = cast(
        list[dict[str, Any]],
        list(
            Insight.objects.filter(status__in=REPORTED_STATUSES)
            .annotate(heard=Coalesce("interaction__occurred_at", "submitted_at", "created_at"))
            .values(
                "pk",
                "released_summary",
                "status",
                "heard",
                "hcp_id",
                "interaction_id",
                "therapeutic_area__name",
                "listening_priority__title",
            )
        ),
    )
    attendees: dict[int, set[int]] = defaultdict(set)
    interaction_ids = {i["interaction_id"] for i in insights if i["interaction_id"] and not i["hcp_id"]}
    for interaction_id, hcp_id in InteractionAttendee.objects.filter(
        interaction_id__in=interaction_ids
    ).values_list("interaction_id", "hcp_id"):
        attendees[interaction_id].add(hcp_id)
    for row in insights:
        # The insight's own HCP when it names one, else everyone who attended its interaction.
        row["hcps"] = {row["hcp_id"]} if row["hcp_id"] else set(attendees.get(row["interaction_id"], ()))
        row["month"] = timezone.localtime(row["heard"]).strftime("%Y-%m")
        row["row"] = (row["therapeutic_area__name"], row["listening_priority__title"] or NO_PRIORITY)
    return insights


def known_names() -> list[str]:
    """Every HCP's (and staff member's) names, to be removed from example texts.

    Full names, family names and given names: over-removing a word from an example costs nothing, a name left in
    would identify someone.
    """
    names: set[str] = set()
    people = [
        *HCP.objects.values_list("first_name", "middle_name", "last_name"),
        *((f, "", last) for f, last in User.objects.values_list("first_name", "last_name")),
    ]
    for first, middle, last in people:
        parts = [p.strip() for p in (first, middle, last) if p and p.strip()]
        if not parts:
            continue
        names.add(" ".join(parts))
        names.add(f"{parts[0]} {parts[-1]}")
        # Single words of two letters ("An", "Li") would blank ordinary words; the full name still matches.
        names.update(p for p in parts if len(p) > 2)
    return sorted(names, key=lambda n: (-len(n), n))


def _examples(insights: Iterable[dict[str, Any]], names: list[str]) -> list[str]:
    """Up to EXAMPLES_PER_ROW released summaries, newest first, de-identified once more."""
    from liaison_text.deidentify import deidentify

    ranked = sorted(
        (i for i in insights if i["released_summary"]), key=lambda i: (-i["heard"].timestamp(), i["pk"])
    )
    out: list[str] = []
    for insight in ranked:
        text = " ".join(deidentify(insight["released_summary"], names=names).split())
        if text and text not in out:
            out.append(text)
        if len(out) == EXAMPLES_PER_ROW:
            break
    return out


def build_insight_report(user: User, *, with_examples: bool = True) -> InsightReport:
    """The aggregate report, as any role granted `insight_report` view sees it (all alike): counts with small
    cells suppressed, and released summaries only."""
    require(user, "insight_report", "view")
    insights = _insight_rows()
    rows: list[RowKey] = sorted({i["row"] for i in insights})
    months = sorted({i["month"] for i in insights})
    grid: dict[Key, Entry] = defaultdict(Entry)
    for insight in insights:
        for key in (
            (insight["row"], insight["month"]),
            (insight["row"], TOTAL),
            (TOTAL, insight["month"]),
            (TOTAL, TOTAL),
        ):
            grid[key].count += 1
            grid[key].hcps |= insight["hcps"]
    for r in [*rows, TOTAL]:
        for c in [*months, TOTAL]:
            grid[(r, c)]  # noqa: B018 - materialise empty cells so every line is complete
    suppress(grid, rows, months)

    def hidden_line(entries: list[Entry]) -> bool:
        return all(e.suppressed or e.count == 0 for e in entries)

    shown_rows = [r for r in rows if not hidden_line([grid[(r, c)] for c in [*months, TOTAL]])]
    shown_months = [m for m in months if not hidden_line([grid[(r, m)] for r in [*rows, TOTAL]])]
    names = known_names() if with_examples and shown_rows else []
    by_cell: dict[Key, list[dict[str, Any]]] = defaultdict(list)
    for insight in insights:
        by_cell[(insight["row"], insight["month"])].append(insight)
    report_rows = []
    for r in shown_rows:
        usable = [i for m in months if not grid[(r, m)].suppressed for i in by_cell.get((r, m), [])]
        report_rows.append(
            ReportRow(
                area=r[0],
                priority=r[1],
                cells=[grid[(r, m)] for m in shown_months],
                total=grid[(r, TOTAL)],
                examples=_examples(usable, names) if with_examples else [],
            )
        )
    return InsightReport(
        months=shown_months,
        rows=report_rows,
        month_totals=[grid[(TOTAL, m)] for m in shown_months],
        total=grid[(TOTAL, TOTAL)],
    )


def report_csv(report: InsightReport) -> str:
    """The report's counts as CSV (no summaries): one row per area x priority, months as columns."""
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(["therapeutic_area", "listening_priority", *report.months, "total"])
    for row in report.rows:
        writer.writerow(
            [
                row.area,
                row.priority,
                *(c.display for c in row.cells),
                row.total.display,
            ]
        )
    if not report.empty:
        writer.writerow(["Total", "", *(c.display for c in report.month_totals), report.total.display])
    return out.getvalue()
