"""kernels.sequence_projection: a block of sequences' inputs projected through packed panels,
step by step, against NumPy, and with the bits of the whole projection (`panel_rows_into`
over all T*N rows): blocks that are and are not multiples of the tile's rows, with and
without a bias, an empty block; float64 and float32 (the same bits with the jitted tiles: the
projection inside the LSTM team takes them only then).
"""

import numba
import numpy as np
import pytest

from seqlab.autograd.kernels.panel_blocks import panel_rows_into
from seqlab.autograd.kernels.panel_gemm import ROWS, pack_panels, panel_columns
from seqlab.autograd.kernels.sequence_projection import (
    project_sequences_into,
    sequence_projection_reference,
)

pytestmark = pytest.mark.kernels


def _draw(dtype, steps, batch, features, columns, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((steps, batch, features)).astype(dtype)
    w = rng.standard_normal((columns, features)).astype(dtype)
    bias = rng.standard_normal(columns).astype(dtype)
    return x, w, bias


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("start, stop", [(0, 8), (8, 14), (2 * ROWS + 1, 14), (5, 5)])
@pytest.mark.parametrize("with_bias", [False, True])
def test_block_of_sequences_equals_numpy_and_the_whole_projection(dtype, start, stop,
                                                                   with_bias):
    steps, batch, features = 3, 14, 5
    columns = 2 * panel_columns(1, dtype)
    x, w, bias = _draw(dtype, steps, batch, features, columns, start + stop)
    panels = pack_panels(np.ascontiguousarray(w.T))
    out = np.full((steps, batch, columns), np.nan, dtype)
    first = np.broadcast_to(bias, (batch, columns)) if with_bias else out[0]
    project_sequences_into(x, panels, first, with_bias, out, start, stop, 2 * ROWS)
    expected = sequence_projection_reference(x, w, bias if with_bias else None, start, stop)
    tolerance = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(out[:, start:stop], expected, rtol=tolerance, atol=tolerance)
    assert np.isnan(out[:, :start]).all() and np.isnan(out[:, stop:]).all()  # only the block
    whole = np.empty((steps * batch, columns), dtype)
    whole_first = np.broadcast_to(bias, whole.shape) if with_bias else whole
    panel_rows_into(x.reshape(-1, features), panels, whole, whole_first, with_bias, 8 * ROWS)
    whole_block = whole.reshape(out.shape)[:, start:stop]
    if numba.config.DISABLE_JIT:  # the tiles' NumPy bodies round a tile and a row apart
        np.testing.assert_allclose(out[:, start:stop], whole_block, rtol=tolerance,
                                   atol=tolerance)
    else:  # the FMA tiles: each row's sums in the same order, whatever block it is in
        np.testing.assert_array_equal(out[:, start:stop], whole_block)


def test_a_block_past_the_batch_is_refused():
    x, w, _ = _draw(np.float64, 2, 4, 3, panel_columns(1, np.float64), 0)
    out = np.empty((2, 4, w.shape[0]))
    with pytest.raises(ValueError, match="start <= stop"):
        project_sequences_into(x, pack_panels(np.ascontiguousarray(w.T)), out[0], False, out,
                               2, 5, ROWS)
