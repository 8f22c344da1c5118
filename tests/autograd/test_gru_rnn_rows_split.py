"""kernels.recurrent_gru_rows / recurrent_rnn_rows: the GRU and RNN training loops as a team
split by sequence, against the NumPy reference layers (float64), crossed with the single-thread
loops (either backward runs after either forward), with lengths, reverse, uneven row blocks, a
table read in place, and a 2-layer bidirectional stack against the composed cells."""

import numba
import numpy as np
import pytest

from seqlab.autograd import Tensor
from seqlab.autograd.kernels import recurrent_reference as reference
from seqlab.autograd.kernels.panel_gemm import FMA
from seqlab.autograd.kernels.row_blocks import rows_split_pays
from seqlab.seqmodels import both_directions, recurrent_loops, recurrent_ops
from seqlab.seqmodels.recurrent import GRU, RNN

pytestmark = [pytest.mark.kernels,
              pytest.mark.skipif(not FMA, reason="the split by sequence needs panels (FMA)")]

KINDS = ["gru", "rnn_tanh", "rnn_relu"]


def _case(kind, hidden, batch, steps, features, seed):
    rng = np.random.default_rng(seed)

    def draw(*shape, scale=0.5):
        return scale * rng.standard_normal(shape)

    width = (3 if kind == "gru" else 1) * hidden
    return (draw(steps, batch, features), draw(batch, hidden), draw(width, features),
            draw(width, hidden, scale=1 / np.sqrt(hidden)), draw(width), draw(width))


def _split(monkeypatch, parts, forward, backward, teams=None):
    """Team of `parts`; the split by sequence on in the forward and backward as asked. The
    team size of every loop goes into `teams` (a list) when given."""
    monkeypatch.setattr(recurrent_loops, "team_size", lambda _hidden: parts)
    monkeypatch.setattr(recurrent_loops, "MIN_SPLIT_MACS", 0)  # small layers split too
    state = {"on": forward}
    monkeypatch.setattr(recurrent_loops, "rows_split_pays",
                        lambda *args: state["on"] and rows_split_pays(*args))
    if teams is not None:
        rows_team = recurrent_loops.rows_team
        monkeypatch.setattr(recurrent_loops, "rows_team",
                            lambda *args: teams.append(rows_team(*args)) or teams[-1])
    return lambda: state.update(on=backward)


def _layer(kind, x, h0, w_ih, w_hh, b_ih, b_hh, lengths, reverse):
    if kind == "gru":
        return recurrent_ops.gru_layer_forward(x, h0, w_ih, w_hh, b_ih, b_hh, lengths, reverse)
    return recurrent_ops.rnn_layer_forward(x, h0, w_ih, w_hh, b_ih, b_hh, lengths, reverse,
                                           nonlinearity=kind[4:])


def _reference(kind, x, h0, w_ih, w_hh, b_ih, b_hh, lengths, reverse):
    if kind == "gru":
        return reference.gru_reference(x, h0, w_ih, w_hh, b_ih, b_hh, lengths, reverse)
    return reference.rnn_reference(x, h0, w_ih, w_hh, b_ih, b_hh, lengths, reverse, kind[4:])


def _w_hh(gates, hidden):
    return np.empty((gates * hidden, hidden), np.float32)


def test_rows_team_splits_only_batches_and_layers_big_enough(monkeypatch):
    monkeypatch.setattr(recurrent_loops, "team_size", lambda _hidden: 2)
    assert recurrent_loops.rows_team(32, _w_hh(3, 128)) == (2 if FMA else 1)  # GRU 128: 49k MACs
    assert recurrent_loops.rows_team(32, _w_hh(1, 256)) == (2 if FMA else 1)  # RNN 256: 65k
    assert recurrent_loops.rows_team(32, _w_hh(1, 128)) == 1  # RNN 128: 16k multiply-adds a step
    assert recurrent_loops.rows_team(32, _w_hh(3, 64)) == 1
    assert recurrent_loops.rows_team(15, _w_hh(3, 256)) == 1  # fewer than 8 sequences a part
    monkeypatch.setattr(recurrent_loops, "team_size", lambda _hidden: 1)
    assert recurrent_loops.rows_team(64, _w_hh(3, 512)) == 1  # one thread: the single-thread loop


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("hidden, parts", [(5, 2), (40, 3)])
@pytest.mark.parametrize("lengths_kind, reverse", [("full", False), ("lengths", True),
                                                   ("full", True), ("lengths", False)])
@pytest.mark.parametrize("cross", [None, "forward", "backward"])
def test_layer_split_by_sequence_equals_the_reference(kind, hidden, parts, lengths_kind,
                                                      reverse, cross, monkeypatch):
    """`cross` runs that direction of the pass on the single-thread loop instead."""
    steps, batch = 4, 8 * parts + 3
    assert rows_split_pays(batch, parts)
    rng = np.random.default_rng(hidden * parts)
    lengths = None if lengths_kind == "full" else rng.integers(1, steps + 1, batch)
    x, h0, w_ih, w_hh, b_ih, b_hh = _case(kind, hidden, batch, steps, 3, seed=hidden + parts)
    teams = []
    to_backward = _split(monkeypatch, parts, cross != "forward", cross != "backward", teams)
    out, h_n, saved = _layer(kind, x, h0, w_ih, w_hh, b_ih, b_hh, lengths, reverse)
    to_backward()
    full = np.full(batch, steps) if lengths is None else np.asarray(lengths)
    want_out, want_h, want_backward = _reference(kind, x, h0, w_ih, w_hh, b_ih, b_hh, full,
                                                 reverse)
    np.testing.assert_allclose(out, want_out, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(h_n, want_h, rtol=1e-12, atol=1e-13)
    d_out, d_hn = (rng.standard_normal(a.shape) for a in (out, h_n))
    backward = (recurrent_ops.gru_layer_backward if kind == "gru"
                else recurrent_ops.rnn_layer_backward)
    grads = backward(saved, d_out, d_hn)
    assert teams == [1 if cross == "forward" else parts, 1 if cross == "backward" else parts]
    for actual, expected in zip(grads, want_backward(d_out, d_hn), strict=True):
        np.testing.assert_allclose(actual, expected, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_split_equals_the_single_thread_loops_without_bias(kind, monkeypatch):
    """No biases (GRU's b_hh None in the loop): every result equal to the single-thread loop."""
    steps, batch, hidden = 6, 21, 24
    x, h0, w_ih, w_hh, _, _ = _case(kind, hidden, batch, steps, 4, seed=5)
    lengths = np.random.default_rng(6).integers(1, steps + 1, batch)
    results = []
    for on in (False, True):
        _split(monkeypatch, 2, on, on)
        out, h_n, saved = _layer(kind, x, h0, w_ih, w_hh, None, None, lengths, True)
        backward = (recurrent_ops.gru_layer_backward if kind == "gru"
                    else recurrent_ops.rnn_layer_backward)
        d_out = np.random.default_rng(7).standard_normal(out.shape)
        results.append((out, h_n, *backward(saved, d_out, np.ones_like(h_n))))
    for actual, expected in zip(results[1], results[0], strict=True):
        if expected is None:
            assert actual is None
        else:
            np.testing.assert_allclose(actual, expected, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_table_read_split_by_sequence_equals_the_gathered_rows(kind, dtype, monkeypatch):
    """Layer 0 reading a (V, G*H) table at ids in place: outputs and the table's gradient equal
    the single-thread loop over the gathered rows (whose gradient NumPy scatters into the
    table)."""
    steps, batch, hidden, vocab = 5, 19, 40, 7
    width = (3 if kind == "gru" else 1) * hidden
    rng = np.random.default_rng(11)
    table = (0.5 * rng.standard_normal((vocab, width))).astype(dtype)
    ids = rng.integers(0, vocab, (steps, batch))
    h0 = (0.5 * rng.standard_normal((batch, hidden))).astype(dtype)
    w_hh = (rng.standard_normal((width, hidden)) / np.sqrt(hidden)).astype(dtype)
    b_hh = (0.5 * rng.standard_normal(width)).astype(dtype) if kind == "gru" else None
    lengths = rng.integers(1, steps + 1, batch)
    _split(monkeypatch, 2, True, True)
    by_table = recurrent_ops.projected_forward(kind, table, h0, None, w_hh, b_hh, lengths,
                                               ids=ids)
    _split(monkeypatch, 2, False, False)
    gathered = recurrent_ops.projected_forward(kind, table[ids], h0, None, w_hh, b_hh, lengths)
    tolerance = 1e-12 if dtype == np.float64 else 2e-5
    for actual, expected in zip(by_table[:2], gathered[:2], strict=True):
        np.testing.assert_allclose(actual, expected, rtol=tolerance, atol=tolerance)
    d_out = rng.standard_normal(by_table[0].shape).astype(dtype)
    d_hn = rng.standard_normal((batch, hidden)).astype(dtype)
    _split(monkeypatch, 2, True, True)
    d_table, *rest = recurrent_ops.projected_backward(by_table[3], d_out, d_hn, None)
    _split(monkeypatch, 2, False, False)
    d_rows, *expected_rest = recurrent_ops.projected_backward(gathered[3], d_out, d_hn, None)
    expected_table = np.zeros_like(table)
    np.add.at(expected_table, ids.reshape(-1), d_rows.reshape(-1, width))
    np.testing.assert_allclose(d_table, expected_table, rtol=tolerance, atol=tolerance)
    for actual, expected in zip(rest, expected_rest, strict=True):
        if expected is None:
            assert actual is None
        else:
            np.testing.assert_allclose(actual, expected, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("kind", KINDS)
def test_two_layer_bidirectional_stack_equals_the_composed_cells(kind, monkeypatch):
    """Through the layer path (RNNBase, fused): the split stack against the same model run
    step by step on the composed autograd cells, outputs and every gradient."""
    steps, batch, features, hidden = 6, 18, 5, 12
    rng = np.random.default_rng(12)
    x_data = rng.standard_normal((steps, batch, features))
    lengths = rng.integers(1, steps + 1, batch)
    weight = rng.standard_normal((steps, batch, 2 * hidden))
    calls = []
    _split(monkeypatch, 2, True, True, calls)
    results = []
    for fused in (True, False):
        factory = GRU if kind == "gru" else lambda *a, **k: RNN(*a, nonlinearity=kind[4:], **k)
        model = factory(features, hidden, num_layers=2, bidirectional=True, dtype=np.float64,
                        generator=3)
        model.fused = fused
        x = Tensor(x_data, requires_grad=True)
        out, h_n = model(x, lengths=lengths)
        ((out * weight).sum() + (h_n * h_n).sum()).backward()
        results.append((out.data, h_n.data, x.grad,
                        *(p.grad for _, p in model.named_parameters())))
    # 2 layers x 2 directions, forward and backward; under NUMBA_DISABLE_JIT a bidirectional
    # layer's directions run in turn (`directions_side_by_side`), so the longest-first
    # decision of the graph call with lengths (`training_length_order.ordering_pays`) asks
    # `rows_team` once first, whether the loops split by sequence (they do: not ordered)
    decisions = 0 if both_directions.directions_side_by_side() else 1
    assert calls == [2] * (8 + decisions)
    for actual, expected in zip(*results, strict=True):
        np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-12)


def test_loop_rows_team_splits_a_whole_loop_with_enough_work(monkeypatch):
    """A GRU or RNN training loop under MIN_SPLIT_MACS a step splits where each part's whole
    loop holds MIN_PART_LOOP_MACS and the one-thread loop takes the panels both ways."""
    monkeypatch.setattr(recurrent_loops, "team_size", lambda _hidden: 2)
    split = 2 if FMA else 1
    w_128, w_96, w_gru_64 = _w_hh(1, 128), _w_hh(1, 96), _w_hh(3, 64)
    assert recurrent_loops.rows_team(32, w_128) == 1  # 16k multiply-adds a step: not alone
    assert recurrent_loops.loop_rows_team(64, 32, w_128) == split  # 16.8M a part
    assert recurrent_loops.loop_rows_team(32, 32, w_128) == split  # 8.4M: the floor
    assert recurrent_loops.loop_rows_team(16, 32, w_128) == 1  # 4.2M a part
    assert recurrent_loops.loop_rows_team(64, 16, _w_hh(1, 64)) == 1  # 2.1M a part
    assert recurrent_loops.loop_rows_team(64, 64, _w_hh(1, 64)) == split
    assert recurrent_loops.loop_rows_team(64, 32, w_gru_64) == split  # GRU 64: 12.6M a part
    assert recurrent_loops.loop_rows_team(64, 16, w_gru_64) == 1  # 6.3M a part
    assert recurrent_loops.loop_rows_team(256, 32, w_96) == 1  # one thread would run BLAS
    assert recurrent_loops.loop_rows_team(256, 32, _w_hh(3, 96)) == 1  # (its backward would)
    assert recurrent_loops.loop_rows_team(256, 15, w_128) == 1  # fewer than 8 sequences a part
    assert recurrent_loops.loop_rows_team(8, 32, _w_hh(1, 256)) == split  # rows_team's, as before
    monkeypatch.setattr(recurrent_loops, "team_size", lambda _hidden: 1)
    assert recurrent_loops.loop_rows_team(256, 128, w_128) == 1  # one thread: one part


@pytest.mark.parametrize("kind, hidden, steps", [("rnn_tanh", 128, 32), ("rnn_relu", 128, 32),
                                                 ("gru", 64, 48)])
@pytest.mark.parametrize("with_lengths", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_loop_split_by_the_loop_rule_gives_the_one_thread_bits(kind, hidden, steps,
                                                                 with_lengths, dtype,
                                                                 monkeypatch):
    """Where `loop_rows_team` splits a loop that `rows_team` alone would not (batch 32), the
    team's panel products are the one-thread loop's and both sum GRU's db_hh alike: outputs and
    every gradient are the same bits with one part and with two; in float32 they equal the
    float64 layer's to round-off."""
    batch = 32
    case = _case(kind, hidden, batch, steps, 8, seed=21)
    rng = np.random.default_rng(22)
    lengths = rng.integers(1, steps + 1, batch) if with_lengths else None
    d_out = rng.standard_normal((steps, batch, hidden))
    d_hn = rng.standard_normal((batch, hidden))
    backward = (recurrent_ops.gru_layer_backward if kind == "gru"
                else recurrent_ops.rnn_layer_backward)

    def run(arrays_dtype):
        x, h0, w_ih, w_hh, b_ih, b_hh = (a.astype(arrays_dtype) for a in case)
        out, h_n, saved = _layer(kind, x, h0, w_ih, w_hh, b_ih, b_hh, lengths, with_lengths)
        grads = backward(saved, d_out.astype(arrays_dtype), d_hn.astype(arrays_dtype))
        return recurrent_loops.loop_rows_team(steps, batch, w_hh), (out, h_n, *grads)

    results, teams = [], []
    for parts in (1, 2):
        monkeypatch.setattr(recurrent_loops, "team_size", lambda _hidden, parts=parts: parts)
        team, result = run(dtype)
        teams.append(team)
        results.append(result)
    assert recurrent_loops.rows_team(batch, case[3].astype(dtype)) == 1 and teams == [1, 2]
    for one, two in zip(*results, strict=True):
        if numba.config.DISABLE_JIT and with_lengths:
            # The panels' plain-NumPy bodies multiply only a part's running rows through
            # NumPy's BLAS, whose sums depend on the row count (`kernels/active_rows.py`):
            # round-off there; compiled, each row's sums are the same whichever rows run.
            scale = np.abs(one).max(initial=0.0)
            tolerance = 1e-5 if dtype == np.float32 else 1e-12
            np.testing.assert_allclose(one, two, rtol=tolerance, atol=tolerance * scale)
        else:
            np.testing.assert_array_equal(one, two)
    if dtype == np.float32:
        _, wide = run(np.float64)
        for narrow, expected in zip(results[0], wide, strict=True):
            scale = np.abs(expected).max()
            np.testing.assert_allclose(narrow, expected, rtol=2e-4, atol=2e-5 * scale)
