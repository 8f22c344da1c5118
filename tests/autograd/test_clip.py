"""clip_grad_norm_ and clip_grad_value_ as PyTorch defines them."""

import math

import numpy as np
import pytest

from seqlab.autograd import nn
from seqlab.autograd.kernels.sum_of_squares import sum_of_squares
from seqlab.autograd.nn.utils import clip_grad_norm_, clip_grad_value_


def _parameters(*grads):
    parameters = []
    for grad in grads:
        parameter = nn.Parameter(np.zeros(np.shape(grad)))
        parameter.grad = None if grad is None else np.array(grad, dtype=np.float64)
        parameters.append(parameter)
    return parameters


def test_clip_grad_norm_scales_by_max_norm_over_norm_plus_epsilon():
    parameters = _parameters([3.0, 0.0], [[4.0]], None)
    total = clip_grad_norm_(parameters, max_norm=1.0)
    assert isinstance(total, float) and total == pytest.approx(5.0)
    factor = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(parameters[0].grad, [3 * factor, 0.0], rtol=1e-15)
    np.testing.assert_allclose(parameters[1].grad, [[4 * factor]], rtol=1e-15)
    assert parameters[2].grad is None


def test_clip_grad_norm_leaves_small_gradients_alone():
    parameters = _parameters([0.3, -0.4])
    assert clip_grad_norm_(parameters, max_norm=1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(parameters[0].grad, [0.3, -0.4])
    assert clip_grad_norm_(parameters[0], max_norm=0.5) == pytest.approx(0.5)  # a single tensor
    np.testing.assert_allclose(parameters[0].grad, np.array([0.3, -0.4]) * 0.5 / (0.5 + 1e-6))


@pytest.mark.parametrize("norm_type", [1.0, 3.0, math.inf])
def test_clip_grad_norm_other_norms(norm_type):
    grads = [np.array([1.0, -2.0]), np.array([[-3.0, 0.5]])]
    flat = np.concatenate([g.ravel() for g in grads])
    expected = np.abs(flat).max() if norm_type == math.inf else (
        (np.abs(flat) ** norm_type).sum() ** (1 / norm_type))
    parameters = _parameters(*grads)
    assert clip_grad_norm_(parameters, 0.1, norm_type=norm_type) == pytest.approx(expected)
    np.testing.assert_allclose(parameters[0].grad, grads[0] * 0.1 / (expected + 1e-6))


def test_clip_grad_norm_nonfinite():
    parameters = _parameters([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(parameters, 1.0, error_if_nonfinite=True)
    assert clip_grad_norm_(parameters, 1.0) == math.inf
    assert clip_grad_norm_(_parameters(None), 1.0) == 0.0


def test_clip_grad_value_clips_elementwise_in_place():
    parameters = _parameters([-3.0, 0.2, 5.0])
    grad = parameters[0].grad
    clip_grad_value_(parameters, 1.0)
    assert parameters[0].grad is grad
    np.testing.assert_array_equal(grad, [-1.0, 0.2, 1.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [0, 1, 17, 100_003])
def test_sum_of_squares_accumulates_in_float64(dtype, size):
    values = (np.random.default_rng(size).standard_normal(size) * 1e3).astype(dtype)
    expected = math.fsum(float(v) ** 2 for v in values)
    assert sum_of_squares(values) == pytest.approx(expected, rel=1e-12, abs=0.0)


def test_sum_of_squares_passes_non_finite_values_through():
    assert sum_of_squares(np.array([1.0, np.inf, 2.0], np.float32)) == math.inf
    assert math.isnan(sum_of_squares(np.array([1.0, np.nan], np.float32)))
    # float32 squares that would overflow float32 do not overflow the float64 total
    assert sum_of_squares(np.array([3e38, 3e38], np.float32)) == pytest.approx(2 * 3e38**2)


def test_clip_grad_norm_float32_and_non_contiguous_gradients_match_float64():
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((40, 30)), rng.standard_normal(7)]
    parameters = []
    for grad in grads:
        parameter = nn.Parameter(np.zeros(grad.shape, np.float32))
        parameter.grad = grad.astype(np.float32)
        parameters.append(parameter)
    parameters[0].grad = np.asfortranarray(parameters[0].grad)
    expected = math.sqrt(sum(math.fsum(v**2 for v in g.astype(np.float32).ravel().tolist())
                             for g in grads))
    assert clip_grad_norm_(parameters, 1.0) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(parameters[0].grad, grads[0] / (expected + 1e-6), rtol=1e-6)


def test_clip_grad_norm_returns_a_numpy_scalar_with_item():
    """qaB s20 item 8: PyTorch code calls `clip_grad_norm_(...).item()`; the norm is a NumPy
    float64, which is also a Python float."""
    parameters = _parameters([3.0, 4.0])
    total = clip_grad_norm_(parameters, max_norm=1.0)
    assert isinstance(total, np.float64) and isinstance(total, float)
    assert total.item() == pytest.approx(5.0)
    assert clip_grad_norm_(_parameters(None), 1.0).item() == 0.0
    assert clip_grad_norm_(_parameters([1.0, -2.0]), 1.0, norm_type=math.inf).item() == 2.0
