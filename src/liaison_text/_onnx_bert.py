"""Build the ONNX graph of the MiniLM-L6 sentence encoder from its safetensors weights, and quantise it.

Why build the graph ourselves: the usual export path (`torch.onnx.export` through sentence-transformers) needs
torch, a multi-GB install the product must not carry. The encoder is small and standard, so the graph is written
here node by node with `onnx.helper`, mirroring `_bert.reference_forward` step for step:

  input_ids, attention_mask (int64, batch x seq)
  -> word + position (+ token type 0) embeddings -> LayerNorm
  -> 6 x [self-attention with the padding mask -> dense -> +residual -> LayerNorm
          -> dense -> GELU (exact, erf) -> dense -> +residual -> LayerNorm]
  -> mean pooling over the mask -> L2 normalisation -> "embedding" (batch x 384, float32)

The graph uses only standard opset-17 operators, so onnxruntime's graph optimiser can fuse LayerNorm, GELU and
attention patterns as it does for exported models. Bump GRAPH_VERSION whenever the graph or the quantisation
changes: it is part of the cache key and of `Embedder.version`, so stored embeddings say which graph made them.

The `onnx` package is needed only here, at build time; running the built model needs only onnxruntime.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from liaison_text._bert import BertConfig

if TYPE_CHECKING:
    import onnx

GRAPH_VERSION = 1
OPSET = 17


class _GraphBuilder:
    """Collects nodes and initialisers; every helper returns the name of the tensor it produced."""

    def __init__(self) -> None:
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def _name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, hint: str, value: np.ndarray) -> str:
        name = self._name(hint)
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, op_type: str, inputs: list[str], hint: str | None = None, **attrs: Any) -> str:
        out = self._name(hint or op_type.lower())
        self.nodes.append(self.helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out

    def linear(self, x: str, weight: np.ndarray, bias: np.ndarray, hint: str) -> str:
        # PyTorch Linear stores (out, in); MatMul wants (in, out). MatMul + Add is what dynamic quantisation
        # recognises and turns into an int8 matmul.
        w = self.const(f"{hint}.weight", weight.T.astype(np.float32))
        b = self.const(f"{hint}.bias", bias.astype(np.float32))
        return self.op("Add", [self.op("MatMul", [x, w], f"{hint}.matmul"), b], hint)

    def layer_norm(self, x: str, gamma: np.ndarray, beta: np.ndarray, eps: float, hint: str) -> str:
        g = self.const(f"{hint}.gamma", gamma.astype(np.float32))
        b = self.const(f"{hint}.beta", beta.astype(np.float32))
        return self.op("LayerNormalization", [x, g, b], hint, axis=-1, epsilon=eps)


def build_model(
    weights: dict[str, np.ndarray], config: BertConfig, *, head: tuple[np.ndarray, float] | None = None
) -> onnx.ModelProto:
    """The float32 sentence-embedding graph (see the module docstring for its shape).

    With `head` (weights of shape (hidden,), bias) the graph is a classifier instead: its one output "logit"
    (batch x 1) is the head applied to the mean-pooled, unnormalised token states. The fine-tuned AE model
    (`ae_finetune`) is such a graph over its own encoder weights.
    """
    from onnx import TensorProto, checker, helper

    g = _GraphBuilder()
    w = weights
    hidden, heads = config.hidden_size, config.num_heads
    head_dim = hidden // heads
    eps = config.layer_norm_eps

    # --- embeddings. Token type is always 0 for single sentences: fold it into the position table.
    word_table = g.const("word_embeddings", w["embeddings.word_embeddings.weight"].astype(np.float32))
    pos_table = g.const(
        "position_embeddings",
        (w["embeddings.position_embeddings.weight"] + w["embeddings.token_type_embeddings.weight"][0]).astype(
            np.float32
        ),
    )
    words = g.op("Gather", [word_table, "input_ids"], "word_emb", axis=0)
    seq_len = g.op(
        "Slice",
        [
            g.op("Shape", ["input_ids"]),
            g.const("one", np.array([1], np.int64)),
            g.const("two", np.array([2], np.int64)),
        ],
        "seq_len",
    )
    # The first seq_len rows of the position table (a Slice, not Range + Gather: onnxruntime's embedding
    # fusion rewrites the Range pattern into a node that fails on this graph).
    zero = g.const("zero", np.array([0], np.int64))
    positions = g.op("Slice", [pos_table, zero, seq_len, zero], "pos_emb")
    x = g.op("Add", [words, positions], "emb_sum")
    x = g.layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps, "emb_ln")

    # --- padding mask: 0 for real tokens, -1e9 for padding, shaped (batch, 1, 1, seq) to broadcast over heads.
    mask_f = g.op("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    inverted = g.op("Sub", [g.const("one_f", np.array(1.0, np.float32)), mask_f], "mask_inv")
    score_bias = g.op(
        "Unsqueeze",
        [
            g.op("Mul", [inverted, g.const("neg_big", np.array(-1e9, np.float32))]),
            g.const("ax12", np.array([1, 2], np.int64)),
        ],
        "score_bias",
    )
    split_shape = g.const("split_shape", np.array([0, 0, heads, head_dim], np.int64))
    merge_shape = g.const("merge_shape", np.array([0, 0, hidden], np.int64))
    scale = g.const("scale", np.array(1.0 / math.sqrt(head_dim), np.float32))
    sqrt2 = g.const("sqrt2", np.array(math.sqrt(2.0), np.float32))
    half = g.const("half", np.array(0.5, np.float32))
    one_f = g.const("one_f", np.array(1.0, np.float32))

    for i in range(config.num_layers):
        p = f"encoder.layer.{i}"

        def proj(part: str, perm: list[int], x: str = x, i: int = i, p: str = p) -> str:
            t = g.linear(
                x,
                w[f"{p}.attention.self.{part}.weight"],
                w[f"{p}.attention.self.{part}.bias"],
                f"l{i}.{part}",
            )
            return g.op("Transpose", [g.op("Reshape", [t, split_shape])], f"l{i}.{part}_heads", perm=perm)

        q = proj("query", [0, 2, 1, 3])  # (b, h, s, d)
        k = proj("key", [0, 2, 3, 1])  # (b, h, d, s): already transposed for Q @ K^T
        v = proj("value", [0, 2, 1, 3])
        scores = g.op("Mul", [g.op("MatMul", [q, k], f"l{i}.qk"), scale], f"l{i}.scores")
        probs = g.op("Softmax", [g.op("Add", [scores, score_bias])], f"l{i}.probs", axis=-1)
        context = g.op("Transpose", [g.op("MatMul", [probs, v], f"l{i}.pv")], f"l{i}.ctx", perm=[0, 2, 1, 3])
        context = g.op("Reshape", [context, merge_shape], f"l{i}.ctx_merged")
        attn = g.linear(
            context,
            w[f"{p}.attention.output.dense.weight"],
            w[f"{p}.attention.output.dense.bias"],
            f"l{i}.attn_out",
        )
        x = g.layer_norm(
            g.op("Add", [attn, x]),
            w[f"{p}.attention.output.LayerNorm.weight"],
            w[f"{p}.attention.output.LayerNorm.bias"],
            eps,
            f"l{i}.attn_ln",
        )
        inter = g.linear(
            x, w[f"{p}.intermediate.dense.weight"], w[f"{p}.intermediate.dense.bias"], f"l{i}.ffn_in"
        )
        erf = g.op("Erf", [g.op("Div", [inter, sqrt2])])
        gelu = g.op("Mul", [g.op("Mul", [inter, half]), g.op("Add", [erf, one_f])], f"l{i}.gelu")
        out = g.linear(gelu, w[f"{p}.output.dense.weight"], w[f"{p}.output.dense.bias"], f"l{i}.ffn_out")
        x = g.layer_norm(
            g.op("Add", [out, x]),
            w[f"{p}.output.LayerNorm.weight"],
            w[f"{p}.output.LayerNorm.bias"],
            eps,
            f"l{i}.ffn_ln",
        )

    # --- mean pooling over real tokens, then unit length.
    axis1 = g.const("axis1", np.array([1], np.int64))
    mask3 = g.op("Unsqueeze", [mask_f, g.const("axis2", np.array([2], np.int64))], "mask3")
    summed = g.op("ReduceSum", [g.op("Mul", [x, mask3]), axis1], "pool_sum", keepdims=0)
    counts = g.op("ReduceSum", [mask_f, axis1], "pool_count", keepdims=1)
    counts = g.op("Max", [counts, g.const("tiny_count", np.array(1e-9, np.float32))])
    pooled = g.op("Div", [summed, counts], "pooled")
    if head is None:
        output, width = "embedding", hidden
        norm = g.op(
            "Max",
            [
                g.op("ReduceL2", [pooled], "l2", axes=[1], keepdims=1),  # axes: an attribute until opset 18
                g.const("tiny_norm", np.array(1e-12, np.float32)),
            ],
        )
        g.nodes.append(helper.make_node("Div", [pooled, norm], [output], name="normalise"))
    else:
        output, width = "logit", 1
        head_w = g.const("head_w", np.asarray(head[0], np.float32).reshape(hidden, 1))
        head_b = g.const("head_b", np.array([head[1]], np.float32))
        g.nodes.append(
            helper.make_node(
                "Add", [g.op("MatMul", [pooled, head_w], "head"), head_b], [output], name="logit"
            )
        )

    graph = helper.make_graph(
        g.nodes,
        "minilm_l6_sentence_embedding",
        inputs=[
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"]),
        ],
        outputs=[helper.make_tensor_value_info(output, TensorProto.FLOAT, ["batch", width])],
        initializer=g.initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="liaison_text",
        producer_version=str(GRAPH_VERSION),
    )
    model.ir_version = 8  # readable by every onnxruntime since 1.10
    checker.check_model(model)
    return model


def _fp32_nodes(model: onnx.ModelProto) -> list[str]:
    """MatMuls kept in float32 by the int8 model: the two feed-forward projections of every layer.

    Measured on 605 real texts (PubMed titles, consumer medication questions, very short strings): quantising
    every weight MatMul gives a worst cosine of 0.964 with float32 (one-word texts such as "ok" and "?" suffer
    most: activations are quantised per batch, per tensor, and the GELU outputs have a long tail). Keeping only
    the FFN output projections, or those plus the first and last layer, in float32 still left "?" at 0.978.
    Keeping both FFN projections in float32 and quantising the attention projections gives a worst case of
    0.991 (mean 0.998): the contract (>= 0.98) holds with a margin, and the file still shrinks.
    """
    return [node.name for node in model.graph.node if node.op_type == "MatMul" and ".ffn_" in node.name]


def build_files(model_dir: Path, out_dir: Path) -> tuple[Path, Path]:
    """Write `model-fp32.onnx` and `model-int8.onnx` into `out_dir` from the packaged model in `model_dir`.

    Dynamic quantisation (int8 weights per output channel, activations quantised per batch at run time) of the
    weight MatMuls: it needs no calibration data, shrinks the file and runs faster on CPUs. The attention
    score MatMuls (activation x activation) and the embedding tables (lookups, not compute) stay float32.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from liaison_text._bert import load_safetensors

    config = BertConfig.from_file(model_dir / "config.json")
    model = build_model(load_safetensors(model_dir / "model.safetensors"), config)
    fp32 = out_dir / "model-fp32.onnx"
    int8 = out_dir / "model-int8.onnx"
    onnx.save_model(model, fp32)
    weight_matmuls = [n.name for n in model.graph.node if n.op_type == "MatMul" and ".qk" not in n.name]
    weight_matmuls = [n for n in weight_matmuls if ".pv" not in n]
    quantize_dynamic(
        fp32,
        int8,
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul"],
        nodes_to_quantize=weight_matmuls,
        nodes_to_exclude=_fp32_nodes(model),
    )
    return fp32, int8
