"""The batch-1 unit team's late partner: part 0 of a 2-part team waits a bounded time at its
first meet for part 1 to start; where it has not, part 0 takes its share (`PARTNER_TAKEN`) and
part 1, whenever it starts, returns at once without writing anything (tiny sizes: CI also
runs these with NUMBA_DISABLE_JIT=1)."""

import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from seqlab.autograd.kernels.generation import GRU, LSTM
from seqlab.autograd.kernels.recurrent_units_stack import PARTNER_TAKEN, units_stack_part
from seqlab.autograd.kernels.spin_barrier import (
    JOIN_SLOT,
    join_team,
    new_flags,
    partner_joined,
    partner_taken,
)

sys.path.insert(0, str(Path(__file__).parent))  # the unit stack's own test cases
from test_units_stack_kernel import _case

pytestmark = pytest.mark.kernels


def _call(case, flags, part, partner_wait):
    """One part's kernel call over NaN-filled outputs: (answer, outs, h_n, h_shared)."""
    layers, batch, hidden = case["h0"].shape
    steps = case["row_of"].shape[0]
    dtype = case["x0"].dtype
    bias = tuple(b_i + b_h for b_i, b_h in zip(case["b_ih"], case["b_hh"]))
    hh_bias = tuple(np.zeros_like(b) for b in bias)
    h_shared = np.full((2, batch, hidden), np.nan, dtype)
    outs = np.full((layers, steps, batch, hidden), np.nan, dtype)
    h_n = np.full_like(case["h0"], np.nan)
    c0 = case["c0"] if case["cell"] == LSTM else np.empty((0, 0, 0), dtype)
    c_n = np.full_like(c0, np.nan)
    answer = units_stack_part(
        case["cell"], case["x0"], case["row_of"], case["w_ih"], case["w_hh"], bias, hh_bias,
        case["lengths"], case["h0"], c0, h_shared, outs, h_n, c_n, part, 2, flags, 2,
        np.empty(0, dtype), np.empty((0, 0, 0), dtype), np.empty((0, 0), dtype),
        np.empty(0, dtype), False, partner_wait)
    return answer, outs, h_n, h_shared


@pytest.mark.parametrize("cell", [LSTM, GRU])
def test_part_0_takes_a_partner_that_never_starts_and_the_partner_then_does_nothing(cell):
    case = _case(cell, np.float64, layers=2, hidden=36)
    flags = new_flags(2)
    answer, outs, h_n, _ = _call(case, flags, 0, partner_wait=1)
    assert answer == PARTNER_TAKEN and partner_taken(flags)
    assert np.isnan(outs).all() and np.isnan(h_n).all()  # it stopped before any step
    answer, outs, h_n, h_shared = _call(case, flags, 1, partner_wait=1)  # starts late
    assert answer == PARTNER_TAKEN
    assert np.isnan(outs).all() and np.isnan(h_n).all() and np.isnan(h_shared).all()
    assert flags[::16][1] == 0  # it arrived at no meet


def test_a_partner_that_joined_is_waited_for():
    flags = new_flags(2)
    assert join_team(flags)
    assert partner_joined(flags, 1)  # however short the wait: it joined
    assert not partner_taken(flags)


def test_join_and_take_race_to_one_answer():
    """Part 1 joining while part 0 gives up: exactly one of them wins, and what `flags` says
    afterwards agrees with the winner."""
    for _ in range(50):
        flags = new_flags(2)
        answers = {}
        joiner = threading.Thread(target=lambda a=answers, f=flags: a.update(joined=join_team(f)))
        joiner.start()
        answers["waited"] = partner_joined(flags, 1)
        joiner.join()
        assert answers["joined"] == answers["waited"]
        assert partner_taken(flags) == (not answers["joined"])
        assert flags[JOIN_SLOT] in (1, 2)


def test_without_a_wait_no_part_takes_anything():
    """`partner_wait` 0 (the default): the team waits for its partner however late, as before."""
    case = _case(LSTM, np.float64, layers=2, hidden=36)
    flags = new_flags(2)
    done = {}
    part0 = threading.Thread(target=lambda: done.update(part0=_call(case, flags, 0, 0)[0]))
    part0.start()
    part0.join(0.2)
    assert part0.is_alive() or sys.gettrace() is not None  # it waits at its first meet
    done["part1"] = _call(case, flags, 1, 0)[0]
    part0.join(120)
    assert not part0.is_alive()
    assert done["part0"] != PARTNER_TAKEN and done["part1"] != PARTNER_TAKEN
    assert flags[JOIN_SLOT] == 0
