"""The fused path: each (layer, direction) is one autograd Function whose time loops run in
Numba kernels (seqlab.autograd.kernels.recurrent_ops): one GEMM projects all inputs before the
loop, only `h @ W_hh^T` runs per step, and the weight gradients are one GEMM each after it."""

from __future__ import annotations

import numpy as np

from seqlab.autograd import Context, Function, Tensor
from seqlab.autograd.kernels import recurrent_ops as ops


def _bias_grads(ctx: Context, db_ih, db_hh):
    return (db_ih if ctx.needs_input_grad[5] else None,
            db_hh if ctx.needs_input_grad[6] else None)


class LSTMLayer(Function):
    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths, reverse):
        out, h_n, c_n, saved = ops.lstm_layer_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh,
                                                      lengths, reverse)
        ctx.save_for_backward(saved)
        return out, h_n, c_n

    @staticmethod
    def backward(ctx, d_out, d_hn, d_cn):
        (saved,) = ctx.saved_tensors
        dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh = ops.lstm_layer_backward(saved, d_out, d_hn,
                                                                           d_cn)
        return (dx, dh0, dc0, dw_ih, dw_hh, *_bias_grads(ctx, db_ih, db_hh), None, None)


class GRULayer(Function):
    @staticmethod
    def forward(ctx, x, h0, unused_c0, w_ih, w_hh, b_ih, b_hh, lengths, reverse):
        out, h_n, saved = ops.gru_layer_forward(x, h0, w_ih, w_hh, b_ih, b_hh, lengths, reverse)
        ctx.save_for_backward(saved)
        return out, h_n

    @staticmethod
    def backward(ctx, d_out, d_hn):
        (saved,) = ctx.saved_tensors
        dx, dh0, dw_ih, dw_hh, db_ih, db_hh = ops.gru_layer_backward(saved, d_out, d_hn)
        return (dx, dh0, None, dw_ih, dw_hh, *_bias_grads(ctx, db_ih, db_hh), None, None)


class RNNLayer(Function):
    @staticmethod
    def forward(ctx, x, h0, nonlinearity, w_ih, w_hh, b_ih, b_hh, lengths, reverse):
        out, h_n, saved = ops.rnn_layer_forward(x, h0, w_ih, w_hh, b_ih, b_hh, lengths, reverse,
                                                nonlinearity)
        ctx.save_for_backward(saved)
        return out, h_n

    @staticmethod
    def backward(ctx, d_out, d_hn):
        (saved,) = ctx.saved_tensors
        dx, dh0, dw_ih, dw_hh, db_ih, db_hh = ops.rnn_layer_backward(saved, d_out, d_hn)
        return (dx, dh0, None, dw_ih, dw_hh, *_bias_grads(ctx, db_ih, db_hh), None, None)


def run_direction(mode: str, x: Tensor, h0: Tensor, c0: Tensor | None, weights: tuple,
                  lengths: np.ndarray | None, reverse: bool):
    """One direction of one layer through its fused Function; returns (out, h_n, c_n)."""
    w_ih, w_hh, b_ih, b_hh = weights
    if mode == "lstm":
        return LSTMLayer.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths, reverse)
    if mode == "gru":
        out, h_n = GRULayer.apply(x, h0, None, w_ih, w_hh, b_ih, b_hh, lengths, reverse)
        return out, h_n, None
    nonlinearity = "tanh" if mode == "rnn_tanh" else "relu"
    out, h_n = RNNLayer.apply(x, h0, nonlinearity, w_ih, w_hh, b_ih, b_hh, lengths, reverse)
    return out, h_n, None


class ProjectedLayer(Function):
    """One direction of one layer whose input projection comes in as a tensor: (T, N, G*H),
    or a (R, G*H) table read at rows `ids` (T, N)."""

    @staticmethod
    def forward(ctx, xg, h0, c0, w_hh, b_hh, mode, ids, lengths, reverse):
        out, h_n, c_n, saved = ops.projected_forward(mode, xg, h0, c0, w_hh, b_hh, lengths,
                                                     reverse, ids)
        ctx.save_for_backward(saved)
        return (out, h_n, c_n) if mode == "lstm" else (out, h_n)

    @staticmethod
    def backward(ctx, d_out, d_hn, *d_cn):
        (saved,) = ctx.saved_tensors
        d_xg, dh0, dc0, dw_hh, db_hh = ops.projected_backward(saved, d_out, d_hn,
                                                              d_cn[0] if d_cn else None)
        return d_xg, dh0, dc0, dw_hh, db_hh, None, None, None, None


def run_projected(mode: str, xg: Tensor, h0: Tensor, c0: Tensor | None, w_hh: Tensor,
                  b_hh: Tensor | None, ids: np.ndarray | None = None,
                  lengths: np.ndarray | None = None, reverse: bool = False):
    """One direction of one layer over a given input projection (or table rows `ids`);
    returns (out, h_n, c_n)."""
    gru_bias = b_hh if mode == "gru" else None
    if mode == "lstm":
        return ProjectedLayer.apply(xg, h0, c0, w_hh, None, mode, ids, lengths, reverse)
    out, h_n = ProjectedLayer.apply(xg, h0, None, w_hh, gru_bias, mode, ids, lengths, reverse)
    return out, h_n, None
