"""A BLAS GEMM on row-major views for the recurrent time loops: strided rows, optional accumulate.

`np.dot` inside njit only takes contiguous operands and overwrites its output. The time loops
want `out += a @ b` straight into one step's slice of a (G, T, N) array (rows T*N apart) and
`a` or `b` given as a transposed view, so they call the GEMM that Numba's own np.dot calls
(`numba_xxgemm`, scipy's BLAS) with the leading dimensions and transpose flags themselves.
Plain-Python body for NUMBA_DISABLE_JIT=1; jitted callers get the BLAS version.
"""

import numpy as np
from numba import njit, types
from numba.extending import overload
from numba.np.linalg import _BLAS, ensure_blas


def matmul_into(a, b, out, accumulate):
    """out[...] (+)= a @ b for 2-D arrays whose rows may be strided (plain-Python body)."""
    if accumulate:
        out += a @ b
    else:
        out[...] = a @ b


@overload(matmul_into, jit_options={"error_model": "numpy", "inline": "always"})
def _matmul_into_blas(a, b, out, accumulate):
    ensure_blas()
    gemm = _BLAS().numba_xxgemm(out.dtype)
    kind = np.int8(ord("s" if out.dtype == types.float32 else "d"))
    trans, no_trans = np.int8(ord("t")), np.int8(ord("n"))

    def impl(a, b, out, accumulate):
        # Row-major out = a @ b is column-major out^T = b^T a^T: BLAS gets b as its first
        # operand. `a` and `b` are row-contiguous or transposed views (column-contiguous).
        rows, inner = a.shape
        cols = b.shape[1]
        alpha = np.ones(1, out.dtype)
        beta = np.ones(1, out.dtype) if accumulate else np.zeros(1, out.dtype)
        # a leading dimension must be at least the row length even where the stride is moot
        if a.strides[1] == a.itemsize or inner == 1:
            a_trans, a_lead = no_trans, max(a.strides[0] // a.itemsize, inner, 1)
        else:
            a_trans, a_lead = trans, max(a.strides[1] // a.itemsize, rows, 1)
        out_lead = max(out.strides[0] // out.itemsize, cols, 1)
        if b.strides[1] == b.itemsize or cols == 1:
            b_trans, b_lead = no_trans, max(b.strides[0] // b.itemsize, cols, 1)
        else:
            b_trans, b_lead = trans, max(b.strides[1] // b.itemsize, inner, 1)
        gemm(
            kind,
            b_trans,
            a_trans,
            cols,
            rows,
            inner,
            alpha.ctypes,
            b.ctypes,
            b_lead,
            a.ctypes,
            a_lead,
            beta.ctypes,
            out.ctypes,
            out_lead,
        )

    return impl


_L1_SHARE = 24 * 1024  # bytes of source per pass: half of this CPU's L1, a safe guess elsewhere


@njit(cache=True, nogil=True)
def transpose_into(source, target):
    """target[...] = source.T for a small 2-D array (one step's GEMM result).

    In blocks of source rows that fit in L1: each target row takes one column of the block,
    and a whole (512, 32) float32 source (64 KiB) went back to L2 for every column (2.8x slower).
    Unsigned indices spare Numba's negative-index wraparound, which stops LLVM vectorizing.
    """
    rows, cols = source.shape
    block = max(16, _L1_SHARE // max(1, cols * source.itemsize))
    for first in range(0, rows, block):
        count = min(block, rows - first)
        for col in range(cols):
            for k in range(count):
                row = np.uint64(first + k)
                target[col, row] = source[row, col]


def transposed(matrix: np.ndarray) -> np.ndarray:
    """matrix.T as a new C-contiguous array, by `transpose_into` (NumPy's strided copy took
    47 / 290 / 2890 us for a (4H, H) float32 W_hh at H = 128 / 256 / 512, this 15 / 80 /
    259 us)."""
    out = np.empty((matrix.shape[1], matrix.shape[0]), matrix.dtype)
    transpose_into(matrix, out)
    return out
