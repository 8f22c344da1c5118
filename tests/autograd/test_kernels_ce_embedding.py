"""The cross-entropy and embedding kernels equal their NumPy references (tiny sizes: these also
run with NUMBA_DISABLE_JIT=1)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.autograd.kernels import embedding as embedding_kernels
from seqlab.autograd.kernels import reference
from seqlab.autograd.kernels import softmax_cross_entropy as ce_kernels
from seqlab.autograd.kernels.exp_f32 import exp as kernel_exp

pytestmark = pytest.mark.kernels


def _run_forward(module, logits, targets, weight, ignore_index, smoothing):
    rows = logits.shape[0]
    probs = np.zeros_like(logits)
    losses = np.full(rows, np.nan, dtype=logits.dtype)
    total, weight_sum, bad = module.softmax_cross_entropy_forward(
        logits, targets, weight, ignore_index, smoothing, probs, losses)
    return probs, losses, total, weight_sum, bad


def _run_backward(module, probs, targets, weight, ignore_index, smoothing, row_grads):
    grad = np.full_like(probs, np.nan)
    module.softmax_cross_entropy_backward(probs, targets, weight, ignore_index, smoothing,
                                          row_grads, grad)
    return grad


@settings(deadline=None, max_examples=25)
@given(rows=st.integers(1, 6), classes=st.integers(1, 11), seed=st.integers(0, 10_000),
       dtype=st.sampled_from([np.float32, np.float64]), weighted=st.booleans(),
       smoothing=st.sampled_from([0.0, 0.1, 0.75]), shared_grad=st.booleans())
def test_cross_entropy_kernel_matches_reference(rows, classes, seed, dtype, weighted, smoothing,
                                                shared_grad):
    rng = np.random.default_rng(seed)
    logits = (rng.standard_normal((rows, classes)) * 4).astype(dtype)
    targets = rng.integers(0, classes, rows).astype(np.int64)
    targets[rng.random(rows) < 0.3] = -100
    weight = rng.uniform(0.1, 2.0, classes).astype(dtype) if weighted else np.empty(0, dtype)
    tolerance = {"rtol": 2e-5, "atol": 2e-6} if dtype == np.float32 else {"rtol": 1e-12,
                                                                           "atol": 1e-13}

    k_probs, k_losses, k_total, k_wsum, k_bad = _run_forward(ce_kernels, logits, targets, weight,
                                                             -100, smoothing)
    r_probs, r_losses, r_total, r_wsum, r_bad = _run_forward(reference, logits, targets, weight,
                                                             -100, smoothing)
    kept = targets != -100
    assert k_bad == r_bad == -1
    np.testing.assert_allclose(k_probs[kept], r_probs[kept], **tolerance)
    np.testing.assert_allclose(k_losses, r_losses, **tolerance)
    np.testing.assert_allclose(k_total, r_total, **tolerance)
    np.testing.assert_allclose(k_wsum, r_wsum, rtol=1e-6)

    row_grads = (rng.standard_normal(1 if shared_grad else rows)).astype(dtype)
    k_grad = _run_backward(ce_kernels, k_probs, targets, weight, -100, smoothing, row_grads)
    r_grad = _run_backward(reference, r_probs, targets, weight, -100, smoothing, row_grads)
    np.testing.assert_allclose(k_grad, r_grad, **tolerance)
    assert np.all(k_grad[~kept] == 0)


def test_cross_entropy_kernel_reports_the_first_bad_target():
    logits = np.zeros((4, 3), dtype=np.float32)
    targets = np.array([0, -100, 3, -1], dtype=np.int64)
    for module in (ce_kernels, reference):
        assert _run_forward(module, logits, targets, np.empty(0, np.float32), -100, 0.0)[4] == 2


def test_cross_entropy_kernel_is_finite_for_huge_logits():
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=np.float32)
    targets = np.array([1, 2], dtype=np.int64)
    probs, losses, _, _, _ = _run_forward(ce_kernels, logits, targets,
                                              np.empty(0, np.float32), -100, 0.1)
    assert np.all(np.isfinite(probs)) and np.all(np.isfinite(losses))
    # row 0: log-softmax of the target is -2e4; row 1 is uniform: log 3
    np.testing.assert_allclose(losses[1], np.log(3), rtol=1e-6)
    np.testing.assert_allclose(losses[0], 0.9 * 2e4 + 0.1 / 3 * (0 + 2e4 + 1e4), rtol=1e-6)


@settings(deadline=None, max_examples=20)
@given(rows=st.integers(1, 7), dim=st.integers(1, 5), count=st.integers(0, 12),
       padding=st.sampled_from([-1, 0, 2]), seed=st.integers(0, 10_000),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_embedding_kernels_match_reference(rows, dim, count, padding, seed, dtype):
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal((rows, dim)).astype(dtype)
    indices = rng.integers(0, rows, count).astype(np.int64)  # repeats on purpose
    padding = padding if padding < rows else -1
    out_kernel = np.full((count, dim), np.nan, dtype=dtype)
    out_reference = np.full((count, dim), np.nan, dtype=dtype)
    assert embedding_kernels.embedding_forward(weight, indices, out_kernel) == -1
    assert reference.embedding_forward(weight, indices, out_reference) == -1
    np.testing.assert_array_equal(out_kernel, out_reference)
    np.testing.assert_array_equal(out_kernel, weight[indices])

    grad_output = rng.standard_normal((count, dim)).astype(dtype)
    grad_kernel = np.full((rows, dim), np.nan, dtype=dtype)
    grad_reference = np.full((rows, dim), np.nan, dtype=dtype)
    embedding_kernels.embedding_backward(grad_output, indices, padding, grad_kernel)
    reference.embedding_backward(grad_output, indices, padding, grad_reference)
    np.testing.assert_allclose(grad_kernel, grad_reference, rtol=1e-6, atol=1e-6)
    if padding >= 0:
        assert np.all(grad_kernel[padding] == 0)


def test_embedding_kernel_reports_out_of_range_positions():
    weight = np.ones((3, 2))
    out = np.empty((3, 2))
    for module in (embedding_kernels, reference):
        assert module.embedding_forward(weight, np.array([0, 3, 1], dtype=np.int64), out) == 1
        assert module.embedding_forward(weight, np.array([-1, 0, 0], dtype=np.int64), out) == 0


def test_float32_exp_is_accurate_and_handles_extremes():
    from numba import njit

    @njit
    def apply(values, out):
        for i in range(values.shape[0]):
            out[i] = kernel_exp(values[i])

    values = np.concatenate([np.linspace(-87.3, 88.0, 2001),
                             [-np.inf, np.inf, np.nan, -1e4, 1e4, 0.0]]).astype(np.float32)
    out = np.empty_like(values)
    apply(values, out)
    exact = np.exp(values[:2001].astype(np.float64))
    np.testing.assert_allclose(out[:2001], exact, rtol=4e-7)
    assert out[2001] == 0 and out[2002] == np.inf and np.isnan(out[2003])
    assert out[2004] == 0 and out[2005] == np.inf and out[2006] == 1
