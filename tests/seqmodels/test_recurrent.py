"""RNN / LSTM / GRU stacks: PyTorch's conventions, values against an independent NumPy
implementation, gradients against finite differences, fused against composed."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy_reference import run_stack

from seqlab.autograd import Tensor, gradcheck
from seqlab.seqmodels.recurrent import GRU, LSTM, RNN

KINDS = [
    ("lstm", lambda **kw: LSTM(**kw)),
    ("gru", lambda **kw: GRU(**kw)),
    ("rnn_tanh", lambda **kw: RNN(nonlinearity="tanh", **kw)),
    ("rnn_relu", lambda **kw: RNN(nonlinearity="relu", **kw)),
]


def weights_of(model) -> list[list[tuple]]:
    return [
        [tuple(None if w is None else w.data for w in model.layer_weights(layer, d))
         for d in range(model.num_directions)]
        for layer in range(model.num_layers)
    ]


def make(mode_factory, *, fused, **kw):
    model = mode_factory(dtype=np.float64, generator=3, **kw)
    model.fused = fused
    return model


@pytest.mark.parametrize("mode,factory", KINDS)
def test_parameter_names_shapes_and_init_follow_pytorch(mode, factory):
    model = factory(input_size=3, hidden_size=5, num_layers=2, bidirectional=True, generator=0)
    gates = {"lstm": 4, "gru": 3}.get(mode, 1)
    names = dict(model.named_parameters())
    expected = {}
    for layer in range(2):
        for suffix in ("", "_reverse"):
            width = 3 if layer == 0 else 10
            expected[f"weight_ih_l{layer}{suffix}"] = (gates * 5, width)
            expected[f"weight_hh_l{layer}{suffix}"] = (gates * 5, 5)
            expected[f"bias_ih_l{layer}{suffix}"] = (gates * 5,)
            expected[f"bias_hh_l{layer}{suffix}"] = (gates * 5,)
    assert {k: v.shape for k, v in names.items()} == expected
    assert list(names)[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    bound = 1 / math.sqrt(5)
    for parameter in names.values():
        assert parameter.dtype == np.float32
        assert np.abs(parameter.data).max() <= bound


@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("mode,factory", KINDS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("with_lengths", [False, True])
def test_stack_matches_numpy_reference(mode, factory, bidirectional, with_lengths, fused):
    rng = np.random.default_rng(1)
    T, N, F, H = 5, 3, 4, 6
    model = make(factory, fused=fused, input_size=F, hidden_size=H, num_layers=2,
                 bidirectional=bidirectional)
    D = model.num_directions
    x = rng.standard_normal((T, N, F))
    h0 = rng.standard_normal((2 * D, N, H)) * 0.5
    c0 = rng.standard_normal((2 * D, N, H)) * 0.5 if mode == "lstm" else None
    lengths = np.array([5, 2, 4]) if with_lengths else None
    hx = (Tensor(h0), Tensor(c0)) if mode == "lstm" else Tensor(h0)
    out, state = model(Tensor(x), hx, lengths=lengths)
    want_out, want_h, want_c = run_stack(mode, x, h0, c0, weights_of(model), 2, bidirectional,
                                         lengths)
    h_n, c_n = state if mode == "lstm" else (state, None)
    np.testing.assert_allclose(out.data, want_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h_n.data, want_h, rtol=1e-10, atol=1e-12)
    if mode == "lstm":
        np.testing.assert_allclose(c_n.data, want_c, rtol=1e-10, atol=1e-12)
    if with_lengths:
        assert np.all(out.data[2:, 1] == 0)  # padded steps output zeros


@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("mode,factory", KINDS)
def test_stack_gradients_match_finite_differences(mode, factory, fused):
    rng = np.random.default_rng(2)
    T, N, F, H = 4, 2, 3, 3
    model = make(factory, fused=fused, input_size=F, hidden_size=H, num_layers=2,
                 bidirectional=True)
    x = Tensor(rng.standard_normal((T, N, F)), requires_grad=True)
    h0 = Tensor(rng.standard_normal((4, N, H)) * 0.5, requires_grad=True)
    c0 = Tensor(rng.standard_normal((4, N, H)) * 0.5, requires_grad=True)
    lengths = np.array([4, 2])
    params = list(model.parameters())

    def run(x, h0, c0, *weights):
        hx = (h0, c0) if mode == "lstm" else h0
        out, state = model(x, hx, lengths=lengths)
        h_n = state[0] if mode == "lstm" else state
        extra = (state[1],) if mode == "lstm" else ()
        return (out, h_n, *extra)

    assert gradcheck(run, [x, h0, c0, *params], eps=1e-6, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("mode,factory", KINDS)
def test_fused_equals_composed_with_gradients(mode, factory):
    rng = np.random.default_rng(4)
    T, N, F, H = 7, 4, 5, 8
    results = []
    for fused in (False, True):
        model = make(factory, fused=fused, input_size=F, hidden_size=H, num_layers=2,
                     bidirectional=True)
        x = Tensor(rng.standard_normal((T, N, F)), requires_grad=True)
        out, state = model(x, lengths=np.array([7, 3, 1, 6]))
        h_n = state[0] if mode == "lstm" else state
        weight = np.random.default_rng(9).standard_normal(out.shape)
        ((out * weight).sum() + h_n.sum()).backward()
        results.append((out.data, h_n.data, x.grad,
                        {n: p.grad for n, p in model.named_parameters()}))
        rng = np.random.default_rng(4)
    (out_a, h_a, gx_a, gp_a), (out_b, h_b, gx_b, gp_b) = results
    np.testing.assert_allclose(out_b, out_a, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h_b, h_a, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gx_b, gx_a, rtol=1e-9, atol=1e-11)
    for name in gp_a:
        np.testing.assert_allclose(gp_b[name], gp_a[name], rtol=1e-9, atol=1e-11, err_msg=name)


def test_batch_first_and_unbatched_inputs():
    rng = np.random.default_rng(5)
    model = make(KINDS[0][1], fused=False, input_size=3, hidden_size=4, batch_first=True)
    x = rng.standard_normal((2, 5, 3))
    out_bf, (h_bf, _) = model(Tensor(x))
    model.batch_first = False
    out_tf, (h_tf, _) = model(Tensor(x.transpose(1, 0, 2)))
    np.testing.assert_allclose(out_bf.data, out_tf.data.transpose(1, 0, 2))
    np.testing.assert_allclose(h_bf.data, h_tf.data)
    out_single, (h_single, c_single) = model(Tensor(x[0]))
    assert out_single.shape == (5, 4) and h_single.shape == (1, 4) and c_single.shape == (1, 4)
    np.testing.assert_allclose(out_single.data, out_tf.data[:, 0])


def test_bad_inputs_give_clear_errors():
    model = LSTM(3, 4)
    with pytest.raises(ValueError, match="expected 3"):
        model(Tensor(np.zeros((2, 1, 5), np.float32)))
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 2\]"):
        model(Tensor(np.zeros((2, 2, 3), np.float32)), lengths=[3, 1])
    with pytest.raises(ValueError, match="h0 must have shape"):
        model(Tensor(np.zeros((2, 2, 3), np.float32)),
              (Tensor(np.zeros((1, 3, 4), np.float32)), Tensor(np.zeros((1, 2, 4), np.float32))))
    with pytest.raises(ValueError, match="nonlinearity"):
        RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout"):
        GRU(3, 4, dropout=1.5)


def test_dropout_only_between_layers_and_only_in_training():
    model = LSTM(3, 4, num_layers=2, dropout=0.5, generator=0)
    model.fused = False
    x = Tensor(np.random.default_rng(0).standard_normal((3, 2, 3)).astype(np.float32))
    model.eval()
    first, _ = model(x)
    second, _ = model(x)
    np.testing.assert_array_equal(first.data, second.data)
    model.train()
    dropped, _ = model(x)
    assert not np.allclose(dropped.data, first.data)
