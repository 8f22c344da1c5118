"""A fused recurrent stack over token ids whose non-recurrent work touches valid positions only.

`RNNBase.forward` with lengths already stops each sequence's state at its length, but it
projects every padded input too: the layers above the first run `x @ W_ih^T` over all T x N
positions, about twice the rows a G2P batch needs. Here each layer's input projection is a
table of the M valid rows (`Positions`), which the fused loop reads in place at
`positions.rows`; its backward adds into those M rows and dW_ih is one GEMM over them.

Layer 0 reads the embedding's per-symbol table E @ W_ih^T + b when the vocabulary is smaller
than M and no dropout sits between (as `RNNBase` does), else the embedded valid rows.
The result equals `stack(embedding(ids), h0, lengths=...)` at every valid position (padded
outputs are zeros) and gives the same gradients.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.autograd import Tensor, where, zeros
from seqlab.autograd.nn import Embedding
from seqlab.autograd.nn import functional as F
from seqlab.seqmodels.recurrent import RNNBase
from seqlab.seqmodels.seq2seq.chunked_layer import run_chunked
from seqlab.seqmodels.seq2seq.packing import Positions, gather_rows


def packable(stack: RNNBase) -> bool:
    """Whether `run_packed` can run this stack: the fused path is installed and chosen."""
    return stack.fused


def _layer0_input(embedding: Embedding, ids: np.ndarray, positions: Positions,
                  embedding_dropout: Any, training: bool) -> tuple[Tensor, bool]:
    """(what layer 0 projects, whether it is the per-symbol embedding weight): the weight
    when the vocabulary is the smaller and no dropout applies, else the embedded valid rows."""
    dropping = training and embedding_dropout is not None and embedding_dropout.p > 0
    weight = embedding.weight
    if not dropping and weight.shape[0] < positions.count:
        if embedding.padding_idx is not None and weight.requires_grad:
            # the padding row gets no gradient, as through the embedding itself
            keep = (np.arange(weight.shape[0]) != embedding.padding_idx)[:, None]
            weight = where(keep, weight, weight.detach())
        return weight, True
    rows = embedding(ids.reshape(-1)[positions.time_major])
    return (embedding_dropout(rows) if dropping else rows), False


def run_packed(stack: RNNBase, embedding: Embedding, ids: np.ndarray, positions: Positions,
               initial: Any = None, embedding_dropout: Any = None,
               generator: np.random.Generator | None = None
               ) -> tuple[list[Tensor], list[Tensor], list[Tensor | None]]:
    """Run `stack` over `embedding(ids)`, ids (T, N) time-major, sequence n valid for its
    positions.lengths[n] steps.

    `initial` is None (zeros) or the stack's h0 (L * D, N, H), or (h0, c0) for an LSTM;
    `embedding_dropout` (a Dropout module) applies to the embedded inputs and the stack's own
    dropout between layers (from `generator`), in training mode. Returns the last layer's
    output per direction (T, N, H) each, and the final h and c (None but for LSTM) of every
    (layer, direction) in the stack's order.
    """
    kind = stack.kind
    batch = ids.shape[1]
    h0, c0 = (initial if kind.has_cell_state else (initial, None)) if initial is not None \
        else (None, None)
    layer_input, is_table = _layer0_input(embedding, ids, positions, embedding_dropout,
                                          stack.training)
    shared_ids = ids if is_table else None
    h_finals: list[Tensor] = []
    c_finals: list[Tensor | None] = []
    outputs: list[Tensor] = []
    for layer in range(stack.num_layers):
        if layer:
            layer_input = gather_rows(outputs, [positions.time_major] * len(outputs))
            if stack.dropout and stack.training:
                layer_input = F.dropout(layer_input, stack.dropout, True, generator)
            shared_ids = None
        tables, h_starts, c_starts, weights = [], [], [], []
        for direction in range(stack.num_directions):
            index = layer * stack.num_directions + direction
            w_ih, w_hh, b_ih, b_hh = stack.layer_weights(layer, direction)
            tables.append(F.linear(layer_input, w_ih, kind.projection_bias(b_ih, b_hh)))
            weights.append((w_hh, b_hh))
            state = zeros((batch, stack.hidden_size), dtype=stack.dtype)
            h_starts.append(state if h0 is None else h0[index])
            c_starts.append(None if not kind.has_cell_state else
                            (state if c0 is None else c0[index]))
        # the directions' loops together: they run side by side on the threads
        results = run_chunked(kind, tables, h_starts, c_starts, weights, positions, shared_ids)
        outputs = [out for out, _, _ in results]
        h_finals += [h_n for _, h_n, _ in results]
        c_finals += [c_n for _, _, c_n in results]
    return outputs, h_finals, c_finals
