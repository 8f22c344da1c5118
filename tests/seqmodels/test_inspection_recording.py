"""Recorded states and gates equal what the training path computes.

The fused training path keeps every gate activation for its backward pass; the graph of a
forward call holds them. These tests read them there (one helper, `fused_activations`) and
compare them with `inspection.record`, for every cell, multi-layer and bidirectional.
"""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.autograd import Tensor
from seqlab.seqmodels import GRU, LSTM, RNN, LanguageModel, SequenceClassifier
from seqlab.seqmodels.both_directions import BothDirectionsLayer
from seqlab.seqmodels.fused import RecurrentLayer
from seqlab.seqmodels.inspection import record

STACKS = {
    "lstm": lambda **kw: LSTM(**kw),
    "gru": lambda **kw: GRU(**kw),
    "rnn_tanh": lambda **kw: RNN(**kw),
    "rnn_relu": lambda **kw: RNN(nonlinearity="relu", **kw),
}
# the Function's inputs that are W_hh, in order, and where its saved activations are
W_HH_INPUTS = {RecurrentLayer: (4,), BothDirectionsLayer: (6, 10)}


def fused_activations(output: Tensor, stack) -> dict[tuple[int, int], tuple]:
    """(layer, direction) -> the activations the fused layer Function saved for backward,
    found by walking the autograd graph back from `output`."""
    owners = {id(stack.layer_weights(layer, direction)[1]): (layer, direction)
              for layer in range(stack.num_layers) for direction in range(stack.num_directions)}
    found, seen, pending = {}, set(), [output._ctx]
    while pending:
        ctx = pending.pop()
        if ctx is None or id(ctx) in seen:
            continue
        seen.add(id(ctx))
        if ctx.function in W_HH_INPUTS:
            saved = ctx.saved_tensors[0]  # the layer's saved state first, then its weights
            per_direction = (saved,) if ctx.function is RecurrentLayer else saved[:2]
            for index, state in zip(W_HH_INPUTS[ctx.function], per_direction, strict=True):
                found[owners[id(ctx.inputs[index])]] = state.loop.activations
        pending.extend(tensor._ctx for tensor in ctx.inputs if tensor is not None)
    assert len(found) == stack.num_layers * stack.num_directions
    return found


def direction_slice(recorded: np.ndarray, direction: int, hidden: int) -> np.ndarray:
    return recorded[:, :, direction * hidden : (direction + 1) * hidden]


@pytest.mark.parametrize("mode", list(STACKS))
@pytest.mark.parametrize("bidirectional", [False, True])
def test_recorded_states_and_gates_equal_the_fused_training_path(mode, bidirectional):
    hidden = 5
    stack = STACKS[mode](input_size=4, hidden_size=hidden, num_layers=2,
                         bidirectional=bidirectional, dtype=np.float64, generator=3)
    x = np.random.default_rng(0).normal(size=(7, 3, 4))
    out, finals = stack(Tensor(x))
    recording = record(stack, x)
    np.testing.assert_allclose(recording.output, out.data, atol=1e-12)
    h_n = finals[0] if mode == "lstm" else finals
    np.testing.assert_allclose(recording.h_n, h_n.data, atol=1e-12)
    if mode == "lstm":
        np.testing.assert_allclose(recording.c_n, finals[1].data, atol=1e-12)
    activations = fused_activations(out, stack)
    for (layer, direction), saved in activations.items():
        record_layer = recording.layers[layer]
        hidden_states = direction_slice(record_layer.states["hidden"], direction, hidden)
        if mode == "lstm":
            gates, _, tanh_c, _, saved_out, _ = saved
            for index, name in enumerate("ifgo"):
                np.testing.assert_allclose(
                    direction_slice(record_layer.gates[name], direction, hidden),
                    gates[:, :, index * hidden : (index + 1) * hidden], atol=1e-12)
            cell = direction_slice(record_layer.states["cell"], direction, hidden)
            np.testing.assert_allclose(np.tanh(cell), tanh_c, atol=1e-12)
        elif mode == "gru":
            gates, _, _ = saved
            saved_out = None
            for index, name in enumerate("rzn"):
                np.testing.assert_allclose(
                    direction_slice(record_layer.gates[name], direction, hidden),
                    gates[:, :, index * hidden : (index + 1) * hidden], atol=1e-12)
        else:
            saved_out, _ = saved
            assert record_layer.gates == {}
        if saved_out is not None:
            np.testing.assert_allclose(hidden_states, saved_out, atol=1e-12)


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_recording_matches_the_composed_reference_path(mode):
    stack = STACKS[mode](input_size=3, hidden_size=4, num_layers=3, bidirectional=True,
                         dtype=np.float64, generator=1)
    stack.fused = False
    x = np.random.default_rng(2).normal(size=(6, 2, 3))
    out, _ = stack(Tensor(x))
    np.testing.assert_allclose(record(stack, x).output, out.data, atol=1e-12)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_language_model_recording_gives_its_logits(cell):
    model = LanguageModel(11, 6, 8, num_layers=2, cell=cell, generator=0)
    model.eval()
    ids = np.random.default_rng(1).integers(0, 11, size=40)
    logits, _ = model(ids[:, None])  # vocabulary < tokens: the folded-table training path
    recording = record(model, ids)
    top = recording.output[:, 0]
    mine = top @ model.decoder.weight.data.T + model.decoder.bias.data
    np.testing.assert_allclose(mine, logits.data[:, 0], rtol=1e-4, atol=1e-5)
    assert recording.layers[0].hidden_size == 8 and recording.steps == 40


def test_bidirectional_classifier_recording_gives_its_logits():
    model = SequenceClassifier(13, 5, 6, num_classes=3, num_layers=2, cell="lstm",
                               bidirectional=True, pooling="last", dtype=np.float64,
                               generator=0)
    model.eval()
    ids = np.random.default_rng(4).integers(1, 13, size=9)
    logits = model(ids[None, :]).data[0]
    out = record(model, ids).output[:, 0]
    pooled = np.concatenate([out[-1, :6], out[0, 6:]])
    mine = pooled @ model.classifier.weight.data.T + model.classifier.bias.data
    np.testing.assert_allclose(mine, logits, atol=1e-12)


def test_unit_layout_and_errors():
    stack = LSTM(3, 4, bidirectional=True, dtype=np.float64, generator=0)
    recording = record(stack, np.zeros((5, 3)))
    layer = recording.layers[0]
    assert layer.units == 8 and layer.series("f").shape == (5, 1, 8)
    assert layer.series_names == ("hidden", "cell", "i", "f", "g", "o")
    with pytest.raises(KeyError, match="records hidden, cell, i, f, g, o"):
        layer.series("z")
    with pytest.raises(ValueError, match=r"inputs must be \(T, N, 3\)"):
        record(stack, np.zeros((5, 2)))
    with pytest.raises(ValueError, match="RNN, LSTM or GRU"):
        record(object(), np.zeros((5, 3)))
    model = LanguageModel(7, 4, 4, generator=0)
    with pytest.raises(ValueError, match=r"token ids must lie in \[0, 7\)"):
        record(model, np.array([1, 9]))


def test_direction_of_names_the_parameters_that_compute_a_unit():
    """A bidirectional layer's unit u is direction_of(u)'s unit j, computed by the parameters
    `*_{parameter_suffix(u)}`: a one-direction GRU given exactly those parameters, run on the
    layer's input backwards, gives that unit's recorded hidden state."""
    hidden = 4
    stack = GRU(3, hidden, num_layers=2, bidirectional=True, dtype=np.float64, generator=5)
    x = np.random.default_rng(6).normal(size=(7, 1, 3))
    layer = record(stack, x).layers[1]
    assert [layer.direction_of(u) for u in (0, 3, 4, 7)] == \
        [("forward", 0), ("forward", 3), ("reverse", 0), ("reverse", 3)]
    assert layer.parameter_suffix(2) == "l1" and layer.parameter_suffix(6) == "l1_reverse"
    for unit in (1, 6):
        direction, index = layer.direction_of(unit)
        suffix = layer.parameter_suffix(unit)
        single = GRU(2 * hidden, hidden, dtype=np.float64, generator=0)
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(single, f"{name}_l0").data = getattr(stack, f"{name}_{suffix}").data.copy()
        steps = layer.inputs if direction == "forward" else layer.inputs[::-1]
        out, _ = single(Tensor(np.ascontiguousarray(steps)))
        expected = out.data if direction == "forward" else out.data[::-1]
        np.testing.assert_allclose(layer.states["hidden"][:, 0, unit], expected[:, 0, index],
                                   atol=1e-12)
    with pytest.raises(IndexError, match=r"units 0\.\.7, not 8"):
        layer.direction_of(8)
