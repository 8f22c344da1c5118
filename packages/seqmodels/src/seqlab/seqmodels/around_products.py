"""The training path's GEMMs around the time loops that run faster through packed panels.

A layer's input projection x @ W_ih^T + b and its input gradient d_xg @ W_ih, over all T*N
rows: with b packed into panels (`kernels.panel_gemm.pack_panels`) and a taken in blocks of
BLOCK rows through every panel (`kernels.panel_blocks.panel_rows_into`), the bias as the
accumulators' start. CPU time, one thread, AMD EPYC (Zen 4), 2048 rows (batch 32 x 64),
float32, packing included: the LSTM 512 x 2 projection 47-48 -> 41-43 ms (bias add included),
dx 42-45 -> 38-41 ms (see BENCHMARKS.md, issue 11). The weight gradients d^T @ x (dW_ih,
dW_hh) from 256 features go through `kernels.panel_weight_grad` (`weight_grad`: d packed as
panels, x as quads, each tile stored transposed): H = 256, 2048 rows, 11.1-11.5 ms against
OpenBLAS's 11.4-11.9 with d and x out of cache as in a step.

On 2 threads each product splits in two (the panels packed by both threads, half each; then
half of the rows each), then dW_ih splits by rows as `threads.matmul` splits it: not dx beside
dW_ih, one a thread, as `threads.matmuls` runs them, since dx through the panels now takes 10%
less time than dW_ih and the thread done first would wait. Where the panels do not
pay (no FMA on Numba's target, few rows, columns not a multiple of the tile's width, NumPy
bodies under NUMBA_DISABLE_JIT) both functions are the BLAS products they replace.
"""

from __future__ import annotations

import numba
import numpy as np

from seqlab.autograd import workspace
from seqlab.autograd.kernels.panel_blocks import panel_rows_into
from seqlab.autograd.kernels.panel_gemm import (
    FMA,
    ROWS,
    pack_rows_into,
    pack_transposed_into,
    panel_columns,
    panels_shape,
)
from seqlab.autograd.kernels.panel_weight_grad import pack_quads_into, weight_grad_tiles
from seqlab.autograd.threads import for_ranges, matmul, matmuls

Array = np.ndarray
BLOCK = 32  # rows of a taken through every panel at once (16-64 ran within 3%)
MIN_ROWS = 256  # fewer rows: BLAS (packing W costs more than the tiles save)
MIN_DEPTH = 64  # shallower products: the tile's fixed costs outweigh its speed
# weight gradients d^T @ x through the tiles from this many features (x's columns): at 128 the
# packing of d cost more than the tiles saved (3.19 against OpenBLAS's 2.98 ms, H = 128)
MIN_GRAD_FEATURES = 256
_FLOATS = (np.float32, np.float64)


def products_take_panels(rows: int, depth: int, columns: int, dtype) -> bool:
    """Whether a (rows, depth) x (depth, columns) product of the training path takes the
    panels: FMA on Numba's target, jitted kernels, enough rows and depth, and columns a
    multiple of the tile's width (the product writes whole tiles)."""
    return (FMA and not numba.config.DISABLE_JIT and np.dtype(dtype).type in _FLOATS
            and rows >= MIN_ROWS and depth >= MIN_DEPTH
            and panel_columns(columns, dtype) == columns)


def _packed(b_rows: Array, transposed: bool) -> Array:
    """b = b_rows.T (`transposed`) or b_rows itself, packed into panels on seqlab's threads."""
    depth, columns = b_rows.shape[::-1] if transposed else b_rows.shape
    panels = workspace.empty(panels_shape(depth, columns, b_rows.dtype), b_rows.dtype)
    width = panels.shape[2]

    def pack(_item: int, low: int, high: int) -> None:
        if transposed:  # panel p holds rows [p * width, (p + 1) * width) of b_rows
            pack_transposed_into(b_rows[low * width:high * width], panels[low:high])
        else:
            pack_rows_into(b_rows[:, low * width:high * width], panels[low:high])

    for_ranges([panels.shape[0]], pack, min_block=1)
    return panels


def _rows_product(a: Array, panels: Array, bias: Array | None, out: Array,
                  split: bool) -> None:
    """out = a @ b (+ bias) for b packed as `panels`, split by rows on seqlab's threads when
    `split`."""
    first = out if bias is None else np.broadcast_to(bias, out.shape)

    def rows(_item: int, low: int, high: int) -> None:
        panel_rows_into(a[low:high], panels, out[low:high], first[low:high], bias is not None,
                        BLOCK)

    if split:
        for_ranges([a.shape[0]], rows, min_block=MIN_ROWS // 2)
    else:
        rows(0, 0, a.shape[0])


def project(x: Array, w: Array, bias: Array | None) -> Array:
    """x @ w^T (+ bias) for x (R, F) and w (G, F), a new (R, G) array (workspace memory)."""
    rows, depth = x.shape
    columns = w.shape[0]
    if not products_take_panels(rows, depth, columns, np.result_type(x, w)) or x.dtype != w.dtype:
        out = matmul(x, w.T)
        if bias is not None:
            out += bias
        return out
    x = np.ascontiguousarray(x)
    out = workspace.empty((rows, columns), x.dtype)
    panels = _packed(np.ascontiguousarray(w), transposed=True)
    _rows_product(x, panels, None if bias is None else np.ascontiguousarray(bias, x.dtype), out,
                  split=True)
    return out


def grads_take_panels(rows: int, gates: int, features: int, dtype) -> bool:
    """Whether d^T @ x for d (rows, gates) and x (rows, features) takes the tiles
    (`weight_grad`): as `products_take_panels` for a product `rows` deep writing `gates`
    columns, features a multiple of the tile's rows and at least MIN_GRAD_FEATURES."""
    return (products_take_panels(rows, rows, gates, dtype) and features % ROWS == 0
            and features >= MIN_GRAD_FEATURES)


def weight_grad(d: Array, x: Array | list[Array]) -> Array:
    """d^T @ x for d (R, G) and x (R, F), a new (G, F) array (workspace memory). x may be
    given as a list of row blocks laid end to end (R rows in all; `recurrent_weight_grad`'s
    h0 and shifted outputs), which the tiles read in place.

    Through `kernels.panel_weight_grad` where the tiles pay (`grads_take_panels`): d packed
    into panels, x into quads, each thread a share of the panels; else NumPy's BLAS."""
    blocks = x if isinstance(x, list) else [x]
    rows, gates = d.shape
    features = blocks[0].shape[1]
    dtype = d.dtype
    if (not grads_take_panels(rows, gates, features, dtype)
            or any(block.dtype != dtype for block in blocks)):
        whole = blocks[0]
        if len(blocks) > 1:  # one block for one GEMM (workspace memory: no page faults)
            whole = workspace.empty((rows, features), blocks[0].dtype)
            np.concatenate(blocks, out=whole)
        return matmul(d.T, whole)
    panels = workspace.empty(panels_shape(rows, gates, dtype), dtype)
    quads = workspace.empty((features // ROWS, rows, ROWS), dtype)
    offsets = np.cumsum([0] + [block.shape[0] for block in blocks])
    out = workspace.empty((gates, features), dtype)
    width = panels.shape[2]

    def pack(item: int, low: int, high: int) -> None:
        block = blocks[item]
        pack_quads_into(block[low:high], quads[:, offsets[item] + low:offsets[item] + high])

    def tiles(_item: int, low: int, high: int) -> None:
        pack_rows_into(d[:, low * width:high * width], panels[low:high])
        weight_grad_tiles(panels, quads, out, low, high)

    for_ranges([block.shape[0] for block in blocks], pack, min_block=MIN_ROWS)
    for_ranges([panels.shape[0]], tiles, min_block=1)
    return out


def input_and_weight_grads(d: Array, w: Array, x: Array,
                           need_input_grad: bool) -> tuple[Array | None, Array]:
    """(d @ w or None, d^T @ x) for d (R, G), w (G, F) and x (R, F): dx through the panels
    where they pay, dW by BLAS."""
    rows, columns = d.shape
    features = w.shape[1]
    if not need_input_grad:
        return None, weight_grad(d, x)
    if not products_take_panels(rows, columns, features, d.dtype) or w.dtype != d.dtype:
        dx, dw = matmuls([(d, w), (d.T, x)])
        return dx, dw
    d = np.ascontiguousarray(d)
    dx = workspace.empty((rows, features), d.dtype)
    _rows_product(d, _packed(np.ascontiguousarray(w), transposed=False), None, dx, split=True)
    return dx, weight_grad(d, x)


def recurrent_weight_grad(d_gates: Array, previous: Array, h0: Array, shifted: bool,
                          reverse: bool) -> Array:
    """dW_hh (G*H, H): the sum over steps of d_gates[t]^T @ h_prev[t], for d_gates (T, N, G*H).

    Without `shifted`, previous is h_prev (T, N, H). With it, every sequence read the same time
    at each step: h_prev[t] is previous[t - 1] (previous[t + 1] when `reverse`) and h0 (N, H) at
    the first step read: `weight_grad` reads those two row blocks as one (T*N, H) operand, so
    the product is one over all T*N rows. After the loop team, not in it: the loop kernels' own
    call (SciPy's OpenBLAS, through Numba) ran this product 5-15% slower than NumPy's (CPU time,
    one thread, AMD EPYC Zen 4, T*N = 2048: 45.7 -> 43.3 ms at H = 512, 12.7 -> 12.0 at 256).
    """
    steps, batch, gate_width = d_gates.shape
    hidden = previous.shape[2]
    d_flat = d_gates.reshape(steps * batch, gate_width)
    if not shifted:
        return weight_grad(d_flat, previous.reshape(steps * batch, hidden))
    later = (steps - 1) * batch
    flat = previous.reshape(steps * batch, hidden)
    h0 = np.ascontiguousarray(h0, previous.dtype)
    # step t reads previous[t + 1] when `reverse` (the last step h0), else previous[t - 1]
    blocks = [flat[batch:], h0] if reverse else [h0, flat[:later]]
    return weight_grad(d_flat, [block for block in blocks if block.shape[0] > 0])
