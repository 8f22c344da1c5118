"""The GEMMs around the time loops through `panel_gemm`'s broadcast tiles.

A layer's input projection x @ W_ih^T (+ b) and its input gradient d @ W_ih are products over
all T*N rows (2048 at batch 32 x 64), where OpenBLAS runs at 86-98 GFLOP/s of CPU time on one
AMD EPYC (Zen 4) core and the per-step products' tiles at 114. `panel_rows_into`: out = a @ b
(+ c) for b packed into panels (`pack_panels`), a in blocks of rows each taken through every
panel (the per-step products' shape: the block of a stays in L1 while the panels stream from
L2/L3), c (a bias broadcast over the rows) as the accumulators' start.

Plain NumPy under NUMBA_DISABLE_JIT=1 (the tiles' Python bodies); `panel_rows_reference` is
the reference.
"""

from numba import njit

from .panel_gemm import ROWS, _row_tile, _row_tile_from, _tile, _tile_from


def panel_rows_reference(a, b, c=None):
    """a @ b (+ c) (the plain-NumPy reference)."""
    return a @ b if c is None else a @ b + c


@njit(cache=True, nogil=True, error_model="numpy")
def panel_rows_into(a, panels, out, c, start, block):
    """out[...] = a @ b (+ c when `start`) for b given as `pack_panels(b)`: a (N, K), out and c
    (N, P*W) (c any row stride, 0 for a bias; unit column strides; out may be c), K >= 1;
    a in blocks of `block` rows (a multiple of ROWS), each block through every panel."""
    n_rows = a.shape[0]
    count, depth, width = panels.shape
    if (a.shape[1] != depth or out.shape[1] != count * width or out.shape[0] != n_rows
            or c.shape[1] != out.shape[1] or c.shape[0] != n_rows):
        raise ValueError("panel_rows_into: a (N, K), panels (P, K, W), out and c (N, P*W)")
    item = panels.itemsize
    if (a.strides[1] != a.itemsize or out.strides[1] != out.itemsize
            or c.strides[1] != c.itemsize or panels.strides[2] != item
            or panels.strides[1] != width * item):
        raise ValueError("panel_rows_into: a, out, c and panels need contiguous rows")
    if block < ROWS or block % ROWS:
        raise ValueError("panel_rows_into: block must be a positive multiple of ROWS")
    for r0 in range(0, n_rows, block):
        r1 = min(r0 + block, n_rows)
        main = r0 + (r1 - r0) // ROWS * ROWS
        for p in range(count):
            panel = panels[p]
            target = out[:, p * width:(p + 1) * width]
            first = c[:, p * width:(p + 1) * width]
            for n0 in range(r0, main, ROWS):
                if start:
                    _tile_from(a, panel, target, first, n0, 0, depth)
                else:
                    _tile(a, panel, target, n0, 0, depth)
            for n in range(main, r1):
                if start:
                    _row_tile_from(a, panel, target, first, n, 0, depth)
                else:
                    _row_tile(a, panel, target, n, 0, depth)
