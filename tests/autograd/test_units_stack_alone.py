"""The batch-1 unit team's contention switch: when the spin-outs the parts kept before a
layer's last meet say the team is contended (`spin_barrier.contended`), part 0 runs the layers
left alone and the other parts return; the outputs still equal the NumPy reference (tiny
sizes: CI also runs these with NUMBA_DISABLE_JIT=1)."""

import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from seqlab.autograd.kernels.generation import GRU, LSTM, RNN_TANH
from seqlab.autograd.kernels.recurrent_units_stack import units_stack_part
from seqlab.autograd.kernels.spin_barrier import (
    FLAG_STRIDE,
    MIN_SPIN_OUTS,
    SPIN_OUT_SHARE,
    SPIN_OUT_SLOT,
    contended,
    new_flags,
)

sys.path.insert(0, str(Path(__file__).parent))  # the unit stack's own test cases
from test_units_stack_kernel import _assert_close, _case, _reference

pytestmark = pytest.mark.kernels


# far longer than any case here takes, even under NUMBA_DISABLE_JIT on a busy machine: a part
# still running then is hung (it waits at a meet its partners never come to)
WATCHDOG_SECONDS = 120.0


def _run_with_flags(case, flags, parts=2):
    """The kernel as `parts` threads over `flags` as given: (out, h_n, c_n), each part's
    answer. Fails (rather than hangs) where a part has not returned in `WATCHDOG_SECONDS`."""
    cell = case["cell"]
    layers, batch, hidden = case["h0"].shape
    steps = case["row_of"].shape[0]
    dtype = case["x0"].dtype
    if cell == GRU:
        bias = tuple(b_i + np.concatenate([b_h[:2 * hidden], 0 * b_h[2 * hidden:]])
                     for b_i, b_h in zip(case["b_ih"], case["b_hh"]))
        hh_bias = case["b_hh"]
    else:
        bias = tuple(b_i + b_h for b_i, b_h in zip(case["b_ih"], case["b_hh"]))
        hh_bias = tuple(np.zeros_like(b) for b in bias)
    h_shared = np.full((2, batch, hidden), np.nan, dtype)
    outs = np.full((layers, steps, batch, hidden), np.nan, dtype)
    h_n = np.full_like(case["h0"], np.nan)
    lstm = cell == LSTM
    c0 = case["c0"] if lstm else np.empty((0, 0, 0), dtype)
    c_n = np.full_like(c0, np.nan)
    answers = [None] * parts

    def run_part(part):
        answers[part] = units_stack_part(
            cell, case["x0"], case["row_of"], case["w_ih"], case["w_hh"], bias, hh_bias,
            case["lengths"], case["h0"], c0, h_shared, outs, h_n, c_n, part, parts, flags,
            parts, np.empty(0, case["x0"].dtype), np.empty((0, 0, 0), case["x0"].dtype),
            np.empty((0, 0), case["x0"].dtype), np.empty(0, case["x0"].dtype), False)

    # every part on a daemon thread of its own, so that a hung one cannot hang the test run
    workers = [threading.Thread(target=run_part, args=(part,), daemon=True)
               for part in range(parts)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + WATCHDOG_SECONDS
    for worker in workers:
        worker.join(max(deadline - time.monotonic(), 0.0))
    hung = [part for part, worker in enumerate(workers) if worker.is_alive()]
    assert not hung, f"parts {hung} still waiting after {WATCHDOG_SECONDS} s: a hung meet"
    return (outs[-1], h_n, c_n if lstm else None), answers


def _flags_spun_out(parts, count):
    """Fresh flags with every part's spin-out count starting at `count`: a large one reads as
    contended at the first decision, a large negative one never does, whatever the machine's
    load adds (the kept counts are copies of these)."""
    flags = new_flags(parts)
    flags[SPIN_OUT_SLOT::FLAG_STRIDE] = count
    return flags


@pytest.mark.parametrize("cell", [LSTM, GRU, RNN_TANH])
@pytest.mark.parametrize("layers", [2, 3])
def test_a_contended_team_goes_on_as_part_0_alone(cell, layers):
    case = _case(cell, np.float64, layers=layers, hidden=36)
    flags = new_flags(2)
    flags[FLAG_STRIDE + SPIN_OUT_SLOT] = 10 ** 6  # as if part 1 had spun out at every meet
    got, answers = _run_with_flags(case, flags)
    assert answers == [1, 1]  # both saw it at layer 0's last meet; part 0 ran the rest
    _assert_close(got, _reference(case), 1e-12)


@pytest.mark.parametrize("cell", [LSTM, GRU, RNN_TANH])
def test_a_free_team_runs_to_the_end(cell):
    """The other branch, by construction (on a busy machine real spin-outs alone could send
    the team to one part at layer 0): counts that never read as contended."""
    case = _case(cell, np.float64, layers=3, hidden=36)
    got, answers = _run_with_flags(case, _flags_spun_out(2, -10 ** 9))
    assert answers == [3, 3]  # no part went on alone
    _assert_close(got, _reference(case), 1e-12)


@pytest.mark.parametrize("cell", [LSTM, GRU])
def test_a_team_of_three_never_goes_on_alone(cell):
    """With more than 2 parts a contended team runs to the end on all of them: one busy core
    must not send the upper layers to one thread while the other cores sit idle."""
    case = _case(cell, np.float64, layers=3, hidden=36)  # 3 aligned blocks: 16, 16, 4 units
    got, answers = _run_with_flags(case, _flags_spun_out(3, 10 ** 6), parts=3)
    assert answers == [3, 3, 3]
    _assert_close(got, _reference(case), 1e-12)


@pytest.mark.parametrize("cell", [LSTM, GRU])
def test_every_part_decides_alike_on_its_own_spin_outs(cell):
    """Flags as a call gets them: whether the team switches depends on the machine's load (and
    under NUMBA_DISABLE_JIT on the GIL), but the parts always agree and the outputs hold (both
    branches are forced above)."""
    case = _case(cell, np.float64, layers=3, hidden=36)
    got, answers = _run_with_flags(case, new_flags(2))
    assert answers[0] == answers[1] and answers[0] in (1, 2, 3)
    _assert_close(got, _reference(case), 1e-12)


def test_contended_is_more_than_one_meet_in_the_share_and_a_few():
    meets = 130
    assert not contended(0, meets) and not contended(meets // SPIN_OUT_SHARE, meets)
    assert contended(meets // SPIN_OUT_SHARE + 1, meets) and contended(meets, 2 * meets)
    assert not contended(MIN_SPIN_OUTS, 4)  # a short call's late start is no contention
    assert contended(MIN_SPIN_OUTS + 1, SPIN_OUT_SHARE * MIN_SPIN_OUTS)


@pytest.mark.parametrize("cell", [LSTM, GRU, RNN_TANH])
def test_going_on_alone_keeps_the_teams_bits(cell):
    """A call's outputs must not depend on whether load sent it to part 0 alone (float32,
    where BLAS's projection GEMMs differ at round-off with their width)."""
    case = _case(cell, np.float32, layers=3, steps=12, batch=1, features=24, hidden=64)
    alone, answers = _run_with_flags(case, _flags_spun_out(2, 10 ** 6))
    assert answers == [1, 1]
    team, answers = _run_with_flags(case, _flags_spun_out(2, -10 ** 9))
    assert answers == [3, 3]
    for got, want in zip(alone, team):
        if want is None:
            assert got is None
        else:
            np.testing.assert_array_equal(got, want)
