"""Decoding a `Seq2Seq` on plain arrays: greedy and beam search, batched over sentences.

`DecodingPlan` snapshots the weights once (transposed, biases combined) and runs the encoder under
`no_grad`; every decoder step is then NumPy on ndarrays with no graph: the embedding rows, one
cell step per layer (the input GEMM, then the cell kind's jitted step from the one cell-kind
table), the attention over the memory, the output layer
and a log-softmax.

Beam search (OpenNMT / fairseq style) keeps `width` live hypotheses per sentence, all sentences in
one (N * width) batch. Each step ranks the `2 * width` best extensions of a sentence: an
extension ending in `</s>` among the first `width` is finished, the other best `width` extensions
stay live. A sentence stops when it has `width` finished hypotheses or reaches its maximum length
`max_len_a * source_length + max_len_b` (its live hypotheses are then finished as they are).
Finished hypotheses are ranked by log-probability / length ** `length_penalty` (0: no
normalisation), the length counting `</s>`. With width 1 this is exactly greedy decoding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seqlab.autograd import no_grad
from seqlab.seqmodels.seq2seq.attention import source_mask


@dataclass(frozen=True)
class LayerWeights:
    """One decoder layer laid out for the per-step cell: transposed, biases combined."""

    w_ih_t: np.ndarray  # (F, G*H), contiguous
    bias: np.ndarray  # added to x @ W_ih^T: b_ih + b_hh (LSTM, RNN) or b_ih (GRU)
    w_hh_t: np.ndarray  # (H, G*H), contiguous
    b_hh: np.ndarray  # GRU only: the hidden bias sits inside the reset gate


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _array(value: Any) -> np.ndarray | None:
    return None if value is None else np.array(value.data, copy=True)


@dataclass
class DecoderState:
    """Everything one batch of hypotheses carries between steps (rows = hypotheses)."""

    h: np.ndarray  # (L, B, H)
    c: np.ndarray | None  # (L, B, H), LSTM only
    attentional: np.ndarray  # (B, H): the previous step's attentional vector (input feeding)
    memory: np.ndarray  # (B, S, H)
    keys: np.ndarray  # (B, S, H)
    keep: np.ndarray  # (B, S) valid source positions

    def select(self, rows: np.ndarray) -> DecoderState:
        """The state of the hypotheses `rows` (reordered or repeated)."""
        return DecoderState(self.h[:, rows], None if self.c is None else self.c[:, rows],
                            self.attentional[rows], self.memory[rows], self.keys[rows],
                            self.keep[rows])


class DecodingPlan:
    """A Seq2Seq's weights laid out for graph-free decoding steps."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.kind = model.decoder.kind
        self.input_feeding = model.input_feeding
        self.embedding = _array(model.target_embedding.weight)
        self.layers = []
        for layer in range(model.num_layers):
            w_ih, w_hh, b_ih, b_hh = (_array(w) for w in model.decoder.layer_weights(layer, 0))
            gates = w_hh.shape[0]
            b_ih = np.zeros(gates, w_hh.dtype) if b_ih is None else b_ih
            b_hh = np.zeros(gates, w_hh.dtype) if b_hh is None else b_hh
            self.layers.append(LayerWeights(np.ascontiguousarray(w_ih.T),
                                            self.kind.projection_bias(b_ih, b_hh),
                                            np.ascontiguousarray(w_hh.T), b_hh))
        attention = model.attention
        self.attention_kind = attention.kind
        if attention.kind == "additive":
            self.query_t = np.ascontiguousarray(_array(attention.query_layer.weight).T)
            self.query_bias = _array(attention.query_layer.bias)
            self.score_vector = _array(attention.score_layer.weight)[0]
        self.attention_out_t = np.ascontiguousarray(_array(attention.output_layer.weight).T)
        self.output_t = np.ascontiguousarray(_array(model.output.weight).T)
        self.output_bias = _array(model.output.bias)
        self.never = [model.pad_id, model.bos_id]

    def start(self, source: Any, lengths: Any) -> DecoderState:
        """Encode a batch of sources (eval mode, no graph) into the decoder's first state."""
        model = self.model
        was_training = model.training
        model.eval()
        try:
            with no_grad():
                memory, state = model.encode(source, lengths)
                keys = model.attention.keys(memory)
        finally:
            model.train(was_training)
        h, c = (state[0].data, state[1].data) if isinstance(state, tuple) else (state.data, None)
        steps = memory.shape[1]
        keep = source_mask(lengths, steps)
        attentional = np.zeros((memory.shape[0], model.hidden_size), dtype=memory.dtype)
        return DecoderState(h, c, attentional, memory.data, keys.data, keep)

    def step(self, tokens: np.ndarray, state: DecoderState
             ) -> tuple[np.ndarray, np.ndarray, DecoderState]:
        """(log-probabilities (B, V) float64, attention weights (B, S), next state)."""
        x = self.embedding[tokens]
        if self.input_feeding:
            x = np.concatenate([x, state.attentional], axis=1)
        new_h = np.empty_like(state.h)
        new_c = None if state.c is None else np.empty_like(state.c)
        for index, weights in enumerate(self.layers):
            xg = x @ weights.w_ih_t
            xg += weights.bias
            h, c = self.kind.step(xg, np.ascontiguousarray(state.h[index]),
                                  None if state.c is None else
                                  np.ascontiguousarray(state.c[index]),
                                  weights.w_hh_t, weights.b_hh)
            new_h[index] = h
            if new_c is not None:
                new_c[index] = c
            x = h
        weights = self._attention_weights(x, state)
        context = np.einsum("bs,bsh->bh", weights, state.memory)
        attentional = np.tanh(np.concatenate([context, x], axis=1) @ self.attention_out_t)
        logits = attentional @ self.output_t
        if self.output_bias is not None:
            logits += self.output_bias
        next_state = DecoderState(new_h, new_c, attentional, state.memory, state.keys,
                                  state.keep)
        logprobs = _log_softmax(logits.astype(np.float64))
        logprobs[:, self.never] = -np.inf  # <pad> and <s> are never an output
        return logprobs, weights, next_state

    def _attention_weights(self, query: np.ndarray, state: DecoderState) -> np.ndarray:
        if self.attention_kind == "additive":
            projected = query @ self.query_t + self.query_bias
            scores = np.tanh(projected[:, None, :] + state.keys) @ self.score_vector
        else:
            scores = np.einsum("bh,bsh->bs", query, state.keys)
        scores = np.where(state.keep, scores, -np.inf)
        scores -= scores.max(axis=1, keepdims=True)
        weights = np.exp(scores)
        return weights / weights.sum(axis=1, keepdims=True)


@dataclass
class Hypothesis:
    """One decoded output: tokens (no <s> / </s>), total log-probability, normalised score."""

    tokens: list[int]
    logprob: float
    score: float
    attention: np.ndarray | None = None  # (len(tokens), S) weights, when asked for


@dataclass
class Decoded:
    """Per sentence: its hypotheses, best first (one for greedy, up to `nbest` for beam)."""

    hypotheses: list[list[Hypothesis]] = field(default_factory=list)

    @property
    def tokens(self) -> list[list[int]]:
        """The best output of every sentence."""
        return [found[0].tokens for found in self.hypotheses]


def max_lengths(lengths: np.ndarray, max_len_a: float, max_len_b: int) -> np.ndarray:
    """The most tokens each output may have: max_len_a * source length + max_len_b (>= 1)."""
    return np.maximum(np.floor(max_len_a * np.asarray(lengths) + max_len_b), 1).astype(np.int64)


def _check_lengths(max_len_a: float, max_len_b: int) -> None:
    if max_len_a < 0 or (max_len_a == 0 and max_len_b < 1):
        raise ValueError(f"the maximum output length {max_len_a} * source length + {max_len_b} "
                         "must allow at least one token")


def greedy_decode(model: Any, source: Any, lengths: Any, *, max_len_a: float = 2.0,
                  max_len_b: int = 10, attention: bool = False,
                  length_penalty: float = 1.0) -> Decoded:
    """The most likely token at every step, for every sentence of the batch at once. Each
    hypothesis' `score` is on beam_search's scale, logprob / length ** `length_penalty` (the
    length counts </s> when it was reached), which is all the penalty changes here."""
    _check_lengths(max_len_a, max_len_b)
    plan = DecodingPlan(model)
    state = plan.start(source, lengths)
    batch = state.memory.shape[0]
    limits = max_lengths(lengths, max_len_a, max_len_b)
    source_lengths = np.asarray(lengths)
    tokens = np.full(batch, model.bos_id, dtype=np.int64)
    outputs: list[list[int]] = [[] for _ in range(batch)]
    rows: list[list[np.ndarray]] = [[] for _ in range(batch)]
    logprobs = np.zeros(batch)
    active = np.ones(batch, dtype=bool)
    ended = np.zeros(batch, dtype=bool)
    for step in range(int(limits.max())):
        active &= step < limits
        if not active.any():
            break
        logp, weights, state = plan.step(tokens, state)
        tokens = logp.argmax(axis=1)
        for n in np.flatnonzero(active):
            logprobs[n] += logp[n, tokens[n]]
            if tokens[n] == model.eos_id:
                active[n], ended[n] = False, True
                continue
            outputs[n].append(int(tokens[n]))
            if attention:
                rows[n].append(weights[n])
    source_steps = state.memory.shape[1]
    found = []
    for n in range(batch):
        weights = None
        if attention:  # (output tokens, this sentence's source tokens)
            weights = np.array(rows[n]).reshape(-1, source_steps)[:, : source_lengths[n]]
        normaliser = max(len(outputs[n]) + int(ended[n]), 1) ** length_penalty
        found.append([Hypothesis(outputs[n], float(logprobs[n]),
                                 float(logprobs[n]) / normaliser, weights)])
    return Decoded(found)


def beam_search(model: Any, source: Any, lengths: Any, *, width: int = 5, nbest: int = 1,
                length_penalty: float = 1.0, max_len_a: float = 2.0, max_len_b: int = 10,
                attention: bool = False) -> Decoded:
    """The `nbest` best hypotheses of every sentence under beam search of `width`."""
    if width < 1:
        raise ValueError(f"beam width must be at least 1, got {width}")
    if not 1 <= nbest <= width:
        raise ValueError(f"nbest must lie in [1, beam width {width}], got {nbest}")
    _check_lengths(max_len_a, max_len_b)
    plan = DecodingPlan(model)
    first = plan.start(source, lengths)
    batch, source_steps = first.memory.shape[0], first.memory.shape[1]
    state = first.select(np.repeat(np.arange(batch), width))
    limits = max_lengths(lengths, max_len_a, max_len_b)
    source_lengths = np.asarray(lengths)
    scores = np.full((batch, width), -np.inf)
    scores[:, 0] = 0.0
    histories = np.zeros((batch, width, 0), dtype=np.int64)
    attention_rows = np.zeros((batch, width, 0, source_steps))
    finished: list[list[Hypothesis]] = [[] for _ in range(batch)]
    done = np.zeros(batch, dtype=bool)
    tokens = np.full(batch * width, model.bos_id, dtype=np.int64)

    def finish(n: int, beam: int, logprob: float, ended: bool) -> None:
        length = histories.shape[2] + ended
        weights = attention_rows[n, beam, :, : source_lengths[n]] if attention else None
        normaliser = max(length, 1) ** length_penalty
        finished[n].append(Hypothesis(histories[n, beam].tolist(), logprob,
                                      logprob / normaliser, weights))

    for step in range(int(limits.max()) + 1):
        for n in np.flatnonzero(~done & (step >= limits)):
            for beam in range(width):  # out of length: the live ones end as they are
                if math.isfinite(scores[n, beam]):
                    finish(n, beam, float(scores[n, beam]), False)
            done[n] = True
        if done.all():
            break
        logp, weights, state = plan.step(tokens, state)
        vocab = logp.shape[1]
        candidates = (scores[:, :, None] + logp.reshape(batch, width, vocab)).reshape(batch, -1)
        order = np.argsort(-candidates, axis=1, kind="stable")[:, : 2 * width]
        origins = np.zeros((batch, width), dtype=np.int64)
        chosen = np.zeros((batch, width), dtype=np.int64)
        new_scores = np.full((batch, width), -np.inf)
        for n in range(batch):
            if done[n]:
                continue
            alive = 0
            for rank, flat in enumerate(order[n]):
                beam, token = divmod(int(flat), vocab)
                value = float(candidates[n, flat])
                if token == model.eos_id:
                    if rank < width and math.isfinite(value):
                        finish(n, beam, value, True)
                    continue
                if alive < width:
                    origins[n, alive], chosen[n, alive], new_scores[n, alive] = beam, token, value
                    alive += 1
            if len(finished[n]) >= width:
                done[n] = True
        rows = (np.arange(batch)[:, None] * width + origins).reshape(-1)
        if attention:
            step_weights = weights.reshape(batch, width, 1, source_steps)
            attention_rows = np.concatenate(
                [np.take_along_axis(attention_rows, origins[:, :, None, None], axis=1),
                 np.take_along_axis(step_weights, origins[:, :, None, None], axis=1)], axis=2)
        histories = np.concatenate(
            [np.take_along_axis(histories, origins[:, :, None], axis=1), chosen[:, :, None]],
            axis=2)
        scores = new_scores
        state = state.select(rows)
        tokens = chosen.reshape(-1)
    ranked = [sorted(found, key=lambda h: -h.score)[:nbest] for found in finished]
    return Decoded(ranked)
