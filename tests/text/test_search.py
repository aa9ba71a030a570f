"""VectorIndex (exact and HNSW paths), permission filters before the top k, save/load, rank fusion."""

from __future__ import annotations

import numpy as np
import pytest

from liaison_text.search import VectorIndex, hybrid_rank


def unit_rows(n: int, dim: int = 384, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture
def index() -> VectorIndex:
    idx = VectorIndex(384, ann=None)
    idx.add(np.arange(1000, 1500), unit_rows(500))
    return idx


def test_a_stored_vector_is_its_own_nearest_neighbour(index):
    vectors = unit_rows(500)
    hits = index.search(vectors[42], k=5)
    assert hits[0][0] == 1042 and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_a_filter_is_applied_before_the_top_k_is_cut(index):
    query = unit_rows(500)[42]
    allowed = np.arange(1000, 1500, 7)  # 72 ids, 1042 among them
    for filt in (allowed, lambda i: i % 7 == 1000 % 7):
        hits = index.search(query, k=20, allowed=filt)
        assert len(hits) == 20 and all((i - 1000) % 7 == 0 for i, _ in hits)
        assert hits[0][0] == 1042
    assert len(index.search(query, k=20, allowed=np.array([1001, 1002, 99999]))) == 2


def test_removed_ids_are_never_returned_and_re_adding_replaces(index):
    vectors = unit_rows(500)
    assert index.remove([1042, 1043, 424242]) == 2
    assert len(index) == 498 and 1042 not in index
    assert all(i != 1042 for i, _ in index.search(vectors[42], k=50))
    index.add([1044], -vectors[44])  # an upsert, not a second copy
    assert len(index) == 498
    assert index.search(vectors[44], k=498)[-1][0] == 1044


def test_bad_input_is_refused_with_a_reason(index):
    with pytest.raises(ValueError, match="shape"):
        index.add([1, 2], unit_rows(3))
    with pytest.raises(ValueError, match="zero"):
        index.add([1], np.zeros(384))
    with pytest.raises(ValueError, match="unique"):
        index.add([5, 5], unit_rows(2))
    with pytest.raises(ValueError, match="dimension"):
        index.search(np.ones(10))
    with pytest.raises(TypeError, match="boolean mask"):
        index.search(unit_rows(1)[0], allowed=np.ones(500, dtype=bool))


def test_save_and_load_round_trip(index, tmp_path):
    index.save(tmp_path / "idx")
    loaded = VectorIndex.load(tmp_path / "idx")
    query = unit_rows(500)[7]
    assert loaded.search(query, k=10) == index.search(query, k=10)
    (tmp_path / "idx" / "ids.npy").write_bytes(b"not numpy")
    with pytest.raises(ValueError, match="not a saved VectorIndex"):
        VectorIndex.load(tmp_path / "idx")


def test_the_hnsw_path_finds_the_exact_neighbours_and_honours_filters():
    pytest.importorskip("faiss")
    vectors = unit_rows(3000, seed=1)
    ann = VectorIndex(384, ann_min=1000)
    exact = VectorIndex(384, ann=None)
    for idx in (ann, exact):
        idx.add(np.arange(3000), vectors)
    queries = vectors[:50] + 0.05 * unit_rows(50, seed=2)
    recall = np.mean(
        [len({i for i, _ in ann.search(q, 10)} & {i for i, _ in exact.search(q, 10)}) / 10 for q in queries]
    )
    assert ann._graph is not None and recall >= 0.9
    allowed = np.arange(0, 3000, 2)  # half: searched through the graph with over-fetching
    hits = ann.search(queries[1], k=10, allowed=allowed)
    assert len(hits) == 10 and all(i % 2 == 0 for i, _ in hits)
    ann.remove([0, 2, 4])
    assert all(i not in (0, 2, 4) for i, _ in ann.search(vectors[2], k=10))
    few = ann.search(queries[3], k=10, allowed=lambda i: i in (5, 7, 2999))  # too rare for the graph: a scan
    assert sorted(i for i, _ in few) == [5, 7, 2999]


def test_hybrid_rank_rewards_ids_both_rankings_agree_on():
    keyword = [(1, 12.0), (2, 9.0), (3, 1.0)]
    vector = [(3, 0.91), (4, 0.88), (1, 0.80)]
    fused = hybrid_rank(keyword, vector, k=10)
    assert [i for i, _ in fused] == [1, 3, 2, 4]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 63)
    assert hybrid_rank(keyword, [], k=2) == [(1, 1 / 61), (2, 1 / 62)]
