"""Weight gradients dW = d^T @ x over all T*N rows through `panel_gemm`'s broadcast tiles.

A recurrent layer's dW_hh (d_gates^T @ h_prev) and dW_ih (d_gates^T @ x) are products 2048
deep at batch 32 x 64, where OpenBLAS ran at 86-92 GFLOP/s of CPU time on one AMD EPYC (Zen 4)
core at H = 256 (12.0-12.5 ms each) and the per-step products' tiles at 114. Here the tile
computes dW^T = x^T @ d and stores each tile transposed, so that:
- d (R, G) is packed into panels (`pack_rows_into`: a sequential copy, 0.45 ms for 8 MiB,
  where packing d^T for the direct product cost 3-4 ms at H = 512, BENCHMARKS.md);
- x (R, F) is packed into quads (F/4, R, 4) (`pack_quads_into`): the 4 broadcasts of one k are
  16 contiguous bytes, one quad block (R, 4) being one tile row block read front to back;
- each 4 x (COLS * lanes) tile over all R of one quad block and one panel is stored as the
  (COLS * lanes) x 4 block of dW it is the transpose of.
Panel by panel (a panel, R * width floats, 512 KiB at R = 2048, stays in L2), every quad block
(streamed) through it. Tiles alone 9.6-10.2 ms against OpenBLAS's 12.0 at H = 256.

Plain NumPy under NUMBA_DISABLE_JIT=1; `panel_weight_grad_reference` is the reference.
"""

from numba import config, njit, types
from numba.extending import intrinsic

from .panel_gemm import COLS, ROWS, _tile_codegen, lanes_of


def panel_weight_grad_reference(d, x):
    """d^T @ x (the plain-NumPy reference)."""
    return d.T @ x


@intrinsic
def _tile_transposed(typingctx, a, b, out, n0, m0, depth):
    """out[m0:m0 + COLS*lanes, n0:n0 + ROWS] = (a[n0:n0+ROWS, :depth] @ b[:depth, m0:...]).T."""
    signature = types.void(a, b, out, types.int64, types.int64, types.int64)
    return signature, lambda *args: _tile_codegen(*args, transposed_out=True)


def _tile_transposed_python(a, b, out, n0, m0, depth):
    width = COLS * lanes_of(out.dtype)
    out[m0:m0 + width, n0:n0 + ROWS] = (a[n0:n0 + ROWS, :depth] @ b[:depth, m0:m0 + width]).T


if config.DISABLE_JIT:  # the intrinsic has no Python body
    _tile_transposed = _tile_transposed_python


QUAD_ROWS = 16  # rows of x packed into every quad block at once


@njit(cache=True, nogil=True, error_model="numpy")
def pack_quads_into(x, quads):
    """quads[q, r, j] = x[r, 4q + j] for x (R, F), F a multiple of 4, quads (F/4, R, 4).
    In blocks of QUAD_ROWS rows of x (kept in L1), each written to every quad block as one
    contiguous run (row by row, 64 runs of 16 bytes at H = 256: 0.8-0.9 ms for 2 MiB)."""
    rows, features = x.shape
    for r0 in range(0, rows, QUAD_ROWS):
        r1 = min(r0 + QUAD_ROWS, rows)
        for q in range(features // ROWS):
            target = quads[q]
            for r in range(r0, r1):
                for j in range(ROWS):
                    target[r, j] = x[r, q * ROWS + j]


@njit(cache=True, nogil=True, error_model="numpy")
def weight_grad_tiles(d_panels, quads, dw, low, high):
    """dw[p * width:(p + 1) * width] = (x^T @ d)^T at those rows, for panels p in [low, high):
    d_panels = pack_panels(d) (P, R, width), quads = x in quads (F/4, R, 4), dw (P*width, F)
    with contiguous rows."""
    _, depth, width = d_panels.shape
    blocks = quads.shape[0]
    if quads.shape[1] != depth or quads.shape[2] != ROWS or dw.shape[1] != blocks * ROWS:
        raise ValueError("weight_grad_tiles: d_panels (P, R, W), quads (F/4, R, 4), dw (., F)")
    if dw.shape[0] < high * width or dw.strides[1] != dw.itemsize:
        raise ValueError("weight_grad_tiles: dw needs the panels' rows and contiguous rows")
    for p in range(low, high):
        panel = d_panels[p]
        rows = dw[p * width:(p + 1) * width]
        for q in range(blocks):
            # a[n, k] = quads[q, k, n]: the block's 4 rows of x^T, read 16 bytes at each k
            _tile_transposed(quads[q].T, panel, rows[:, q * ROWS:(q + 1) * ROWS], 0, 0, depth)

