"""A batch-1 stack on 2 threads after its unit team's last call mostly spun out (another
process holding a core): the next calls run on one thread, with the graph path's outputs, and
the team runs again once the pause is over."""

from __future__ import annotations

import time

import numpy as np
import pytest

from seqlab.autograd import no_grad, threads
from seqlab.autograd.nn import Embedding
from seqlab.seqmodels import recurrent_inference
from seqlab.seqmodels.recurrent import GRU, LSTM
from seqlab.seqmodels.recurrent_units_team import UNITS_TEAM_WATCH


@pytest.fixture
def two_threads():
    before = threads.get_num_threads()
    threads.set_num_threads(2)
    yield
    threads.set_num_threads(before)


def _count_calls(monkeypatch, name: str) -> list:
    calls = []
    real = getattr(recurrent_inference, name)

    def counting(*args):
        calls.append(threads.threads_for(64))  # the threads a split inside it would get
        return real(*args)

    monkeypatch.setattr(recurrent_inference, name, counting)
    return calls


@pytest.mark.parametrize("stack_class", [LSTM, GRU])
def test_a_paused_team_runs_the_stack_on_one_thread(monkeypatch, two_threads, stack_class):
    if recurrent_inference.team_size(256) < 2:
        pytest.skip("needs 2 usable cores for a team")
    stack = stack_class(8, 256, num_layers=2, generator=0)
    embedding = Embedding(11, 8, generator=1)
    ids = np.random.default_rng(3).integers(0, 11, (6, 1))
    want_out, want_state = stack(embedding(ids))  # the graph path
    teams = _count_calls(monkeypatch, "units_team_forward")
    alone = _count_calls(monkeypatch, "_stack_arrays")
    monkeypatch.setattr(UNITS_TEAM_WATCH, "first_pause", 0.2)
    UNITS_TEAM_WATCH.record(spun_out=200, meets=2 * 2 * 7)  # as if every meet spun out
    with no_grad():
        got_out, got_state = stack(embedding(ids))
    assert teams == [] and alone == [1]  # one thread, no per-layer teams inside
    np.testing.assert_allclose(got_out.numpy(), want_out.numpy(), rtol=0, atol=2e-6)
    for got, want in zip(got_state if isinstance(got_state, tuple) else [got_state],
                         want_state if isinstance(want_state, tuple) else [want_state]):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=0, atol=2e-6)
    assert threads.threads_for(64) == 2  # outside, the thread count is as set
    time.sleep(0.21)
    with no_grad():
        got_out, _ = stack(embedding(ids))
    assert len(teams) == 1 and len(alone) == 1  # the pause over: the team again
    np.testing.assert_allclose(got_out.numpy(), want_out.numpy(), rtol=0, atol=2e-6)
