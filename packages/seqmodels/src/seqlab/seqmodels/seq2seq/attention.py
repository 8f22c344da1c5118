"""Global attention over encoder outputs, Luong style, for all decoder steps at once.

Given decoder outputs `queries` (N, T, H) and encoder outputs `memory` (N, S, H):

    score(q, m) = q . m                        (dot,      Luong)
                = q . (W_a m)                  (general,  Luong)
                = v . tanh(W_q q + b_q + W_m m)  (additive, Bahdanau's score)
    weights = softmax over the valid source positions (padding gets exactly zero)
    context = weights @ memory
    attentional = tanh(W_c [context; q])

Every decoder step is one row of a batched GEMM: the scores of all T steps are one
(N, T, H) x (N, H, S) product and the contexts one (N, T, S) x (N, S, H) product.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.autograd import Tensor, cat
from seqlab.autograd.nn import Linear, Module
from seqlab.autograd.nn import functional as F
from seqlab.seqmodels.seq2seq.packing import Positions, gather_rows

ATTENTIONS = ("dot", "general", "additive")


class Attention(Module):
    """Scores, masked weights, context and the attentional vector for every query row."""

    def __init__(self, kind: str, hidden_size: int, dtype: Any = np.float32,
                 generator: Any = None) -> None:
        super().__init__()
        if kind not in ATTENTIONS:
            raise ValueError(f"attention must be one of {', '.join(ATTENTIONS)}, got {kind!r}")
        self.kind = kind
        options = {"dtype": dtype, "generator": generator}
        if kind == "general":
            self.memory_layer = Linear(hidden_size, hidden_size, bias=False, **options)
        elif kind == "additive":
            self.memory_layer = Linear(hidden_size, hidden_size, bias=False, **options)
            self.query_layer = Linear(hidden_size, hidden_size, **options)
            self.score_layer = Linear(hidden_size, 1, bias=False, **options)
        self.output_layer = Linear(2 * hidden_size, hidden_size, bias=False, **options)

    def keys(self, memory: Tensor) -> Tensor:
        """What the queries are scored against, computed once per source batch (N, S, H)."""
        return memory if self.kind == "dot" else self.memory_layer(memory)

    def scores(self, queries: Tensor, keys: Tensor) -> Tensor:
        """Unnormalised scores (N, T, S)."""
        if self.kind != "additive":
            return queries @ keys.transpose(1, 2)
        projected = self.query_layer(queries)
        hidden = (projected.unsqueeze(2) + keys.unsqueeze(1)).tanh()  # (N, T, S, H)
        return self.score_layer(hidden).squeeze(3)

    def weights_and_context(self, queries: Tensor, memory: Tensor, keys: Tensor,
                            keep: np.ndarray) -> tuple[Tensor, Tensor]:
        """(weights (N, T, S), context (N, T, H)) for batch-first queries (N, T, H): the
        scores softmaxed over the valid source positions (`keep` (N, S)), padding exactly 0."""
        weights = F.masked_softmax(self.scores(queries, keys), keep[:, None, :])
        return weights, weights @ memory

    def forward(self, queries: Tensor, memory: Tensor, keys: Tensor,
                keep: np.ndarray) -> tuple[Tensor, Tensor]:
        """(attentional (N, T, H), weights (N, T, S)); `keep` (N, S) marks valid positions."""
        weights, context = self.weights_and_context(queries, memory, keys, keep)
        attentional = self.output_layer(cat([context, queries], dim=2)).tanh()
        return attentional, weights

    def attend_rows(self, queries: Tensor, memory: Tensor, keys: Tensor, keep: np.ndarray,
                    positions: Positions) -> Tensor:
        """The attentional vectors (M, H) of the valid positions only, for time-major
        `queries` (T, N, H): scores, weights and contexts as batched GEMMs over all steps,
        the output layer over the M rows [context; query] of `positions`."""
        batch_first = queries.transpose(0, 1)  # a view: the batched GEMMs take its strides
        _, context = self.weights_and_context(batch_first, memory, keys, keep)
        rows = gather_rows([context, queries], [positions.batch_first, positions.time_major])
        return self.output_layer(rows).tanh()


def source_mask(lengths: np.ndarray, steps: int) -> np.ndarray:
    """(N, S) bool: True at the valid source positions of sequences of these lengths."""
    return np.arange(steps)[None, :] < np.asarray(lengths)[:, None]
