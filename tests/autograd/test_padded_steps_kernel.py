"""kernels.padded_steps: the zeros the LSTM loops split by sequence (`recurrent_lstm_rows`,
`recurrent_lstm_fed`) write at a sequence's padded steps, against the NumPy reference that
zeros every step past each length at once (also under NUMBA_DISABLE_JIT=1)."""

import numpy as np
import pytest

from seqlab.autograd.kernels.padded_steps import (
    lstm_padding_reference,
    zero_lstm_padded_step,
)

pytestmark = pytest.mark.kernels


def _saved(steps, batch, hidden, seed):
    rng = np.random.default_rng(seed)
    shapes = [(steps, batch, hidden), (steps, batch, 4 * hidden), (steps, batch, hidden),
              (steps, batch, hidden), (steps, batch, hidden)]
    return [rng.standard_normal(shape) for shape in shapes]


@pytest.mark.parametrize("save_h_prev", [True, False])
def test_each_padded_step_zeroed_gives_the_references_arrays(save_h_prev):
    lengths = np.array([5, 2, 0, 4, 1])
    arrays = _saved(5, len(lengths), 3, seed=7)
    expected = [array.copy() for array in arrays]
    lstm_padding_reference(*expected, lengths, save_h_prev)
    for n, length in enumerate(lengths):
        for step in range(length, 5):
            zero_lstm_padded_step(*arrays, step, n, save_h_prev)
    for got, want in zip(arrays, expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_the_reference_zeros_only_steps_past_each_length():
    lengths = np.array([3, 1])
    arrays = _saved(3, 2, 2, seed=1)
    before = [array.copy() for array in arrays]
    lstm_padding_reference(*arrays, lengths, True)
    for array, old in zip(arrays, before, strict=True):
        np.testing.assert_array_equal(array[:, 0], old[:, 0])
        np.testing.assert_array_equal(array[0, 1], old[0, 1])
        assert not array[1:, 1].any()


def test_h_prev_is_left_as_it_is_when_not_saved():
    arrays = _saved(2, 1, 2, seed=3)
    h_prev = arrays[-1].copy()
    zero_lstm_padded_step(*arrays, 1, 0, False)
    np.testing.assert_array_equal(arrays[-1], h_prev)
    assert not arrays[0][1, 0].any() and not arrays[1][1, 0].any()
