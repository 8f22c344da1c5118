"""kernels.activations_f64: float64 tanh, logistic and exp against long-double references.

Points cover both sides of each branch (|x| around ln2 / 2 for tanh, the underflow edge of exp,
the saturation of tanh near 19), tiny arguments (no cancellation near 0), and the special
values. The same checks run jitted (through `recurrent_activations`, as the loops call them)
and, under NUMBA_DISABLE_JIT=1, as plain Python (the same steps, 2 ** n by `**`).
"""

import math

import numpy as np
import pytest
from numba import njit

from seqlab.autograd.kernels.activations_f64 import exp_nonpositive, sigmoid_f64, tanh_f64
from seqlab.autograd.kernels.recurrent_activations import sigmoid, tanh

pytestmark = pytest.mark.kernels
MAX_ULPS = 4


def _elementwise(function):
    """A jitted loop applying a scalar function to every element of a float64 array."""

    @njit(error_model="numpy")
    def apply(x):
        out = np.empty_like(x)
        for i in range(x.size):
            out[i] = function(x[i])
        return out

    return apply


# recurrent_activations' float64 overloads, the path the loops take (each jitted loop costs
# seconds of compiling: the functions of activations_f64 are not compiled a second time alone)
TANH, SIGMOID, EXP = (_elementwise(f) for f in (tanh, sigmoid, exp_nonpositive))


def _points(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    half_ln2 = math.log(2) / 2
    return np.concatenate([
        rng.uniform(-40, 40, 4000), rng.uniform(-1, 1, 4000), rng.uniform(-1e-6, 1e-6, 500),
        np.linspace(half_ln2 - 1e-3, half_ln2 + 1e-3, 501), -np.linspace(0.3, 0.4, 501),
        np.linspace(18.9, 19.3, 101), rng.uniform(-750, 750, 1000), [1e-300, -1e-300, 5e-324],
    ])


def _ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """|got - want| in units of the last place of want (at least the smallest normal's)."""
    spacing = np.spacing(np.abs(want).astype(np.float64))
    return np.abs(got - want.astype(np.float64)) / np.maximum(spacing, np.spacing(2.2e-308))


def _tanh_reference(x: np.ndarray) -> np.ndarray:
    return np.tanh(x.astype(np.longdouble))


def _sigmoid_reference(x: np.ndarray) -> np.ndarray:
    wide = x.astype(np.longdouble)
    return 1 / (1 + np.exp(-wide))


def test_tanh_within_a_few_ulps():
    x = _points()
    assert _ulps(TANH(x), _tanh_reference(x)).max() <= MAX_ULPS


def test_sigmoid_within_a_few_ulps():
    x = _points(1)
    with np.errstate(over="ignore"):
        want = _sigmoid_reference(x)
    assert _ulps(SIGMOID(x), want).max() <= MAX_ULPS


def test_plain_python_bodies_within_a_few_ulps():
    """The plain-Python bodies (what NUMBA_DISABLE_JIT=1 runs: 2 ** n by `**`)."""
    x = _points(3)[::7]
    tanh_got = np.array([tanh_f64(value) for value in x])
    sigmoid_got = np.array([sigmoid_f64(value) for value in x])
    with np.errstate(over="ignore"):
        sigmoid_want = _sigmoid_reference(x)
    assert _ulps(tanh_got, _tanh_reference(x)).max() <= MAX_ULPS
    assert _ulps(sigmoid_got, sigmoid_want).max() <= MAX_ULPS


def test_exp_of_nonpositive_within_a_few_ulps_and_underflows_to_zero():
    x = -np.abs(_points(2))
    got = EXP(x)
    want = np.exp(x.astype(np.longdouble))
    normal = want > 2.3e-308  # below, subnormal results keep fewer digits: compare absolutely
    assert _ulps(got[normal], want[normal]).max() <= MAX_ULPS
    assert np.abs(got[~normal] - want[~normal].astype(np.float64)).max() <= 1e-323
    assert EXP(np.array([-745.2, -800.0, -np.inf])).tolist() == [0.0, 0.0, 0.0]


def test_special_values():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 25.0, -25.0, 800.0, -800.0])
    tanh_out, sigmoid_out = TANH(x), SIGMOID(x)
    assert tanh_out[:4].tolist() == [0.0, -0.0, 1.0, -1.0]
    assert math.copysign(1.0, tanh_out[1]) == -1.0  # tanh(-0) is -0
    assert math.isnan(tanh_out[4]) and math.isnan(sigmoid_out[4])
    assert tanh_out[5:7].tolist() == [1.0, -1.0]
    assert sigmoid_out[[0, 1, 2, 3, 7, 8]].tolist() == [0.5, 0.5, 1.0, 0.0, 1.0, 0.0]
