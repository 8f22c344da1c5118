"""One direction of one recurrent layer on plain ndarrays: the GEMMs around the fused time loops.

Forward: one GEMM projects every step's input, then the kernel runs the time loop. Backward: the
kernel runs the loop backwards and returns the gradients of the projected inputs; dx, dW_ih and
dW_hh are then one GEMM each over all steps. A layer's autograd Function only has to call
`*_layer_forward` in forward, keep `saved`, and call `*_layer_backward` in backward
(`need_input_grad=False` skips the dx GEMM; None output gradients count as zeros).
Shapes: x (T, N, F), states (N, H), w_ih (G*H, F), w_hh (G*H, H), biases (G*H,) or None,
lengths (N,) ints in [1, T] or None (all T); outputs at the original time index in both directions.
"""

from typing import NamedTuple

import numpy as np

from seqlab.autograd.threads import matmul, matmuls, run_team, seqlab_computing, team_size

from .embedding import embedding_backward
from .recurrent_blas import transposed
from .recurrent_gru import gru_backward, gru_forward
from .recurrent_lstm import lstm_backward_part, lstm_forward_part
from .recurrent_rnn import rnn_backward, rnn_forward
from .unit_blocks import gate_rows, line_aligned, unit_block

Array = np.ndarray
_FLOAT_TYPES = (np.float32, np.float64)


class LayerSaved(NamedTuple):
    """What a `*_layer_backward` needs: the layer input, its weights and the time loop's state."""

    x: np.ndarray
    w_ih: np.ndarray
    has_bias: bool
    loop: "ProjectedSaved"


def check_lengths(lengths: Array | None, steps: int, batch: int) -> Array:
    """Return lengths as a contiguous int64 (N,) array, all T when None; ValueError if invalid."""
    if lengths is None:
        return np.full(batch, steps, dtype=np.int64)
    lengths = np.ascontiguousarray(lengths, dtype=np.int64)
    if lengths.shape != (batch,):
        raise ValueError(
            f"lengths must have one entry per sequence, shape ({batch},); got shape {lengths.shape}"
        )
    if batch and (lengths.min() < 1 or lengths.max() > steps):
        raise ValueError(
            f"lengths must lie in [1, {steps}] (the number of time steps); "
            f"got min {lengths.min()}, max {lengths.max()}"
        )
    return lengths


def _check_inputs(x, states, w_ih, w_hh, biases, gate_count: int) -> tuple[int, int, int, int]:
    if x.ndim != 3:
        raise ValueError(f"x must be (T, N, F); got shape {x.shape}")
    steps, batch, features = x.shape
    hidden = w_hh.shape[1]
    if x.dtype.type not in _FLOAT_TYPES:
        raise ValueError(f"x must be float32 or float64; got {x.dtype}")
    if w_ih.shape != (gate_count * hidden, features) or w_hh.shape != (gate_count * hidden, hidden):
        raise ValueError(
            f"expected w_ih {(gate_count * hidden, features)} and w_hh "
            f"{(gate_count * hidden, hidden)}; got {w_ih.shape} and {w_hh.shape}"
        )
    if (biases[0] is None) != (biases[1] is None):
        raise ValueError("b_ih and b_hh must both be arrays or both be None (bias=False)")
    for bias in biases:
        if bias is not None and bias.shape != (gate_count * hidden,):
            raise ValueError(f"biases must be ({gate_count * hidden},); got {bias.shape}")
    arrays = (*states, w_ih, w_hh, *(b for b in biases if b is not None))
    for array in arrays:
        if array.dtype != x.dtype:
            raise ValueError(f"all arrays must share x's dtype {x.dtype}; got one of {array.dtype}")
    for state in states:
        if state.shape != (batch, hidden):
            raise ValueError(f"states must be (N, H) = {(batch, hidden)}; got {state.shape}")
    return steps, batch, features, hidden


def _input_projection(x, w_ih, bias):
    """x @ w_ih^T + bias for all steps at once, as (T, N, G)."""
    steps, batch, features = x.shape
    xg = matmul(x.reshape(steps * batch, features), w_ih.T)
    if bias is not None:
        xg += bias
    return xg.reshape(steps, batch, -1)


def _input_grads(saved: LayerSaved, d_xg: Array, need_input_grad: bool):
    """dx, dW_ih and db_ih from the projected-input gradients (T, N, G): one GEMM each."""
    d_flat = d_xg.reshape(-1, d_xg.shape[2])
    x_flat = saved.x.reshape(-1, saved.x.shape[2])
    if need_input_grad:
        dx, dw_ih = matmuls([(d_flat, saved.w_ih), (d_flat.T, x_flat)])
        dx = dx.reshape(saved.x.shape)
    else:
        dx, dw_ih = None, matmul(d_flat.T, x_flat)
    db_ih = d_flat.sum(axis=0) if saved.has_bias else None
    return dx, dw_ih, db_ih


def _grad_or_zeros(grad, shape, dtype):
    if grad is None:
        return np.zeros(shape, dtype)
    return np.ascontiguousarray(grad, dtype=dtype)


def lstm_layer_forward(
    x: Array,
    h0: Array,
    c0: Array,
    w_ih: Array,
    w_hh: Array,
    b_ih: Array | None,
    b_hh: Array | None,
    lengths: Array | None = None,
    reverse: bool = False,
) -> tuple[Array, Array, Array, LayerSaved]:
    """Run one LSTM direction over x (T, N, F); return out (T, N, H), h_n, c_n, saved."""
    _check_inputs(x, (h0, c0), w_ih, w_hh, (b_ih, b_hh), 4)
    x = np.ascontiguousarray(x)
    xg = _input_projection(x, w_ih, None if b_ih is None else b_ih + b_hh)
    out, h_n, c_n, loop = projected_forward("lstm", xg, h0, c0, w_hh, None, lengths, reverse)
    return out, h_n, c_n, LayerSaved(x, w_ih, b_ih is not None, loop)


def lstm_layer_backward(
    saved: LayerSaved,
    d_out: Array | None,
    d_hn: Array | None,
    d_cn: Array | None,
    need_input_grad: bool = True,
) -> tuple[Array | None, ...]:
    """Gradients (dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh) of one LSTM direction."""
    d_xg, dh0, dc0, dw_hh, _ = projected_backward(saved.loop, d_out, d_hn, d_cn)
    dx, dw_ih, db_ih = _input_grads(saved, d_xg, need_input_grad)
    db_hh = db_ih.copy() if saved.has_bias else None
    return dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh


def gru_layer_forward(
    x: Array,
    h0: Array,
    w_ih: Array,
    w_hh: Array,
    b_ih: Array | None,
    b_hh: Array | None,
    lengths: Array | None = None,
    reverse: bool = False,
) -> tuple[Array, Array, LayerSaved]:
    """Run one GRU direction over x (T, N, F); return out (T, N, H), h_n, saved."""
    _check_inputs(x, (h0,), w_ih, w_hh, (b_ih, b_hh), 3)
    x = np.ascontiguousarray(x)
    xg = _input_projection(x, w_ih, b_ih)
    out, h_n, _, loop = projected_forward("gru", xg, h0, None, w_hh, b_hh, lengths, reverse)
    return out, h_n, LayerSaved(x, w_ih, b_ih is not None, loop)


def gru_layer_backward(
    saved: LayerSaved, d_out: Array | None, d_hn: Array | None, need_input_grad: bool = True
) -> tuple[Array | None, ...]:
    """Gradients (dx, dh0, dw_ih, dw_hh, db_ih, db_hh) of one GRU direction; None grads are 0."""
    d_xg, dh0, _, dw_hh, db_hh = projected_backward(saved.loop, d_out, d_hn)
    dx, dw_ih, db_ih = _input_grads(saved, d_xg, need_input_grad)
    return dx, dh0, dw_ih, dw_hh, db_ih, (db_hh if saved.has_bias else None)


def rnn_layer_forward(
    x: Array,
    h0: Array,
    w_ih: Array,
    w_hh: Array,
    b_ih: Array | None,
    b_hh: Array | None,
    lengths: Array | None = None,
    reverse: bool = False,
    nonlinearity: str = "tanh",
) -> tuple[Array, Array, LayerSaved]:
    """Run one Elman RNN direction (tanh or relu) over x (T, N, F); return out, h_n, saved."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu'; got {nonlinearity!r}")
    _check_inputs(x, (h0,), w_ih, w_hh, (b_ih, b_hh), 1)
    x = np.ascontiguousarray(x)
    xg = _input_projection(x, w_ih, None if b_ih is None else b_ih + b_hh)
    out, h_n, _, loop = projected_forward(f"rnn_{nonlinearity}", xg, h0, None, w_hh, None,
                                          lengths, reverse)
    return out, h_n, LayerSaved(x, w_ih, b_ih is not None, loop)


def rnn_layer_backward(
    saved: LayerSaved, d_out: Array | None, d_hn: Array | None, need_input_grad: bool = True
) -> tuple[Array | None, ...]:
    """Gradients (dx, dh0, dw_ih, dw_hh, db_ih, db_hh) of one RNN direction; None grads are 0."""
    d_xg, dh0, _, dw_hh, _ = projected_backward(saved.loop, d_out, d_hn)
    dx, dw_ih, db_ih = _input_grads(saved, d_xg, need_input_grad)
    db_hh = db_ih.copy() if saved.has_bias else None
    return dx, dh0, dw_ih, dw_hh, db_ih, db_hh


def _in_step(lengths: Array, steps: int, reverse: bool) -> bool:
    """Whether every sequence reads the same time at each step of the loop."""
    return not reverse or bool((lengths == steps).all())


def _rows_of(xg, ids):
    """(x_rows, row_of) for the LSTM kernels: xg (T, N, G) as T*N rows, or a (R, G) table read
    at ids (T, N)."""
    if ids is not None:
        return xg, ids
    steps, batch, gate_width = xg.shape
    return xg.reshape(steps * batch, gate_width), np.arange(steps * batch).reshape(steps, batch)


def _lstm_forward(xg, h0, c0, w_hh, lengths, reverse, parts, ids=None):
    """The LSTM time loop as `parts` threads over xg (T, N, 4H), or over table[ids] when ids
    (T, N) is given and xg is a (R, 4H) table: out, h_n, c_n and the saved activations
    (gates, c_prev, tanh_c, h_prev, out, h0); h_prev is None when `out` and h0 give it."""
    x_rows, row_of = _rows_of(xg, ids)
    steps, batch = row_of.shape
    gate_width = x_rows.shape[1]
    hidden = gate_width // 4
    dtype = x_rows.dtype
    save_h_prev = not _in_step(lengths, steps, reverse)
    # every array the parts write side by side starts on a cache line (unit_blocks)
    out, c_prev, tanh_c = (line_aligned((steps, batch, hidden), dtype) for _ in range(3))
    h_prev = line_aligned((steps if save_h_prev else 1, batch, hidden), dtype)
    gates = line_aligned((steps, batch, gate_width), dtype)
    h_buf = line_aligned((2, batch, hidden), dtype)
    h_buf[0] = h0
    c = line_aligned(c0.shape, dtype, c0)
    w_hh = np.ascontiguousarray(w_hh)
    w_parts = [w_hh if parts == 1 else gate_rows(w_hh, 4, *unit_block(hidden, part, parts))
               for part in range(parts)]

    def run_part(part, parts, flags):
        lstm_forward_part(x_rows, row_of, w_parts[part], lengths, reverse, h_buf, c, out, gates,
                          c_prev, tanh_c, h_prev, part, parts, flags, save_h_prev)

    run_team(parts, run_part)
    activations = (gates, c_prev, tanh_c, h_prev if save_h_prev else None, out, h0.copy())
    return out, h_buf[steps % 2].copy(), c, *activations


def _lstm_backward(activations, saved, d_out, d_hn, d_cn, parts, ids=None, table_rows=0):
    """Backward of `_lstm_forward` as `parts` threads: d_xg, d_h0, d_c0, dW_hh, and the
    gradient of the (table_rows, 4H) table when the forward read one at ids (else None)."""
    gates, c_prev, tanh_c, h_prev, out, h0 = activations
    batch, hidden = d_hn.shape
    dtype = gates.dtype
    d_xg = line_aligned(gates.shape, dtype)
    d_table = line_aligned((table_rows if ids is not None else 0, gates.shape[2]), dtype, 0)
    row_of = ids if ids is not None else np.empty((0, 0), np.int64)  # (d_table has no rows)
    dw_hh = line_aligned((4 * hidden, hidden), dtype)
    previous = out if h_prev is None else h_prev
    d_step_buf = line_aligned((2, batch, 4 * hidden), dtype)  # unused when in_step
    dh = line_aligned((batch, hidden), dtype)
    dc = line_aligned(d_cn.shape, dtype, d_cn)
    w_t = transposed(saved.w_hh)  # each part's rows of W_hh^T are a contiguous block
    w_t_parts = [w_t[slice(*unit_block(hidden, part, parts))] for part in range(parts)]

    in_step = _in_step(saved.lengths, gates.shape[0], saved.reverse)

    def run_part(part, parts, flags):
        lstm_backward_part(gates, c_prev, tanh_c, w_t_parts[part], saved.lengths, saved.reverse,
                           d_out, d_hn, dc, d_xg, d_step_buf, dh, part, parts, flags, in_step,
                           previous, h0, dw_hh, row_of, d_table)

    run_team(parts, run_part)
    return d_xg, dh, dc, dw_hh, (d_table if ids is not None else None)


class ProjectedSaved(NamedTuple):
    """What projected_backward needs: the time loop's saved activations and its settings."""

    mode: str
    w_hh: np.ndarray
    lengths: np.ndarray
    reverse: bool
    activations: tuple
    ids: np.ndarray | None = None  # (T, N) rows of a table the projection was read from
    table_rows: int = 0


def _check_ids(ids: Array, table: Array) -> Array:
    """ids as contiguous int64 (T, N) rows of a (R, G) table; ValueError if not."""
    if table.ndim != 2:
        raise ValueError(f"with ids, the input projection is a (rows, G*H) table; got shape "
                         f"{table.shape}")
    ids = np.array(ids, dtype=np.int64, order="C")  # a copy: backward reads it later
    if ids.ndim != 2:
        raise ValueError(f"ids must be (T, N) table rows; got shape {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= table.shape[0]):
        raise ValueError(f"ids must lie in [0, {table.shape[0]}) (the table's rows); got min "
                         f"{ids.min()} max {ids.max()}")
    return ids


def projected_forward(mode: str, xg: Array, h0: Array, c0: Array | None, w_hh: Array,
                      b_hh: Array | None, lengths: Array | None = None,
                      reverse: bool = False,
                      ids: Array | None = None) -> tuple[Array, Array, Array | None,
                                                         ProjectedSaved]:
    """The time loop alone, over an input projection computed elsewhere (T, N, G*H): the one
    place the forward kernels are called (the `*_layer_forward` functions project, then call it).

    For LSTM and RNN `xg` already holds both biases; for GRU it holds b_ih and `b_hh` (which
    sits inside the reset gate) is passed here. With `ids` (T, N), `xg` is a (R, G*H) table
    and step t of sequence n reads its row ids[t, n]: a language model's layer-0 projection is
    a (vocab, G*H) table instead of a GEMM over every embedded token. The LSTM loop reads the
    table in place; GRU and RNN gather it first. `mode` is 'lstm', 'gru', 'rnn_tanh' or
    'rnn_relu'.
    """
    xg = np.ascontiguousarray(xg)
    if ids is not None:
        ids = _check_ids(ids, xg)
    steps, batch = ids.shape if ids is not None else xg.shape[:2]
    hidden = w_hh.shape[1]
    lengths = check_lengths(lengths, steps, batch)
    h0 = np.ascontiguousarray(h0, dtype=xg.dtype)
    table_rows = xg.shape[0] if ids is not None else 0
    with seqlab_computing():
        if mode == "lstm":
            out, h_n, c_n, *activations = _lstm_forward(
                xg, h0, np.ascontiguousarray(c0, dtype=xg.dtype), w_hh, lengths, bool(reverse),
                team_size(hidden), ids)
        else:
            if ids is not None:
                xg = np.take(xg, ids, axis=0)
            if mode == "gru":
                bias = (np.zeros(3 * hidden, xg.dtype) if b_hh is None
                        else np.ascontiguousarray(b_hh))
                out, h_n, *activations = gru_forward(xg, h0, transposed(w_hh), bias,
                                                     lengths, bool(reverse))
                c_n = None
            else:
                out, h_n, h_prev = rnn_forward(xg, h0, transposed(w_hh), lengths,
                                               bool(reverse), mode == "rnn_relu")
                activations, c_n = [out, h_prev], None
    return out, h_n, c_n, ProjectedSaved(mode, w_hh, lengths, bool(reverse), tuple(activations),
                                         ids, table_rows)


def projected_backward(saved: ProjectedSaved, d_out: Array | None, d_hn: Array | None,
                       d_cn: Array | None = None) -> tuple[Array, Array, Array | None, Array,
                                                           Array | None]:
    """(d_xg, dh0, dc0, dw_hh, db_hh) of `projected_forward`; db_hh only for GRU, dc0 only
    for LSTM (else None). d_xg is the table's gradient (R, G*H) when the forward had ids."""
    acts = saved.activations
    mode = saved.mode
    steps, batch = acts[0].shape[:2]
    hidden = saved.w_hh.shape[1]
    dtype = acts[0].dtype
    d_out = _grad_or_zeros(d_out, (steps, batch, hidden), dtype)
    d_hn = _grad_or_zeros(d_hn, (batch, hidden), dtype)
    with seqlab_computing():
        if mode == "lstm":
            d_xg, dh0, dc0, dw_hh, d_table = _lstm_backward(
                acts, saved, d_out, d_hn, _grad_or_zeros(d_cn, (batch, hidden), dtype),
                team_size(hidden), saved.ids, saved.table_rows)
            return (d_xg if d_table is None else d_table), dh0, dc0, dw_hh, None
        h_prev = acts[-1]
        if mode == "gru":
            gates, hidden_n, _ = acts
            d_xg, d_h, dh0 = gru_backward(gates, hidden_n, h_prev,
                                          np.ascontiguousarray(saved.w_hh), saved.lengths,
                                          saved.reverse, d_out, d_hn)
        else:
            out, _ = acts
            d_xg, dh0 = rnn_backward(out, np.ascontiguousarray(saved.w_hh), saved.lengths,
                                     saved.reverse, mode == "rnn_relu", d_out, d_hn)
            d_h = d_xg
    d_h_flat = d_h.reshape(-1, d_h.shape[2])
    dw_hh = matmul(d_h_flat.T, h_prev.reshape(-1, hidden))
    db_hh = d_h_flat.sum(axis=0) if mode == "gru" else None
    if saved.ids is not None:
        d_table = np.empty((saved.table_rows, d_xg.shape[2]), dtype)
        embedding_backward(d_xg.reshape(-1, d_xg.shape[2]), saved.ids.reshape(-1), -1, d_table)
        d_xg = d_table
    return d_xg, dh0, None, dw_hh, db_hh
