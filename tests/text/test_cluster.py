"""Clustering finds planted groups and leaves scattered points as noise; c-TF-IDF names the groups."""

from __future__ import annotations

import numpy as np
import pytest

from liaison_text.cluster import cluster, label_clusters
from liaison_text.duplicates import near_duplicates


def planted(
    n_clusters: int = 4, per: int = 40, noise: int = 30, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_clusters, 384))
    points = [c + 0.15 * rng.standard_normal((per, 384)) * np.linalg.norm(c) / np.sqrt(384) for c in centres]
    truth = np.repeat(np.arange(n_clusters), per)
    scattered = rng.standard_normal((noise, 384))
    return np.vstack([*points, scattered]).astype(np.float32), np.concatenate([truth, np.full(noise, -1)])


def test_cluster_finds_the_planted_clusters_and_calls_scattered_points_noise():
    vectors, truth = planted()
    labels = cluster(vectors, min_cluster_size=5)
    assert labels.max() + 1 == 4
    for c in range(4):
        found = set(labels[truth == c].tolist())
        assert len(found) == 1 and -1 not in found  # each planted group is exactly one cluster
    # In 384 dimensions random points are all about equally far from everything; HDBSCAN still leaves most alone.
    assert (labels[truth == -1] == -1).mean() >= 0.75


def test_a_sampled_run_assigns_the_rest_to_the_right_cluster():
    vectors, truth = planted(per=200, noise=50)
    labels = cluster(vectors, min_cluster_size=5, sample_size=300)
    planted_rows = truth >= 0
    pairs = {(t, label) for t, label in zip(truth[planted_rows], labels[planted_rows], strict=True)}
    assert len(pairs) == 4 and all(label >= 0 for _, label in pairs)


def test_too_few_points_are_all_noise_and_bad_input_is_refused():
    assert cluster(np.eye(3, 384), min_cluster_size=5).tolist() == [-1, -1, -1]
    with pytest.raises(ValueError, match="NaN"):
        cluster(np.full((10, 4), np.nan))


def test_label_clusters_names_each_cluster_by_its_distinctive_words():
    texts = [
        "Patients asked about insulin pump dosing",
        "Insulin dosing at night for the pump",
        "Question on insulin pump alarms",
        "Statin muscle pain reported by patients",
        "Muscle pain on a high-dose statin",
        "Unrelated note about parking",
    ]
    labels = label_clusters(texts, [0, 0, 0, 1, 1, -1], top_n=2)
    assert set(labels) == {0, 1}
    assert (
        set(labels[0]) == {"insulin", "pump"}
        and set(labels[1]) == {"muscle", "statin"}
        or labels[1][0]
        in (
            "muscle",
            "pain",
            "statin",
        )
    )
    assert "patients" not in labels[0][:1]


def test_near_duplicates_pairs_copies_once_and_ignores_the_rest():
    rng = np.random.default_rng(3)
    base = rng.standard_normal((50, 384)).astype(np.float32)
    copies = base[[4, 9]] + 0.01 * rng.standard_normal((2, 384)).astype(np.float32)
    pairs = near_duplicates(np.vstack([base, copies]), np.arange(100, 152), threshold=0.9, block=16)
    assert [(a, b) for a, b, _ in pairs] == [(104, 150), (109, 151)] or [(a, b) for a, b, _ in pairs] == [
        (109, 151),
        (104, 150),
    ]
    assert all(s >= 0.99 for _, _, s in pairs)
    with pytest.raises(ValueError, match="one vector per id"):
        near_duplicates(base, [1, 2])


def test_an_edited_note_is_a_near_duplicate_and_a_different_note_is_not(embedder):
    texts = [
        "Dr Patel asked whether the new dosing schedule applies to patients over 75 with renal impairment.",
        "Dr. Patel asked whether the new dosing schedule applies to patients over 75 with renal impairment",
        "Dr Patel asked for the latest overall survival data from the phase 3 trial.",
    ]
    pairs = near_duplicates(embedder.encode(texts), [1, 2, 3], threshold=0.9)
    assert [(a, b) for a, b, _ in pairs] == [(1, 2)]


def test_a_handful_of_texts_saying_one_thing_is_one_cluster_and_unrelated_texts_stay_noise(embedder):
    same = embedder.encode(
        [
            "Residents learn about new oncology trials mainly from podcasts rather than journals.",
            "Young oncologists follow trial news on podcasts more than in journals.",
            "Fellows say podcasts are where they first hear about new trial results.",
        ]
    )
    assert cluster(same, min_cluster_size=3).tolist() == [0, 0, 0]
    unrelated = embedder.encode(
        [
            "Parking at the hospital is expensive for patients.",
            "The pharmacy closes at six on weekdays.",
            "Renal dosing tables are hard to find in the label.",
        ]
    )
    assert cluster(unrelated, min_cluster_size=3).tolist() == [-1, -1, -1]
