"""A batch-1 stack on 2 threads whose unit team's second thread starts late (its pool thread
not woken in time, or its core held by another process): part 0 runs the call alone after a
bounded wait, with the team's very bits, and the call does not wait for the late thread."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from seqlab.autograd import no_grad, threads
from seqlab.autograd.nn import Embedding
from seqlab.seqmodels import recurrent_units_team
from seqlab.seqmodels.recurrent import GRU, LSTM


class _LatePool:
    """A pool whose tasks start only after `delay` seconds (a partner thread woken late)."""

    def __init__(self, delay: float) -> None:
        self.delay, self.started = delay, []

    def submit(self, call, *args):
        import concurrent.futures

        future = concurrent.futures.Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            self.started.append(time.perf_counter())
            try:
                future.set_result(call(*args))
            except BaseException as error:  # (handed to whoever waits)
                future.set_exception(error)

        timer = threading.Timer(self.delay, run)
        timer.daemon = True
        timer.start()
        return future


def _arrays(output):
    out, state = output
    return [out.numpy()] + [s.numpy() for s in (state if isinstance(state, tuple) else [state])]


@pytest.mark.parametrize("stack_class", [LSTM, GRU])
def test_a_late_partner_leaves_the_call_to_part_0_with_the_teams_bits(monkeypatch, two_threads,
                                                                      stack_class):
    if recurrent_units_team.team_size(256) < 2:
        pytest.skip("needs 2 usable cores and the jitted kernels for a team")
    stack = stack_class(8, 256, num_layers=2, generator=0)
    embedding = Embedding(11, 8, generator=1)
    ids = np.random.default_rng(3).integers(0, 11, (64, 1))
    with no_grad():
        team = _arrays(stack(embedding(ids)))
    taken = []
    real = recurrent_units_team._run_alone
    monkeypatch.setattr(recurrent_units_team, "_run_alone",
                        lambda *args: (taken.append(True), real(*args)))
    late = _LatePool(delay=60.0)  # far beyond a loaded machine's call
    monkeypatch.setattr(threads, "_pool", lambda: late)
    monkeypatch.setattr(recurrent_units_team, "PARTNER_WAIT_TICKS", 1)
    recurrent_units_team.UNITS_TEAM_WATCHES.reset()  # (a loaded machine may have paused it)
    with no_grad():
        alone = _arrays(stack(embedding(ids)))
    assert taken == [True]
    assert late.started == []  # the call returned without waiting for its partner's start
    for got, want in zip(alone, team):
        np.testing.assert_array_equal(got, want)
