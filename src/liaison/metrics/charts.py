"""Horizontal bar charts as SVG geometry, drawn by the template (no chart library, no JavaScript).

Each bar is a share between 0 and 1 with its own label and value text; the table under every chart carries the
same figures for screen readers, copying and export. Colours come from the colour-blind-safe palette the trends
chart uses (intel/charts.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from liaison.intel.charts import PALETTE

WIDTH = 520
LABEL_W = 190
BAR_H, GAP, PAD = 18, 6, 4


@dataclass
class Bar:
    label: str
    text: str
    y: float
    width: float
    colour: str


@dataclass
class BarChart:
    width: int
    height: int
    label_w: int
    bar_h: int
    bars: list[Bar]


def bar_chart(bars: list[tuple[str, float, str]]) -> BarChart | None:
    """Geometry for (label, share 0..1, text) bars; None when there is nothing to draw."""
    if not bars:
        return None
    span = WIDTH - LABEL_W - 110
    out = []
    for i, (label, share, text) in enumerate(bars):
        share = min(max(share, 0.0), 1.0)
        y = PAD + i * (BAR_H + GAP)
        out.append(Bar(label[:32], text, y, round(max(span * share, 1.0), 1), PALETTE[0]))
    height = PAD * 2 + len(bars) * (BAR_H + GAP)
    return BarChart(WIDTH, height, LABEL_W, BAR_H, out)
