"""`out = a @ b.T` for the recurrent loops' per-step products, as dot products of rows.

(The GRU and RNN loops use it; the LSTM loops moved to `panel_gemm`, broadcast tiles with no
horizontal adds, 1.1-1.4x faster than this kernel at batch 32.)

Every step of a time loop multiplies the batch's rows (N, K) with a weight matrix whose rows
(M, K) are already contiguous in K: W_hh's own rows in the forward (`h @ W_hh^T`), W_hh^T's
rows in the backward (`dgates @ W_hh`). A BLAS GEMM packs both operands again on every call
and, with the batch as its short dimension, wants the result transposed back; this kernel reads
the rows in place and writes (N, M) rows directly. Tiles of 4 x 4 rows: sixteen running sums
that LLVM keeps as vector registers over K (`fastmath` lets it reassociate the sums: the order
of the float additions differs from BLAS's, within round-off), eight loads per sixteen fused
multiply-adds, then one horizontal add per output (which is why short dot products lose).
LSTM time loops at batch 32 x 64 steps, one thread, AMD EPYC (Zen 4), CPU time against
OpenBLAS plus the transpose: backward (depth 4H) 1.07 / 1.12 / 1.05x faster at H = 128 / 256 /
512, forward (depth H) 0.93 / 1.03 / 1.10x; so the loops use it from depth 256 and 4 rows
(`rows_gemm_pays`); below 4 rows (batch 1-3) a 1-row tile loads more than it multiplies.
"""

import numpy as np
from numba import njit

_FASTMATH = {"reassoc", "contract", "nsz"}
MIN_ROWS, MIN_DEPTH = 4, 256  # below either, the loops keep BLAS (measured, see module doc)


@njit(cache=True, nogil=True)
def rows_gemm_pays(rows, depth):
    """Whether `rows_gemm_into` beats BLAS (plus its transpose) for `rows` batch rows and
    dot products `depth` long: LSTM forward loop at H = 128 (depth 128) it was 7% slower."""
    return rows >= MIN_ROWS and depth >= MIN_DEPTH



@njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def _tiles_4x4(a, b, out, n_main, m_main):
    """out[:n_main, :m_main] = a[:n_main] @ b[:m_main].T by 4 x 4 tiles (16 running sums over
    K; one statement each: written with tuples, LLVM kept them in memory, 1.3-1.8x slower)."""
    depth = a.shape[1]
    zero = np.zeros(1, out.dtype)[0]
    for m0 in range(0, m_main, 4):
        b0 = b[m0]
        b1 = b[m0 + 1]
        b2 = b[m0 + 2]
        b3 = b[m0 + 3]
        for n0 in range(0, n_main, 4):
            a0 = a[n0]
            a1 = a[n0 + 1]
            a2 = a[n0 + 2]
            a3 = a[n0 + 3]
            s00 = zero
            s01 = zero
            s02 = zero
            s03 = zero
            s10 = zero
            s11 = zero
            s12 = zero
            s13 = zero
            s20 = zero
            s21 = zero
            s22 = zero
            s23 = zero
            s30 = zero
            s31 = zero
            s32 = zero
            s33 = zero
            for kk in range(depth):
                k = np.uint64(kk)  # unsigned: no wraparound select (it stops vectorizing)
                x0 = a0[k]
                x1 = a1[k]
                x2 = a2[k]
                x3 = a3[k]
                y0 = b0[k]
                y1 = b1[k]
                y2 = b2[k]
                y3 = b3[k]
                s00 += x0 * y0
                s01 += x0 * y1
                s02 += x0 * y2
                s03 += x0 * y3
                s10 += x1 * y0
                s11 += x1 * y1
                s12 += x1 * y2
                s13 += x1 * y3
                s20 += x2 * y0
                s21 += x2 * y1
                s22 += x2 * y2
                s23 += x2 * y3
                s30 += x3 * y0
                s31 += x3 * y1
                s32 += x3 * y2
                s33 += x3 * y3
            out[n0, m0] = s00
            out[n0, m0 + 1] = s01
            out[n0, m0 + 2] = s02
            out[n0, m0 + 3] = s03
            out[n0 + 1, m0] = s10
            out[n0 + 1, m0 + 1] = s11
            out[n0 + 1, m0 + 2] = s12
            out[n0 + 1, m0 + 3] = s13
            out[n0 + 2, m0] = s20
            out[n0 + 2, m0 + 1] = s21
            out[n0 + 2, m0 + 2] = s22
            out[n0 + 2, m0 + 3] = s23
            out[n0 + 3, m0] = s30
            out[n0 + 3, m0 + 1] = s31
            out[n0 + 3, m0 + 2] = s32
            out[n0 + 3, m0 + 3] = s33


@njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def _tile_1x4(a, b, out, n, m0, depth):
    """out[n, m0:m0+4] = b[m0:m0+4] @ a[n] (the rows left below a multiple of 4)."""
    zero = np.zeros(1, out.dtype)[0]
    x_row = a[n]
    b0, b1, b2, b3 = b[m0], b[m0 + 1], b[m0 + 2], b[m0 + 3]
    s0 = s1 = s2 = s3 = zero
    for kk in range(depth):
        k = np.uint64(kk)
        x = x_row[k]
        s0 += x * b0[k]
        s1 += x * b1[k]
        s2 += x * b2[k]
        s3 += x * b3[k]
    row = out[n]
    row[m0], row[m0 + 1], row[m0 + 2], row[m0 + 3] = s0, s1, s2, s3


@njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def rows_gemm_into(a, b, out):
    """out[...] = a @ b.T for a (N, K), b (M, K) and out (N, M), each with contiguous rows
    (row strides may be anything: one step's rows of a (T, N, G) array, a block of a matrix's
    rows). Overwrites out; float32 or float64, all three of one dtype."""
    n_rows, depth = a.shape
    m_rows = b.shape[0]
    n_main = n_rows - n_rows % 4
    m_main = m_rows - m_rows % 4
    _tiles_4x4(a, b, out, n_main, m_main)
    for m0 in range(0, m_main, 4):
        for n in range(n_main, n_rows):
            _tile_1x4(a, b, out, n, m0, depth)
    zero = np.zeros(1, out.dtype)[0]
    for m in range(m_main, m_rows):
        y_row = b[m]
        for n in range(n_rows):
            x_row = a[n]
            total = zero
            for kk in range(depth):
                k = np.uint64(kk)
                total += x_row[k] * y_row[k]
            out[n, m] = total
