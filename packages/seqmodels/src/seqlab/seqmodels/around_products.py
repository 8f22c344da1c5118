"""The training path's GEMMs around the time loops that run faster through packed panels.

A layer's input projection x @ W_ih^T + b and its input gradient d_xg @ W_ih, over all T*N
rows: with b packed into panels (`kernels.panel_gemm.pack_panels`) and a taken in blocks of
BLOCK rows through every panel (`kernels.panel_blocks.panel_rows_into`), the bias as the
accumulators' start. CPU time, one thread, AMD EPYC (Zen 4), 2048 rows (batch 32 x 64),
float32, packing included: the LSTM 512 x 2 projection 47-48 -> 41-43 ms (bias add included),
dx 42-45 -> 38-41 ms (see BENCHMARKS.md, issue 11). The weight gradients d^T @ x stay with
OpenBLAS: through the panels, with d packed, they ran no faster (43.3 against 43.1-43.5 ms);
but for a narrow x (raw features, F < MIN_DEPTH), where OpenBLAS runs at 7-82 GFLOP/s, as x^T
@ d through the tiles, reading d in place (`narrow_weight_grad`). A narrow x's projection (depth
F) takes the panels too where its output is large enough (`MIN_SHALLOW_OUTPUT`).

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
from seqlab.autograd.kernels.narrow_weight_grad import narrow_weight_grad_into
from seqlab.autograd.kernels.panel_blocks import panel_rows_into
from seqlab.autograd.kernels.panel_gemm import (
    COLS,
    FMA,
    ROWS,
    lanes_of,
    pack_rows_into,
    pack_transposed_into,
    panel_columns,
    panels_shape,
)
from seqlab.autograd.threads import for_ranges, matmul, matmuls

Array = np.ndarray
BLOCK = 32  # rows of a taken through every panel at once (16-64 ran within 3%)
MIN_ROW_TILES_OUTPUT = 2048 * 512  # a dW of F = 2-3 (1-row tiles) pays from this many outputs
NARROW_BLOCK = 256  # rows of d and x per pass of a narrow dW (256 and 512 within 3%; 2048 lost)
MIN_ROWS = 256  # fewer rows: BLAS (packing W costs more than the tiles save)
MIN_DEPTH = 64  # shallower products need MIN_SHALLOW_OUTPUT elements of output to pay
# A narrow input (raw features, F = 1-63) projected to G*H columns: the panels won wherever the
# output held at least 256 x 512 elements (BLAS time / panel time, one thread, AMD EPYC Zen 4,
# float32, packing and bias included: 2048 rows x 512 columns 10.9x at F = 1, 2.4x at F = 3
# and 8, 1.35x at F = 40; 256 x 512 1.2-6.5x) and lost below it (256 x 128: 0.86-0.97x).
MIN_SHALLOW_OUTPUT = 256 * 512
# Packing a weight into panels splits over seqlab's threads only from this many elements: a
# split's hand-over costs more than packing fewer takes (main-thread CPU us, one thread / two,
# AMD EPYC Zen 4, float32, loaded machine: W_ih (512, 40) 21 / 48, (512, 8) 10 / 41, (512, 128)
# 57 / 73; (2048, 100) 160 / 127, (1024, 256) 303 / 163, (2048, 512) 1555 / 949).
MIN_SPLIT_PACK = 1 << 17
_FLOATS = (np.float32, np.float64)


def products_take_panels(rows: int, depth: int, columns: int, dtype) -> bool:
    """Whether a (rows, depth) x (depth, columns) product of the training path takes the
    panels: FMA on Numba's target, jitted kernels, enough rows, enough depth or else enough
    output (`MIN_SHALLOW_OUTPUT`), and columns a multiple of the tile's width (the product
    writes whole tiles)."""
    return (FMA and not numba.config.DISABLE_JIT and np.dtype(dtype).type in _FLOATS
            and rows >= MIN_ROWS and depth >= 1
            and (depth >= MIN_DEPTH or rows * columns >= MIN_SHALLOW_OUTPUT)
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

    # min_block in panels: two blocks from MIN_SPLIT_PACK elements
    for_ranges([panels.shape[0]], pack, min_block=-(-MIN_SPLIT_PACK // (2 * depth * width)))
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


def input_and_weight_grads(d: Array, w: Array, x: Array,
                           need_input_grad: bool) -> tuple[Array | None, Array]:
    """(d @ w or None, d^T @ x) for d (R, G), w (G, F) and x (R, F): dx through the panels
    where they pay, dW through the tiles for a narrow x (`narrow_weight_grad`), else by BLAS."""
    rows, columns = d.shape
    features = w.shape[1]
    narrow = narrow_grad_takes_tiles(rows, features, columns, d.dtype) and x.dtype == d.dtype
    if not need_input_grad:
        return None, narrow_weight_grad(d, x) if narrow else matmul(d.T, x)
    if not products_take_panels(rows, columns, features, d.dtype) or w.dtype != d.dtype:
        if narrow:
            return matmul(d, w), narrow_weight_grad(d, x)
        dx, dw = matmuls([(d, w), (d.T, x)])
        return dx, dw
    d = np.ascontiguousarray(d)
    dx = workspace.empty((rows, features), d.dtype)
    _rows_product(d, _packed(np.ascontiguousarray(w), transposed=False), None, dx, split=True)
    return dx, narrow_weight_grad(d, x) if narrow else matmul(d.T, x)


def narrow_grad_takes_tiles(rows: int, features: int, columns: int, dtype) -> bool:
    """Whether d^T @ x for d (rows, columns) and a narrow x (rows, features < MIN_DEPTH) runs
    through `narrow_weight_grad`: the panels' conditions for a shallow product (FMA, jitted
    kernels, enough rows and output, whole tiles of d's columns).

    CPU time, one thread, AMD EPYC Zen 4, float32, against OpenBLAS's d^T @ x, transpose
    included: 2048 rows x 512 columns (H = 128) 0.39 -> 0.22 ms at F = 3, 0.46 -> 0.16 at 8,
    1.21 -> 0.85 at 40; x 2048 columns (H = 512) 2.8 -> 2.1, 3.1 -> 2.0, 5.8 -> 4.8 ms; 8192
    rows 1.2-3.5x faster. At F = 100 it ran 0.96-1.27x (not taken: F >= 64 stays with BLAS).
    Under ROWS features only 1-row tiles run (4 loads for 4 FMAs): F = 1 (a GEMV to BLAS) lost
    everywhere (2048 x 512 0.056 -> 0.080 ms), F = 3 lost under 2048 x 512 outputs (2048 x 128
    35 -> 44 us, 256 x 512 12 -> 20 us), so F = 2-3 takes them from `MIN_ROW_TILES_OUTPUT`."""
    if features < ROWS and (features < 2 or rows * columns < MIN_ROW_TILES_OUTPUT):
        return False
    return features < MIN_DEPTH and products_take_panels(rows, features, columns, dtype)


def narrow_weight_grad(d: Array, x: Array) -> Array:
    """d^T @ x (G, F) for d (R, G) and x (R, F) through `narrow_weight_grad_into` (its
    transpose, split by d's tile columns on seqlab's threads), in a new array."""
    d = np.ascontiguousarray(d)
    x = np.ascontiguousarray(x)
    width = COLS * lanes_of(d.dtype)
    out = np.empty((x.shape[1], d.shape[1]), d.dtype)

    def tiles(_item: int, low: int, high: int) -> None:
        narrow_weight_grad_into(x, d, out, low * width, high * width, width, NARROW_BLOCK)

    for_ranges([d.shape[1] // width], tiles, min_block=1)
    return np.ascontiguousarray(out.T)


# dW_hh splits over seqlab's threads (`threads.matmul`) only from this many multiply-adds
# (T*N x G*H x H): below it a small batch's product is 90-540 us on one thread, where the
# hand-over to the second thread saves at most half of that less its 20-50 us quiet, and on a
# loaded machine waits milliseconds for the partner (one thread / split, min of 7, AMD EPYC Zen
# 4, load 14: T*N 64 x 512 x 128 87 / 560 us, 128 x 512 x 128 169 / 1041, 512 x 256 x 64 181
# / 752, 2048 x 128 x 32 537 / 791). The same bits either way (a split by rows of dW).
MIN_SPLIT_WEIGHT_GRAD_MACS = 1 << 24


def _weight_product(a: Array, b: Array) -> Array:
    """a @ b, split over seqlab's threads only from `MIN_SPLIT_WEIGHT_GRAD_MACS`."""
    if a.shape[0] * a.shape[1] * b.shape[1] < MIN_SPLIT_WEIGHT_GRAD_MACS:
        return a @ b
    return matmul(a, b)


def recurrent_weight_grad(d_gates: Array, previous: Array, h0: Array | None, shifted: bool,
                          reverse: bool) -> Array:
    """dW_hh (G*H, H): the sum over steps of d_gates[t]^T @ h_prev[t], for d_gates (T, N, G*H).

    Without `shifted`, previous is h_prev (T, N, H) (`h0` and `reverse` unused: h0 may be None).
    With it, every sequence read the same time at each step: h_prev[t] is previous[t - 1]
    (previous[t + 1] when `reverse`) and h0 (N, H) at the first step read, laid out in one
    (T*N, H) block (workspace memory) so that the product is one GEMM over all T*N rows.
    NumPy's BLAS on seqlab's threads: the loop kernels' own call (SciPy's OpenBLAS, through
    Numba) ran this product 5-15% slower (CPU time, one thread, AMD EPYC Zen 4, T*N = 2048:
    45.7 -> 43.3 ms at H = 512, 12.7 -> 12.0 at 256, 3.6 -> 3.3 at 128, the copy included).
    """
    steps, batch, gate_width = d_gates.shape
    hidden = previous.shape[2]
    d_flat = d_gates.reshape(steps * batch, gate_width)
    if not shifted:
        return _weight_product(d_flat.T, previous.reshape(steps * batch, hidden))
    later = (steps - 1) * batch
    rows = workspace.empty((steps * batch, hidden), previous.dtype)
    flat = previous.reshape(steps * batch, hidden)
    if reverse:  # step t reads previous[t + 1]; the last step h0
        rows[:later] = flat[batch:]
        rows[later:] = h0
    else:
        rows[:batch] = h0
        rows[batch:] = flat[:later]
    return _weight_product(d_flat.T, rows)
