"""Charts drawn on the server as SVG geometry: the colour-blind-safe palette and horizontal bar charts.

No chart library and no JavaScript: a function here turns figures into coordinates and the template writes the
SVG, escaping every label. Each bar is a share between 0 and 1 with its own label and value text; the table
under every chart carries the same figures for screen readers, copying and export. Used by the metrics
dashboard, the stakeholder digests and the intel trends chart (its palette).
"""

from __future__ import annotations

from dataclasses import dataclass

# Colour-blind-safe palette (Okabe & Ito, 2008).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")

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
