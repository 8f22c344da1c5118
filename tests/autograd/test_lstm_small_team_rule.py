"""recurrent_loops.lstm_loop_parts: a training LSTM loop too small a step for a team split by
hidden units runs on one thread, by shape alone, with the bits a team of two gives."""

import numba
import numpy as np
import pytest

from seqlab.autograd import Tensor
from seqlab.seqmodels import recurrent_loops
from seqlab.seqmodels.recurrent import LSTM

FORWARD = recurrent_loops.MIN_UNITS_FORWARD_STEP_MACS
BACKWARD = recurrent_loops.MIN_UNITS_BACKWARD_STEP_MACS


@pytest.fixture
def two_threads(monkeypatch):
    """Every loop gets a team of two, whatever this machine's cores."""
    monkeypatch.setattr(recurrent_loops, "team_size", lambda _hidden: 2)


@pytest.mark.parametrize("threshold", [FORWARD, BACKWARD])
@pytest.mark.parametrize("batch, hidden", [(1, 32), (1, 128), (2, 128), (4, 128), (1, 256),
                                           (8, 128), (2, 256), (1, 384), (4, 255)])
def test_small_steps_run_on_one_thread(batch, hidden, threshold, two_threads):
    # (8, 128): edge-lstm-t512's loops, which ran slower split both ways
    assert 4 * batch * hidden * hidden < threshold
    assert recurrent_loops.lstm_loop_parts(batch, hidden, threshold) == 1


@pytest.mark.parametrize("threshold", [FORWARD, BACKWARD])
@pytest.mark.parametrize("batch, hidden", [(4, 256), (1, 512), (8, 256), (2, 384)])
def test_steps_with_work_enough_keep_the_team(batch, hidden, threshold, two_threads):
    assert 4 * batch * hidden * hidden >= threshold  # (4, 256): the edge itself
    assert recurrent_loops.lstm_loop_parts(batch, hidden, threshold) == 2


def test_forward_and_backward_split_at_the_same_step_size():
    # the same loop shape never splits one way and not the other (a measured split lost
    # both ways or won both ways: BENCHMARKS.md, issue 11, lentrain2)
    assert FORWARD == BACKWARD == 1 << 20


@pytest.mark.parametrize("threshold", [FORWARD, BACKWARD])
def test_a_batch_split_by_sequence_keeps_its_team(threshold, two_threads):
    # batch 16 splits by sequence (no meet a step): the rule is for the split by units only
    assert recurrent_loops.lstm_loop_parts(16, 32, threshold) == 2


def test_one_thread_stays_one_part(monkeypatch):
    monkeypatch.setattr(recurrent_loops, "team_size", lambda _hidden: 1)
    assert recurrent_loops.lstm_loop_parts(8, 512, 0) == 1


def _train_step(batch, hidden):
    rng = np.random.default_rng(batch + hidden)
    stack = LSTM(5, hidden, 1, generator=0)
    x = Tensor(rng.standard_normal((6, batch, 5)).astype(np.float32), requires_grad=True)
    out, (h_n, c_n) = stack(x)
    ((out * out).sum() + h_n.sum() + (c_n * c_n).sum()).backward()
    return [out.data, h_n.data, c_n.data, x.grad.data,
            *(p.grad.data for p in stack.parameters())]


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="plain-Python parts would spin on the GIL")
@pytest.mark.parametrize("batch", [1, 3])
def test_a_small_training_step_runs_on_one_thread_with_the_team_bits(batch, monkeypatch):
    hidden = 64
    parts_seen = []
    forward, backward = recurrent_loops.lstm_team_forward, recurrent_loops.lstm_team_backward

    def spy_forward(*args, **kwargs):
        parts_seen.append(args[6])
        return forward(*args, **kwargs)

    def spy_backward(*args, **kwargs):
        parts_seen.append(args[7])
        return backward(*args, **kwargs)

    monkeypatch.setattr(recurrent_loops, "lstm_team_forward", spy_forward)
    monkeypatch.setattr(recurrent_loops, "lstm_team_backward", spy_backward)
    monkeypatch.setattr(recurrent_loops, "team_size", lambda _hidden: 2)
    alone = _train_step(batch, hidden)
    assert parts_seen == [1, 1]
    monkeypatch.setattr(recurrent_loops, "MIN_UNITS_FORWARD_STEP_MACS", 0)
    monkeypatch.setattr(recurrent_loops, "MIN_UNITS_BACKWARD_STEP_MACS", 0)
    team = _train_step(batch, hidden)
    assert parts_seen[2:] == [2, 2]
    for got, want in zip(alone, team, strict=True):
        np.testing.assert_array_equal(got, want)
