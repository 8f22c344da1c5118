"""dW^T = x^T @ d for a narrow x: a layer's input-weight gradient over raw features.

A recurrent layer over raw features (F = 1-63 inputs: a forecaster's or a classifier's
measurements) forms dW_ih = d^T @ x with d (R, G*H) its projected inputs' gradients over all
R = T*N rows and x (R, F). OpenBLAS runs that shape far under its peak: 82 GFLOP/s at F = 40,
7-40 at F = 3-8 (one thread, AMD EPYC Zen 4, float32, R = 2048, G*H = 512-2048). Here the
transpose x^T @ d (F, G*H) runs through `panel_gemm`'s broadcast tiles, reading d's rows in
place as the tiles' b (no packing: d is only read once per block of x's columns) and x^T
through its strides as the tiles' a, R in blocks of `block` rows (d's block of tile columns
stays in L2 while every block of x's columns passes over it; the first block writes, the
later ones accumulate). Measured in `seqmodels.around_products`, which calls it.

Plain NumPy under NUMBA_DISABLE_JIT=1 (the tiles' Python bodies);
`narrow_weight_grad_reference` is the reference.
"""

from numba import njit

from .panel_gemm import ROWS, _row_tile, _row_tile_from, _tile, _tile_from


def narrow_weight_grad_reference(x, d):
    """x^T @ d (the plain-NumPy reference)."""
    return x.T @ d


@njit(cache=True, nogil=True, error_model="numpy")
def narrow_weight_grad_into(x, d, out, column_start, column_stop, width, block):
    """out[:, column_start:column_stop] = x^T @ d[:, column_start:column_stop] for x (R, F),
    d (R, M) and out (F, M), d and out with contiguous rows (x any strides), R >= 1; the
    columns a range of whole tiles of `width` (the tiles' width for the dtype); R in blocks
    of `block` rows."""
    rows, features = x.shape
    if d.shape[0] != rows or out.shape[0] != features or out.shape[1] != d.shape[1]:
        raise ValueError("narrow_weight_grad_into: x (R, F), d (R, M), out (F, M)")
    if d.strides[1] != d.itemsize or out.strides[1] != out.itemsize:
        raise ValueError("narrow_weight_grad_into: d and out need contiguous rows")
    if (rows < 1 or block < 1 or column_start % width or column_stop % width
            or not 0 <= column_start <= column_stop <= d.shape[1]):
        raise ValueError("narrow_weight_grad_into: R >= 1, block >= 1, whole tiles of columns")
    x_t = x.T
    main = features - features % ROWS
    for r0 in range(0, rows, block):
        r1 = min(r0 + block, rows)
        a = x_t[:, r0:r1]
        b = d[r0:r1]
        for m0 in range(column_start, column_stop, width):
            for n0 in range(0, main, ROWS):
                if r0 == 0:
                    _tile(a, b, out, n0, m0, r1 - r0)
                else:
                    _tile_from(a, b, out, out, n0, m0, r1 - r0)
            for n in range(main, features):
                if r0 == 0:
                    _row_tile(a, b, out, n, m0, r1 - r0)
                else:
                    _row_tile_from(a, b, out, out, n, m0, r1 - r0)
