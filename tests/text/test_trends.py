"""Emerging themes (liaison_text.trends): a planted spike is found against the theme's own history."""

from __future__ import annotations

import datetime as dt

import pytest
from scipy.stats import poisson

from liaison_text.trends import detect, month_range, monthly_counts, poisson_upper_tail


@pytest.mark.parametrize(("x", "lam"), [(0, 1.0), (1, 0.5), (3, 0.5), (7, 2.0), (40, 12.5)])
def test_it_computes_the_poisson_upper_tail_like_scipy(x, lam):
    assert poisson_upper_tail(x, lam) == pytest.approx(poisson.sf(x - 1, lam), abs=1e-12)


def test_it_flags_a_planted_spike_and_only_that_month():
    counts = [2, 3, 2, 1, 3, 2, 2, 11, 3]
    points = detect(counts, month_range("2025-01", "2025-09"))
    assert [p.month for p in points if p.emerging] == ["2025-08"]
    spike = points[7]
    assert spike.baseline == pytest.approx(13 / 6)
    assert spike.p_value < 0.001 and spike.z > 4


def test_it_judges_each_theme_against_its_own_level():
    # 12 a month is normal for a busy theme and no news; 12 after a run of ones is.
    busy = detect([11, 13, 12, 10, 12, 14, 12])
    quiet = detect([1, 0, 1, 1, 0, 1, 12])
    assert not busy[-1].emerging
    assert quiet[-1].emerging


def test_it_needs_history_and_a_minimum_count_before_calling_anything_emerging():
    assert not any(p.emerging for p in detect([0, 0, 9]))  # two months of history are not enough
    assert detect([0, 0, 9])[2].baseline is None
    # silent theme, then two mentions: surprising under the floor, but two signals are never a trend
    assert not detect([0, 0, 0, 0, 2])[-1].emerging


def test_it_refuses_mismatched_or_negative_input():
    with pytest.raises(ValueError, match="differ"):
        detect([1, 2], ["2025-01"])
    with pytest.raises(ValueError, match="negative"):
        detect([1, -2, 3])


def test_it_counts_per_month_with_empty_months_as_zero():
    months = month_range("2024-11", "2025-02")
    assert months == ["2024-11", "2024-12", "2025-01", "2025-02"]
    counts = monthly_counts(
        [
            ("a", dt.date(2024, 11, 3)),
            ("a", dt.date(2025, 2, 1)),
            ("b", dt.date(2025, 1, 9)),
            ("a", dt.date(2023, 1, 1)),
        ],
        months,
    )
    assert counts == {"a": [1, 0, 0, 1], "b": [0, 0, 1, 0]}
