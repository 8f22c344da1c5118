"""The time loops multiply only the rows still running at a step (`kernels.active_rows`): with
the rows longest first each row keeps the bits it had when every row was multiplied, on every
product path (panels, `rows_gemm` in whole tiles, BLAS on every row)."""

import numba
import numpy as np
import pytest
from numba import njit

from seqlab.autograd.kernels.active_rows import (
    active_rows,
    active_rows_reference,
    whole_tiles,
    whole_tiles_reference,
)
from seqlab.autograd.kernels.panel_gemm import panels_shape
from seqlab.autograd.kernels.recurrent_gru import gru_backward_into, gru_forward_into
from seqlab.autograd.kernels.recurrent_rnn import rnn_backward, rnn_forward
from seqlab.seqmodels import recurrent_loops as loops


@njit(cache=False)
def _counts(lengths, steps):
    counts = np.empty(steps, np.int64)
    active = lengths.shape[0]
    for step in range(steps):
        active = active_rows(lengths, step, active)
        counts[step] = active
    return counts


@njit(cache=False)
def _tiles(active, batch, tile):
    return whole_tiles(active, batch, tile)


@pytest.mark.kernels
@pytest.mark.parametrize("seed", range(6))
def test_active_rows_equals_the_reference(seed):
    rng = np.random.default_rng(seed)
    steps = int(rng.integers(1, 12))
    lengths = rng.integers(1, steps + 1, int(rng.integers(1, 20)))
    for case in (lengths, np.sort(lengths)[::-1].copy()):  # any order, longest first
        want = [active_rows_reference(case, step) for step in range(steps)]
        assert _counts(case, steps).tolist() == want
    running = _counts(np.sort(lengths)[::-1].copy(), steps)
    # longest first: exactly the sequences still running
    assert running.tolist() == [int((lengths > step).sum()) for step in range(steps)]


@pytest.mark.kernels
def test_whole_tiles_equals_the_reference():
    for batch in range(0, 14):
        for active in range(0, batch + 1):
            want = whole_tiles_reference(active, batch, 4)
            assert _tiles(active, batch, 4) == want
            assert active <= want <= batch


def _rows_in(order, array):
    return np.ascontiguousarray(array[:, order]) if array.ndim == 3 else array[order]


def _back(order, array):
    restored = np.empty_like(array)
    if array.ndim == 3:
        restored[:, order] = array
    else:
        restored[order] = array
    return restored


def _longest_first_equals_every_row(run, xg, h0, lengths, reverse):
    """run(xg, h0, lengths) over the rows longest first (each step multiplies the running
    rows) against the same rows shortest first (the last row runs every step: every row is
    multiplied, as before `active_rows`), put back in one order: the same bits. (`rows_gemm`
    sums its tail rows apart from its 4-row tiles: its cases take whole tiles, so the two
    orders put every row in a tile.) Under NUMBA_DISABLE_JIT the panels' plain-NumPy bodies
    multiply tiles by NumPy's BLAS, whose sums depend on the rows beside: round-off there."""
    longest = np.argsort(-lengths, kind="stable")
    shortest = longest[::-1].copy()
    results = []
    for order in (longest, shortest):
        got = run(_rows_in(order, xg), h0[order].copy(), lengths[order].copy(), reverse)
        results.append([_back(order, array) for array in got])
    for got, want in zip(*results):
        if numba.config.DISABLE_JIT:
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        else:
            np.testing.assert_array_equal(got, want)


def _case(dtype, batch, hidden, gates, steps=4, seed=0):
    rng = np.random.default_rng(seed)
    xg = rng.standard_normal((steps, batch, gates * hidden)).astype(dtype)
    h0 = (0.5 * rng.standard_normal((batch, hidden))).astype(dtype)
    w_hh = (0.3 * rng.standard_normal((gates * hidden, hidden))).astype(dtype)
    lengths = rng.integers(1, steps + 1, batch)
    lengths[0] = steps
    return xg, h0, w_hh, lengths


@pytest.mark.kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("product", ["panels", "rows", "blas"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("save", [False, True])
def test_gru_loop_longest_first_keeps_each_rows_bits(dtype, product, reverse, save):
    hidden = 256 if product == "rows" else 16  # (`rows_gemm_pays` from depth 256)
    rows = product == "rows"
    xg, h0, w_hh, lengths = _case(dtype, 12 if rows else 11, hidden, 3, steps=3 if rows else 5)
    batch = xg.shape[1]
    w_hh_t = np.ascontiguousarray(w_hh.T)
    bias = np.linspace(-0.2, 0.2, 3 * hidden).astype(dtype)

    def run(xg, h0, lengths, reverse):
        steps = xg.shape[0]
        kept = steps if save else 1
        out = np.empty((steps, batch, hidden), dtype)
        gates = np.empty((kept, batch, 3 * hidden), dtype)
        hidden_n, h_prev = (np.empty((kept, batch, hidden), dtype) for _ in range(2))
        panels = (np.empty(panels_shape(hidden, 3 * hidden, dtype), dtype)
                  if product == "panels" else np.empty((0, 1, 1), dtype))
        h_n = gru_forward_into(xg, h0, w_hh_t, bias, lengths, reverse, save, out, gates,
                               hidden_n, h_prev, panels)
        return (out, h_n) + ((gates, hidden_n, h_prev) if save else ())

    _longest_first_equals_every_row(run, xg, h0, lengths, reverse)


@pytest.mark.kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("product", ["panels", "rows", "blas"])
@pytest.mark.parametrize("reverse", [False, True])
def test_rnn_loop_longest_first_keeps_each_rows_bits(dtype, product, reverse):
    hidden = 256 if product == "rows" else 16
    rows = product == "rows"
    xg, h0, w_hh, lengths = _case(dtype, 12 if rows else 10, hidden, 1, steps=3 if rows else 5)
    w_hh_t = np.ascontiguousarray(w_hh.T)

    def run(xg, h0, lengths, reverse):
        panels = (np.empty(panels_shape(hidden, hidden, dtype), dtype)
                  if product == "panels" else np.empty((0, 1, 1), dtype))
        return rnn_forward(xg, h0, w_hh_t, lengths, reverse, False, panels)

    _longest_first_equals_every_row(run, xg, h0, lengths, reverse)


@pytest.mark.kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("parts", [1, 2])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("save", [False, True])
def test_lstm_loop_longest_first_keeps_each_rows_bits(dtype, parts, reverse, save):
    xg, h0, w_hh, lengths = _case(dtype, 9, 12, 4)  # (batch 9: panels, tiles and tail rows)

    def run(xg, h0, lengths, reverse):
        c0 = np.cos(h0)  # (each row's own c0, whatever the order)
        out, h_n, c_n, *saved = loops.lstm_team_forward(xg, h0, c0, w_hh, lengths, reverse,
                                                        parts, None, save)
        # the saved arrays (T, N, .) but h0's copy and the placeholders of an unsaved loop
        return out, h_n, c_n, *(array for array in saved if array is not None
                                and array.ndim == 3 and array.shape[1] == xg.shape[1])

    _longest_first_equals_every_row(run, xg, h0, lengths, reverse)


def _saved_forward_then_backward(forward, backward, xg, h0, lengths, reverse):
    """run(xg, h0, lengths, reverse) for `_longest_first_equals_every_row`: a saving forward,
    then its backward over the same rows' output gradients (moved with the rows by the
    caller: d_out and d_hn ride along in xg's and h0's trailing columns)."""
    hidden = h0.shape[1] // 2
    saved = forward(xg[:, :, :-hidden], h0[:, :hidden], lengths, reverse)
    return backward(saved, lengths, reverse, np.ascontiguousarray(xg[:, :, -hidden:]),
                    np.ascontiguousarray(h0[:, hidden:]))


def _with_gradients(xg, h0, seed=1):
    """xg and h0 with the output gradients d_out (T, N, H) and d_hn (N, H) as trailing columns
    (so that `_longest_first_equals_every_row` moves them with their rows)."""
    rng = np.random.default_rng(seed)
    hidden = h0.shape[1]
    d_out = rng.standard_normal((*xg.shape[:2], hidden)).astype(xg.dtype)
    d_hn = rng.standard_normal(h0.shape).astype(h0.dtype)
    return np.concatenate([xg, d_out], axis=2), np.concatenate([h0, d_hn], axis=1)


@pytest.mark.kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("product", ["panels", "rows", "blas"])
@pytest.mark.parametrize("reverse", [False, True])
def test_gru_backward_longest_first_keeps_each_rows_bits(dtype, product, reverse):
    """The backward loop multiplies each step's running rows alone (`active_rows` from the
    full batch, as the rows still running grow going back in time): d_xg, d_hg and dh0 keep
    each row's bits."""
    hidden = 256 if product == "rows" else 16
    rows = product == "rows"
    xg, h0, w_hh, lengths = _case(dtype, 12 if rows else 11, hidden, 3, steps=3 if rows else 5)
    batch = xg.shape[1]
    w_hh_t = np.ascontiguousarray(w_hh.T)
    bias = np.linspace(-0.2, 0.2, 3 * hidden).astype(dtype)

    def panels(depth, columns):
        return (np.empty(panels_shape(depth, columns, dtype), dtype) if product == "panels"
                else np.empty((0, 1, 1), dtype))

    def forward(xg, h0, lengths, reverse):
        steps = xg.shape[0]
        out = np.empty((steps, batch, hidden), dtype)
        gates = np.empty((steps, batch, 3 * hidden), dtype)
        hidden_n, h_prev = (np.empty((steps, batch, hidden), dtype) for _ in range(2))
        gru_forward_into(xg, h0, w_hh_t, bias, lengths, reverse, True, out, gates, hidden_n,
                         h_prev, panels(hidden, 3 * hidden))
        return gates, hidden_n, h_prev

    def backward(saved, lengths, reverse, d_out, d_hn):
        d_xg, d_hg = (np.empty_like(saved[0]) for _ in range(2))
        dh0 = gru_backward_into(*saved, w_hh, lengths, reverse, d_out, d_hn, d_xg, d_hg,
                                panels(3 * hidden, hidden))
        return d_xg, d_hg, dh0

    _longest_first_equals_every_row(
        lambda *args: _saved_forward_then_backward(forward, backward, *args),
        *_with_gradients(xg, h0), lengths, reverse)


@pytest.mark.kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("product", ["panels", "rows", "blas"])
@pytest.mark.parametrize("reverse", [False, True])
def test_rnn_backward_longest_first_keeps_each_rows_bits(dtype, product, reverse):
    hidden = 256 if product == "rows" else 16
    rows = product == "rows"
    xg, h0, w_hh, lengths = _case(dtype, 12 if rows else 10, hidden, 1, steps=3 if rows else 5)
    w_hh_t = np.ascontiguousarray(w_hh.T)

    def panels():
        return (np.empty(panels_shape(hidden, hidden, dtype), dtype) if product == "panels"
                else np.empty((0, 1, 1), dtype))

    def forward(xg, h0, lengths, reverse):
        return rnn_forward(xg, h0, w_hh_t, lengths, reverse, False, panels())[0]

    def backward(out, lengths, reverse, d_out, d_hn):
        return rnn_backward(out, w_hh, lengths, reverse, False, d_out, d_hn, panels())

    _longest_first_equals_every_row(
        lambda *args: _saved_forward_then_backward(forward, backward, *args),
        *_with_gradients(xg, h0), lengths, reverse)


@pytest.mark.kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("parts", [1, 2])
@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_backward_longest_first_keeps_each_rows_bits(dtype, parts, reverse):
    """The LSTM team's backward (split by units: batch 9 is too few to split by sequence):
    d_xg, dh0 and dc0 keep each row's bits (dW_hh, one GEMM over every (step, sequence), sums
    the rows in their order: not compared here)."""
    xg, h0, w_hh, lengths = _case(dtype, 9, 12, 4)

    def forward(xg, h0, lengths, reverse):
        # (the saved activations after out, h_n and c_n)
        return loops.lstm_team_forward(xg, h0, np.cos(h0), w_hh, lengths, reverse, parts,
                                       None, True)[3:]

    def backward(saved, lengths, reverse, d_out, d_hn):
        d_xg, dh0, dc0, _, _ = loops.lstm_team_backward(saved, w_hh, lengths, reverse, d_out,
                                                        d_hn, np.sin(d_hn), parts)
        return d_xg, dh0, dc0

    _longest_first_equals_every_row(
        lambda *args: _saved_forward_then_backward(forward, backward, *args),
        *_with_gradients(xg, h0), lengths, reverse)
