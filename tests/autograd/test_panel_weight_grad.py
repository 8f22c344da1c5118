"""kernels.panel_weight_grad: dW = d^T @ x by transposed broadcast tiles over d's panels.

x packed into quads against its definition (rows that do not fill a packing block), then the
tiles against NumPy in float64 and float32: one panel and several, a share of the panels
[low, high) leaving the other rows of dW alone, depths of 1 and long ones, and bad shapes.
"""

import numpy as np
import pytest

from seqlab.autograd.kernels.panel_gemm import ROWS, pack_panels, panel_columns
from seqlab.autograd.kernels.panel_weight_grad import (
    QUAD_ROWS,
    pack_quads_into,
    panel_weight_grad_reference,
    weight_grad_tiles,
)

pytestmark = pytest.mark.kernels


def _quads(x):
    quads = np.full((x.shape[1] // ROWS, x.shape[0], ROWS), np.nan, x.dtype)
    pack_quads_into(x, quads)
    return quads


@pytest.mark.parametrize("rows", [1, QUAD_ROWS + 3, 3 * QUAD_ROWS])
def test_quads_hold_x_four_columns_at_a_time(rows):
    x = np.random.default_rng(rows).standard_normal((rows, 3 * ROWS))
    quads = _quads(x)
    for q in range(3):
        np.testing.assert_array_equal(quads[q], x[:, q * ROWS:(q + 1) * ROWS])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("rows, panels, features", [(1, 1, ROWS), (37, 2, 3 * ROWS),
                                                    (300, 3, 5 * ROWS)])
def test_tiles_equal_numpy(dtype, rows, panels, features):
    gates = panels * panel_columns(1, dtype)
    rng = np.random.default_rng(rows + panels)
    d = rng.standard_normal((rows, gates)).astype(dtype)
    x = rng.standard_normal((rows, features)).astype(dtype)
    dw = np.full((gates, features), np.nan, dtype)
    weight_grad_tiles(pack_panels(d), _quads(x), dw, 0, panels)
    tolerance = 1e-12 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(dw, panel_weight_grad_reference(d, x), rtol=tolerance,
                               atol=tolerance)


def test_a_share_of_the_panels_writes_only_its_rows():
    width = panel_columns(1, np.float64)
    rng = np.random.default_rng(5)
    d = rng.standard_normal((20, 3 * width))
    x = rng.standard_normal((20, 2 * ROWS))
    dw = np.full((3 * width, 2 * ROWS), np.nan)
    weight_grad_tiles(pack_panels(d), _quads(x), dw, 1, 2)
    np.testing.assert_allclose(dw[width:2 * width], (d.T @ x)[width:2 * width], rtol=1e-12,
                               atol=1e-12)
    assert np.isnan(dw[:width]).all() and np.isnan(dw[2 * width:]).all()


def test_bad_shapes_are_a_clear_error():
    width = panel_columns(1, np.float64)
    d = np.ones((8, width))
    with pytest.raises(ValueError, match="quads"):
        weight_grad_tiles(pack_panels(d), _quads(np.ones((9, ROWS))), np.empty((width, ROWS)),
                          0, 1)
    with pytest.raises(ValueError, match="rows"):
        weight_grad_tiles(pack_panels(d), _quads(np.ones((8, ROWS))), np.empty((1, ROWS)), 0, 1)
