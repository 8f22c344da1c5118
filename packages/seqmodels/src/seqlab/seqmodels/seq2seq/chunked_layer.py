"""One direction of one recurrent layer over packed input rows, its time loop run chunk by chunk.

The fused loops step every sequence of their batch through the longest one: the per-step
product `h @ W_hh^T` covers all N sequences even when most have ended. A random batch of G2P
pairs is half padding, so the loops here run over chunks of sequences of similar length
(`packing.Positions.chunks`, longest first), each only as many steps as its longest sequence:
the same loop (`recurrent_ops.projected_forward` / `projected_backward`) on fewer
sequence-steps. Each chunk reads its own contiguous rows of the input projection, so its
gradient is a slice of the whole one; a per-symbol table (`shared_ids`) is read by every chunk
and its gradients add.
"""

from __future__ import annotations

import numpy as np

from seqlab.autograd import Context, Function, Tensor, workspace
from seqlab.seqmodels import recurrent_ops as ops
from seqlab.seqmodels.cell_kinds import CellKind
from seqlab.seqmodels.seq2seq.packing import Positions


class ChunkedLayer(Function):
    """Input projection `table` (rows, G*H) -> out (T, N, H), h_n (N, H) [, c_n (N, H)].

    Without `shared_ids`, chunk k reads table[start_k:stop_k] at its `ids`; with shared_ids
    (T, N) every chunk reads the whole table at its sequences' columns of them.
    """

    @staticmethod
    def forward(ctx: Context, table, h0, c0, w_hh, b_hh, kind: CellKind, positions: Positions,
                shared_ids, reverse: bool):
        save = any(ctx.needs_input_grad)
        batch, hidden = h0.shape
        single = _single(positions)
        out = h_n = c_n = None
        if not single:  # (memory reused from the step before: no page faults)
            out = workspace.empty((positions.steps, batch, hidden), table.dtype)
            out[...] = 0  # a chunk's loop writes its steps; the rest is padding
            h_n = np.empty((batch, hidden), table.dtype)
            c_n = None if c0 is None else np.empty((batch, hidden), table.dtype)
        saved = []
        for chunk in positions.chunks:
            rows, ids = _chunk_input(table, chunk, shared_ids)
            members = chunk.sequences
            chunk_out, chunk_h, chunk_c, chunk_saved = ops.projected_forward(
                kind, rows, h0[members], None if c0 is None else c0[members], w_hh, b_hh,
                chunk.lengths, reverse, ids, save=save)
            saved.append(chunk_saved)
            if single:
                out, h_n, c_n = chunk_out, chunk_h, chunk_c
                break
            out[:chunk.steps, members] = chunk_out
            h_n[members] = chunk_h
            if c_n is not None:
                c_n[members] = chunk_c
        ctx.save_for_backward(saved)
        ctx.positions, ctx.shared, ctx.table_shape = positions, shared_ids is not None, table.shape
        ctx.has_cell_state = c0 is not None
        return (out, h_n, c_n) if kind.has_cell_state else (out, h_n)

    @staticmethod
    def backward(ctx: Context, d_out, d_hn, *d_cn):
        (saved,) = ctx.saved_tensors
        positions = ctx.positions
        d_cn = d_cn[0] if d_cn else None
        if _single(positions):
            d_table, dh0, dc0, dw_hh, db_hh = ops.projected_backward(saved[0], d_out, d_hn, d_cn)
            return d_table, dh0, dc0, dw_hh, db_hh, None, None, None, None
        d_table = workspace.empty(ctx.table_shape, d_out.dtype)
        if ctx.shared:
            d_table[...] = 0
        dh0 = np.empty_like(d_hn)
        dc0 = np.empty_like(d_hn) if ctx.has_cell_state else None
        dw_hh = db_hh = None
        for chunk, chunk_saved in zip(positions.chunks, saved):
            members = chunk.sequences
            grads = ops.projected_backward(
                chunk_saved, d_out[:chunk.steps, members], d_hn[members],
                None if d_cn is None else d_cn[members])
            chunk_table, chunk_h0, chunk_c0, chunk_w_hh, chunk_b_hh = grads
            if ctx.shared:
                d_table += chunk_table
            else:
                d_table[chunk.start:chunk.stop] = chunk_table
            dh0[members] = chunk_h0
            if dc0 is not None:
                dc0[members] = chunk_c0
            # each chunk's weight gradients are new arrays of its own: add in place
            if dw_hh is None:
                dw_hh, db_hh = chunk_w_hh, chunk_b_hh
            else:
                dw_hh += chunk_w_hh
                if db_hh is not None:
                    db_hh += chunk_b_hh
        return d_table, dh0, dc0, dw_hh, db_hh, None, None, None, None


def _single(positions: Positions) -> bool:
    """Whether one loop over the whole batch in order gives the layer's outputs as they are."""
    chunks = positions.chunks
    return len(chunks) == 1 and chunks[0].steps == positions.steps and \
        isinstance(chunks[0].sequences, slice)


def _chunk_input(table: np.ndarray, chunk, shared_ids: np.ndarray | None):
    """(the rows a chunk's loop reads, its ids into them)."""
    if shared_ids is None:
        return table[chunk.start:chunk.stop], chunk.ids
    return table, shared_ids[:chunk.steps, chunk.sequences]


def run_chunked(kind: CellKind, table: Tensor, h0: Tensor, c0: Tensor | None, w_hh: Tensor,
                b_hh: Tensor | None, positions: Positions, shared_ids: np.ndarray | None = None,
                reverse: bool = False) -> tuple[Tensor, Tensor, Tensor | None]:
    """One direction of one layer over an input projection of packed rows (or a per-symbol
    table read at `shared_ids` (T, N)); returns (out (T, N, H), h_n, c_n or None)."""
    loop_bias = b_hh if kind.hh_bias_in_loop else None
    outputs = ChunkedLayer.apply(table, h0, c0 if kind.has_cell_state else None, w_hh,
                                 loop_bias, kind, positions, shared_ids, reverse)
    return outputs if kind.has_cell_state else (*outputs, None)
