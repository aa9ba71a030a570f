"""Priority matching (liaison_text.priority_matching): calibration, prototypes that learn from reviewers, best
matches."""

from __future__ import annotations

import numpy as np
import pytest

from liaison_text.priority_matching import (
    Calibration,
    best_matches,
    logit,
    normalise,
    prototype,
    text_of_priority,
)


def _unit(*values: float) -> np.ndarray:
    v = np.zeros(384, dtype=np.float32)
    v[: len(values)] = values
    return normalise(v)


def test_it_maps_the_centre_cosine_to_one_half_and_is_monotonic():
    cal = Calibration(centre=0.35, width=0.06)
    scores = cal.score(np.array([-1.0, 0.1, 0.35, 0.6, 1.0]))
    assert scores[2] == pytest.approx(0.5)
    assert list(scores) == sorted(scores)
    assert 0.0 <= scores[0] < 0.01 and 0.99 < scores[-1] <= 1.0


def test_it_inverts_the_logistic_curve_with_logit():
    cal = Calibration()
    cosine = cal.centre + cal.width * logit(0.8)
    assert float(cal.score(cosine)) == pytest.approx(0.8)


def test_it_returns_the_description_itself_without_feedback():
    d = _unit(1, 0)
    assert np.allclose(prototype(d), d)


def test_it_moves_the_prototype_towards_confirmed_insights_and_away_from_rejected_ones():
    d, confirmed, rejected = _unit(1, 0, 0), _unit(0, 1, 0), _unit(0, 0, 1)
    moved = prototype(d, [confirmed, confirmed])
    # two confirmations weigh as much as the description (PRIOR_WEIGHT = 2)
    assert float(moved @ d) == pytest.approx(float(moved @ confirmed), abs=1e-6)
    assert float(moved @ confirmed) > float(d @ confirmed)
    pushed = prototype(d, [], [rejected])
    assert float(pushed @ rejected) < 0 < float(pushed @ d)
    assert np.linalg.norm(pushed) == pytest.approx(1.0, abs=1e-5)


def test_it_turns_a_miss_into_a_match_once_similar_insights_are_confirmed():
    d = _unit(1, 0, 0)
    new_insight = _unit(0.3, 1, 0)  # cosine with the description alone: ~0.29, below the 0.35 centre
    cal = Calibration()
    before = best_matches(new_insight[None, :], d[None, :], cal)[0]
    after = best_matches(new_insight[None, :], prototype(d, [_unit(0.2, 1, 0)] * 3)[None, :], cal)[0]
    assert not before.matched
    assert after.matched and after.score > before.score


def test_it_picks_the_best_of_several_priorities_and_reports_none_without_any():
    protos = np.stack([_unit(1, 0), _unit(0, 1)])
    matches = best_matches(np.stack([_unit(0.1, 1), _unit(1, 0.05)]), protos)
    assert [m.index for m in matches] == [1, 0]
    assert all(m.matched for m in matches)
    empty = best_matches(np.stack([_unit(1, 0)]), np.zeros((0, 384), dtype=np.float32))
    assert empty[0].index is None and not empty[0].matched


def test_it_embeds_a_priority_from_its_title_and_question():
    assert (
        text_of_priority("Biomarker testing", "What delays PD-L1?") == "Biomarker testing. What delays PD-L1?"
    )
    assert text_of_priority("Why now?", "Because.") == "Why now? Because."
    assert text_of_priority(" Access ", "") == "Access"
