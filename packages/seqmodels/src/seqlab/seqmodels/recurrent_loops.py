"""The time loop of each cell kind over an input projection, on plain ndarrays: one forward and
one backward per kind, all with the same signature, so the cell-kind table can hold them.

forward(xg, h0, c0, w_hh, b_hh, lengths, reverse, ids, save) -> (out, h_n, c_n, activations):
    xg (T, N, G*H) holds the input projection with its biases (GRU: b_ih only; b_hh, which
    sits inside its reset gate, comes in here), or with ids (T, N) it is a (R, G*H) table read
    at rows ids[t, n]; h0, c0 (N, H) (c0, c_n None but for LSTM); lengths (N,) int64 in [1, T].
    `save=False` says no backward will run: the LSTM and GRU loops then store only out
    (activations None; H floats written per sequence and step instead of 7H / 6H); RNN keeps
    its (out and h_prev) either way.
backward(activations, w_hh, lengths, reverse, ids, table_rows, d_out, d_hn, d_cn,
         reuse_saved=False)
    -> (d_xg, dh0, dc0, dw_hh, db_hh): d_xg is the table's gradient (table_rows, G*H) when the
    forward read one; dc0 only for LSTM, db_hh only for GRU (else None). `reuse_saved` says
    nothing reads the activations again: the LSTM loop then writes its gate gradients over
    the saved gates (d_xg is that array; 8 MiB a layer fewer to fetch and write at H = 256,
    batch 32 x 64); GRU and RNN keep theirs as they are.

The LSTM loop runs as a team of threads (`seqlab.autograd.threads`) and reads a table in
place. A training loop (`save`) whose parts get 8 or more sequences each splits the batch
(`kernels.recurrent_lstm_rows`: no barrier inside the time loop); otherwise, and always without
`save`, each part owns a block of hidden units and the parts meet once per step (a training
loop only where a step has work enough for the meet, `lstm_loop_parts`). GRU and RNN
training loops split the batch the same way when each step has enough work (`rows_team`,
`recurrent_rows_teams`, reading a table in place; also when each part's whole loop has
enough, `loop_rows_team`); otherwise, and without `save`, they run on one thread and
gather first.
"""

from __future__ import annotations

import numba
import numpy as np

from seqlab.autograd.kernels.embedding import embedding_backward
from seqlab.autograd.kernels.panel_gemm import panels_pay, panels_shape
from seqlab.autograd.kernels.recurrent_blas import transposed
from seqlab.autograd.kernels.recurrent_gru import gru_backward_into, gru_forward_into
from seqlab.autograd.kernels.recurrent_gru_rows import column_sums_into
from seqlab.autograd.kernels.recurrent_lstm import lstm_backward_part, lstm_forward_part
from seqlab.autograd.kernels.recurrent_lstm_rows import (
    lstm_backward_rows,
    lstm_forward_rows,
    rows_split_pays,
)
from seqlab.autograd.kernels.recurrent_rnn import (
    loop_panels_pay,
    rnn_backward,
    rnn_backward_into,
    rnn_forward,
    rnn_forward_into,
)
from seqlab.autograd.kernels.unit_blocks import gate_rows, unit_block
from seqlab.autograd.threads import matmul, run_team, team_size, threads_for
from seqlab.autograd.workspace import empty
from seqlab.seqmodels.around_products import recurrent_weight_grad
from seqlab.seqmodels.recurrent_rows_teams import (
    gru_rows_backward,
    gru_rows_forward,
    rnn_rows_backward,
    rnn_rows_forward,
    rows_of,
    table_room,
    table_row_of,
)
from seqlab.seqmodels.rows_hh_grad import hh_grad_in_team

Array = np.ndarray
# what the LSTM loops get instead of packed panels when BLAS does their per-step products
_NO_PANELS = {dtype: np.empty((0, 1, 1), dtype) for dtype in (np.float32, np.float64)}
# what an LSTM loop without `save` gets for the activations it does not keep
_UNSAVED = {dtype: np.empty((1, 1, 1), dtype) for dtype in (np.float32, np.float64)}


def line_aligned(shape, dtype, fill=None) -> Array:
    """An array starting on a 64-byte line (parts of a team write rows side by side: no
    false sharing at block edges), its memory reused from the step before (`workspace`);
    `fill` copied in when given."""
    array = empty(shape, dtype)
    if fill is not None:
        array[...] = fill
    return array


def in_step(lengths: Array, steps: int, reverse: bool) -> bool:
    """Whether every sequence reads the same time at each step of the loop."""
    return not reverse or bool((lengths == steps).all())


def lstm_team_forward(xg, h0, c0, w_hh, lengths, reverse, parts, ids=None, save=True):
    """The LSTM time loop as `parts` threads over xg (T, N, 4H), or over table[ids] when ids
    (T, N) is given and xg is a (R, 4H) table: out, h_n, c_n and the saved activations
    (gates, c_prev, tanh_c, h_prev, out, h0); h_prev is None when `out` and h0 give it.
    Without `save` (no backward will run) the activations are None: the loop stores only out."""
    x_rows, row_of = rows_of(xg, ids)
    steps, batch = row_of.shape
    gate_width = x_rows.shape[1]
    hidden = gate_width // 4
    dtype = x_rows.dtype
    save_h_prev = save and not in_step(lengths, steps, reverse)
    if save and rows_split_pays(batch, parts):
        return _lstm_rows_forward(x_rows, row_of, h0, c0, w_hh, lengths, reverse, parts,
                                  save_h_prev)
    # every array the parts write side by side starts on a cache line (unit_blocks)
    out = line_aligned((steps, batch, hidden), dtype)
    if save:
        c_prev, tanh_c = (line_aligned((steps, batch, hidden), dtype) for _ in range(2))
        h_prev = line_aligned((steps if save_h_prev else 1, batch, hidden), dtype)
        gates = line_aligned((steps, batch, gate_width), dtype)
    else:  # placeholders the loop never reads (no allocation: batch-1 inference counts us)
        c_prev = tanh_c = h_prev = gates = _UNSAVED[dtype.type]
    h_buf = line_aligned((2, batch, hidden), dtype)
    h_buf[0] = h0
    c = line_aligned(c0.shape, dtype, c0)
    w_hh = np.ascontiguousarray(w_hh)
    w_parts = [w_hh if parts == 1 else gate_rows(w_hh, 4, *unit_block(hidden, part, parts))
               for part in range(parts)]
    w_panels = [line_aligned(panels_shape(hidden, 4 * (stop - start), dtype), dtype)
                if panels_pay(batch) else _NO_PANELS[dtype.type]
                for start, stop in (unit_block(hidden, part, parts) for part in range(parts))]

    def run_part(part, parts, flags):
        lstm_forward_part(x_rows, row_of, w_parts[part], w_panels[part], lengths, reverse, h_buf,
                          c, out, gates, c_prev, tanh_c, h_prev, part, parts, flags,
                          save_h_prev, save)

    run_team(parts, run_part)
    if not save:
        return out, h_buf[steps % 2].copy(), c, None
    activations = (gates, c_prev, tanh_c, h_prev if save_h_prev else None, out, h0.copy())
    return out, h_buf[steps % 2].copy(), c, *activations


def lstm_team_backward(activations, w_hh, lengths, reverse, d_out, d_hn, d_cn, parts, ids=None,
                       table_rows=0, reuse_saved=False):
    """Backward of `lstm_team_forward` as `parts` threads: d_xg, d_h0, d_c0, dW_hh, and the
    gradient of the (table_rows, 4H) table when the forward read one at ids (else None).
    With `reuse_saved` d_xg is the saved gates' array, overwritten (no one reads it again)."""
    gates, c_prev, tanh_c = activations[:3]
    batch, hidden = d_hn.shape
    dtype = gates.dtype
    if rows_split_pays(batch, parts):
        return _lstm_rows_backward(activations, w_hh, lengths, reverse, d_out, d_hn, d_cn,
                                   parts, ids, table_rows, reuse_saved)
    d_xg, d_table, row_of, same_time, dh, dc = _backward_rooms(activations, lengths, reverse,
                                                               d_hn, d_cn, ids, table_rows,
                                                               reuse_saved)
    d_step_buf = line_aligned((2, batch, 4 * hidden), dtype)  # unused when same_time
    units = [unit_block(hidden, part, parts) for part in range(parts)]
    w_hh = np.ascontiguousarray(w_hh)
    if panels_pay(batch):  # room for W_hh's columns of each part's units, packed by the part
        w_panels = [line_aligned(panels_shape(4 * hidden, stop - start, dtype), dtype)
                    for start, stop in units]
        w_t_parts = [np.empty((0, 4 * hidden), dtype)] * parts
    else:  # each part's rows of W_hh^T, a contiguous block, for BLAS
        w_t = transposed(w_hh)
        w_t_parts = [w_t[start:stop] for start, stop in units]
        w_panels = [_NO_PANELS[dtype.type]] * parts

    def run_part(part, parts, flags):
        lstm_backward_part(gates, c_prev, tanh_c, w_t_parts[part], w_hh, w_panels[part], lengths,
                           reverse, d_out, d_hn, dc, d_xg, d_step_buf, dh, part, parts, flags,
                           same_time, row_of, d_table, reuse_saved)

    run_team(parts, run_part)
    return _backward_result(activations, d_xg, dh, dc, d_table, ids, same_time, reverse)


def _backward_rooms(activations, lengths, reverse, d_hn, d_cn, ids, table_rows,
                    reuse_saved) -> tuple:
    """What both LSTM team backwards start from: room for d_xg (the saved gates themselves
    with `reuse_saved`), the table's gradient (or none), the table row each (step, sequence)
    read, whether h_prev is read in the step (`in_step`), dh, and dc holding d_c_n."""
    gates = activations[0]
    dtype = gates.dtype
    d_xg = gates if reuse_saved else line_aligned(gates.shape, dtype)
    d_table = table_room(ids, table_rows, gates.shape[2], dtype)
    same_time = in_step(lengths, gates.shape[0], reverse)
    dh = line_aligned(d_hn.shape, dtype)
    dc = line_aligned(d_cn.shape, dtype, d_cn)
    return d_xg, d_table, table_row_of(ids), same_time, dh, dc


def _backward_result(activations, d_xg, dh, dc, d_table, ids, same_time, reverse) -> tuple:
    """d_xg, d_h0, d_c0, dW_hh (formed after the team from the saved h_prev, or from the
    outputs shifted a step) and the table's gradient (None without a table)."""
    h_prev, out, h0 = activations[3:]
    previous = out if h_prev is None else h_prev
    dw_hh = recurrent_weight_grad(d_xg, previous, h0, same_time, reverse)
    return d_xg, dh, dc, dw_hh, (d_table if ids is not None else None)


def rows_forward_buffers(steps: int, batch: int, hidden: int, dtype, c0: Array,
                         save_h_prev: bool) -> tuple:
    """The arrays an LSTM training forward split by sequence writes (out, h_n, c (from c0),
    gates, c_prev, tanh_c, h_prev: every one the parts write side by side on a cache line)."""
    out = line_aligned((steps, batch, hidden), dtype)
    c_prev, tanh_c = (line_aligned((steps, batch, hidden), dtype) for _ in range(2))
    h_prev = line_aligned((steps if save_h_prev else 1, batch, hidden), dtype)
    gates = line_aligned((steps, batch, 4 * hidden), dtype)
    h_n = np.empty((batch, hidden), dtype)
    c = line_aligned(c0.shape, dtype, c0)
    return out, h_n, c, gates, c_prev, tanh_c, h_prev


def _lstm_rows_forward(x_rows, row_of, h0, c0, w_hh, lengths, reverse, parts, save_h_prev,
                       before_loop=None):
    """`lstm_team_forward` (with save) as a team split by sequence (`recurrent_lstm_rows`);
    each part calls before_loop(part, parts, flags) first when given (`rows_layer`: the part
    projects its own sequences' inputs; `flags`: the team's, for its meets)."""
    steps, batch = row_of.shape
    hidden = x_rows.shape[1] // 4
    dtype = x_rows.dtype
    out, h_n, c, gates, c_prev, tanh_c, h_prev = rows_forward_buffers(
        steps, batch, hidden, dtype, c0, save_h_prev)
    h0 = np.ascontiguousarray(h0, dtype=dtype)
    w_hh = np.ascontiguousarray(w_hh)
    w_panels = line_aligned(panels_shape(hidden, 4 * hidden, dtype), dtype)

    def run_part(part, parts, flags):
        if before_loop is not None:
            before_loop(part, parts, flags)
        lstm_forward_rows(x_rows, row_of, w_hh, w_panels, lengths, reverse, h0, h_n, c, out,
                          gates, c_prev, tanh_c, h_prev, part, parts, flags, save_h_prev)

    run_team(parts, run_part)
    return (out, h_n, c, gates, c_prev, tanh_c, h_prev if save_h_prev else None, out,
            h0.copy())


def _lstm_rows_backward(activations, w_hh, lengths, reverse, d_out, d_hn, d_cn, parts, ids,
                        table_rows, reuse_saved, after_loop=None):
    """`lstm_team_backward` as a team split by sequence (`recurrent_lstm_rows`). With
    `after_loop`, each part calls after_loop(part, parts, flags, d_xg, d_xg) once its loop is
    done, and dW_hh is left to it (None in the result; `rows_layer` forms the weight gradients
    inside the team). Without it the parts form dW_hh after their loops where the product
    would split as many ways (`rows_hh_grad`: the same bits), else it is formed after the team."""
    own_hh_grad = None if after_loop is not None else hh_grad_in_team(activations, reverse, parts)
    if own_hh_grad is not None:
        after_loop = own_hh_grad[0]
    gates, c_prev, tanh_c = activations[:3]
    batch, hidden = d_hn.shape
    dtype = gates.dtype
    d_xg, d_table, row_of, same_time, dh, dc = _backward_rooms(activations, lengths, reverse,
                                                               d_hn, d_cn, ids, table_rows,
                                                               reuse_saved)
    d_step_buf = line_aligned((1, batch, 4 * hidden), dtype)  # unused when same_time
    w_hh = np.ascontiguousarray(w_hh)
    w_panels = line_aligned(panels_shape(4 * hidden, hidden, dtype), dtype)

    def run_part(part, parts, flags):
        lstm_backward_rows(gates, c_prev, tanh_c, w_hh, w_panels, lengths, reverse, d_out,
                           d_hn, dc, d_xg, d_step_buf, dh, part, parts, flags, same_time,
                           row_of, d_table, reuse_saved)
        if after_loop is not None:
            after_loop(part, parts, flags, d_xg, d_xg)

    run_team(parts, run_part)
    if own_hh_grad is not None:
        return d_xg, dh, dc, own_hh_grad[1], (d_table if ids is not None else None)
    if after_loop is not None:
        return d_xg, dh, dc, None, (d_table if ids is not None else None)
    return _backward_result(activations, d_xg, dh, dc, d_table, ids, same_time, reverse)


# A training LSTM loop split by hidden units (a batch too small to split by sequence,
# `rows_split_pays`) meets its partner every step; it runs as a team only from this many
# multiply-adds of h @ W_hh^T a step (batch * 4H * H), forward and backward alike, else on one
# thread (the same bits: each unit's sums are the same either way). Loops alone, 64 steps,
# float32, AMD EPYC Zen 4 at load 5-11 on 2 cores, critical path (the slowest part's thread
# CPU, spin-waits included) one thread / two parts, in one process alternating, three runs
# (`benchmarks/lstm_units_split_loops.py`, BENCHMARKS.md, issue 11, lentrain2): from 2^20 it
# won at every reading but one (batch 4 H 256 forward 1.16-1.18x, backward 1.07-1.09x; batch 1
# H 512 4.5-5.2x / 3.2-3.8x; batch 2 H 384 0.84-1.67x / 1.95-2.65x; batch 8 H 256, 4 / 8 H 512,
# two runs, 1.16-1.65x / 1.11-1.43x); at 2^19 it lost or was mixed (batch 8 H 128 0.81-0.92x
# forward, 0.77-0.93x backward: edge-lstm-t512's loops; batch 2 H 256 backward 0.81-1.05x;
# batch 1 H 384 0.91-1.36x / 0.73-1.23x); at 2^18 it lost
# (batch 4 H 128 0.42-0.69x / 0.47-0.67x, batch 1 H 256 0.66-0.90x / 0.69-0.86x), where the
# old rule (forward 2^19, backward 2^18, from smalltrain's figures with both threads' CPU
# halved: the team's best case, not its spin-waits) split the backward. Forward and backward
# keep two names for the tests and `rows_layer` that read them.
MIN_UNITS_FORWARD_STEP_MACS = 1 << 20
MIN_UNITS_BACKWARD_STEP_MACS = 1 << 20


def lstm_loop_parts(batch: int, hidden: int, min_step_macs: int) -> int:
    """How many parts a training LSTM loop over `batch` sequences of `hidden` units runs as:
    `team_size`, but one where the team would split units (not sequences) of a step under
    `min_step_macs` multiply-adds. Shapes and the thread count only."""
    parts = team_size(hidden)
    split_units = parts > 1 and not rows_split_pays(batch, parts)
    return 1 if split_units and 4 * batch * hidden * hidden < min_step_macs else parts


def lstm_rows_parts(steps: int, batch: int, w_hh: Array) -> int:
    """How many parts a training LSTM loop with recurrent weights `w_hh` (4H, H) splits its
    `batch` sequences into by sequence (1: it does not; it splits units or runs alone): the
    `lstm_loop_parts` team where it takes the rows split. `steps` is unread (the signature is
    `CellKind.rows_parts`', as `loop_rows_team`'s)."""
    parts = team_size(w_hh.shape[1])
    return parts if rows_split_pays(batch, parts) else 1


def lstm_loop_forward(xg, h0, c0, w_hh, b_hh, lengths, reverse, ids, save=True):
    """The LSTM loop (b_hh is already in xg), as a team sized for its hidden units."""
    c0 = np.ascontiguousarray(c0, dtype=xg.dtype)
    batch = h0.shape[0]
    parts = (lstm_loop_parts(batch, w_hh.shape[1], MIN_UNITS_FORWARD_STEP_MACS) if save
             else team_size(w_hh.shape[1]))
    out, h_n, c_n, *activations = lstm_team_forward(xg, h0, c0, w_hh, lengths, reverse,
                                                    parts, ids, save)
    return out, h_n, c_n, (tuple(activations) if save else None)


def lstm_loop_backward(activations, w_hh, lengths, reverse, ids, table_rows, d_out, d_hn, d_cn,
                       reuse_saved=False):
    """Backward of `lstm_loop_forward`; the team adds into the table's gradient itself."""
    d_xg, dh0, dc0, dw_hh, d_table = lstm_team_backward(
        activations, w_hh, lengths, reverse, d_out, d_hn, d_cn,
        lstm_loop_parts(d_hn.shape[0], w_hh.shape[1], MIN_UNITS_BACKWARD_STEP_MACS), ids,
        table_rows, reuse_saved)
    return (d_xg if d_table is None else d_table), dh0, dc0, dw_hh, None


# Split GRU and RNN training loops by sequence only from this many multiply-adds per sequence
# and step (G * H * H: GRU from H = 105, RNN from H = 182). Loops alone at batch 32 x 64 on 2
# threads (AMD EPYC Zen 4, BENCHMARKS.md): GRU H = 128-512 and RNN H = 256-512 take the same
# CPU time split or not and their critical path falls 1.6-1.9x; at GRU H = 64 and RNN H = 64 /
# 128 the two team starts and barriers cost 15-40% more CPU for a gain of at most 1.3x.
MIN_SPLIT_MACS = 1 << 15


def rows_team(batch: int, w_hh: Array) -> int:
    """How many parts a GRU or RNN training loop over `batch` sequences with recurrent weights
    `w_hh` (G * H, H) runs as, split by sequence (`recurrent_rows_teams`); 1: the single-thread
    loop. The split needs 8 sequences a part (`rows_split_pays`) and `MIN_SPLIT_MACS` (w_hh's
    multiply-adds a sequence and step)."""
    if w_hh.size < MIN_SPLIT_MACS:
        return 1
    parts = team_size(w_hh.shape[1])
    return parts if rows_split_pays(batch, parts) else 1


# A GRU or RNN training loop under MIN_SPLIT_MACS a step splits by sequence too when each
# part's whole loop holds this many multiply-adds (steps x sequences a part x G*H x H) and the
# one-thread loop takes the panels both ways (`loop_panels_pay` for its forward's G*H columns
# and its backward's H: the split's per-step products are the same panel products, so one
# thread and two give the same bits). Whole training steps on 2 threads, AMD EPYC Zen 4,
# float32, F 40, critical path (each split counted as its slowest thread, CPU time; the
# machine was loaded), one thread -> split: RNN H 128 batch 32 x 64 1.16-1.62x, batch 64
# 1.67x, batch 128 1.79x, batch 16 1.08-1.18x; RNN H 64 batch 64 / 128 1.48-1.80x; RNN
# float64 1.61x; GRU H 64 batch 32 1.30x, batch 24 1.17x, batch 64 1.31x. Under it they lost
# or tied: RNN H 128 batch 32 x 16 steps 0.91x, x 8 0.91x; RNN H 64 batch 32 0.98-1.05x,
# batch 16 0.88x; GRU H 64 batch 16 1.05x (BENCHMARKS.md, issue 11, rawtrain).
MIN_PART_LOOP_MACS = 1 << 23


def loop_rows_team(steps: int, batch: int, w_hh: Array) -> int:
    """`rows_team` for a GRU or RNN training loop of `steps` steps, which also splits where
    each part's loop holds `MIN_PART_LOOP_MACS` and the one-thread loop would take the panels
    both ways."""
    parts = rows_team(batch, w_hh)
    if parts > 1:
        return parts
    hidden = w_hh.shape[1]
    parts = team_size(hidden)
    if (not rows_split_pays(batch, parts)
            or not loop_panels_pay(batch, hidden, w_hh.shape[0], w_hh.dtype)
            or not loop_panels_pay(batch, hidden, hidden, w_hh.dtype)):
        return 1
    return parts if steps * (batch // parts) * w_hh.size >= MIN_PART_LOOP_MACS else 1


def gru_loop_forward(xg, h0, c0, w_hh, b_hh, lengths, reverse, ids, save=True):
    """The GRU loop; b_hh (inside the reset gate) is added per step. A training loop (`save`)
    runs as a team split by sequence when `loop_rows_team` says so, else on one thread."""
    steps, batch = (xg if ids is None else ids).shape[:2]
    parts = loop_rows_team(steps, batch, w_hh) if save else 1
    if parts > 1:
        return gru_rows_forward(xg, h0, w_hh, b_hh, lengths, reverse, ids, parts)
    xg = _gathered(xg, ids)
    steps, batch, gate_width = xg.shape
    hidden = w_hh.shape[1]
    bias = np.zeros(3 * hidden, xg.dtype) if b_hh is None else np.ascontiguousarray(b_hh)
    kept = steps if save else 1
    out, hidden_n, h_prev = (line_aligned((n, batch, hidden), xg.dtype)
                             for n in (steps, kept, kept))
    gates = line_aligned((kept, batch, gate_width), xg.dtype)
    h_n = gru_forward_into(xg, h0, transposed(w_hh), bias, lengths, reverse, save, out, gates,
                           hidden_n, h_prev,
                           _loop_panels(batch, hidden, gate_width, w_hh, training=save))
    return out, h_n, None, ((gates, hidden_n, h_prev) if save else None)


def _gathered(xg, ids):
    """xg itself, or the (T, N, G) rows of the table xg read at ids."""
    if ids is None:
        return xg
    rows = line_aligned((*ids.shape, xg.shape[1]), xg.dtype)
    np.take(xg, ids, axis=0, out=rows, mode="clip")  # ids checked; "raise" copies out
    return rows


def _table_gradient(d_xg, ids, table_rows):
    """The (table_rows, G) gradient of a table read at ids, from the gradient of what was read."""
    d_table = np.empty((table_rows, d_xg.shape[2]), d_xg.dtype)
    embedding_backward(d_xg.reshape(-1, d_xg.shape[2]), ids.reshape(-1), -1, d_table)
    return d_table


def _weight_grad(d_h, h_prev):
    """dW_hh from the gradients of the hidden projection at every step."""
    d_h_flat = d_h.reshape(-1, d_h.shape[2])
    return matmul(d_h_flat.T, h_prev.reshape(-1, h_prev.shape[2]))


def gru_loop_backward(activations, w_hh, lengths, reverse, ids, table_rows, d_out, d_hn, d_cn,
                      reuse_saved=False):
    """Backward of `gru_loop_forward`, with db_hh (its activations are left as they are,
    `reuse_saved` or not)."""
    gates, hidden_n, h_prev = activations
    parts = loop_rows_team(*gates.shape[:2], w_hh)
    if parts > 1:
        return gru_rows_backward(activations, w_hh, lengths, reverse, ids, table_rows, d_out,
                                 d_hn, parts)
    d_xg, d_h = (line_aligned(gates.shape, gates.dtype) for _ in range(2))
    hidden = w_hh.shape[1]
    dh0 = gru_backward_into(gates, hidden_n, h_prev, np.ascontiguousarray(w_hh), lengths,
                            reverse, d_out, d_hn, d_xg, d_h,
                            _loop_panels(gates.shape[1], 3 * hidden, hidden, w_hh,
                                         training=True))
    dw_hh = _weight_grad(d_h, h_prev)
    if ids is not None:
        d_xg = _table_gradient(d_xg, ids, table_rows)
    return d_xg, dh0, None, dw_hh, _column_sums(d_h)


def _column_sums(d: Array) -> Array:
    """d (T, N, G) summed over every (t, n), as the GRU team's parts sum their blocks of db_hh
    (`column_sums_into`: added up in float64, in time then sequence order), so that a loop on
    one thread and a team give the same bits (NumPy's float32 sum gave others). Under
    NUMBA_DISABLE_JIT, where no team runs, NumPy's float64 sum (the same to round-off)."""
    sums = np.empty(d.shape[2], d.dtype)
    if numba.config.DISABLE_JIT:
        sums[:] = d.reshape(-1, d.shape[2]).sum(axis=0, dtype=np.float64)
    else:
        column_sums_into(d, sums, 0, d.shape[2])
    return sums


def rnn_loop_forward(xg, h0, c0, w_hh, b_hh, lengths, reverse, ids, save=True,
                     relu=False):
    """The Elman RNN loop (tanh, or relu); b_hh is already in xg. A training loop (`save`)
    runs as a team split by sequence when `loop_rows_team` says so, else on one thread."""
    steps, batch = (xg if ids is None else ids).shape[:2]
    parts = loop_rows_team(steps, batch, w_hh) if save else 1
    if parts > 1:
        return rnn_rows_forward(xg, h0, w_hh, lengths, reverse, ids, relu, parts)
    xg = _gathered(xg, ids)
    panels = _loop_panels(xg.shape[1], *w_hh.shape, w_hh, training=save)
    if not _reuses_blocks(xg):
        out, h_n, h_prev = rnn_forward(xg, h0, transposed(w_hh), lengths, reverse, relu, panels)
        return out, h_n, None, (out, h_prev)
    out, h_prev = (line_aligned(xg.shape, xg.dtype) for _ in range(2))
    h_n = rnn_forward_into(xg, h0, transposed(w_hh), lengths, reverse, relu, out, h_prev,
                           panels)
    return out, h_n, None, (out, h_prev)


# The smallest (T, N, H) array for which the one-thread RNN loops write into workspace blocks
# (`rnn_forward_into`, `rnn_backward_into`) instead of allocating their own. The kernels' own
# arrays were faulted back in every training step from 1 MiB (float32 H 128 batch 32 x 64
# steps: 480 pages a step, batch 64: 992) but not at 256 or 512 KiB (batch 8, H 64: 0; malloc
# keeps those in its heap), where the workspace's Python calls (4-20 us an array) only cost:
# rnn-b8 read 1.03x main's CPU a step at 256 KiB (AMD EPYC Zen 4, one thread, load 9-12).
MIN_REUSED_BLOCK_BYTES = 1 << 20


def _reuses_blocks(array: Array) -> bool:
    """Whether the RNN loops take workspace blocks for arrays of `array`'s size (the same
    bits either way)."""
    return array.nbytes >= MIN_REUSED_BLOCK_BYTES


def _loop_panels(batch: int, depth: int, columns: int, w_hh: Array,
                 training: bool = False) -> Array:
    """Room for a one-thread GRU or RNN loop's per-step product packed into panels, a
    (depth, columns) matrix (W_hh^T forward, W_hh backward), when `loop_panels_pay` says so
    for `batch`, w_hh's H and `columns` (few padded); else none (BLAS or `rows_gemm`).

    A `training` loop (forward with save, or backward) that reaches here runs on one thread
    whatever seqlab's thread count (`rows_team` gave it one part, and BLAS runs on one thread
    inside `seqlab_computing`), so it takes the panels as the one-thread setting does: with
    two threads set it ran on one-thread BLAS instead (forward + backward loops, 2 threads
    set, AMD EPYC, CPU time BLAS / panels: GRU H 256 batch 8 1.14x, RNN H 256 batch 8 1.10-
    1.16x, RNN H 128 batch 128 1.09x, GRU H 128 batch 8 1.06x; H 64-128 at batch 32 0.96-
    1.03x, BENCHMARKS.md), and now gives the one-thread setting's bits. A no-grad loop with
    two threads keeps BLAS (GRU inference at batch 32, H 128 on 2 threads: 922k elements/s
    on BLAS, 678k on panels)."""
    dtype = w_hh.dtype
    one_thread_only = training or threads_for(2) == 1
    if one_thread_only and loop_panels_pay(batch, w_hh.shape[1], columns, dtype):
        return line_aligned(panels_shape(depth, columns, dtype), dtype)
    return _NO_PANELS[dtype.type]


def rnn_loop_backward(activations, w_hh, lengths, reverse, ids, table_rows, d_out, d_hn, d_cn,
                      reuse_saved=False, relu=False):
    """Backward of `rnn_loop_forward` (its activations are left as they are, `reuse_saved`
    or not)."""
    out, h_prev = activations
    parts = loop_rows_team(*out.shape[:2], w_hh)
    if parts > 1:
        return rnn_rows_backward(activations, w_hh, lengths, reverse, ids, table_rows, d_out,
                                 d_hn, relu, parts)
    w_hh = np.ascontiguousarray(w_hh)
    panels = _loop_panels(out.shape[1], *w_hh.shape, w_hh, training=True)
    if _reuses_blocks(out):
        d_xg = line_aligned(out.shape, out.dtype)
        dh0 = rnn_backward_into(out, w_hh, lengths, reverse, relu, d_out, d_hn, d_xg, panels)
    else:
        d_xg, dh0 = rnn_backward(out, w_hh, lengths, reverse, relu, d_out, d_hn, panels)
    dw_hh = _weight_grad(d_xg, h_prev)
    if ids is not None:
        d_xg = _table_gradient(d_xg, ids, table_rows)
    return d_xg, dh0, None, dw_hh, None
