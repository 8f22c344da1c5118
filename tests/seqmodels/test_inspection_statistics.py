"""Saturation, text properties, interpretable units and the gradient experiments."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.seqmodels import LSTM, LanguageModel
from seqlab.seqmodels.inspection import (
    KINDS,
    LayerRecord,
    Recording,
    compare_cells,
    correlations,
    decay_curve,
    exploding,
    interpretable_units,
    language_model_flow,
    record,
    saturation,
    steps_until_below,
    text_properties,
)


def test_text_properties_by_hand():
    props = text_properties(list('a "b" (c)\nd'))
    #                            a  sp "  b  "  sp (  c  )  \n d
    np.testing.assert_array_equal(props["position_in_line"], [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
    np.testing.assert_array_equal(props["inside_quotes"], [0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(props["inside_brackets"], [0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(props["word_boundary"], [0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0])
    words = text_properties(["the", " ", "(cat)"])
    np.testing.assert_array_equal(words["inside_brackets"], [0, 0, 1])
    np.testing.assert_array_equal(words["position_in_line"], [3, 4, 9])


def test_correlations_equal_numpy_corrcoef_and_zero_for_constants():
    rng = np.random.default_rng(0)
    activations = rng.normal(size=(50, 4))
    activations[:, 3] = 2.0
    values = rng.normal(size=50) + activations[:, 0]
    result = correlations(activations, values)
    for unit in range(3):
        assert result[unit] == pytest.approx(np.corrcoef(activations[:, unit], values)[0, 1])
    assert result[3] == 0.0


def manual_recording(hidden: np.ndarray, gates: dict[str, np.ndarray]) -> Recording:
    steps, units = hidden.shape
    cell = np.zeros((steps, 1, units))  # constant: no correlation, never ranked
    layer = LayerRecord(0, 1, units, np.zeros((steps, 1, 1)), {"hidden": hidden[:, None],
                                                               "cell": cell},
                        {name: value[:, None] for name, value in gates.items()})
    return Recording(KINDS["lstm"], [layer], np.zeros((1, 1, units)), np.zeros((1, 1, units)))


def test_saturation_counts_the_tenth_of_each_range():
    sigmoid_gate = np.array([[0.05, 0.5], [0.95, 0.5], [0.09, 0.91], [0.5, 0.99]])
    tanh_gate = np.array([[-0.85, 0.0], [0.81, 0.0], [-0.79, 0.0], [0.0, 0.95]])
    gates = {"i": sigmoid_gate, "f": sigmoid_gate, "g": tanh_gate, "o": sigmoid_gate}
    stats = {s.gate: s for s in saturation(manual_recording(np.zeros((4, 2)), gates))}
    np.testing.assert_allclose(stats["f"].left, [0.5, 0.0])
    np.testing.assert_allclose(stats["f"].right, [0.25, 0.5])
    np.testing.assert_allclose(stats["g"].left, [0.25, 0.0])
    np.testing.assert_allclose(stats["g"].right, [0.25, 0.25])
    assert stats["f"].mean_left == pytest.approx(0.25) and stats["f"].mostly("right") == 0


def test_interpretable_units_find_a_planted_quote_unit():
    pieces = list('He said "stop it now" and "go" later, then "no more" at last.' * 3)
    props = text_properties(pieces)
    rng = np.random.default_rng(1)
    hidden = rng.normal(size=(len(pieces), 6)) * 0.3
    hidden[:, 4] += props["inside_quotes"]
    hidden[:, 1] = -props["position_in_line"] / 50 + rng.normal(size=len(pieces)) * 0.05
    gates = {name: np.full_like(hidden, 0.5) for name in "ifgo"}
    found = interpretable_units(manual_recording(hidden, gates), props, top=3)
    assert len(found) == 3
    best = {(score.unit, score.property) for score in found[:2]}
    assert best == {(4, "inside_quotes"), (1, "position_in_line")}
    assert next(s for s in found if s.unit == 1).correlation < -0.9
    assert len({(s.layer, s.state, s.unit) for s in found}) == 3
    best_each = interpretable_units(manual_recording(hidden, gates), props, top=1,
                                    per_property=True)
    varying = sorted(name for name, values in props.items() if values.std() > 0)
    assert "inside_brackets" not in varying  # the text has none: left out, not scored 0
    assert sorted(s.property for s in best_each) == varying
    for score in best_each:
        expected = np.abs(correlations(hidden, props[score.property])).max()
        assert score.score == pytest.approx(expected)
    assert [s.score for s in best_each] == sorted((s.score for s in best_each), reverse=True)


def test_interpretable_units_on_a_real_recording_are_scored_correlations():
    stack = LSTM(2, 5, dtype=np.float64, generator=0)
    text = 'a "quoted" word (and more)\nline'
    x = np.random.default_rng(0).normal(size=(len(text), 2))
    recording = record(stack, x)
    props = text_properties(list(text))
    for score in interpretable_units(recording, props, top=4):
        series = recording.layers[0].states[score.state][:, 0, score.unit]
        assert score.correlation == pytest.approx(np.corrcoef(series, props[score.property])[0, 1])


def test_steps_until_below():
    assert steps_until_below([1.0, 0.1, 1e-5, 1e-7]) == 3
    assert steps_until_below([1.0, 0.5]) is None
    assert steps_until_below([0.0, 0.0]) is None
    assert steps_until_below([2.0, 1e-6]) == 1


def test_compare_cells_measures_before_and_after_training():
    rng = np.random.default_rng(0)
    train = rng.integers(0, 12, size=600)
    probe = rng.integers(0, 12, size=31)
    results = compare_cells(["rnn", "gru"], train, probe, vocab_size=12, steps=3,
                            hidden_size=8, embedding_dim=4)
    for result in results:
        assert len(result.initial.norms) == 30 and len(result.trained.norms) == 30
        assert len(result.losses) == 3 and all(np.isfinite(result.losses))
        assert result.initial.norms != result.trained.norms  # training changed the weights
        assert result.trained.jacobian_norms[0] == 1.0


@pytest.mark.parametrize("cell, gates", [("lstm", "ifgo"), ("gru", "rzn")])
def test_exploding_on_gated_cells_measures_each_gate_block(cell, gates):
    """LSTM / GRU W_hh stacks one H x H block per gate (4H x H, 3H x H): the radius is each
    block's largest |eigenvalue| (checked against NumPy on the slices), the reported one their
    maximum, scaled with W_hh."""
    model = LanguageModel(10, 4, 6, cell=cell, generator=2)
    ids = np.random.default_rng(3).integers(0, 10, size=21)
    w_hh = model.rnn.weight_hh_l0.data.astype(np.float64)
    result = exploding(model, ids, scale=3.0, max_norm=0.5, lr=0.2)
    assert list(result.block_spectral_radii) == list(gates)
    for k, gate in enumerate(gates):
        eigenvalues = np.linalg.eigvals(3.0 * w_hh[6 * k:6 * (k + 1), :])
        assert result.block_spectral_radii[gate] == pytest.approx(np.abs(eigenvalues).max(),
                                                                  rel=1e-6)
    assert result.spectral_radius == max(result.block_spectral_radii.values())
    assert len(result.curve.norms) == 20 and np.isfinite(result.grad_norm)


def test_exploding_scales_the_radius_and_clipping_bounds_the_update():
    model = LanguageModel(10, 4, 8, cell="rnn", generator=0)
    ids = np.random.default_rng(1).integers(0, 10, size=41)
    radius = float(np.abs(np.linalg.eigvals(model.rnn.weight_hh_l0.data)).max())
    result = exploding(model, ids, scale=5.0, max_norm=0.5, lr=0.2)
    assert result.spectral_radius == pytest.approx(5.0 * radius, rel=1e-5)
    assert result.block_spectral_radii == {"h": result.spectral_radius}
    assert result.update_norm == pytest.approx(0.2 * result.grad_norm, rel=1e-4)
    assert result.clipped_update_norm == pytest.approx(0.2 * min(result.grad_norm, 0.5),
                                                       rel=1e-4)
    assert model.rnn.weight_hh_l0.grad is None  # the model itself is untouched
    np.testing.assert_allclose(radius, np.abs(np.linalg.eigvals(
        model.rnn.weight_hh_l0.data)).max())


def test_decay_curve_of_a_chosen_layer():
    """decay_curve's `layer` picks whose h_k is measured (the top by default) and the same layer
    of the scaled copy in exploding(); a layer the model lacks is a ValueError."""
    model = LanguageModel(10, 4, 6, num_layers=2, cell="gru", generator=1)
    ids = np.random.default_rng(2).integers(0, 10, size=16)
    flow = language_model_flow(model, ids)
    assert decay_curve(model, ids).norms == flow.norms_back(1)
    assert decay_curve(model, ids, 0).norms == flow.norms_back(0) != flow.norms_back(1)
    assert exploding(model, ids, layer=0).curve.norms != exploding(model, ids).curve.norms
    with pytest.raises(ValueError, match=r"layer must lie in \[-2, 2\)"):
        decay_curve(model, ids, 2)
