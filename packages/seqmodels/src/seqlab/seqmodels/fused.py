"""The fused path: each (layer, direction) is one autograd Function whose time loop runs in Numba
kernels (`recurrent_ops` around `recurrent_loops`): one GEMM projects all inputs before the
loop, only `h @ W_hh^T` runs per step, and the weight gradients are one GEMM each after it. One
Function serves every cell kind (`cell_kinds`)."""

from __future__ import annotations

import numpy as np

from seqlab.autograd import Context, Function, Tensor
from seqlab.autograd.grad_mode import is_graph_retained
from seqlab.seqmodels import recurrent_ops as ops
from seqlab.seqmodels.cell_kinds import CellKind


def backward_may_run(ctx: Context) -> bool:
    """Whether the graph is recorded for this call (under no_grad, or when no input needs a
    gradient, it is not: the time loop then need not keep its activations)."""
    return any(ctx.needs_input_grad)


def saved_for_this_backward(ctx: Context) -> tuple[object, bool]:
    """The node's saved arrays, and whether this backward may write over them (it does not
    retain the graph). If so the node is released first: were the backward interrupted after
    its loop overwrote them (Ctrl-C), a later backward through it gets the usual "backward a
    second time" error instead of gradients from overwritten activations."""
    saved = ctx.saved_tensors[0]  # the weights after it are saved only for their check
    reuse = not is_graph_retained()
    if reuse:
        ctx.release()
    return saved, reuse


def _outputs(kind: CellKind, out, h_n, c_n):
    return (out, h_n, c_n) if kind.has_cell_state else (out, h_n)


class RecurrentLayer(Function):
    """One direction of one layer of any kind over its input x (T, N, F)."""

    @staticmethod
    def forward(ctx: Context, x, h0, c0, w_ih, w_hh, b_ih, b_hh, kind, lengths, reverse):
        out, h_n, c_n, saved = ops.layer_forward(kind, x, h0, c0, w_ih, w_hh, b_ih, b_hh,
                                                 lengths, reverse, save=backward_may_run(ctx))
        # The weights and inputs beside `saved` (which holds or copied them) let backward's
        # version check see an optimizer step or other write into them since: it raises, as
        # PyTorch's LSTM does
        ctx.save_for_backward(saved, w_ih, w_hh, x, h0, c0)
        return _outputs(kind, out, h_n, c_n)

    @staticmethod
    def backward(ctx: Context, d_out, d_hn, *d_cn):
        saved, reuse = saved_for_this_backward(ctx)
        dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh = ops.layer_backward(
            saved, d_out, d_hn, d_cn[0] if d_cn else None, need_input_grad=ctx.needs_input_grad[0],
            reuse_saved=reuse)
        db_ih = db_ih if ctx.needs_input_grad[5] else None
        db_hh = db_hh if ctx.needs_input_grad[6] else None
        return dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, None, None, None


def run_direction(kind: CellKind, x: Tensor, h0: Tensor, c0: Tensor | None, weights: tuple,
                  lengths: np.ndarray | None, reverse: bool):
    """One direction of one layer through the fused Function; returns (out, h_n, c_n)."""
    w_ih, w_hh, b_ih, b_hh = weights
    outputs = RecurrentLayer.apply(x, h0, c0 if kind.has_cell_state else None, w_ih, w_hh, b_ih,
                                   b_hh, kind, lengths, reverse)
    return outputs if kind.has_cell_state else (*outputs, None)


class ProjectedLayer(Function):
    """One direction of one layer whose input projection comes in as a tensor: (T, N, G*H),
    or a (R, G*H) table read at rows `ids` (T, N). `looked_up`: the embedding output whose
    table this reads (an ndarray, saved only for backward's version check)."""

    @staticmethod
    def forward(ctx: Context, xg, h0, c0, w_hh, b_hh, kind, ids, lengths, reverse,
                looked_up=None):
        out, h_n, c_n, saved = ops.projected_forward(kind, xg, h0, c0, w_hh, b_hh, lengths,
                                                     reverse, ids, save=backward_may_run(ctx))
        # for backward's version check (see above); `looked_up` is what PyTorch's layer saves
        # as its input, so a write into it before backward raises there too
        ctx.save_for_backward(saved, w_hh, xg, h0, c0, ids, looked_up)
        return _outputs(kind, out, h_n, c_n)

    @staticmethod
    def backward(ctx: Context, d_out, d_hn, *d_cn):
        saved, reuse = saved_for_this_backward(ctx)
        d_xg, dh0, dc0, dw_hh, db_hh = ops.projected_backward(
            saved, d_out, d_hn, d_cn[0] if d_cn else None, reuse_saved=reuse)
        return d_xg, dh0, dc0, dw_hh, db_hh, None, None, None, None, None


def run_projected(kind: CellKind, xg: Tensor, h0: Tensor, c0: Tensor | None, w_hh: Tensor,
                  b_hh: Tensor | None, ids: np.ndarray | None = None,
                  lengths: np.ndarray | None = None, reverse: bool = False,
                  looked_up: np.ndarray | None = None):
    """One direction of one layer over a given input projection (or table rows `ids` of an
    embedding whose output was `looked_up`); returns (out, h_n, c_n)."""
    loop_bias = b_hh if kind.hh_bias_in_loop else None
    outputs = ProjectedLayer.apply(xg, h0, c0 if kind.has_cell_state else None, w_hh,
                                   loop_bias, kind, ids, lengths, reverse, looked_up)
    return outputs if kind.has_cell_state else (*outputs, None)
