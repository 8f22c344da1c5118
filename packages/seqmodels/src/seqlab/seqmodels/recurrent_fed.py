"""An LSTM training forward whose time loop projects its input step by step (`kernels.
recurrent_lstm_fed`) instead of reading one (T, N, 4H) projection made before the loop.

Taken by `recurrent_ops.layer_forward` wherever it gives the same bits as the projection and
the loop apart: an LSTM training forward (`save`) whose projection takes the panels
(`around_products.products_take_panels`: an input at least `MIN_DEPTH` deep, a stack's upper
layers or wide raw features, or a narrow one with enough output, raw features F 1-63 at batch
32 x 64), with weights small enough to stream at every step
(`MAX_FED_WEIGHT_BYTES`), and whose loop runs split by sequence or on one thread
with panels, every sequence reading the same time at each step (`in_step`). Its outputs, final
state and saved activations are those of `project` + `lstm_team_forward`, so the backward is
the usual one.
"""

from __future__ import annotations

import numpy as np

from seqlab.autograd.kernels.panel_gemm import panels_pay, panels_shape
from seqlab.autograd.kernels.recurrent_lstm_fed import lstm_forward_fed
from seqlab.autograd.kernels.recurrent_lstm_rows import rows_split_pays
from seqlab.autograd.threads import run_team, seqlab_computing
from seqlab.seqmodels.around_products import BLOCK, products_take_panels
from seqlab.seqmodels.recurrent_loops import (
    MIN_UNITS_FORWARD_STEP_MACS,
    in_step,
    line_aligned,
    lstm_loop_parts,
    rows_forward_buffers,
)

Array = np.ndarray
# Taken only while W_ih's and W_hh's panels, both streamed at every step, hold at most this
# many bytes. A layer's forward alone (projection and loop; T*N = 64 x 32, F = H, float32,
# AMD EPYC Zen 4, one thread, CPU time, medians of 15 alternating calls with the caches
# flushed, load 11): H 128 (0.5 MiB of panels) 7.08 -> 6.44 ms, 256 (2 MiB) 24.04 -> 23.11,
# 320 (3.1 MiB) 34.59 -> 33.60, 384 (4.5 MiB) 48.54 -> 47.72, but 512 (8 MiB) 86.52 -> 87.92
# (on two threads 85.06 -> 85.79; H 256 25.04 -> 22.95, both threads' CPU).
MAX_FED_WEIGHT_BYTES = 5 << 20


def fed_loop_parts(x: Array, w_ih: Array, w_hh: Array, lengths: Array, reverse: bool) -> int:
    """How many parts an LSTM training forward over x (T, N, F) runs as with its input
    projected in the loop; 0: not this way (the projection and the loop apart). From shapes,
    dtype, lengths' layout in time and the thread count only."""
    steps, batch, features = x.shape
    hidden = w_hh.shape[1]
    # A narrow input too (F < MIN_DEPTH, where its projection takes the panels): the layer's
    # forward alone, T*N 64 x 32, one thread, CPU old / new 1.13-1.22x at F 8 / 40, H 32 / 128,
    # T 64 / 256, N 32 / 64; the whole training step 0.96-1.07x (~4% of it, inside load 13's
    # spread; BENCHMARKS.md, issue 11, rawlstm).
    if (x.dtype != w_ih.dtype or x.dtype != w_hh.dtype
            or (features + hidden) * 4 * hidden * x.dtype.itemsize > MAX_FED_WEIGHT_BYTES
            or not products_take_panels(steps * batch, features, 4 * hidden, x.dtype)
            or not panels_pay(batch) or not in_step(lengths, steps, reverse)):
        return 0
    parts = lstm_loop_parts(batch, hidden, MIN_UNITS_FORWARD_STEP_MACS)
    return parts if parts == 1 or rows_split_pays(batch, parts) else 0


def lstm_fed_forward(x: Array, h0: Array, c0: Array, w_ih: Array, bias: Array | None,
                     w_hh: Array, lengths: Array, reverse: bool, parts: int) -> tuple:
    """out (T, N, H), h_n, c_n and the saved activations of `lstm_team_forward` (h_prev None
    unless needed), for x (T, N, F), w_ih (4H, F), bias (4H,) (b_ih + b_hh) or None, as
    `parts` threads split by sequence (`fed_loop_parts`)."""
    steps, batch, features = x.shape
    hidden = w_hh.shape[1]
    dtype = x.dtype
    save_h_prev = not in_step(lengths, steps, reverse)  # (False: fed_loop_parts checked it)
    out, h_n, c, gates, c_prev, tanh_c, h_prev = rows_forward_buffers(
        steps, batch, hidden, dtype, c0, save_h_prev)
    h0 = np.ascontiguousarray(h0, dtype=dtype)
    x = np.ascontiguousarray(x)
    w_ih = np.ascontiguousarray(w_ih)
    w_hh = np.ascontiguousarray(w_hh)
    has_bias = bias is not None
    bias_row = np.ascontiguousarray(bias, dtype) if has_bias else np.zeros(4 * hidden, dtype)
    bias_rows = np.broadcast_to(bias_row, (batch, 4 * hidden))
    w_ih_panels = line_aligned(panels_shape(features, 4 * hidden, dtype), dtype)
    w_panels = line_aligned(panels_shape(hidden, 4 * hidden, dtype), dtype)

    def run_part(part, parts, flags):
        lstm_forward_fed(x, w_ih, w_ih_panels, bias_rows, has_bias, w_hh, w_panels, lengths,
                         reverse, h0, h_n, c, out, gates, c_prev, tanh_c, h_prev, part, parts,
                         flags, save_h_prev, BLOCK)

    with seqlab_computing():
        run_team(parts, run_part)
    activations = (gates, c_prev, tanh_c, h_prev if save_h_prev else None, out, h0.copy())
    return out, h_n, c, activations
