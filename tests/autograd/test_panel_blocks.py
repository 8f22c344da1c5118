"""kernels.panel_blocks: out = a @ b (+ c) through packed panels in row blocks, and the tile's
generalizations it rests on (a read through any strides, accumulators started from c).

Shapes hit the edges: rows below a multiple of ROWS (1-row tiles), row blocks that do not
divide the rows, one panel and several, c as a bias broadcast with row stride 0, c as out
itself (accumulate), a as a strided view; float64 and float32 against NumPy.
"""

import numpy as np
import pytest

from seqlab.autograd.kernels.panel_blocks import panel_rows_into, panel_rows_reference
from seqlab.autograd.kernels.panel_gemm import ROWS, pack_panels, panel_columns

pytestmark = pytest.mark.kernels


def _tolerance(dtype):
    return 1e-12 if dtype == np.float64 else 2e-5


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("rows, depth, block", [(1, 3, ROWS), (ROWS + 3, 9, ROWS),
                                                (37, 20, 2 * ROWS), (64, 1, 8 * ROWS)])
@pytest.mark.parametrize("with_bias", [False, True])
def test_row_blocks_equal_numpy(dtype, rows, depth, block, with_bias):
    columns = 2 * panel_columns(1, dtype)  # two panels
    rng = np.random.default_rng(rows + depth + block)
    a = rng.standard_normal((rows, depth)).astype(dtype)
    b = rng.standard_normal((depth, columns)).astype(dtype)
    bias = rng.standard_normal(columns).astype(dtype)
    out = np.full((rows, columns), np.nan, dtype)
    first = np.broadcast_to(bias, out.shape) if with_bias else out
    panel_rows_into(a, pack_panels(b), out, first, with_bias, block)
    expected = panel_rows_reference(a, b, bias if with_bias else None)
    np.testing.assert_allclose(out, expected, rtol=_tolerance(dtype), atol=_tolerance(dtype))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_accumulates_into_out_and_reads_strided_rows(dtype):
    """c = out adds the product to what out held; a and out may be row-strided views."""
    width = panel_columns(1, dtype)
    rng = np.random.default_rng(11)
    source = rng.standard_normal((2 * 13, 7)).astype(dtype)
    a = source[::2]  # rows 2 apart
    b = rng.standard_normal((7, width)).astype(dtype)
    wide = rng.standard_normal((13, width + 5)).astype(dtype)
    held = wide[:, 5:].copy()
    panel_rows_into(a, pack_panels(b), wide[:, 5:], wide[:, 5:], True, ROWS)
    np.testing.assert_allclose(wide[:, 5:], held + a @ b, rtol=_tolerance(dtype),
                               atol=_tolerance(dtype))


def test_product_of_a_transposed_weights_panels():
    """The projection's use: b = W^T packed from W's rows (a transposed view)."""
    width = panel_columns(1, np.float64)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((10, 6))
    w = rng.standard_normal((3 * width, 6))
    out = np.empty((10, 3 * width))
    panel_rows_into(x, pack_panels(w.T), out, out, False, ROWS)
    np.testing.assert_allclose(out, x @ w.T, rtol=1e-12, atol=1e-12)


def test_rejects_bad_shapes_and_blocks():
    width = panel_columns(1, np.float64)
    panels = pack_panels(np.ones((3, width)))
    with pytest.raises(ValueError, match="panels"):
        panel_rows_into(np.ones((4, 2)), panels, np.zeros((4, width)), np.zeros((4, width)),
                        False, ROWS)
    with pytest.raises(ValueError, match="block"):
        panel_rows_into(np.ones((4, 3)), panels, np.zeros((4, width)), np.zeros((4, width)),
                        False, ROWS + 1)
    with pytest.raises(ValueError, match="contiguous rows"):
        panel_rows_into(np.ones((3, 4)).T, panels, np.zeros((4, width)),
                        np.zeros((4, width)), False, ROWS)
