"""Gradient flow through time against finite differences and the training path's gradients.

The finite differences run an independent plain-NumPy forward (`numpy_reference.step`) that adds
a small bump to one hidden or cell state at one step and carries on, on tiny float64 models.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy_reference import step as reference_step

from seqlab.autograd import Tensor
from seqlab.seqmodels import GRU, LSTM, RNN, LanguageModel
from seqlab.seqmodels.inspection import (
    KINDS,
    gradient_flow,
    jacobian_product_norms,
    language_model_flow,
    record,
)

STACKS = {
    "lstm": lambda **kw: LSTM(**kw),
    "gru": lambda **kw: GRU(**kw),
    "rnn_tanh": lambda **kw: RNN(**kw),
}


def arrays(stack, layer, direction):
    return tuple(None if w is None else w.data for w in stack.layer_weights(layer, direction))


def reference_output(stack, x, bump=None):
    """The stack's output (T, N, D*H) from zero states; bump = (layer, direction, t, n, unit,
    'h' | 'c', eps) adds eps to that state as it is computed: to c_t before h_t = o * tanh(c_t)
    reads it, so the difference quotient is the total dL/dc_t (torch's c_t.retain_grad())."""
    mode = stack.mode
    hidden = stack.hidden_size
    for layer in range(stack.num_layers):
        outs = []
        for direction in range(stack.num_directions):
            h = np.zeros((x.shape[1], hidden))
            c = np.zeros_like(h) if mode == "lstm" else None
            out = np.zeros((x.shape[0], x.shape[1], hidden))
            order = range(x.shape[0] - 1, -1, -1) if direction else range(x.shape[0])
            for t in order:
                h_bump = c_bump = None
                if bump is not None and bump[:3] == (layer, direction, t):
                    _, _, _, n, unit, which, eps = bump
                    added = np.zeros_like(h)
                    added[n, unit] = eps
                    h_bump, c_bump = (added, None) if which == "h" else (None, added)
                h, c = reference_step(mode, x[t], h, c, *arrays(stack, layer, direction),
                                      cell_bump=c_bump)
                if h_bump is not None:
                    h = h + h_bump
                out[t] = h
            outs.append(out)
        x = np.concatenate(outs, axis=2)
    return x


@pytest.mark.parametrize("mode", list(STACKS))
def test_dl_dh_equals_finite_differences(mode):
    stack = STACKS[mode](input_size=3, hidden_size=3, num_layers=2, bidirectional=True,
                         dtype=np.float64, generator=5)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 2, 3))
    weights = rng.normal(size=(5, 2, 6))

    def loss(out):
        return (out * weights).sum()

    flow = gradient_flow(stack, x, lambda out: (out * Tensor(weights)).sum())
    np.testing.assert_allclose(flow.loss, loss(reference_output(stack, x)), atol=1e-12)
    eps = 1e-6
    for layer in range(2):
        for direction in range(2):
            for t in range(5):
                for n in range(2):
                    for unit in range(3):
                        for which in ("h", "c") if mode == "lstm" else ("h",):
                            bump = (layer, direction, t, n, unit, which)
                            plus = loss(reference_output(stack, x, (*bump, eps)))
                            minus = loss(reference_output(stack, x, (*bump, -eps)))
                            grads = flow.layers[layer].grad_h if which == "h" else \
                                flow.layers[layer].grad_c
                            np.testing.assert_allclose(
                                grads[t, n, direction * 3 + unit], (plus - minus) / (2 * eps),
                                rtol=1e-6, atol=1e-8, err_msg=str(bump))
    np.testing.assert_allclose(flow.layers[0].norms,
                               np.linalg.norm(flow.layers[0].grad_h.reshape(5, -1), axis=1))


@pytest.mark.parametrize("mode", list(STACKS))
def test_per_step_weight_gradients_sum_to_the_training_path_gradient(mode):
    stack = STACKS[mode](input_size=3, hidden_size=4, num_layers=2, dtype=np.float64,
                         generator=2)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 2, 3))
    weights = rng.normal(size=(6, 2, 4))
    flow = gradient_flow(stack, x, lambda out: (out * Tensor(weights)).sum(),
                         keep_weight_grads=True)
    for parameter in stack.parameters():
        assert parameter.grad is None  # the model is only read
    out, _ = stack(Tensor(x))  # the fused training path
    (out * Tensor(weights)).sum().backward()
    for layer in range(2):
        w_ih, w_hh, _, _ = stack.layer_weights(layer, 0)
        kept = flow.layers[layer].weight_grads
        np.testing.assert_allclose(kept["weight_ih"][0].sum(axis=0), w_ih.grad, atol=1e-12)
        np.testing.assert_allclose(kept["weight_hh"][0].sum(axis=0), w_hh.grad, atol=1e-12)
        np.testing.assert_allclose(flow.layers[layer].weight_hh_norms[0],
                                   np.linalg.norm(kept["weight_hh"][0].reshape(6, -1), axis=1))


def numerical_jacobian(mode, x, h, c, weights, eps=1e-6):
    """d state' / d state of one sequence by central differences of the reference step."""
    state = np.concatenate([h, c], axis=1) if c is not None else h.copy()
    hidden = h.shape[1]

    def forward(s):
        h_next, c_next = reference_step(mode, x, s[:, :hidden],
                                        s[:, hidden:] if c is not None else None, *weights)
        return np.concatenate([h_next, c_next], axis=1) if c is not None else h_next

    columns = []
    for index in range(state.shape[1]):
        bump = np.zeros_like(state)
        bump[0, index] = eps
        columns.append((forward(state + bump) - forward(state - bump))[0] / (2 * eps))
    return np.stack(columns, axis=1)


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
def test_step_jacobian_equals_finite_differences(mode):
    kind = KINDS[mode]
    stack = (LSTM if mode == "lstm" else GRU if mode == "gru" else RNN)(
        3, 4, dtype=np.float64, generator=7,
        **({"nonlinearity": "relu"} if mode == "rnn_relu" else {}))
    weights = arrays(stack, 0, 0)
    rng = np.random.default_rng(3)
    x, h = rng.normal(size=(1, 3)), rng.normal(size=(1, 4)) * 0.5
    c = rng.normal(size=(1, 4)) if mode == "lstm" else None
    step = kind.step(x @ weights[0].T + weights[2], h, c, weights[1], weights[3])
    expected = numerical_jacobian(mode, x, h, c, weights)
    np.testing.assert_allclose(kind.jacobian(step, h, c, weights[1])[0], expected, atol=1e-8)


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh"])
@pytest.mark.parametrize("reverse", [False, True])
def test_jacobian_product_norms_equal_explicit_products(mode, reverse):
    stack = STACKS[mode](input_size=2, hidden_size=3, bidirectional=reverse, dtype=np.float64,
                         generator=4)
    direction = 1 if reverse else 0
    x = np.random.default_rng(5).normal(size=(5, 1, 2))
    layer = record(stack, x).layers[0]
    units = slice(direction * 3, direction * 3 + 3)
    hidden = layer.states["hidden"][:, :, units]
    cell = layer.states["cell"][:, :, units] if mode == "lstm" else None
    weights = arrays(stack, 0, direction)
    zeros = np.zeros((1, 3))
    norms = jacobian_product_norms(KINDS[mode], x, hidden, cell, weights, zeros,
                                   zeros if mode == "lstm" else None, reverse)
    order = list(range(4, -1, -1)) if reverse else list(range(5))
    size = 6 if mode == "lstm" else 3
    product = np.eye(size)
    for position in range(4, -1, -1):
        t = order[position]
        np.testing.assert_allclose(norms[t], np.linalg.norm(product, 2), rtol=1e-7)
        prev = order[position - 1] if position else None
        h_prev = hidden[prev] if prev is not None else zeros
        c_prev = (cell[prev] if prev is not None else zeros) if mode == "lstm" else None
        product = product @ numerical_jacobian(mode, x[t], h_prev, c_prev, weights)


def test_language_model_flow_last_step_gradient_is_the_decoder_gradient():
    model = LanguageModel(9, 4, 5, num_layers=2, cell="gru", dtype=np.float64, generator=0)
    ids = np.random.default_rng(2).integers(0, 9, size=12)
    flow = language_model_flow(model, ids)
    top = record(model, ids[:-1]).output[-1, 0]
    logits = top @ model.decoder.weight.data.T + model.decoder.bias.data
    probabilities = np.exp(logits - logits.max())
    probabilities /= probabilities.sum()
    np.testing.assert_allclose(flow.loss, -np.log(probabilities[ids[-1]]), rtol=1e-12)
    probabilities[ids[-1]] -= 1
    expected = probabilities @ model.decoder.weight.data
    np.testing.assert_allclose(flow.layers[-1].grad_h[-1, 0], expected, atol=1e-12)
    assert len(flow.norms_back()) == 11 and flow.norms_back()[0] == flow.layers[-1].norms[-1]
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
def test_classifier_flow_is_the_classifier_loss_and_its_gradient(pooling):
    from seqlab.autograd.nn.functional import cross_entropy
    from seqlab.seqmodels import SequenceClassifier
    from seqlab.seqmodels.inspection import classifier_flow

    model = SequenceClassifier(10, 4, 3, num_classes=3, num_layers=2, cell="lstm",
                               bidirectional=True, pooling=pooling, dtype=np.float64,
                               generator=1)
    model.eval()
    ids = np.random.default_rng(3).integers(1, 10, size=7)
    flow = classifier_flow(model, ids, label=2, keep_weight_grads=True)
    loss = cross_entropy(model(ids[None, :]), np.array([2]))  # the training path
    assert flow.loss == pytest.approx(float(loss.item()), rel=1e-12)
    loss.backward()
    for layer in range(2):
        for direction in range(2):
            w_hh = model.rnn.layer_weights(layer, direction)[1]
            kept = flow.layers[layer].weight_grads["weight_hh"][direction]
            np.testing.assert_allclose(kept.sum(axis=0), w_hh.grad, atol=1e-12)
