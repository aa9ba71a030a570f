"""Relation features for the trained AE layer: which drug is an event attached to?

The AE label is a relation (this drug caused this event, said in this sentence), and a fifth of the sentences
without an AE in case-report prose name a drug and an event too ("patients on X with Y were excluded").
A bag of words or one mean-pooled sentence vector cannot tell them apart. The contextual token states of the
same frozen MiniLM encoder can: the vector of "rash" in "X-induced rash" differs from that of "rash" in
"patients with rash were excluded". So, per text:

- one pass through the encoder's ONNX graph with its last transformer layer added as a second output
  (`TokenEncoder`); nothing else is loaded, so the product still needs only onnxruntime and tokenizers;
- the token states are pooled over the lexicon's event mentions, its drug mentions and the words between the
  nearest drug-event pair, plus the mean (the sentence embedding before normalisation) and the max over all
  tokens (`relation_vector`);
- a few pair scalars from the text itself: whether a pair exists, its distance, its order, a causal cue or
  a negation between the two, "X-induced" glued to the drug (`PAIR_SIGNALS`).

The graph is read from the `Embedder`'s cached model file and extended in memory; the file itself is left as
it is, so `Embedder.encode` and the stored embeddings are unaffected.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from liaison_text.ae_detect import _CAUSAL, _NEGATION, Span

# The encoder's last layer: its LayerNorm output is the tensor the graph mean-pools into the embedding.
TOKEN_LAYER = 5
PAIR_SIGNALS = (
    "has_pair",
    "pairs_log",
    "distance_log",
    "drug_first",
    "causal_between",
    "negation_between",
    "induced_drug",
    "event_hedged",
    "no_event",
    "no_drug",
)
# "X-induced", "X-associated", "X-related": the commonest way case reports tie an effect to a drug.
_GLUED = re.compile(r"^\s*-?\s*(?:induced|associated|related|mediated|provoked|caused)\b", re.IGNORECASE)


def _with_token_output(model_path: str, layer: int) -> bytes:
    """The embedder's ONNX graph with the token states of `layer` as a second output ("tokens")."""
    import onnx  # noqa: PLC0415 - installed with the embedder (it builds the graph); needed here only

    model = onnx.load(model_path)
    prefix = f"l{layer}.ffn_ln_"
    names = [o for node in model.graph.node for o in node.output if o.startswith(prefix)]
    if len(names) != 1:
        raise ValueError(f"{model_path}: no single output named {prefix}* (the embedding graph changed)")
    model.graph.node.append(onnx.helper.make_node("Identity", [names[0]], ["tokens"], name="tokens"))
    model.graph.output.append(
        onnx.helper.make_tensor_value_info("tokens", onnx.TensorProto.FLOAT, ["batch", "seq", "hidden"])
    )
    return model.SerializeToString()


class TokenEncoder:
    """Contextual token states (last layer) and character offsets from the embedder's own model.

    One encoder pass gives both the sentence embedding (unchanged) and the token states, so the relation
    features cost no more encoder time than the embedding already did.
    """

    def __init__(self, embedder: Any, *, layer: int = TOKEN_LAYER, threads: int | None = None) -> None:
        import onnxruntime as ort  # noqa: PLC0415 - optional, like the embedder itself

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads or 0
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        graph = _with_token_output(str(embedder.model_path), layer)
        self._session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        # The embedder's tokenizer (lower-cased WordPiece, truncation at 256 pieces, padding per batch).
        self._tokenizer = embedder._tokenizer
        self.version = f"{embedder.version}/tokens-l{layer}"

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 32
    ) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """(index in `texts`, token states (tokens x 384, float32), character offsets (tokens x 2)).

        Only real word pieces are yielded ([CLS], [SEP] and padding dropped), in batches of similar length;
        indexes come in length order, not input order.
        """
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            encodings = self._tokenizer.encode_batch([texts[i] for i in chunk])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            states = self._session.run(["tokens"], {"input_ids": ids, "attention_mask": mask})[0]
            for row, (i, encoding) in enumerate(zip(chunk, encodings, strict=True)):
                special = np.array(encoding.special_tokens_mask, dtype=bool)
                keep = (mask[row] == 1) & ~special
                offsets = np.array(encoding.offsets, dtype=np.int64).reshape(-1, 2)
                yield i, states[row][keep], offsets[keep]


def _pool(states: np.ndarray, offsets: np.ndarray, ranges: Sequence[tuple[int, int]]) -> np.ndarray:
    """Mean of the token states overlapping any of the character ranges; zeros when none does."""
    if not ranges or not len(states):
        return np.zeros(states.shape[1], dtype=np.float32)
    hit = np.zeros(len(offsets), dtype=bool)
    for a, b in ranges:
        hit |= (offsets[:, 0] < b) & (offsets[:, 1] > a)
    return states[hit].mean(axis=0) if hit.any() else np.zeros(states.shape[1], dtype=np.float32)


def nearest_pair(spans: Sequence[Span]) -> tuple[Span, Span] | None:
    """The drug-event pair the sentence most likely relates: unhedged events first, then the closest."""
    drugs = [s for s in spans if s.kind == "drug"]
    events = [s for s in spans if s.kind == "event"]
    if not drugs or not events:
        return None

    def gap(pair: tuple[Span, Span]) -> tuple[bool, int]:
        d, e = pair
        return (e.hedged, max(d.start, e.start) - min(d.end, e.end))

    return min(((d, e) for d in drugs for e in events), key=gap)


def pair_signals(text: str, spans: Sequence[Span]) -> dict[str, float]:
    """The scalars of `PAIR_SIGNALS` for the nearest drug-event pair of a text."""
    drugs = [s for s in spans if s.kind == "drug"]
    events = [s for s in spans if s.kind == "event"]
    values = dict.fromkeys(PAIR_SIGNALS, 0.0)
    values["no_event"], values["no_drug"] = float(not events), float(not drugs)
    pair = nearest_pair(spans)
    if pair is None:
        return values
    d, e = pair
    between = text[min(d.end, e.end) : max(d.start, e.start)]
    values.update(
        has_pair=1.0,
        pairs_log=math.log1p(len(drugs) * len(events)),
        distance_log=math.log1p(len(between.split())),
        drug_first=float(d.start < e.start),
        causal_between=float(bool(_CAUSAL.search(between))),
        negation_between=float(bool(_NEGATION.search(between))),
        induced_drug=float(bool(_GLUED.match(text[d.end : d.end + 20]))),
        event_hedged=float(e.hedged),
    )
    return values


def relation_vector(text: str, spans: Sequence[Span], states: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Token states pooled five ways (mean, max, events, drugs, between the nearest pair) + pair signals."""
    dim = states.shape[1] if states.ndim == 2 else 384
    if not len(states):
        states = np.zeros((1, dim), dtype=np.float32)
        offsets = np.zeros((1, 2), dtype=np.int64)
    events = [(s.start, s.end) for s in spans if s.kind == "event"]
    drugs = [(s.start, s.end) for s in spans if s.kind == "drug"]
    pair = nearest_pair(spans)
    between = []
    if pair is not None:
        d, e = pair
        between = [(min(d.end, e.end), max(d.start, e.start))] if d.end <= e.start or e.end <= d.start else []
    scalars = pair_signals(text, spans)
    return np.concatenate(
        [
            states.mean(axis=0),
            states.max(axis=0),
            _pool(states, offsets, events),
            _pool(states, offsets, drugs),
            _pool(states, offsets, between),
            np.array([scalars[name] for name in PAIR_SIGNALS], dtype=np.float32),
        ]
    ).astype(np.float32)


def relation_vectors(
    encoder: TokenEncoder, texts: Sequence[str], spans: Sequence[Sequence[Span]], *, batch_size: int = 32
) -> np.ndarray:
    """`relation_vector` of every text, in input order: shape (len(texts), 5 x 384 + len(PAIR_SIGNALS))."""
    out: np.ndarray | None = None
    for i, states, offsets in encoder.encode(texts, batch_size=batch_size):
        row = relation_vector(texts[i], spans[i], states, offsets)
        if out is None:
            out = np.zeros((len(texts), row.size), dtype=np.float32)
        out[i] = row
    if out is None:
        return np.zeros((0, 5 * 384 + len(PAIR_SIGNALS)), dtype=np.float32)
    return out


_encoders: dict[int, TokenEncoder] = {}
_encoders_lock = threading.Lock()


def get_token_encoder(embedder: Any) -> TokenEncoder:
    """The process-wide TokenEncoder of an embedder (building the extended graph takes about a second)."""
    with _encoders_lock:
        encoder = _encoders.get(id(embedder))
        if encoder is None:
            encoder = _encoders[id(embedder)] = TokenEncoder(embedder)
        return encoder
