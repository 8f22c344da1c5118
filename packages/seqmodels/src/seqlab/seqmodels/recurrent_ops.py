"""One direction of one recurrent layer on plain ndarrays: the GEMMs around the fused time loops.

Forward: one GEMM projects every step's input, then the kind's time loop runs
(`recurrent_loops`, chosen through `cell_kinds`). Backward: the loop runs backwards and returns
the gradients of the projected inputs; dx, dW_ih and dW_hh are then one GEMM each over all
steps. `layer_forward` / `layer_backward` serve every kind (the `lstm_`/`gru_`/`rnn_layer_*`
functions are the same with each kind's own arguments and return values); an autograd Function
calls `layer_forward` in forward, keeps `saved`, and calls `layer_backward` in backward
(`need_input_grad=False` skips the dx GEMM; None output gradients count as zeros).
Shapes: x (T, N, F), states (N, H), w_ih (G*H, F), w_hh (G*H, H), biases (G*H,) or None,
lengths (N,) ints in [1, T] or None (all T); outputs at the original time index in both directions.
"""

from typing import NamedTuple

import numba
import numpy as np

from seqlab.autograd.kernels.recurrent_blas import transpose_into
from seqlab.autograd.threads import matmul, seqlab_computing
from seqlab.seqmodels import rows_layer
from seqlab.seqmodels.around_products import input_and_weight_grads, project
from seqlab.seqmodels.cell_kinds import CELL_KINDS, CellKind
from seqlab.seqmodels.recurrent_fed import fed_loop_parts, lstm_fed_forward
from seqlab.seqmodels.recurrent_loops import (
    lstm_team_backward,
    lstm_team_forward,
)

Array = np.ndarray
_FLOAT_TYPES = (np.float32, np.float64)


def _lstm_forward(xg, h0, c0, w_hh, lengths, reverse, parts, ids=None):
    """The LSTM team loop (`recurrent_loops.lstm_team_forward`)."""
    return lstm_team_forward(xg, h0, c0, w_hh, lengths, reverse, parts, ids)


def _lstm_backward(activations, saved, d_out, d_hn, d_cn, parts, ids=None, table_rows=0):
    """The LSTM team loop's backward, with the settings `saved` holds."""
    return lstm_team_backward(activations, saved.w_hh, saved.lengths, saved.reverse, d_out,
                              d_hn, d_cn, parts, ids, table_rows)


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


def _input_projection(x, w_ih, bias, few_rows_transposed=False):
    """x @ w_ih^T + bias for all steps at once, as (T, N, G); `few_rows_transposed`: by
    `project_rows` (inference; the graph path keeps one GEMM orientation)."""
    steps, batch, features = x.shape
    x_flat = x.reshape(steps * batch, features)
    if few_rows_transposed:
        return project_rows(x_flat, w_ih, bias).reshape(steps, batch, -1)
    return project(x_flat, w_ih, bias).reshape(steps, batch, -1)


# Up to this many rows, x @ W^T runs faster as (W @ x^T)^T: OpenBLAS then packs W as it is
# rather than transposed for every call. One thread, AMD EPYC (Zen 4), W (1024, 256) float32,
# transpose included: 25 rows 268 -> 198 us, 64 rows 443 -> 375, 128 rows 921 -> 767; at 256
# rows 1.54 -> 1.73 ms (the transpose outgrows the gain).
FEW_ROWS = 128


def project_rows(x: Array, w: Array, bias: Array | None = None) -> Array:
    """x @ w^T (+ bias) for x (R, F) and w (G, F): as (w @ x^T)^T when R <= FEW_ROWS."""
    rows = x.shape[0]
    if rows > FEW_ROWS:
        out = matmul(x, w.T)
    else:
        out = np.empty((rows, w.shape[0]), np.result_type(x, w))
        product = matmul(w, x.T)  # (row blocks on seqlab's threads when large enough)
        if numba.config.DISABLE_JIT:
            np.copyto(out, product.T)
        else:
            transpose_into(product, out)
    if bias is not None:
        out += bias
    return out


def _input_grads(saved: LayerSaved, d_xg: Array, need_input_grad: bool):
    """dx, dW_ih and db_ih from the projected-input gradients (T, N, G): one GEMM each."""
    d_flat = d_xg.reshape(-1, d_xg.shape[2])
    x_flat = saved.x.reshape(-1, saved.x.shape[2])
    dx, dw_ih = input_and_weight_grads(d_flat, saved.w_ih, x_flat, need_input_grad)
    if dx is not None:
        dx = dx.reshape(saved.x.shape)
    db_ih = d_flat.sum(axis=0) if saved.has_bias else None
    return dx, dw_ih, db_ih


def _grad_or_zeros(grad, shape, dtype):
    if grad is None:
        return np.zeros(shape, dtype)
    return np.ascontiguousarray(grad, dtype=dtype)


def layer_forward(kind: CellKind | str, x: Array, h0: Array, c0: Array | None, w_ih: Array,
                  w_hh: Array, b_ih: Array | None, b_hh: Array | None,
                  lengths: Array | None = None, reverse: bool = False,
                  save: bool = True) -> tuple[Array, Array, Array | None, LayerSaved]:
    """Run one direction of a layer of `kind` over x (T, N, F): out (T, N, H), h_n, c_n (None
    but for LSTM), saved (`save=False`: no backward will run, see `projected_forward`)."""
    kind = CELL_KINDS[kind] if isinstance(kind, str) else kind
    states = (h0, c0) if kind.has_cell_state else (h0,)
    _check_inputs(x, states, w_ih, w_hh, (b_ih, b_hh), kind.gates)
    x = np.ascontiguousarray(x)
    fused_parts = rows_layer.forward_parts(kind.name, x, w_ih, w_hh, save)
    if fused_parts:  # projection and loop as one team (`rows_layer`)
        return _fused_layer_forward(kind, x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths, reverse,
                                    fused_parts)
    if save and kind.has_cell_state:  # the LSTM: its loop may project its input itself
        fed = _fed_forward(kind, x, h0, c0, w_ih, w_hh, kind.projection_bias(b_ih, b_hh),
                           lengths, reverse)
        if fed is not None:
            out, h_n, c_n, loop = fed
            return out, h_n, c_n, LayerSaved(x, w_ih, b_ih is not None, loop)
    xg = _input_projection(x, w_ih, kind.projection_bias(b_ih, b_hh),
                           few_rows_transposed=not save)
    loop_bias = b_hh if kind.hh_bias_in_loop else None
    out, h_n, c_n, loop = projected_forward(kind, xg, h0, c0, w_hh, loop_bias, lengths, reverse,
                                            save=save)
    return out, h_n, c_n, LayerSaved(x, w_ih, b_ih is not None, loop)


def _fused_layer_forward(kind, x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths, reverse, parts):
    """`layer_forward` (save) through `rows_layer.project_and_loop`."""
    steps, batch, _ = x.shape
    lengths = check_lengths(lengths, steps, batch)
    loop_bias = b_hh if kind.hh_bias_in_loop else None
    out, h_n, c_n, activations = rows_layer.project_and_loop(
        kind.name, x, h0, c0, w_ih, w_hh, kind.projection_bias(b_ih, b_hh), loop_bias, lengths,
        bool(reverse), parts)
    loop = ProjectedSaved(kind.name, w_hh, lengths, bool(reverse), activations)
    return out, h_n, c_n, LayerSaved(x, w_ih, b_ih is not None, loop)


def _fed_forward(kind, x, h0, c0, w_ih, w_hh, bias, lengths, reverse):
    """An LSTM training forward with its input projected inside the loop (`recurrent_fed`;
    the same bits as the projection and the loop apart): (out, h_n, c_n, ProjectedSaved), or
    None where that path is not taken."""
    steps, batch = x.shape[:2]
    lengths = check_lengths(lengths, steps, batch)
    parts = fed_loop_parts(x, w_ih, w_hh, lengths, bool(reverse))
    if not parts:
        return None
    h0 = np.ascontiguousarray(h0, dtype=x.dtype)
    c0 = np.ascontiguousarray(c0, dtype=x.dtype)
    out, h_n, c_n, activations = lstm_fed_forward(x, h0, c0, w_ih, bias, w_hh, lengths,
                                                  bool(reverse), parts)
    return out, h_n, c_n, ProjectedSaved(kind.name, w_hh, lengths, bool(reverse), activations)


def layer_backward(saved: LayerSaved, d_out: Array | None, d_hn: Array | None,
                   d_cn: Array | None = None, need_input_grad: bool = True,
                   reuse_saved: bool = False) -> tuple[Array | None, ...]:
    """Gradients (dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh) of `layer_forward`; dc0 is None
    but for LSTM, biases None without bias. `reuse_saved`: as `projected_backward`."""
    loop = saved.loop
    fused_parts = rows_layer.backward_parts(loop.mode, saved.x, saved.w_ih, loop.w_hh,
                                            loop.ids is not None, need_input_grad)
    if fused_parts:  # loop and the layer's gradients as one team (`rows_layer`)
        return _fused_layer_backward(saved, d_out, d_hn, d_cn, reuse_saved, fused_parts,
                                     need_input_grad)
    d_xg, dh0, dc0, dw_hh, db_hh = projected_backward(saved.loop, d_out, d_hn, d_cn,
                                                      reuse_saved)
    dx, dw_ih, db_ih = _input_grads(saved, d_xg, need_input_grad)
    if saved.has_bias and db_hh is None:  # b_hh was in the projection: the same gradient
        db_hh = db_ih.copy()
    return dx, dh0, dc0, dw_ih, dw_hh, db_ih, (db_hh if saved.has_bias else None)


def _fused_layer_backward(saved: LayerSaved, d_out, d_hn, d_cn, reuse_saved, parts,
                          need_input_grad) -> tuple:
    """`layer_backward` through `rows_layer.loop_and_weight_grads`."""
    loop = saved.loop
    steps, batch = loop.activations[0].shape[:2]
    hidden = loop.w_hh.shape[1]
    dtype = loop.activations[0].dtype
    d_out = _grad_or_zeros(d_out, (steps, batch, hidden), dtype)
    d_hn = _grad_or_zeros(d_hn, (batch, hidden), dtype)
    has_c = CELL_KINDS[loop.mode].has_cell_state
    d_cn = _grad_or_zeros(d_cn, (batch, hidden), dtype) if has_c else None
    return rows_layer.loop_and_weight_grads(
        loop.mode, loop.activations, loop.w_hh, loop.lengths, loop.reverse, d_out, d_hn, d_cn,
        saved.x, saved.w_ih, saved.has_bias, parts, reuse_saved, need_input_grad)


def lstm_layer_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths=None, reverse=False):
    """Run one LSTM direction over x (T, N, F); return out (T, N, H), h_n, c_n, saved."""
    return layer_forward("lstm", x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths, reverse)


def lstm_layer_backward(saved, d_out, d_hn, d_cn, need_input_grad=True):
    """Gradients (dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh) of one LSTM direction."""
    return layer_backward(saved, d_out, d_hn, d_cn, need_input_grad)


def gru_layer_forward(x, h0, w_ih, w_hh, b_ih, b_hh, lengths=None, reverse=False):
    """Run one GRU direction over x (T, N, F); return out (T, N, H), h_n, saved."""
    out, h_n, _, saved = layer_forward("gru", x, h0, None, w_ih, w_hh, b_ih, b_hh, lengths,
                                       reverse)
    return out, h_n, saved


def gru_layer_backward(saved, d_out, d_hn, need_input_grad=True):
    """Gradients (dx, dh0, dw_ih, dw_hh, db_ih, db_hh) of one GRU direction; None grads are 0."""
    dx, dh0, _, *rest = layer_backward(saved, d_out, d_hn, None, need_input_grad)
    return dx, dh0, *rest


def rnn_layer_forward(x, h0, w_ih, w_hh, b_ih, b_hh, lengths=None, reverse=False,
                      nonlinearity="tanh"):
    """Run one Elman RNN direction (tanh or relu) over x (T, N, F); return out, h_n, saved."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu'; got {nonlinearity!r}")
    out, h_n, _, saved = layer_forward(f"rnn_{nonlinearity}", x, h0, None, w_ih, w_hh, b_ih,
                                       b_hh, lengths, reverse)
    return out, h_n, saved


def rnn_layer_backward(saved, d_out, d_hn, need_input_grad=True):
    """Gradients (dx, dh0, dw_ih, dw_hh, db_ih, db_hh) of one RNN direction; None grads are 0."""
    return gru_layer_backward(saved, d_out, d_hn, need_input_grad)


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


def projected_forward(mode: CellKind | str, xg: Array, h0: Array, c0: Array | None,
                      w_hh: Array, b_hh: Array | None, lengths: Array | None = None,
                      reverse: bool = False, ids: Array | None = None, save: bool = True
                      ) -> tuple[Array, Array, Array | None, ProjectedSaved]:
    """The time loop alone, over an input projection computed elsewhere (T, N, G*H): the one
    place the forward loops are called (`layer_forward` projects, then calls it).

    For LSTM and RNN `xg` already holds both biases; for GRU it holds b_ih and `b_hh` (which
    sits inside the reset gate) is passed here. With `ids` (T, N), `xg` is a (R, G*H) table
    and step t of sequence n reads its row ids[t, n]: an embedding's layer-0 projection is a
    (vocab, G*H) table instead of a GEMM over every embedded token. The LSTM loop reads the
    table in place; GRU and RNN gather it first. `mode` is a `CellKind` or its name ('lstm',
    'gru', 'rnn_tanh', 'rnn_relu'). With `save=False` (nothing will run backward: inference)
    the loop may keep no activations, and the result cannot go to `projected_backward`.
    """
    kind = CELL_KINDS[mode] if isinstance(mode, str) else mode
    xg = np.ascontiguousarray(xg)
    if ids is not None:
        ids = _check_ids(ids, xg)
    steps, batch = ids.shape if ids is not None else xg.shape[:2]
    lengths = check_lengths(lengths, steps, batch)
    h0 = np.ascontiguousarray(h0, dtype=xg.dtype)
    table_rows = xg.shape[0] if ids is not None else 0
    with seqlab_computing():
        out, h_n, c_n, activations = kind.loop_forward(xg, h0, c0, w_hh, b_hh, lengths,
                                                       bool(reverse), ids, save)
    return out, h_n, c_n, ProjectedSaved(kind.name, w_hh, lengths, bool(reverse), activations,
                                         ids, table_rows)


def projected_backward(saved: ProjectedSaved, d_out: Array | None, d_hn: Array | None,
                       d_cn: Array | None = None, reuse_saved: bool = False
                       ) -> tuple[Array, Array, Array | None, Array, Array | None]:
    """(d_xg, dh0, dc0, dw_hh, db_hh) of `projected_forward`; db_hh only for GRU, dc0 only
    for LSTM (else None). d_xg is the table's gradient (R, G*H) when the forward had ids.
    `reuse_saved` (nothing reads `saved` again: a backward that does not retain the graph)
    lets the loop write its gradients over the saved activations (`recurrent_loops`)."""
    kind = CELL_KINDS[saved.mode]
    steps, batch = saved.activations[0].shape[:2]
    hidden = saved.w_hh.shape[1]
    dtype = saved.activations[0].dtype
    d_out = _grad_or_zeros(d_out, (steps, batch, hidden), dtype)
    d_hn = _grad_or_zeros(d_hn, (batch, hidden), dtype)
    d_cn = _grad_or_zeros(d_cn, (batch, hidden), dtype) if kind.has_cell_state else None
    with seqlab_computing():
        return kind.loop_backward(saved.activations, saved.w_hh, saved.lengths, saved.reverse,
                                  saved.ids, saved.table_rows, d_out, d_hn, d_cn,
                                  reuse_saved=reuse_saved)
