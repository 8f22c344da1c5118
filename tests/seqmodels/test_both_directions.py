"""A bidirectional layer's two directions as one fused node (`both_directions`): the same bits
as one node per direction joined by `cat` (the path it replaces), and on two threads, where
the directions run side by side, the same bits as on one thread."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from seqlab.autograd import Tensor, no_grad, threads
from seqlab.seqmodels import both_directions, training_length_order
from seqlab.seqmodels.recurrent import GRU, LSTM, RNN, RNNBase

STACKS = {"lstm": LSTM, "gru": GRU, "rnn": RNN}


def _run(model, x_array, lengths, monkeypatch=None, per_direction=False) -> list[np.ndarray]:
    """Outputs, final states and every gradient of one forward and backward."""
    if per_direction:
        monkeypatch.setattr(RNNBase, "_both_directions_at_once", lambda *_: False)
    x = Tensor(x_array, requires_grad=True)
    out, states = model(x, lengths=lengths)
    h_n, c_n = states if isinstance(states, tuple) else (states, None)
    weights = np.linspace(-1, 1, out.data.size).reshape(out.shape).astype(x_array.dtype)
    loss = (out * Tensor(weights)).sum() + (h_n * h_n).sum()
    if c_n is not None:
        loss = loss + c_n.sum()
    loss.backward()
    found = [out.data, h_n.data, x.grad] + ([] if c_n is None else [c_n.data])
    found += [parameter.grad for parameter in model.parameters()]
    for parameter in model.parameters():
        parameter.grad = None
    if per_direction:
        monkeypatch.undo()
    return found


def _inputs(dtype, steps=9, batch=6, features=5, with_lengths=True):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((steps, batch, features)).astype(dtype)
    lengths = rng.integers(1, steps + 1, size=batch) if with_lengths else None
    return x, lengths


def _count_teams(monkeypatch) -> list[int]:
    """The part count of each `run_team` call `both_directions` makes from now on (a side by
    side run of the two directions is a team of 2), in order."""
    teams: list[int] = []
    real_run_team = both_directions.run_team

    def counted_run_team(parts, run_part):
        teams.append(parts)
        return real_run_team(parts, run_part)

    monkeypatch.setattr(both_directions, "run_team", counted_run_team)
    return teams


def _assert_same_bits(found, expected) -> None:
    assert len(found) == len(expected)
    for array, wanted in zip(found, expected):
        assert array.dtype == wanted.dtype
        np.testing.assert_array_equal(array, wanted)


@pytest.mark.parametrize("cell", sorted(STACKS))
@pytest.mark.parametrize("with_lengths", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_node_gives_the_bits_of_a_node_per_direction(monkeypatch, cell, with_lengths, dtype):
    model = STACKS[cell](5, 16, num_layers=2, bidirectional=True, dtype=dtype, generator=2)
    x, lengths = _inputs(dtype, with_lengths=with_lengths)
    _assert_same_bits(_run(model, x, lengths),
                      _run(model, x, lengths, monkeypatch, per_direction=True))


def test_a_bidirectional_layer_is_one_node_with_the_joined_output():
    model = LSTM(5, 8, bidirectional=True, dtype=np.float64, generator=1)
    x, lengths = _inputs(np.float64)
    out, _ = model(Tensor(x, requires_grad=True), lengths=lengths)
    node = out._ctx
    if node.function is training_length_order.RowsInOrder:  # rows moved back (lengths)
        node = node.inputs[0]._ctx
    assert node.function is both_directions.BothDirectionsLayer
    assert out.shape == (9, 6, 16)


def test_only_parameters_needing_gradients_get_them():
    model = GRU(5, 8, bidirectional=True, dtype=np.float64, generator=1)
    model.bias_ih_l0_reverse.requires_grad = False
    x, lengths = _inputs(np.float64)
    out, _ = model(Tensor(x), lengths=lengths)  # the input needs no gradient
    out.sum().backward()
    assert model.bias_ih_l0_reverse.grad is None
    assert model.bias_ih_l0.grad is not None and model.weight_hh_l0_reverse.grad is not None


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="plain-Python loops run one after the other")
@pytest.mark.parametrize("cell", sorted(STACKS))
def test_two_threads_run_the_directions_side_by_side_with_the_one_thread_bits(cell):
    # H 64 and batch 32: sizes where one direction alone on two threads runs as a team
    model = STACKS[cell](12, 64, num_layers=2, bidirectional=True, generator=5)
    x, lengths = _inputs(np.float32, steps=10, batch=32, features=12)
    before = threads.get_num_threads()
    try:
        threads.set_num_threads(1)
        assert not both_directions.directions_side_by_side()
        one_thread = _run(model, x, lengths)
        threads.set_num_threads(2)
        if threads.usable_cores() < 2:
            pytest.skip("one usable core: two threads cannot run side by side")
        assert both_directions.directions_side_by_side()
        _assert_same_bits(_run(model, x, lengths), one_thread)
    finally:
        threads.set_num_threads(before)


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="plain-Python loops run one after the other")
@pytest.mark.parametrize("cell", sorted(STACKS))
@pytest.mark.parametrize("batch", [4, 32])
def test_no_grad_calls_on_two_threads_give_the_one_thread_bits(monkeypatch, cell, batch):
    # batch 4: one part, the directions side by side; batch 32: split by sequence instead
    model = STACKS[cell](12, 64, num_layers=2, bidirectional=True, generator=5)
    x, lengths = _inputs(np.float32, steps=10, batch=batch, features=12)
    side_by_side = _count_teams(monkeypatch)
    both_directions.SIDE_BY_SIDE_WATCHES.reset()  # (each layer's first call: side by side)
    before = threads.get_num_threads()
    try:
        found = {}
        for count in (1, 2):
            threads.set_num_threads(count)
            with no_grad():
                out, states = model(Tensor(x), lengths=lengths)
            h_n = states[0] if isinstance(states, tuple) else states
            found[count] = [out.data, h_n.data]
    finally:
        threads.set_num_threads(before)
    _assert_same_bits(found[2], found[1])
    if threads.usable_cores() >= 2:
        assert side_by_side == ([2, 2] if batch == 4 else [])


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="plain-Python loops run one after the other")
def test_a_late_second_thread_pauses_side_by_side_with_the_same_bits(monkeypatch, two_threads):
    if threads.usable_cores() < 2:
        pytest.skip("one usable core")
    model = LSTM(12, 64, bidirectional=True, generator=5)
    x, lengths = _inputs(np.float32, steps=10, batch=32, features=12)
    both_directions.SIDE_BY_SIDE_WATCHES.reset()
    monkeypatch.setattr(both_directions, "LATE_START_SECONDS", -1.0)  # every start is late
    teams = _count_teams(monkeypatch)
    side_by_side = _run(model, x, lengths)  # forward and backward each side by side: late
    assert teams == [2, 2]
    in_turn = _run(model, x, lengths)  # both paused: in turn, on this thread alone
    assert teams == [2, 2]
    _assert_same_bits(in_turn, side_by_side)
    both_directions.SIDE_BY_SIDE_WATCHES.reset()
