"""A stack's no-grad LSTM layers run by threads claiming chunks of sequences
(`kernels.recurrent_lstm_claims`): every chunking, thread count and order gives each layer's
one-thread stacked loop (`lstm_stacked_forward`) bit for bit, a thread that comes after the
chunks are all taken touches nothing, and `chunks_done` says when the last one is done (tiny
sizes: CI also runs these with NUMBA_DISABLE_JIT=1)."""

import threading

import numpy as np
import pytest

from seqlab.autograd.kernels.panel_gemm import panels_shape
from seqlab.autograd.kernels.recurrent_lstm_claims import (
    DONE_SLOT,
    NEXT_SLOT,
    RNN_RELU_CELL,
    RNN_TANH_CELL,
    chunks_done,
    lstm_stacked_claims,
    new_claims,
    stacked_claims,
)
from seqlab.autograd.kernels.recurrent_lstm_stacked import (
    lstm_stacked_forward,
    pack_stacked_into,
)
from seqlab.autograd.kernels.recurrent_rnn_stacked import rnn_stacked_forward

pytestmark = pytest.mark.kernels


def _stack(dtype, layers, features, hidden, seed=0, gates=4):
    """Each layer's stacked panels and the draws that made them (`gates` 1: an RNN's)."""
    rng = np.random.default_rng(seed)
    panels = []
    for layer in range(layers):
        width = features if layer == 0 else hidden
        w_ih = (0.4 * rng.standard_normal((gates * hidden, width))).astype(dtype)
        w_hh = (0.4 * rng.standard_normal((gates * hidden, hidden))).astype(dtype)
        bias = (0.4 * rng.standard_normal(gates * hidden)).astype(dtype)
        packed = np.empty(panels_shape(width + hidden + 1, gates * hidden, dtype), dtype)
        pack_stacked_into(w_ih, w_hh, bias, packed)
        panels.append(packed)
    return tuple(panels)


def _layer_by_layer(x, panels, h0, c0):
    """out, h_n, c_n of the stack by `lstm_stacked_forward`, one layer after another."""
    layer_input, h_finals, c_finals = x, [], []
    for layer, layer_panels in enumerate(panels):
        h, c = h0[layer].copy(), c0[layer].copy()
        out = np.empty((x.shape[0], x.shape[1], h.shape[1]), x.dtype)
        lstm_stacked_forward(layer_input, layer_panels, h, c, out)
        h_finals.append(h)
        c_finals.append(c)
        layer_input = out
    return layer_input, np.stack(h_finals), np.stack(c_finals)


def _case(dtype, layers, batch, features=3, hidden=6, steps=5):
    rng = np.random.default_rng(batch + layers)
    x = rng.standard_normal((steps, batch, features)).astype(dtype)
    h0 = (0.5 * rng.standard_normal((layers, batch, hidden))).astype(dtype)
    c0 = (0.5 * rng.standard_normal((layers, batch, hidden))).astype(dtype)
    return x, _stack(dtype, layers, features, hidden), h0, c0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layers", [1, 3])
@pytest.mark.parametrize("batch,chunk", [(9, 4), (8, 4), (13, 8), (3, 4), (1, 1)])
def test_chunks_give_each_layers_one_thread_bits(dtype, layers, batch, chunk):
    """Chunks of whole panel tiles (4 rows; the last may be short), as the batch's own tiles:
    the same sums. (The jitted tile sums each row alike whatever the rows beside it; the
    NumPy bodies under NUMBA_DISABLE_JIT multiply 4-row tiles and single rows differently.)"""
    x, panels, h0, c0 = _case(dtype, layers, batch)
    want = _layer_by_layer(x, panels, h0, c0)
    h, c = h0.copy(), c0.copy()
    out = np.full((x.shape[0], batch, h0.shape[2]), np.nan, dtype)
    claims = new_claims()
    lstm_stacked_claims(x, panels, h, c, out, claims, chunk)
    chunks = -(-batch // chunk)
    assert claims[DONE_SLOT] == chunks and claims[NEXT_SLOT] == chunks + 1
    assert chunks_done(claims, batch, chunk)
    for got_array, want_array in zip((out, h, c), want):
        np.testing.assert_array_equal(got_array, want_array)


def test_a_thread_after_every_chunk_is_taken_touches_nothing():
    """A partner that starts once the chunks are all taken (its core woken late) returns at
    once and leaves the outputs and states as they are."""
    x, panels, h0, c0 = _case(np.float32, 2, 7)
    h, c = h0.copy(), c0.copy()
    out = np.empty((x.shape[0], 7, h0.shape[2]), np.float32)
    claims = new_claims()
    lstm_stacked_claims(x, panels, h, c, out, claims, 4)
    kept = out.copy(), h.copy(), c.copy()
    lstm_stacked_claims(x, panels, h, c, out, claims, 4)  # the late partner
    for got_array, want_array in zip((out, h, c), kept):
        np.testing.assert_array_equal(got_array, want_array)
    assert claims[DONE_SLOT] == 2


def test_chunks_done_counts_only_finished_chunks():
    claims = new_claims()
    claims[NEXT_SLOT] = 3  # three taken, two of them done
    claims[DONE_SLOT] = 2
    assert not chunks_done(claims, 9, 4)
    claims[DONE_SLOT] = 3
    assert chunks_done(claims, 9, 4)


def test_threads_claiming_at_once_give_the_one_thread_bits():
    """Two threads at once over one counter (each chunk run by whichever takes it)."""
    x, panels, h0, c0 = _case(np.float32, 2, 21, features=8, hidden=16, steps=12)
    want = _layer_by_layer(x, panels, h0, c0)
    for _ in range(5):
        h, c = h0.copy(), c0.copy()
        out = np.empty((x.shape[0], 21, 16), np.float32)
        claims = new_claims()
        partner = threading.Thread(target=lstm_stacked_claims,
                                   args=(x, panels, h, c, out, claims, 4))
        partner.start()
        lstm_stacked_claims(x, panels, h, c, out, claims, 4)
        partner.join()
        for got_array, want_array in zip((out, h, c), want):
            np.testing.assert_array_equal(got_array, want_array)


def _rnn_layer_by_layer(x, panels, h0, relu):
    """out, h_n of an RNN stack by `rnn_stacked_forward`, one layer after another."""
    layer_input, h_finals = x, []
    for layer, layer_panels in enumerate(panels):
        h = h0[layer].copy()
        out = np.empty((x.shape[0], x.shape[1], h.shape[1]), x.dtype)
        rnn_stacked_forward(layer_input, layer_panels, h, out, relu)
        h_finals.append(h)
        layer_input = out
    return layer_input, np.stack(h_finals)


@pytest.mark.parametrize("cell", [RNN_TANH_CELL, RNN_RELU_CELL])
@pytest.mark.parametrize("layers", [1, 3])
@pytest.mark.parametrize("batch,chunk", [(9, 4), (13, 8), (1, 1)])
def test_rnn_chunks_give_each_layers_one_thread_bits(cell, layers, batch, chunk):
    """The same helper runs an Elman RNN stack (c not read: h passed again), each chunk
    through `rnn_stacked_sequences`, bit for bit each layer's one-thread loop."""
    rng = np.random.default_rng(batch)
    x = rng.standard_normal((5, batch, 3)).astype(np.float32)
    h0 = (0.5 * rng.standard_normal((layers, batch, 6))).astype(np.float32)
    panels = _stack(np.float32, layers, 3, 6, gates=1)
    want = _rnn_layer_by_layer(x, panels, h0, cell == RNN_RELU_CELL)
    h = h0.copy()
    out = np.full((5, batch, 6), np.nan, np.float32)
    claims = new_claims()
    stacked_claims(x, panels, h, h, out, claims, chunk, cell)
    assert chunks_done(claims, batch, chunk)
    np.testing.assert_array_equal(out, want[0])
    np.testing.assert_array_equal(h, want[1])
