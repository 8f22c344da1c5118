"""kernels.narrow_weight_grad: x^T @ d for a narrow x through the broadcast tiles, in row blocks.

Shapes hit the edges: features below ROWS (1-row tiles only), above it and not a multiple of it
(both kinds of tile), row blocks that do not divide the rows and one block of all of them, one
column range of the tiles and a part of them (a thread's share), x as a strided view; float64
and float32 against the NumPy reference; bad arguments refused.
"""

import numpy as np
import pytest

from seqlab.autograd.kernels.narrow_weight_grad import (
    narrow_weight_grad_into,
    narrow_weight_grad_reference,
)
from seqlab.autograd.kernels.panel_gemm import ROWS, panel_columns

pytestmark = pytest.mark.kernels


def _tolerance(dtype):
    return 1e-12 if dtype == np.float64 else 2e-5


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("rows, features, block", [(1, 1, 4), (37, 3, 8), (50, ROWS + 3, 16),
                                                   (29, 2 * ROWS, 64)])
def test_equals_the_reference(dtype, rows, features, block):
    width = panel_columns(1, dtype)
    rng = np.random.default_rng(rows + features)
    x = rng.standard_normal((rows, features)).astype(dtype)
    d = rng.standard_normal((rows, 3 * width)).astype(dtype)
    out = np.full((features, 3 * width), np.nan, dtype)
    narrow_weight_grad_into(x, d, out, 0, 3 * width, width, block)
    np.testing.assert_allclose(out, narrow_weight_grad_reference(x, d), rtol=_tolerance(dtype),
                               atol=_tolerance(dtype))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_writes_only_its_columns_and_reads_strided_x(dtype):
    """A thread's share: the columns of its tiles, none else; x a column slice of a matrix."""
    width = panel_columns(1, dtype)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((45, 9)).astype(dtype)[:, 2:7]
    d = rng.standard_normal((45, 3 * width)).astype(dtype)
    out = np.full((5, 3 * width), np.nan, dtype)
    narrow_weight_grad_into(x, d, out, width, 2 * width, width, 16)
    expected = narrow_weight_grad_reference(x, d)[:, width:2 * width]
    np.testing.assert_allclose(out[:, width:2 * width], expected, rtol=_tolerance(dtype),
                               atol=_tolerance(dtype))
    assert np.isnan(out[:, :width]).all() and np.isnan(out[:, 2 * width:]).all()


def test_refuses_bad_arguments():
    width = panel_columns(1, np.float64)
    x, d = np.ones((8, 3)), np.ones((8, 2 * width))
    out = np.empty((3, 2 * width))
    for args in ((x, d[:7], out, 0, width), (x, d, out[:2], 0, width),
                 (x, d, out, 1, width), (x, d, out, 0, 3 * width),
                 (x[:0], d[:0], out, 0, width)):
        with pytest.raises(ValueError, match="narrow_weight_grad_into"):
            narrow_weight_grad_into(*args, width, 4)
