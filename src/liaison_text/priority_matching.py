"""Priority matching: score texts against listening priorities, zero-shot first, then learning from reviewers.

A listening priority is a question the company wants answered ("What delays PD-L1 results?"). Before anyone
has reviewed anything, the only thing we know about it is its own text, so an insight's match is the cosine of
the two sentence embeddings (zero-shot). Reviewers then confirm a match or correct it to another priority; each
decision is a labelled example, and the priority's *prototype* moves towards the insights that were confirmed
for it and away from the ones that were corrected away from it (Rocchio's relevance feedback, 1971):

    prototype = normalise( (k0 * d + sum(confirmed)) / (k0 + n_confirmed)  -  gamma * mean(rejected) )

where `d` is the embedding of the priority's title and description and `k0` (PRIOR_WEIGHT, 2) is how many
confirmed insights the description is worth: with two confirmations the description and the field's own words
weigh the same, and the description never disappears. `gamma` (0.25) keeps negative feedback gentle, as in the
usual Rocchio settings, so one odd correction cannot push a prototype somewhere meaningless.

Cosines of all-MiniLM-L6-v2 sit in a narrow band (unrelated sentences around 0.0-0.2, paraphrases 0.6-0.9), so
a raw cosine is a poor score to show people. `Calibration` maps it through a logistic curve to 0..1 with 0.5 at
the cosine where a match starts to be credible; "matched" means a score at or above the threshold.

Pure numpy: no Django, no model loading. Vectors are float32 rows of unit length.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PRIOR_WEIGHT = 2.0
NEGATIVE_WEIGHT = 0.25


@dataclass(frozen=True)
class Calibration:
    """Cosine -> 0..1 score: `1 / (1 + exp(-(cosine - centre) / width))`; matched when score >= threshold.

    The defaults put 0.5 at a cosine of 0.35: on all-MiniLM-L6-v2, a field insight and the priority that it
    answers score 0.35-0.65, while an insight and another area's or another topic's priority mostly score
    below 0.25 (measured on the demo data, docs/insight-intelligence.md).
    """

    centre: float = 0.35
    width: float = 0.06
    threshold: float = 0.5

    def score(self, cosine: np.ndarray | float) -> np.ndarray:
        """Calibrated 0..1 score of one cosine or an array of them."""
        z = (np.asarray(cosine, dtype=np.float64) - self.centre) / self.width
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def normalise(vector: np.ndarray) -> np.ndarray:
    """The vector scaled to unit length (a zero vector stays zero rather than becoming NaN)."""
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm > 0 else vector.astype(np.float32)


def prototype(
    description: np.ndarray,
    confirmed: Sequence[np.ndarray] | np.ndarray = (),
    rejected: Sequence[np.ndarray] | np.ndarray = (),
    *,
    prior_weight: float = PRIOR_WEIGHT,
    negative_weight: float = NEGATIVE_WEIGHT,
) -> np.ndarray:
    """A priority's prototype: its description's embedding moved by reviewers' decisions (Rocchio, see above)."""
    positives = np.asarray(confirmed, dtype=np.float32).reshape(-1, description.shape[-1])
    negatives = np.asarray(rejected, dtype=np.float32).reshape(-1, description.shape[-1])
    centre = (prior_weight * description.astype(np.float32) + positives.sum(axis=0)) / (
        prior_weight + len(positives)
    )
    if len(negatives):
        centre = centre - negative_weight * negatives.mean(axis=0)
    return normalise(centre)


@dataclass(frozen=True)
class Match:
    """The best priority of one text: its index among the prototypes (None when there are none), cosine, score."""

    index: int | None
    cosine: float
    score: float
    matched: bool


def score_matrix(
    vectors: np.ndarray, prototypes: np.ndarray, calibration: Calibration = Calibration()
) -> tuple[np.ndarray, np.ndarray]:
    """(cosines, scores), both n_texts x n_prototypes, for unit-length rows."""
    vectors = np.asarray(vectors, dtype=np.float32).reshape(
        -1, prototypes.shape[-1] if prototypes.size else 384
    )
    if prototypes.size == 0:
        empty = np.zeros((len(vectors), 0), dtype=np.float32)
        return empty, empty
    cosines = vectors @ np.asarray(prototypes, dtype=np.float32).T
    return cosines, calibration.score(cosines).astype(np.float32)


def best_matches(
    vectors: np.ndarray, prototypes: np.ndarray, calibration: Calibration = Calibration()
) -> list[Match]:
    """The best prototype for each text, and whether it clears the calibrated threshold."""
    cosines, scores = score_matrix(vectors, prototypes, calibration)
    out = []
    for row_cos, row_score in zip(cosines, scores, strict=True):
        if len(row_cos) == 0:
            out.append(Match(None, 0.0, 0.0, False))
            continue
        best = int(np.argmax(row_score))
        score = float(row_score[best])
        out.append(Match(best, float(row_cos[best]), score, score >= calibration.threshold))
    return out


def text_of_priority(title: str, description: str) -> str:
    """The text a priority is embedded from: the title carries the topic, the description the question."""
    title, description = title.strip(), description.strip()
    if not description:
        return title
    return f"{title}. {description}" if not title.endswith((".", "?", "!")) else f"{title} {description}"


def logit(p: float) -> float:
    """Inverse of the logistic curve, for documentation and tests (the cosine at which a score is reached)."""
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))
