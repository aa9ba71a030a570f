"""The MiniLM-L6 BERT weights, read straight from `model.safetensors`, and a plain numpy forward pass.

The numpy pass is the reference the ONNX graph is checked against: it is written to be read, one step per line,
in the order of the original BERT paper and Hugging Face's `BertModel`, so a reviewer can compare it with either
without knowing ONNX. It is not used at run time (it is several times slower than onnxruntime).

Reading safetensors needs no library: the format is an 8-byte little-endian header length, a JSON header naming
each tensor's dtype, shape and byte range, then the raw little-endian bytes.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


@dataclass(frozen=True)
class BertConfig:
    """The few hyper-parameters the forward pass needs, from the model's `config.json`."""

    hidden_size: int = 384
    num_layers: int = 6
    num_heads: int = 12
    intermediate_size: int = 1536
    layer_norm_eps: float = 1e-12
    max_positions: int = 512

    @classmethod
    def from_file(cls, path: Path) -> BertConfig:
        """Read `config.json`; refuse anything that is not a plain absolute-position BERT with GELU."""
        raw = json.loads(Path(path).read_text())
        if raw.get("hidden_act") != "gelu" or raw.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"{path}: only BERT with exact GELU and absolute positions is supported")
        return cls(
            hidden_size=raw["hidden_size"],
            num_layers=raw["num_hidden_layers"],
            num_heads=raw["num_attention_heads"],
            intermediate_size=raw["intermediate_size"],
            layer_norm_eps=raw["layer_norm_eps"],
            max_positions=raw["max_position_embeddings"],
        )


def load_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Read every tensor of a safetensors file into numpy arrays (copies, so the file can be closed)."""
    data = Path(path).read_bytes()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    body = memoryview(data)[8 + header_len :]
    tensors: dict[str, np.ndarray] = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        if spec["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {spec['dtype']}")
        start, end = spec["data_offsets"]
        array = np.frombuffer(body[start:end], dtype=np.dtype(_DTYPES[spec["dtype"]]).newbyteorder("<"))
        tensors[name] = array.reshape(spec["shape"]).astype(_DTYPES[spec["dtype"]], copy=True)
    return tensors


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact GELU, x * Phi(x), as BERT's "gelu" (not the tanh approximation)."""
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


def _linear(x: np.ndarray, w: dict[str, np.ndarray], name: str) -> np.ndarray:
    # PyTorch stores Linear weights as (out, in).
    return x @ w[f"{name}.weight"].T + w[f"{name}.bias"]


def reference_forward(
    weights: dict[str, np.ndarray], config: BertConfig, input_ids: np.ndarray, attention_mask: np.ndarray
) -> np.ndarray:
    """Sentence embeddings (batch, hidden): BERT encoder, mean pooling over the mask, L2 normalisation."""
    w = weights
    batch, seq = input_ids.shape
    heads, head_dim = config.num_heads, config.hidden_size // config.num_heads
    eps = config.layer_norm_eps

    # Embeddings: word + position + token type (always segment 0 for single sentences), then LayerNorm.
    x = (
        w["embeddings.word_embeddings.weight"][input_ids]
        + w["embeddings.position_embeddings.weight"][np.arange(seq)][None, :, :]
        + w["embeddings.token_type_embeddings.weight"][0]
    )
    # float64 from here on: the reference should be the more exact side of any comparison.
    x = _layer_norm(
        x.astype(np.float64), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps
    )

    # Padding positions get a large negative score so softmax gives them no weight.
    mask = attention_mask.astype(np.float64)
    score_bias = ((1.0 - mask) * -1e9)[:, None, None, :]

    def split_heads(t: np.ndarray) -> np.ndarray:  # (b, s, h*d) -> (b, h, s, d)
        return t.reshape(batch, seq, heads, head_dim).transpose(0, 2, 1, 3)

    for i in range(config.num_layers):
        p = f"encoder.layer.{i}"
        q = split_heads(_linear(x, w, f"{p}.attention.self.query"))
        k = split_heads(_linear(x, w, f"{p}.attention.self.key"))
        v = split_heads(_linear(x, w, f"{p}.attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head_dim) + score_bias
        scores = scores - scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        probs = probs / probs.sum(axis=-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, seq, heads * head_dim)
        attn_out = _linear(context, w, f"{p}.attention.output.dense")
        x = _layer_norm(
            attn_out + x,
            w[f"{p}.attention.output.LayerNorm.weight"],
            w[f"{p}.attention.output.LayerNorm.bias"],
            eps,
        )
        hidden = _gelu(_linear(x, w, f"{p}.intermediate.dense"))
        ffn_out = _linear(hidden, w, f"{p}.output.dense")
        x = _layer_norm(ffn_out + x, w[f"{p}.output.LayerNorm.weight"], w[f"{p}.output.LayerNorm.bias"], eps)

    # Mean over real tokens only, then unit length (as sentence-transformers' Pooling + Normalize modules).
    summed = (x * mask[:, :, None]).sum(axis=1)
    pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
    norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return (pooled / norms).astype(np.float32)
