"""A batch-1 stack on 2 threads after its unit team's last call of that shape mostly spun out
(another process holding a core): the next calls run the team's kernel as one part on one
thread, with the team's very bits, and the team runs again once the pause (in calls) is over."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from seqlab.autograd import no_grad, threads
from seqlab.autograd.nn import Embedding
from seqlab.seqmodels import recurrent_inference
from seqlab.seqmodels.recurrent import GRU, LSTM, RNN
from seqlab.seqmodels.recurrent_units_team import units_team_forward, units_team_watch


def _count_team_calls(monkeypatch) -> list:
    """(parts, threads a split inside it would get) of every `units_team_forward` call."""
    calls = []
    real = recurrent_inference.units_team_forward

    def counting(*args, **keywords):
        calls.append((args[6], threads.threads_for(64)))  # args[6]: parts
        return real(*args, **keywords)

    monkeypatch.setattr(recurrent_inference, "units_team_forward", counting)
    return calls


def _pause(stack, batch=1, dtype=np.float32):
    """As if the stack's last team call had spun out at every meet (`TeamWatch.record`)."""
    watch = units_team_watch(stack, batch, dtype)
    watch.record(spun_out=200, met=2 * 2 * 7, seconds=1.0)
    assert not watch.team_pays()
    return watch


def _arrays(output):
    out, state = output
    return [out.numpy()] + [s.numpy() for s in (state if isinstance(state, tuple) else [state])]


@pytest.mark.parametrize("stack_class", [LSTM, GRU, RNN])
def test_a_paused_team_runs_its_kernel_as_one_part_with_the_same_bits(monkeypatch, two_threads,
                                                                       stack_class):
    """Outputs must not depend on the machine's load: a paused call (one part on one thread)
    gives the team's bits exactly, and the graph path's to round-off."""
    if recurrent_inference.team_size(256) < 2:
        pytest.skip("needs 2 usable cores for a team")
    # (an RNN of 256 units has too little work a step for the team: `units_team_work_pays`)
    hidden = 512 if stack_class is RNN else 256
    stack = stack_class(8, hidden, num_layers=2, generator=0)
    embedding = Embedding(11, 8, generator=1)
    ids = np.random.default_rng(3).integers(0, 11, (64, 1))
    graph = _arrays(stack(embedding(ids)))
    calls = _count_team_calls(monkeypatch)
    with no_grad():
        team = _arrays(stack(embedding(ids)))
    assert calls == [(2, 2)]  # (parts, threads a split inside would get)
    watch = _pause(stack)
    pause = watch._paused
    with no_grad():
        paused = _arrays(stack(embedding(ids)))
    assert calls[1:] == [(1, 1)]  # one part, and nothing inside it splits again
    assert watch._paused == pause - 1  # the call counted down the pause
    for got, want, graph_want in zip(paused, team, graph):
        np.testing.assert_array_equal(got, want)
        np.testing.assert_allclose(got, graph_want, rtol=0, atol=2e-6)
    assert threads.threads_for(64) == 2  # outside, the thread count is as set
    for _ in range(pause - 1):  # the pause counts calls: once they ran, the team again
        with no_grad():
            stack(embedding(ids))
    with no_grad():
        again = _arrays(stack(embedding(ids)))
    assert [parts for parts, _ in calls] == [2] + [1] * pause + [2]
    for got, want in zip(again, team):
        np.testing.assert_array_equal(got, want)


def test_a_paused_shape_leaves_other_shapes_their_team(monkeypatch, two_threads):
    if recurrent_inference.team_size(128) < 2:
        pytest.skip("needs 2 usable cores for a team")
    small = LSTM(8, 256, num_layers=1, generator=0)  # (work enough for a team)
    big = GRU(8, 256, num_layers=2, generator=0)
    x = Embedding(11, 8, generator=1)(np.random.default_rng(3).integers(0, 11, (16, 1)))
    calls = _count_team_calls(monkeypatch)
    _pause(small)
    with no_grad():
        big(x)
        small(x)
    assert [parts for parts, _ in calls] == [2, 1]


@pytest.mark.parametrize("stack_class", [LSTM, GRU, RNN])
def test_one_part_split_as_a_team_gives_the_teams_bits(stack_class):
    """`units_team_forward(..., 1, split=team)`, as a paused call runs it, against the team
    itself (runs on one core too: a team's parts then take turns)."""
    if numba.config.DISABLE_JIT:
        pytest.skip("the team's parts would spin on the GIL")
    stack = stack_class(8, 64, num_layers=2, generator=0)
    rng = np.random.default_rng(4)
    x0 = rng.standard_normal((20, 8)).astype(np.float32)
    row_of = rng.integers(0, 20, (24, 1))
    h0 = rng.standard_normal((2, 1, 64)).astype(np.float32)
    c0 = h0[::-1].copy() if stack_class is LSTM else None
    for parts in (2, 3):
        one = units_team_forward(stack, x0, row_of, h0, c0, None, 1, parts)
        got = units_team_forward(stack, x0, row_of, h0, c0, None, parts)
        for got_array, want in zip(got, one):
            if want is None:
                assert got_array is None
            else:
                np.testing.assert_array_equal(got_array, want)
