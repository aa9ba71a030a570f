"""Charts drawn on the server as SVG geometry: the colour-blind-safe palette and horizontal bar charts.

No chart library and no JavaScript: a function here turns figures into coordinates and the template writes the
SVG, escaping every label. Each bar is a share between 0 and 1 with its own label and value text; the table
under every chart carries the same figures for screen readers, copying and export. Used by the metrics
dashboard, the stakeholder digests and the intel trends chart (its palette).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

# Colour-blind-safe palette (Okabe & Ito, 2008).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")

WIDTH = 520
LABEL_W = 190
BAR_H, GAP, PAD = 18, 6, 4
# A label is written on up to two lines of this many characters (12 px text: about 6.6 px a character, so a line
# fits in LABEL_W less the gap); a longer one ends with an ellipsis, and its <title> and the table carry it whole.
LINE_CHARS = 27
LINES = 2


@dataclass
class Bar:
    label: str
    text: str
    y: float
    width: float
    colour: str
    lines: list[tuple[float, str]] = field(default_factory=list)  # (baseline y, text) of the label's lines


def label_lines(label: str) -> list[str]:
    """The label wrapped on at most LINES lines of LINE_CHARS characters, cut with an ellipsis if it is longer;
    a word too long for a line is broken, never left to run out of the chart."""
    lines = textwrap.wrap(label, LINE_CHARS, break_long_words=True, break_on_hyphens=True) or [""]
    if len(lines) > LINES:
        lines = lines[:LINES]
        lines[-1] = lines[-1][: LINE_CHARS - 1].rstrip() + "\u2026"
    return lines


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
        wrapped = label_lines(label)
        # One line sits on the bar's middle; two lines straddle it, 11 px apart.
        first = y + 13 if len(wrapped) == 1 else y + 7
        lines: list[tuple[float, str]] = [(first + 11 * n, line) for n, line in enumerate(wrapped)]
        out.append(Bar(label, text, y, round(max(span * share, 1.0), 1), PALETTE[0], lines))
    height = PAD * 2 + len(bars) * (BAR_H + GAP)
    return BarChart(WIDTH, height, LABEL_W, BAR_H, out)
