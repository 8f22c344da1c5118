"""around_products.recurrent_weight_grad: dW_hh of a recurrent layer after its backward loop.

The loops hand dW_hh to NumPy's BLAS (not the SciPy BLAS their kernels call); here the product
is checked in float64 against the definition, one step at a time (h_prev[t] built from `out`
and h0 as the loop read it), on one thread and on two (rows split), shifted forward and
reverse, and from a saved h_prev; and a whole LSTM layer on the split-by-sequence team against
the NumPy reference layer.
"""

import numpy as np
import pytest

from seqlab.autograd import threads
from seqlab.autograd.kernels import recurrent_reference as reference
from seqlab.seqmodels import around_products, recurrent_loops, recurrent_ops
from seqlab.seqmodels.around_products import recurrent_weight_grad


@pytest.fixture(params=[1, 2])
def thread_count(request):
    before = threads.get_num_threads()
    threads.set_num_threads(request.param)
    yield request.param
    threads.set_num_threads(before)


def _step_by_step(d, h_prev):
    total = np.zeros((d.shape[2], h_prev.shape[2]))
    for t in range(d.shape[0]):
        total += d[t].T @ h_prev[t]
    return total


@pytest.mark.parametrize("reverse", [False, True])
def test_shifted_equals_the_sum_over_steps(thread_count, reverse, monkeypatch):
    # big enough that threads.matmul splits the product on two threads (below the size a
    # layer's dW_hh splits from: that rule off here)
    monkeypatch.setattr(around_products, "MIN_SPLIT_WEIGHT_GRAD_MACS", 0)
    steps, batch, hidden = 16, 32, 64  # 4H x H x T*N = 2 * threads.MIN_PARALLEL_MACS
    rng = np.random.default_rng(3)
    d = rng.standard_normal((steps, batch, 4 * hidden))
    out = rng.standard_normal((steps, batch, hidden))
    h0 = rng.standard_normal((batch, hidden))
    h_prev = np.empty_like(out)
    for t in range(steps):  # what the loop read at time t
        if reverse:
            h_prev[t] = h0 if t == steps - 1 else out[t + 1]
        else:
            h_prev[t] = h0 if t == 0 else out[t - 1]
    got = recurrent_weight_grad(d, out, h0, True, reverse)
    np.testing.assert_allclose(got, _step_by_step(d, h_prev), rtol=1e-12, atol=1e-12)


def test_saved_h_prev_equals_the_sum_over_steps(thread_count):
    rng = np.random.default_rng(4)
    d = rng.standard_normal((7, 12, 3 * 40))
    h_prev = rng.standard_normal((7, 12, 40))
    got = recurrent_weight_grad(d, h_prev, np.zeros((12, 40)), False, True)
    np.testing.assert_allclose(got, _step_by_step(d, h_prev), rtol=1e-12, atol=1e-12)


def test_one_step_reads_only_h0(thread_count):
    rng = np.random.default_rng(5)
    d = rng.standard_normal((1, 5, 16))
    h0 = rng.standard_normal((5, 4))
    for reverse in (False, True):
        got = recurrent_weight_grad(d, rng.standard_normal((1, 5, 4)), h0, True, reverse)
        np.testing.assert_allclose(got, d[0].T @ h0, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("batch", [16, 2])
@pytest.mark.parametrize("with_lengths", [False, True])
def test_lstm_layer_gradients_equal_the_reference(thread_count, with_lengths, batch,
                                                  monkeypatch):
    """A whole LSTM layer (on two threads split by sequence at batch 16, by units at batch 2;
    H = 64 so that a team runs), forward (dW_hh from `out` shifted) and reverse with lengths
    (from the saved h_prev): every gradient against the NumPy reference layer."""
    for rule in ("MIN_UNITS_FORWARD_STEP_MACS", "MIN_UNITS_BACKWARD_STEP_MACS"):
        monkeypatch.setattr(recurrent_loops, rule, 0)  # a units team at batch 2 too
    steps, features, hidden = 5, 6, 64
    rng = np.random.default_rng(6)

    def draw(*shape, scale=0.5):
        return scale * rng.standard_normal(shape)

    x, h0, c0 = draw(steps, batch, features), draw(batch, hidden), draw(batch, hidden)
    w_ih, w_hh = draw(4 * hidden, features), draw(4 * hidden, hidden, scale=hidden ** -0.5)
    b_ih, b_hh = draw(4 * hidden), draw(4 * hidden)
    lengths = (rng.integers(1, steps + 1, batch) if with_lengths
               else np.full(batch, steps)).astype(np.int64)
    lengths[0] = steps
    reverse = with_lengths
    out, h_n, c_n, saved = recurrent_ops.lstm_layer_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh,
                                                            lengths, reverse)
    _, _, _, expected_backward = reference.lstm_reference(x, h0, c0, w_ih, w_hh, b_ih, b_hh,
                                                          lengths, reverse)
    d_out, d_hn, d_cn = (rng.standard_normal(a.shape) for a in (out, h_n, c_n))
    grads = recurrent_ops.lstm_layer_backward(saved, d_out, d_hn, d_cn)
    for actual, expected in zip(grads, expected_backward(d_out, d_hn, d_cn), strict=True):
        np.testing.assert_allclose(actual, expected, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("reverse", [False, True])
def test_a_small_product_on_one_thread_has_the_split_bits(reverse, monkeypatch):
    """Below MIN_SPLIT_WEIGHT_GRAD_MACS dW_hh stays on one thread: the bits of the split."""
    before = threads.get_num_threads()
    threads.set_num_threads(2)
    try:
        steps, batch, hidden = 64, 1, 128  # batch-1 training: 4.2M multiply-adds
        assert (steps * batch * 4 * hidden * hidden
                < around_products.MIN_SPLIT_WEIGHT_GRAD_MACS)
        rng = np.random.default_rng(8)
        d = rng.standard_normal((steps, batch, 4 * hidden)).astype(np.float32)
        out = rng.standard_normal((steps, batch, hidden)).astype(np.float32)
        h0 = rng.standard_normal((batch, hidden)).astype(np.float32)
        alone = recurrent_weight_grad(d, out, h0, True, reverse)
        monkeypatch.setattr(around_products, "MIN_SPLIT_WEIGHT_GRAD_MACS", 0)
        split = recurrent_weight_grad(d, out, h0, True, reverse)
    finally:
        threads.set_num_threads(before)
    np.testing.assert_array_equal(alone, split)
