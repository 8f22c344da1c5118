"""Extreme inputs stay finite and keep their correct values and gradients."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from seqlab.autograd import Tensor


@pytest.fixture(autouse=True)
def _overflow_warnings_are_errors():
    # A stable implementation never overflows on the way to a finite answer.
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


def leaf(values, dtype=np.float64) -> Tensor:
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def test_sigmoid_of_plus_minus_300_in_float64():
    x = leaf([-300.0, -30.0, 0.0, 30.0, 300.0])
    out = x.sigmoid()
    out.sum().backward()
    # sigmoid(-t) = e^-t / (1 + e^-t) and sigmoid(t) = 1 / (1 + e^-t), e^-t computed directly
    small = np.exp(-np.array([300.0, 30.0]))
    expected = np.array([small[0] / (1 + small[0]), small[1] / (1 + small[1]), 0.5,
                         1 / (1 + small[1]), 1 / (1 + small[0])])
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    np.testing.assert_allclose(x.grad, expected * (1 - expected), rtol=1e-9, atol=1e-300)
    assert x.grad[0] > 0  # 5e-131 is representable and not flushed to zero


def test_sigmoid_of_extremes_in_float32_stays_in_range():
    x = leaf([-1e4, -300.0, -100.0, 300.0, 1e4], np.float32)
    out = x.sigmoid()
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(x.grad))
    # The true values lie below float32's smallest normal number on the negative side.
    assert np.all(out.data[:3] >= 0) and np.all(out.data[:3] < np.finfo(np.float32).tiny)
    np.testing.assert_array_equal(out.data[3:], [1.0, 1.0])


def test_tanh_of_plus_minus_1e4():
    for dtype in (np.float32, np.float64):
        x = leaf([-1e4, -20.0, 0.0, 20.0, 1e4], dtype)
        out = x.tanh()
        out.sum().backward()
        np.testing.assert_array_equal(out.data[[0, 4]], [-1.0, 1.0])
        np.testing.assert_array_equal(x.grad[[0, 4]], [0.0, 0.0])
        assert x.grad[2] == 1.0 and np.all(np.isfinite(x.grad))


def reference_log_softmax(logits: np.ndarray) -> np.ndarray:
    """log_softmax from its definition on logits already shifted to small values."""
    return logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))


SHIFTS = np.array([[0.0, -1.0, -5.0, 2.0], [3.0, 3.0, -2.0, 0.5]])


@pytest.mark.parametrize("offset", [1e4, -1e4])
def test_log_softmax_of_logits_around_1e4(offset):
    x = leaf(SHIFTS + offset)
    out = x.log_softmax(dim=1)
    weights = np.array([[1.0, 0.0, 2.0, -1.0], [0.5, 0.5, 0.0, 1.0]])
    (out * Tensor(weights)).sum().backward()
    expected = reference_log_softmax(SHIFTS)  # softmax is shift-invariant
    np.testing.assert_allclose(out.data, expected, rtol=1e-9, atol=1e-9)
    probabilities = np.exp(expected)
    np.testing.assert_allclose(
        x.grad, weights - probabilities * weights.sum(axis=1, keepdims=True), atol=1e-9
    )


@pytest.mark.parametrize("offset", [1e4, -1e4])
def test_softmax_of_logits_around_1e4(offset):
    x = leaf(SHIFTS + offset)
    out = x.softmax(dim=-1)
    weights = np.array([[1.0, 0.0, 2.0, -1.0], [0.5, 0.5, 0.0, 1.0]])
    (out * Tensor(weights)).sum().backward()
    expected = np.exp(reference_log_softmax(SHIFTS))
    np.testing.assert_allclose(out.data, expected, rtol=1e-9)
    np.testing.assert_allclose(out.data.sum(axis=1), [1.0, 1.0])
    inner = (weights * expected).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(x.grad, expected * (weights - inner), atol=1e-12)


@pytest.mark.parametrize("offset", [1e4, -1e4])
def test_logsumexp_of_logits_around_1e4(offset):
    x = leaf(SHIFTS + offset)
    out = x.logsumexp(dim=1)
    out.sum().backward()
    expected = offset + np.log(np.exp(SHIFTS).sum(axis=1))
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    np.testing.assert_allclose(x.grad, np.exp(reference_log_softmax(SHIFTS)), rtol=1e-9)


def test_float32_softmax_family_at_1e4_stays_finite():
    logits = np.array([[1e4, 1e4 - 1, 1e4 - 50], [-1e4, 0.0, 1e4]], dtype=np.float32)
    for op in (lambda t: t.log_softmax(1), lambda t: t.softmax(1), lambda t: t.logsumexp(1)):
        x = leaf(logits, np.float32)
        out = op(x)
        out.sum().backward()
        assert out.dtype == np.float32
        assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(x.grad))
    np.testing.assert_allclose(leaf(logits, np.float32).logsumexp(1).data,
                               [1e4 + np.log1p(np.exp(-1.0)), 1e4], rtol=1e-6)


def test_logsumexp_of_a_row_of_minus_infinity_is_minus_infinity():
    x = Tensor(np.array([[-np.inf, -np.inf], [-np.inf, 0.0]]))
    np.testing.assert_array_equal(x.logsumexp(dim=1).data, [-np.inf, 0.0])


def test_pow_gradient_for_exponent_at_zero_base_is_zero_not_nan():
    base = leaf([0.0, 2.0])
    exponent = leaf([2.0, 3.0])
    (base**exponent).sum().backward()
    np.testing.assert_allclose(exponent.grad, [0.0, 8.0 * np.log(2.0)])
    np.testing.assert_allclose(base.grad, [0.0, 12.0])
