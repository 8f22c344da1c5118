"""RNN/LSTM/GRU arguments a PyTorch user may pass: what PyTorch accepts works the same way,
what seqlab does not offer or PyTorch refuses is one clear error naming the argument."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

from seqlab.autograd import Tensor, no_grad
from seqlab.seqmodels import GRU, LSTM, RNN

STACKS = [LSTM, GRU, RNN]


def zeros(*shape, dtype=np.float32) -> Tensor:
    return Tensor(np.zeros(shape, dtype=dtype))


def test_proj_size_is_refused_by_name():
    LSTM(4, 3, proj_size=0)  # PyTorch's default: accepted
    with pytest.raises(ValueError, match="proj_size"):
        LSTM(4, 3, proj_size=2)


@pytest.mark.parametrize("factory", [GRU, RNN])
@pytest.mark.parametrize("proj_size", [0, 2])
def test_gru_and_rnn_take_no_proj_size_as_pytorch(factory, proj_size):
    with pytest.raises(ValueError, match="only supported for LSTM, not RNN or GRU"):
        factory(4, 3, proj_size=proj_size)
    factory(4, 3)


def test_errors_pytorch_raises_as_runtime_error_are_caught_as_either():
    from seqlab.autograd.nn import Linear

    for error in (ValueError, RuntimeError):
        with pytest.raises(error, match="dtype float64 does not match"):
            Linear(4, 3)(zeros(2, 4, dtype=np.float64))
        with pytest.raises(error, match="sequence length to be larger than 0"):
            GRU(4, 3)(zeros(0, 2, 4))
        with pytest.raises(error, match="h0 must have shape"):
            GRU(4, 3)(zeros(5, 2, 4), zeros(1, 3, 3))
        with pytest.raises(error, match="features, expected 4"):
            LSTM(4, 3)(zeros(5, 2, 5))


def test_dropout_on_a_single_layer_warns_as_pytorch_does():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        LSTM(4, 3, dropout=0.5)
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        GRU(4, 3, num_layers=1, dropout=0.2)


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("factory", STACKS)
def test_input_dtype_other_than_the_parameters_is_one_clear_error(factory, fused):
    model = factory(4, 3)
    model.fused = fused
    for grad in (True, False):
        with pytest.raises(ValueError, match=r"input dtype float64 .* float32 parameters"):
            if grad:
                model(zeros(5, 2, 4, dtype=np.float64))
            else:
                with no_grad():
                    model(zeros(5, 2, 4, dtype=np.float64))
    with pytest.raises(ValueError, match="floating point"):
        model(Tensor(np.zeros((5, 2, 4), dtype=np.int64)))


@pytest.mark.parametrize("factory", STACKS)
def test_initial_state_dtype_other_than_the_parameters_is_one_clear_error(factory):
    model = factory(4, 3)
    h0 = zeros(1, 2, 3, dtype=np.float64)
    hx = (h0, zeros(1, 2, 3)) if factory is LSTM else h0
    with pytest.raises(ValueError, match=r"h0 dtype float64 .* float32 parameters"):
        model(zeros(5, 2, 4), hx)


def test_lstm_needs_a_pair_and_gru_rnn_a_tensor_as_hx():
    with pytest.raises(ValueError, match=r"LSTM takes hx as a tuple \(h0, c0\)"):
        LSTM(4, 3)(zeros(5, 2, 4), zeros(1, 2, 3))
    for factory in (GRU, RNN):
        with pytest.raises(ValueError, match="takes hx as one tensor h0"):
            factory(4, 3)(zeros(5, 2, 4), (zeros(1, 2, 3),))


@pytest.mark.parametrize("graph", [True, False])
@pytest.mark.parametrize("missing", ["h0", "c0"])
def test_an_lstm_state_given_as_none_is_refused_in_one_line(graph, missing):
    """hx=(h0, None) reached the kernels (AttributeError, Numba TypingError): one line."""
    states = {"h0": zeros(1, 2, 3), "c0": zeros(1, 2, 3)}
    states[missing] = None
    run = contextlib.nullcontext() if graph else no_grad()
    with run, pytest.raises(ValueError, match=f"{missing} is None"):
        LSTM(4, 3)(zeros(5, 2, 4), (states["h0"], states["c0"]))


@pytest.mark.parametrize("factory", STACKS)
def test_unbatched_input_needs_two_dimensional_states(factory):
    h0 = zeros(1, 1, 3)
    hx = (h0, h0) if factory is LSTM else h0
    with pytest.raises(ValueError, match="unbatched 2-D input, hx should also be 2-D"):
        factory(4, 3)(zeros(5, 4), hx)


@pytest.mark.parametrize("factory", STACKS)
def test_an_empty_sequence_is_refused_as_pytorch_does(factory):
    with pytest.raises(ValueError, match="sequence length to be larger than 0"):
        factory(4, 3)(zeros(0, 2, 4))


@pytest.mark.parametrize("grad", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("factory", STACKS)
def test_an_empty_batch_gives_empty_outputs_as_pytorch_does(factory, batch_first, grad):
    model = factory(4, 3, num_layers=2, bidirectional=True, batch_first=batch_first)
    x = zeros(0, 5, 4) if batch_first else zeros(5, 0, 4)
    if grad:
        out, state = model(x)
    else:
        with no_grad():
            out, state = model(x)
    assert out.shape == ((0, 5, 6) if batch_first else (5, 0, 6))
    for final in state if factory is LSTM else (state,):
        assert final.shape == (4, 0, 3)
        assert final.dtype == np.float32


@pytest.mark.parametrize("factory", STACKS)
def test_an_empty_batch_still_checks_hx_and_lengths(factory):
    """PyTorch checks hx's shape before it returns the empty outputs of a batch of 0."""
    model = factory(4, 3)
    h0 = zeros(1, 2, 3)  # a batch of 2, not 0
    hx = (h0, h0) if factory is LSTM else h0
    with pytest.raises(ValueError, match=r"hx|h0|hidden"):
        model(zeros(5, 0, 4), hx)
    with pytest.raises(ValueError, match="length"):
        model(zeros(5, 0, 4), lengths=[5, 5])
    good = (zeros(1, 0, 3), zeros(1, 0, 3)) if factory is LSTM else zeros(1, 0, 3)
    out, _ = model(zeros(5, 0, 4), good, lengths=np.zeros(0, dtype=np.int64))
    assert out.shape == (5, 0, 3)


@pytest.mark.parametrize("dtype", [np.float16, np.int32, np.complex64])
@pytest.mark.parametrize("factory", STACKS)
def test_a_dtype_the_kernels_cannot_run_is_refused_at_construction(factory, dtype):
    """float16 was built, then failed at the first call: "x must be float32 or float64", or
    under no_grad a bare NotImplementedError from inside Numba."""
    with pytest.raises(TypeError, match=rf"{factory.__name__} .*float32 or float64.*"
                                        rf"{np.dtype(dtype)}"):
        factory(4, 3, dtype=dtype)


@pytest.mark.parametrize("factory", STACKS)
def test_to_float16_is_refused_before_anything_is_cast(factory):
    from seqlab.autograd.nn import Linear, Module

    class Model(Module):
        def __init__(self):
            super().__init__()
            self.head = Linear(3, 2)  # registered first: cast first, were nothing checked
            self.rnn = factory(4, 3)

    model = Model()
    for call in (lambda: model.to(np.float16), lambda: model.to("cpu", dtype=np.float16),
                 lambda: model.rnn.to(np.float16)):
        with pytest.raises(TypeError, match=r"float32 or float64.*float16"):
            call()
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float32)}
    model.to(np.float64)
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float64)}


def test_a_language_model_refuses_float16():
    from seqlab.seqmodels import LanguageModel

    with pytest.raises(TypeError, match="float32 or float64"):
        LanguageModel(10, embedding_dim=4, hidden_size=3, dtype=np.float16)


@pytest.mark.parametrize("dropout", [-0.1, 1.5])
def test_dropout_outside_zero_to_one_is_refused_in_pytorchs_words(dropout):
    with pytest.raises(ValueError, match=r"dropout should be a number in range \[0, 1\]"):
        LSTM(4, 3, num_layers=2, dropout=dropout)


@pytest.mark.parametrize("factory", STACKS)
def test_dropout_one_zeroes_what_the_next_layer_reads_as_pytorch(factory):
    """torch accepts dropout=1.0 (F.dropout(p=1) gives zeros); it was refused with [0, 1).
    In training the second layer then reads zeros: its output is that layer alone run on
    zeros, and the first layer's weights get no gradient from it."""
    model = factory(4, 3, num_layers=2, dropout=1.0, dtype=np.float64)
    alone = factory(3, 3, dtype=np.float64)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        getattr(alone, name + "_l0").data[...] = getattr(model, name + "_l1").data
    x = Tensor(np.random.default_rng(0).standard_normal((5, 2, 4)))
    out, _ = model(x)
    expected, _ = alone(zeros(5, 2, 3, dtype=np.float64))
    np.testing.assert_allclose(out.data, expected.data, rtol=1e-13, atol=1e-15)
    out.sum().backward()
    assert np.all(model.weight_ih_l0.grad == 0) and np.all(np.isfinite(model.weight_ih_l1.grad))
    model.eval()
    with no_grad():
        assert np.any(model(x)[0].data != expected.data)  # no dropout in eval mode


@pytest.mark.parametrize(("bias", "bidirectional"), [(True, False), (False, True)])
def test_flatten_parameters_and_all_weights_as_pytorch(bias, bidirectional):
    """Ported code calls `flatten_parameters()` (cuDNN's contiguous weights: nothing to do on
    the CPU) and reads `all_weights`: per layer and direction, [w_ih, w_hh(, b_ih, b_hh)]."""
    model = LSTM(4, 3, num_layers=2, bias=bias, bidirectional=bidirectional)
    assert model.flatten_parameters() is None
    assert [[id(p) for p in group] for group in model.all_weights] == [
        [id(getattr(model, name)) for name in group] for group in _names_by_group(model)]
    assert len(model.all_weights) == 2 * (2 if bidirectional else 1)
    assert all(len(group) == (4 if bias else 2) for group in model.all_weights)


def _names_by_group(model):
    """PyTorch's `_all_weights` names: layer by layer, forward then reverse."""
    kinds = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if model.bias else ())
    return [[f"{kind}_l{layer}{suffix}" for kind in kinds]
            for layer in range(model.num_layers)
            for suffix in ("", "_reverse")[:model.num_directions]]
