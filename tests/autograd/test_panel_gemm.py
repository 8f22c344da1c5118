"""kernels.panel_gemm: `a @ b` by broadcast tiles over packed panels, and the LSTM loops on it.

The product runs ROWS x (COLS * lanes) vector tiles, then 1-row tiles for the rows below a
multiple of ROWS; `pack_panels` pads the columns past a multiple of the tile's width with
zeros. The shapes below hit every one of those edges, in float64 and float32, against NumPy.
The LSTM loops take the panels from batch 4 (`panels_pay`); the other kernel tests run batch 3
(BLAS), so the layer is checked here at batch 5 against the NumPy reference layer, alone and
as a team of two, with hidden sizes whose gate columns are not a multiple of the tile.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

from seqlab.autograd.kernels import recurrent_reference as reference
from seqlab.autograd.kernels.panel_gemm import (
    FMA,
    MIN_BATCH,
    MIN_BATCH_NARROW,
    ROW_PANELS,
    ROWS,
    lanes_of,
    min_panel_batch,
    pack_panels,
    pack_transposed_in_k_blocks,
    pack_transposed_into,
    panel_columns,
    panel_gemm_packed_into,
    panel_gemm_reference,
    panels_pay,
)
from seqlab.seqmodels import recurrent_loops, recurrent_ops

pytestmark = pytest.mark.kernels


def _width(dtype):
    return panel_columns(1, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(8, 16, 1), (5, 7, 9), (1, 3, 4), (ROWS, 1, 70),
                                   (ROWS + 3, 20, 130), (2 * ROWS, 33, 64)])
def test_panel_product_equals_numpy(dtype, shape):
    rows, depth, cols = shape
    rng = np.random.default_rng(rows * depth + cols)
    a = rng.standard_normal((rows, depth)).astype(dtype)
    b = rng.standard_normal((depth, cols)).astype(dtype)
    out = np.full((rows, panel_columns(cols, dtype)), np.nan, dtype)
    panel_gemm_packed_into(a, pack_panels(b), out)
    tolerance = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(out[:, :cols], panel_gemm_reference(a, b), rtol=tolerance,
                               atol=tolerance)
    np.testing.assert_array_equal(out[:, cols:], 0)  # the padding columns


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("rows", [1, 2, 3, ROWS + 1, ROWS + 2])
def test_rows_over_spanned_panels_give_one_panels_bits(dtype, rows):
    """The rows below a multiple of ROWS run over ROW_PANELS panels at once, then the last
    panels one at a time: each output is summed over k in the same order either way, so the
    bits equal a product over each panel alone (and NumPy's within round-off)."""
    count = 2 * ROW_PANELS + 1
    depth, cols = 37, count * _width(dtype) - 3
    rng = np.random.default_rng(rows)
    a = rng.standard_normal((rows, depth)).astype(dtype)
    panels = pack_panels(rng.standard_normal((depth, cols)).astype(dtype))
    out = np.full((rows, panel_columns(cols, dtype)), np.nan, dtype)
    panel_gemm_packed_into(a, panels, out)
    width = panels.shape[2]
    for p in range(count):
        alone = np.full((rows, width), np.nan, dtype)
        panel_gemm_packed_into(a, panels[p:p + 1], alone)
        np.testing.assert_array_equal(out[:, p * width:(p + 1) * width], alone)
    tolerance = 1e-12 if dtype == np.float64 else 2e-5
    b = np.concatenate(list(panels), axis=1)
    np.testing.assert_allclose(out, a @ b, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pack_panels_of_rows_and_of_a_transposed_view(dtype):
    """Panel p holds columns [p * width, (p + 1) * width) of b, zeros past its last column."""
    width = _width(dtype)
    rng = np.random.default_rng(5)
    b = rng.standard_normal((6, 2 * width + 3)).astype(dtype)
    for source in (b, np.ascontiguousarray(b.T).T, b[:, :]):
        panels = pack_panels(source)
        assert panels.shape == (3, 6, width)
        unpacked = panels.transpose(1, 0, 2).reshape(6, 3 * width)
        np.testing.assert_array_equal(unpacked[:, :b.shape[1]], b)
        np.testing.assert_array_equal(unpacked[:, b.shape[1]:], 0)


@pytest.mark.parametrize("pack", [pack_transposed_into, pack_transposed_in_k_blocks],
                         ids=["by length", "k blocks"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("depth", [1, 64, 150, 300])
def test_pack_transposed_into_every_panel_and_a_block_of_them(dtype, depth, pack):
    """panels[p, k, j] = rows[p * width + j, k], zeros past the rows, in both loop orders (rows
    up to 1 KiB by k blocks of 64 with a ragged end, longer ones 8 rows at a time; the k-block
    order alone at every length); also a block of panels from a block of rows (as a team's
    parts pack)."""
    width = _width(dtype)
    rng = np.random.default_rng(depth)
    rows = rng.standard_normal((3 * width + 5, depth)).astype(dtype)
    count = 4
    expected = np.zeros((count * width, depth), dtype)
    expected[:rows.shape[0]] = rows
    expected = expected.reshape(count, width, depth).transpose(0, 2, 1)
    panels = np.full((count, depth, width), np.nan, dtype)
    pack(rows, panels)
    np.testing.assert_array_equal(panels, expected)
    panels[:] = np.nan
    pack(rows[width:], panels[1:])  # the last three panels only
    np.testing.assert_array_equal(panels[1:], expected[1:])
    assert np.isnan(panels[0]).all()


def test_panel_product_reads_and_writes_strided_rows():
    """One step's rows of a (T, N, G) array into a row block of a wider array."""
    rng = np.random.default_rng(3)
    steps = rng.standard_normal((3, 6, 10))
    weight = rng.standard_normal((10, 5))
    width = panel_columns(5, np.float64)
    target = np.zeros((6, width + 4))
    panel_gemm_packed_into(steps[1], pack_panels(weight), target[:, 4:])
    np.testing.assert_allclose(target[:, 4:9], steps[1] @ weight, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(target[:, :4], 0)


def test_panel_product_rejects_mismatched_shapes():
    a = np.ones((4, 3))
    with pytest.raises(ValueError, match="panels"):
        panel_gemm_packed_into(a, pack_panels(np.ones((2, 5))), np.zeros((4, 64)))


def test_panel_product_rejects_column_strided_rows():
    """The tile reads rows as contiguous vectors: a transposed view must be refused, not read
    wrong."""
    a = np.ones((16, 5)).T
    with pytest.raises(ValueError, match="contiguous rows"):
        panel_gemm_packed_into(a, pack_panels(np.ones((16, 3))),
                               np.zeros((5, panel_columns(3, np.float64))))


def test_lanes_and_threshold():
    assert lanes_of(np.float32) == 2 * lanes_of(np.float64) >= 4
    first = min_panel_batch()
    assert panels_pay(first) == FMA and not panels_pay(first - 1)
    assert first == (MIN_BATCH if lanes_of(np.float32) >= 16 else MIN_BATCH_NARROW)


def test_avx2_target_spans_panels_and_takes_them_from_batch_1(tmp_path):
    """An AVX2 target (what NUMBA_CPU_NAME=haswell compiles for on any x86 host) gets 32-byte
    vectors, one-row tiles over ROWS panels and the panels from `MIN_BATCH_NARROW` (batch 1)."""
    script = ("from seqlab.autograd.kernels import panel_gemm as pg; "
              "print(pg.VECTOR_BYTES, pg.ROW_PANELS, pg.PAIR_PANELS, pg.min_panel_batch())")
    env = {**os.environ, "NUMBA_CPU_NAME": "haswell", "NUMBA_CPU_FEATURES": "+avx,+avx2,+fma",
           "NUMBA_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, check=True)
    assert done.stdout.split() == ["32", str(ROWS), str(ROWS // 2), str(MIN_BATCH_NARROW)]


def test_tile_width_follows_numbas_target_not_the_host(tmp_path):
    """The width is compiled into cached machine code, so it must come from the target Numba
    compiles (and keys its cache) for: a portable target (NUMBA_CPU_NAME=generic, no features)
    gets 32-byte vectors and no panels (no FMA), whatever the host has."""
    script = ("from seqlab.autograd.kernels import panel_gemm as pg; "
              "print(pg.VECTOR_BYTES, pg.FMA, pg.panels_pay(32))")
    env = {key: value for key, value in os.environ.items() if key != "NUMBA_CPU_FEATURES"}
    env |= {"NUMBA_CPU_NAME": "generic", "NUMBA_CACHE_DIR": str(tmp_path)}  # no features
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, check=True)
    assert done.stdout.split() == ["32", "False", "False"]


def _lstm_case(hidden, batch, steps, seed):
    rng = np.random.default_rng(seed)

    def draw(*shape, scale=0.5):
        return scale * rng.standard_normal(shape)

    width = 4 * hidden
    return (draw(steps, batch, 3), draw(batch, hidden), draw(batch, hidden),
            draw(width, 3), draw(width, hidden, scale=1 / np.sqrt(hidden)), draw(width),
            draw(width))


@pytest.mark.parametrize("hidden", [5, 24, 72])
@pytest.mark.parametrize("parts", [1, 2])
@pytest.mark.parametrize("lengths", [None, [3, 1, 2, 3, 1]])
def test_lstm_layer_on_panels_equals_the_reference(hidden, parts, lengths, monkeypatch):
    steps, batch = 3, 5
    assert panels_pay(batch)
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = _lstm_case(hidden, batch, steps, seed=hidden + parts)
    monkeypatch.setattr(recurrent_loops, "team_size", lambda _hidden: parts)
    monkeypatch.setattr(recurrent_loops, "MIN_UNITS_FORWARD_STEP_MACS", 0)  # small teams
    monkeypatch.setattr(recurrent_loops, "MIN_UNITS_BACKWARD_STEP_MACS", 0)
    out, h_n, c_n, saved = recurrent_ops.lstm_layer_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh,
                                                            lengths, reverse=lengths is not None)
    full = np.full(batch, steps) if lengths is None else np.asarray(lengths)
    expected_out, expected_h, expected_c, expected_backward = reference.lstm_reference(
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, full, lengths is not None)
    for actual, expected in ((out, expected_out), (h_n, expected_h), (c_n, expected_c)):
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-13)
    rng = np.random.default_rng(7)
    d_out, d_hn, d_cn = (rng.standard_normal(a.shape) for a in (out, h_n, c_n))
    grads = recurrent_ops.lstm_layer_backward(saved, d_out, d_hn, d_cn)
    for actual, expected in zip(grads, expected_backward(d_out, d_hn, d_cn), strict=True):
        np.testing.assert_allclose(actual, expected, rtol=1e-11, atol=1e-12)
