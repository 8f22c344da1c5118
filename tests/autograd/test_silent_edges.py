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
