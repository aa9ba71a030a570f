"""The trends chart, drawn on the server as SVG geometry (no chart library, no JavaScript).

`trend_chart` turns a TrendTable into polylines and markers in a fixed viewBox; the template writes the SVG and
escapes every label. The table under the chart carries the same numbers for screen readers and copying.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from liaison.core.charts import PALETTE

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 16, 36
MAX_SERIES = 8


@dataclass
class Series:
    """One theme's line: its label, colour, SVG points and the emerging months' markers."""

    label: str
    area: str
    colour: str
    points: str
    markers: list[tuple[float, float, str, int]] = field(default_factory=list)


@dataclass
class Chart:
    """What the template draws: the viewBox, axes ticks and the series."""

    width: int
    height: int
    series: list[Series]
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, int]]
    baseline_y: float
    left: int
    right: int


def trend_chart(table: Any) -> Chart | None:
    """Geometry of the busiest MAX_SERIES themes (emerging ones first); None when there is nothing to draw."""
    rows = [r for r in table.rows if r.total][:MAX_SERIES]
    months = table.months
    if not rows or not months:
        return None
    peak = max(max(p.count for p in r.points) for r in rows)
    top = max(peak, 1)
    step = max(1, -(-top // 4))
    top = step * -(-top // step)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return round(LEFT + (plot_w * i / max(len(months) - 1, 1)), 1)

    def y(v: float) -> float:
        return round(TOP + plot_h - plot_h * v / top, 1)

    series = []
    for n, row in enumerate(rows):
        pts = " ".join(f"{x(i)},{y(p.count)}" for i, p in enumerate(row.points))
        markers = [(x(i), y(p.count), p.month, p.count) for i, p in enumerate(row.points) if p.emerging]
        series.append(Series(row.label, row.area, PALETTE[n % len(PALETTE)], pts, markers))
    every = max(1, len(months) // 12)
    x_ticks = [(x(i), m) for i, m in enumerate(months) if i % every == 0]
    y_ticks = [(y(v), v) for v in range(0, top + 1, step)]
    return Chart(WIDTH, HEIGHT, series, x_ticks, y_ticks, y(0), LEFT, WIDTH - RIGHT)
