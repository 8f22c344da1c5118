"""No-grad Elman RNN calls (tanh, relu) run their layers by the stacked loop over kept panels
(`recurrent_rnn_stacked`, as the LSTM's): the graph path's outputs to float32 round-off (the
stacked loop sums [x_t | h | 1] @ [W_ih | W_hh | b]^T in one product, the graph path the input
projection and the recurrent product apart), each direction of a bidirectional layer too; and
on 2 threads, split by claimed chunks (`_claimed_call`) or not, the one-thread bits."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.autograd import Tensor, no_grad
from seqlab.autograd.threads import one_thread
from seqlab.seqmodels import recurrent_inference
from seqlab.seqmodels.recurrent import RNN
from seqlab.seqmodels.recurrent_inference import PANELS

pytestmark = pytest.mark.skipif(not PANELS, reason="the stacked loop needs the FMA panels "
                                                   "(and the JIT)")


def _count(monkeypatch, name: str) -> list:
    calls = []
    real = getattr(recurrent_inference, name)
    monkeypatch.setattr(recurrent_inference, name,
                        lambda *args, **keywords: calls.append(args[0].shape)
                        or real(*args, **keywords))
    return calls


def _assert_close(got, want, tolerance):
    for got_tensor, want_tensor in ((got[0], want[0]), (got[1], want[1])):
        assert got_tensor.shape == want_tensor.shape and got_tensor.dtype == want_tensor.dtype
        np.testing.assert_allclose(got_tensor.data, want_tensor.data, rtol=tolerance,
                                   atol=tolerance)


def _case(nonlinearity, layers, batch, bidirectional=False, hidden=24, features=10):
    stack = RNN(features, hidden, num_layers=layers, nonlinearity=nonlinearity,
                bidirectional=bidirectional, generator=batch)
    x = Tensor(np.random.default_rng(batch).standard_normal((20, batch, features))
               .astype(np.float32))
    return stack, x


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch", [1, 6, 32])
def test_no_grad_rnn_runs_stacked_and_equals_the_graph_path(monkeypatch, nonlinearity,
                                                            bidirectional, batch):
    stack, x = _case(nonlinearity, 2, batch, bidirectional)
    want = stack(x)
    stacked = _count(monkeypatch, "rnn_stacked_layer")
    with no_grad(), one_thread():
        got = stack(x)
    assert len(stacked) == 2 * (2 if bidirectional else 1)
    _assert_close(got, want, 5e-6)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("batch", [5, 13, 32])
def test_two_threads_rnn_calls_give_the_one_thread_bits(monkeypatch, two_threads, nonlinearity,
                                                        batch):
    """Alone (a batch too small to split) or by claimed chunks: each sequence's sums are the
    one-thread stacked loop's."""
    stack = RNN(40, 128, num_layers=2, nonlinearity=nonlinearity, generator=0)
    x = Tensor(np.random.default_rng(batch).standard_normal((64, batch, 40)).astype(np.float32))
    with no_grad(), one_thread():
        alone = stack(x)
    claimed = []
    real_claimed = recurrent_inference._claimed_call
    monkeypatch.setattr(recurrent_inference, "_claimed_call",
                        lambda *args: claimed.append(real_claimed(*args)) or claimed[-1])
    with no_grad():
        got = stack(x)
    if recurrent_inference.call_parts(stack, batch, 64, 40, None, np.float32) > 1:
        assert len(claimed) == 1 and claimed[0] is not None and claimed[0][2] is None
    for a, b in zip(got, alone):
        np.testing.assert_array_equal(a.data, b.data)
    _assert_close(got, stack(x), 5e-6)


def test_bidirectional_rnn_on_two_threads_gives_the_one_thread_bits(two_threads):
    stack, x = _case("tanh", 2, 8, bidirectional=True, hidden=64)
    with no_grad(), one_thread():
        alone = stack(x)
    with no_grad():
        got = stack(x)
    for a, b in zip(got, alone):
        np.testing.assert_array_equal(a.data, b.data)


def test_an_rnn_layer_at_batch_1_runs_stacked_where_an_lstms_would_not():
    """At batch 1 an Elman RNN layer's stacked loop beat the layer-by-layer path at every
    shape measured (`small_batch_stacked`'s note); an LSTM's keeps its own rule."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((128, 128)).astype(np.float32)
    w4 = rng.standard_normal((512, 128)).astype(np.float32)
    keepable = recurrent_inference._keepable_layer
    assert keepable(1, w, w, np.float32)
    assert not keepable(2, w, w, np.float32)
    assert not keepable(1, w4, w4, np.float32)


@pytest.mark.parametrize("bias,dtype", [(False, np.float32), (True, np.float64)])
def test_no_bias_and_float64_rnns_run_stacked_too(monkeypatch, bias, dtype):
    stack = RNN(10, 24, num_layers=2, bias=bias, dtype=dtype, generator=3)
    x = Tensor(np.random.default_rng(3).standard_normal((20, 6, 10)).astype(dtype))
    want = stack(x)
    stacked = _count(monkeypatch, "rnn_stacked_layer")
    with no_grad(), one_thread():
        got = stack(x)
    assert len(stacked) == 2 and got[0].dtype == dtype
    _assert_close(got, want, 5e-6 if dtype == np.float32 else 1e-12)
