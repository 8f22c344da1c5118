"""One token through a trained language model at batch 1, as fast as a CPU allows.

`GenerationPlan` snapshots the weights once per generation (transposed, biases combined) so each
token costs one GEMV per layer for the input, one fused Numba step kernel per layer
(`h @ W_hh^T` plus the gate math), and one GEMV for the output layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqlab.seqmodels.cell_kinds import CellKind


@dataclass(frozen=True)
class LayerWeights:
    w_ih_t: np.ndarray  # (F, G*H), contiguous
    bias: np.ndarray  # added to x @ W_ih^T: b_ih + b_hh (LSTM, RNN) or b_ih (GRU)
    w_hh_t: np.ndarray  # (H, G*H), contiguous
    b_hh: np.ndarray  # GRU only: the hidden bias sits inside the reset gate


@dataclass(frozen=True)
class GenerationPlan:
    """The weights one generation run reads, laid out for the per-token step."""

    kind: CellKind
    embedding: np.ndarray
    layers: tuple[LayerWeights, ...]
    decoder_t: np.ndarray  # (H, V)
    decoder_bias: np.ndarray  # (V,)

    @classmethod
    def from_model(cls, model) -> GenerationPlan:
        """Snapshot a LanguageModel's current weights."""
        dtype = model.embedding.weight.data.dtype
        stack = model.rnn
        layers = []
        for layer in range(stack.num_layers):
            w_ih, w_hh, b_ih, b_hh = (None if w is None else w.data
                                      for w in stack.layer_weights(layer, 0))
            gates = w_hh.shape[0]
            b_ih = np.zeros(gates, dtype) if b_ih is None else b_ih
            b_hh = np.zeros(gates, dtype) if b_hh is None else b_hh
            bias = stack.kind.projection_bias(b_ih, b_hh)
            layers.append(LayerWeights(np.ascontiguousarray(w_ih.T), bias.copy(),
                                       np.ascontiguousarray(w_hh.T), b_hh.copy()))
        decoder = model.decoder
        bias = decoder.bias.data if decoder.bias is not None else \
            np.zeros(decoder.weight.shape[0], dtype)
        return cls(stack.kind, model.embedding.weight.data.copy(), tuple(layers),
                   np.ascontiguousarray(decoder.weight.data.T), bias.copy())

    def step(self, token: int, hidden: tuple[np.ndarray, ...]):
        """Feed one token; returns (new hidden (h,) or (h, c) each (L, 1, H), logprobs (V,))."""
        h_all = hidden[0]
        c_all = hidden[1] if self.kind.has_cell_state else None
        x = self.embedding[token : token + 1]
        new_h = np.empty_like(h_all)
        new_c = np.empty_like(c_all) if c_all is not None else None
        for index, weights in enumerate(self.layers):
            xg = x @ weights.w_ih_t
            xg += weights.bias
            h, c = self.kind.step(xg, h_all[index], None if c_all is None else c_all[index],
                                  weights.w_hh_t, weights.b_hh)
            if c is not None:
                new_c[index] = c
            new_h[index] = h
            x = h
        logits = (x @ self.decoder_t)[0].astype(np.float64)
        logits += self.decoder_bias
        logits -= logits.max()
        logits -= np.log(np.exp(logits).sum())
        return ((new_h, new_c) if new_c is not None else (new_h,)), logits
