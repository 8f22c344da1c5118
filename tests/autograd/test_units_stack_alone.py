"""The batch-1 unit team's contention switch: when the spin-outs the parts kept before a
layer's last meet say the team is contended (`spin_barrier.contended`), part 0 runs the layers
left alone and the other parts return; the outputs still equal the NumPy reference (tiny
sizes: CI also runs these with NUMBA_DISABLE_JIT=1)."""

import sys
import threading
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


def _run_with_flags(case, flags):
    """The kernel as 2 threads over `flags` as given: (out, h_n, c_n), each part's answer."""
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
    answers = [None, None]

    def run_part(part):
        answers[part] = units_stack_part(
            cell, case["x0"], case["row_of"], case["w_ih"], case["w_hh"], bias, hh_bias,
            case["lengths"], case["h0"], c0, h_shared, outs, h_n, c_n, part, 2, flags)

    other = threading.Thread(target=run_part, args=(1,))
    other.start()
    run_part(0)
    other.join()
    return (outs[-1], h_n, c_n if lstm else None), answers


@pytest.mark.parametrize("cell", [LSTM, GRU, RNN_TANH])
@pytest.mark.parametrize("layers", [2, 3])
def test_a_contended_team_goes_on_as_part_0_alone(cell, layers):
    case = _case(cell, np.float64, layers=layers, hidden=36)
    flags = new_flags(2)
    flags[FLAG_STRIDE + SPIN_OUT_SLOT] = 10 ** 6  # as if part 1 had spun out at every meet
    got, answers = _run_with_flags(case, flags)
    assert answers == [1, 1]  # both saw it at layer 0's last meet; part 0 ran the rest
    _assert_close(got, _reference(case), 1e-12)


@pytest.mark.parametrize("cell", [LSTM, GRU])
def test_every_part_decides_alike_on_its_own_spin_outs(cell):
    """Flags as a call gets them: whether the team switches depends on the machine's load (and
    under NUMBA_DISABLE_JIT on the GIL), but the parts always agree and the outputs hold."""
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
