"""Server-drawn bar charts: labels fit the label column whatever their length."""

from __future__ import annotations

from django.template.loader import render_to_string

from liaison.core.charts import LABEL_W, LINE_CHARS, bar_chart, label_lines

LONG = "Guideline-directed therapy uptake in community oncology practices"


def test_it_wraps_a_long_label_on_two_lines_instead_of_cropping_it():
    lines = label_lines(LONG)

    assert len(lines) == 2 and all(len(line) <= LINE_CHARS for line in lines)
    assert lines[0].startswith("Guideline-directed")  # the start is kept, not cut off at the left edge
    assert lines[1].endswith("\u2026")  # what did not fit is marked, not silently dropped


def test_it_breaks_a_single_word_longer_than_a_line():
    lines = label_lines("Pneumonoultramicroscopicsilicovolcanoconiosis")

    assert all(len(line) <= LINE_CHARS for line in lines)


def test_it_keeps_the_whole_label_in_the_svg_title_and_short_labels_on_one_line():
    chart = bar_chart([(LONG, 0.5, "12"), ("Biomarkers", 0.25, "6")])
    assert chart is not None

    html = render_to_string("core/_bar_chart.html", {"chart": chart, "title": "Insights"})

    assert f"<title>{LONG}</title>" in html
    assert html.count("<tspan") == 3  # two lines for the long label, one for the short
    assert chart.bars[1].lines == [(chart.bars[1].y + 13, "Biomarkers")]
    # 12 px text at about 6.6 px a character: a full line fits in the label column
    assert LINE_CHARS * 6.6 < LABEL_W - 6
