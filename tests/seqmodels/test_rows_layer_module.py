"""seqmodels.rows_layer through the modules: a two-layer LSTM / GRU (a layer over another
layer: the upper layer's dx through W_ih's panels) at
shapes that take the fused layer gives the same bits on one thread and two, float32 and
float64; and an in-place write into the input between forward and backward is still refused
there (the fused layer keeps x for dW_ih, as the other path does).
"""

import numba
import numpy as np
import pytest

import seqlab.autograd as ag
from seqlab.autograd import no_grad, threads
from seqlab.autograd.threads import usable_cores
from seqlab.seqmodels import rows_layer
from seqlab.seqmodels.recurrent import GRU, LSTM

pytestmark = pytest.mark.skipif(numba.config.DISABLE_JIT,
                                reason="the layer's team takes the jitted panels only")
STEPS, BATCH, FEATURES, HIDDEN = 16, 32, 40, 128


def _counting(monkeypatch) -> list[str]:
    calls: list[str] = []
    for name in ("project_and_loop", "loop_and_weight_grads"):
        original = getattr(rows_layer, name)
        monkeypatch.setattr(rows_layer, name,
                            lambda *a, _f=original, _n=name: calls.append(_n) or _f(*a))
    return calls


def _run(cls, dtype, thread_count: int) -> list[np.ndarray]:
    """Output, dx and every parameter's gradient of a two-layer `cls` over x."""
    before = threads.get_num_threads()
    threads.set_num_threads(thread_count)
    try:
        model = cls(FEATURES, HIDDEN, num_layers=2, dtype=dtype,
                    generator=np.random.default_rng(0))
        rng = np.random.default_rng(1)
        x = ag.tensor(rng.standard_normal((STEPS, BATCH, FEATURES)).astype(dtype),
                      requires_grad=True)
        out, _ = model(x)
        weights = rng.standard_normal(out.shape).astype(dtype)
        (out * ag.tensor(weights)).sum().backward()
        return [out.data.copy(), x.grad.copy()] + [p.grad.copy() for p in model.parameters()]
    finally:
        threads.set_num_threads(before)


@pytest.mark.skipif(usable_cores() < 2, reason="the team needs two cores to be chosen")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_a_stack_of_two_gives_the_same_bits_on_one_thread_and_two(cls, dtype, monkeypatch):
    one = _run(cls, dtype, 1)
    calls = _counting(monkeypatch)
    two = _run(cls, dtype, 2)
    assert calls.count("project_and_loop") == 2  # both layers fused, forward
    assert calls.count("loop_and_weight_grads") == 1  # the upper (dx: F = H, panels); x's
    # layer takes the other path (dx wanted, F = 40 not a whole number of panel widths)
    for got, expected in zip(two, one, strict=True):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.skipif(usable_cores() < 2, reason="the team needs two cores to be chosen")
def test_writing_the_input_before_backward_is_refused_on_the_fused_layer(monkeypatch):
    before = threads.get_num_threads()
    threads.set_num_threads(2)
    try:
        calls = _counting(monkeypatch)
        model = LSTM(FEATURES, HIDDEN, generator=np.random.default_rng(0))
        rng = np.random.default_rng(1)
        x = ag.tensor(rng.standard_normal((STEPS, BATCH, FEATURES)).astype(np.float32),
                      requires_grad=True) * 1.0  # (a model's x: a tensor with history)
        out, _ = model(x)
        assert calls == ["project_and_loop"]
        with no_grad():
            x.mul_(2.0)
        with pytest.raises(RuntimeError, match="modified by an in-place operation"):
            out.sum().backward()
    finally:
        threads.set_num_threads(before)
