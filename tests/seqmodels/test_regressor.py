"""Time-series regression: windows by hand, scaler, bundled data, shapes, learning a sine."""

import numpy as np
import pytest

from seqlab.seqmodels.regressor import (
    SequenceRegressor,
    StandardScaler,
    interpolate_missing,
    load_series,
    make_windows,
)


def test_windows_by_hand():
    inputs, targets = make_windows(np.arange(6.0), window=3, horizon=2)
    assert inputs[..., 0].tolist() == [[0, 1, 2], [1, 2, 3]]
    assert targets[..., 0].tolist() == [[3, 4], [4, 5]]
    assert inputs.shape == (2, 3, 1) and targets.shape == (2, 2, 1)


def test_multivariate_windows_with_target_columns():
    series = np.stack([np.arange(5.0), 10 + np.arange(5.0)], axis=1)
    inputs, targets = make_windows(series, window=2, horizon=1, target_columns=1)
    assert inputs.shape == (3, 2, 2)
    assert inputs[1].tolist() == [[1, 11], [2, 12]]
    assert targets[:, :, 0].tolist() == [[12], [13], [14]]


def test_many_to_many_windows_by_hand():
    inputs, targets = make_windows(np.arange(6.0), window=3, horizon=2, many_to_many=True)
    assert inputs.shape == (2, 3, 1)
    assert targets.shape == (2, 3, 2, 1)
    # window 0 is [0, 1, 2]: step t predicts t+1, t+2
    assert targets[0, :, :, 0].tolist() == [[1, 2], [2, 3], [3, 4]]
    assert targets[1, :, :, 0].tolist() == [[2, 3], [3, 4], [4, 5]]
    with pytest.raises(ValueError, match="too short"):
        make_windows(np.arange(3.0), window=3, horizon=1)


def test_scaler_uses_training_statistics_only():
    train, test = np.array([1.0, 2.0, 3.0, 4.0]), np.array([10.0, 20.0])
    scaler = StandardScaler().fit(train)
    assert np.isclose(scaler.mean[0], 2.5) and np.isclose(scaler.scale[0], np.std(train))
    assert np.allclose(scaler.transform(test), (test - 2.5) / np.std(train))
    assert np.allclose(scaler.inverse_transform(scaler.transform(test)), test)
    features = np.array([[1.0, 5.0], [3.0, 5.0], [np.nan, 5.0]])
    both = StandardScaler().fit(features)
    assert np.allclose(both.mean, [2.0, 5.0]) and np.allclose(both.scale, [1.0, 1.0])
    restored = StandardScaler.from_state_dict(both.state_dict())
    assert np.allclose(restored.transform(features[:2]), both.transform(features[:2]))
    with pytest.raises(ValueError, match="not fitted"):
        StandardScaler().transform(test)


def test_bundled_series():
    years, sunspots = load_series("sunspots")
    assert years[0] == 1700 and years[-1] == 2008 and len(years) == 309
    assert np.all(np.diff(years) == 1) and not np.isnan(sunspots).any()
    assert sunspots[0] == 5.0
    dates, co2 = load_series("co2")
    assert dates[0] == 19580329 and np.isnan(co2).sum() > 0
    filled = interpolate_missing(co2)
    assert not np.isnan(filled).any() and 300 < filled.min() < filled.max() < 380
    with pytest.raises(ValueError, match="unknown series"):
        load_series("weather")


def test_interpolation_by_hand():
    assert interpolate_missing(np.array([np.nan, 1.0, np.nan, 3.0, np.nan])).tolist() == [
        1.0, 1.0, 2.0, 3.0, 3.0]


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_output_shapes(cell):
    x = np.random.default_rng(0).normal(size=(4, 7, 3))
    one = SequenceRegressor(3, 5, output_size=2, horizon=3, cell=cell, generator=0)
    assert one(x).shape == (4, 3, 2)
    many = SequenceRegressor(3, 5, output_size=2, horizon=3, cell=cell, many_to_many=True,
                             generator=0)
    assert many(x).shape == (4, 7, 3, 2)
    assert one.predict(x).shape == (4, 3, 2)


def test_many_to_one_reads_each_sequence_at_its_length():
    model = SequenceRegressor(2, 4, generator=0, dtype=np.float64)
    x = np.random.default_rng(1).normal(size=(2, 5, 2))
    padded = model(x, lengths=np.array([3, 5])).data
    assert np.allclose(padded[0], model(x[:1, :3]).data[0])
    assert np.allclose(padded[1], model(x[1:]).data[0])
