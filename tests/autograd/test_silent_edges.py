"""Edge values give PyTorch's infs and nans without NumPy RuntimeWarnings, and the gradient
of a**b at a = 0 (or a < 0) follows PyTorch's masks. Reference numbers: PyTorch 2.13, float64.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import seqlab.autograd as ag
from seqlab.autograd import gradcheck

INF, NAN = np.inf, np.nan


def _f64(values, requires_grad=True):
    return ag.tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_pow_gradients_at_zero_base_match_pytorch(no_warnings):
    a, b = _f64([0.0, 0.0, 2.0, 0.0]), _f64([-1.5, 2.0, -1.0, 0.0])
    (a.abs() ** b).sum().backward()
    np.testing.assert_allclose(a.grad, [NAN, 0.0, -0.25, 0.0])
    np.testing.assert_allclose(b.grad, [-INF, 0.0, 0.34657359027997264, 0.0])
    a, b = _f64([0.0, -2.0, 0.0]), _f64([0.0, 2.0, 3.0])
    (a**b).sum().backward()
    np.testing.assert_allclose(a.grad, [0.0, -4.0, 0.0])
    np.testing.assert_allclose(b.grad, [0.0, NAN, 0.0])


def test_pow_gradients_away_from_zero_match_finite_differences():
    rng = np.random.default_rng(2)
    base = ag.tensor(rng.uniform(0.5, 2.0, (2, 3)), requires_grad=True)
    exponent = ag.tensor(rng.uniform(-2.0, 2.0, 3), requires_grad=True)
    assert gradcheck(lambda a, b: a**b, [base, exponent])
    assert gradcheck(lambda a: a**3 + a**0, [ag.tensor(rng.standard_normal(4), requires_grad=True)])


def test_edge_values_raise_no_numpy_warnings(no_warnings):
    x = _f64([0.0, 1.0])
    x.sqrt().sum().backward()
    np.testing.assert_array_equal(x.grad, [INF, 0.5])
    (_f64([0.0]) ** -1.0).sum().backward()
    empty = _f64([])
    assert np.isnan(empty.mean().item())
    empty.mean().backward()
    row = _f64([[-INF, -INF]])
    np.testing.assert_array_equal(row.logsumexp(1).data, [-INF])
    row.logsumexp(1).sum().backward()
    assert np.isnan(row.softmax(1).data).all()


# (expression, inputs, PyTorch 2.13's float64 forward values): each warns in NumPy
FORWARD_EDGES = {
    "inf - inf": (lambda a, b: a - b, ([INF, 1.0], [INF, 1.0]), [NAN, 0.0]),
    "inf + -inf": (lambda a, b: a + b, ([INF], [-INF]), [NAN]),
    "0 * inf": (lambda a, b: a * b, ([0.0, 2.0], [INF, 3.0]), [NAN, 6.0]),
    "log(0), log(-1)": (lambda a: a.log(), ([0.0, -1.0, 1.0],), [-INF, NAN, 0.0]),
    "sqrt(-1)": (lambda a: a.sqrt(), ([-1.0, 4.0],), [NAN, 2.0]),
    "exp overflow": (lambda a: a.exp(), ([1000.0],), [INF]),
    "product overflow": (lambda a, b: a * b, ([1e200], [1e200]), [INF]),
    "sum overflow": (lambda a: a.sum(), ([1e308, 1e308],), INF),
    "x / 0": (lambda a, b: a / b, ([1.0, 0.0], [0.0, 0.0]), [INF, NAN]),
}


@pytest.mark.parametrize("requires_grad", [True, False])
@pytest.mark.parametrize("case", list(FORWARD_EDGES))
def test_forward_edge_values_raise_no_numpy_warnings(no_warnings, case, requires_grad):
    """Forward gives PyTorch's inf and nan without a NumPy RuntimeWarning, recorded or not
    (leftovers s21, item 7: Sub, Log, Mul, Sqrt, Exp and reductions warned; Div did not)."""
    expression, inputs, expected = FORWARD_EDGES[case]
    out = expression(*(_f64(values, requires_grad) for values in inputs))
    np.testing.assert_array_equal(out.data, expected)


@pytest.mark.parametrize("requires_grad", [True, False])
def test_in_place_edge_values_raise_no_numpy_warnings(no_warnings, requires_grad):
    x = _f64([INF, 0.0, 1.0], requires_grad=False)
    if requires_grad:  # a recorded write: x takes the graph of x - inf
        x -= _f64([INF, 1.0, 1.0])
    else:
        x -= _f64([INF, 1.0, 1.0], requires_grad=False)
    x *= INF
    np.testing.assert_array_equal(x.data, [NAN, -INF, 0.0 * INF])


def test_the_callers_numpy_error_settings_hold_outside_the_ops():
    """An op silences the three warnings while it computes, and only then: the caller's
    settings (here: raise on invalid, on underflow) are back after it, and underflow is
    never silenced inside."""
    with np.errstate(invalid="raise", under="raise"):
        _f64([INF]) - _f64([INF])
        with pytest.raises(FloatingPointError):
            np.array([INF]) - np.array([INF])
        with pytest.raises(FloatingPointError):
            _f64([1e-300]) * _f64([1e-300])


def test_the_errstate_fallback_silences_the_three_warnings_and_restores(no_warnings):
    """With a NumPy whose error state is not the context variable `float_warnings` expects,
    the ops enter an `np.errstate` instead: the same three warnings off, then back."""
    from seqlab.autograd.float_warnings import _ErrstateState

    state = _ErrstateState()
    token = state.set(state.get())
    try:
        assert np.isnan(np.array([INF]) - np.array([INF]))[0]
        assert np.geterr()["under"] == "ignore" and np.geterr()["invalid"] == "ignore"
    finally:
        state.reset(token)
    with pytest.raises(RuntimeWarning):
        np.array([INF]) - np.array([INF])


def test_std_of_too_few_and_a_negative_p_norm_of_zeros_warn_nothing(no_warnings):
    """Their forwards rely on `Function.apply`'s quiet state, not an `np.errstate` of their
    own (reader s21, item 8): NaN and 0 as PyTorch gives them, and no warning."""
    one = _f64([1.0])
    std = one.std()
    std.backward()
    assert np.isnan(std.item()) and np.isnan(one.grad).all()
    assert _f64([0.0, 0.0]).norm(-1.5).item() == 0.0  # (0 ** -1.5 = inf) ** (1 / -1.5)
