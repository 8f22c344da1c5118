"""`.long()` and `.int()` of inf or NaN print no NumPy RuntimeWarning: PyTorch gives an
undefined value silently (its docs: the result of such a cast is undefined), and so do
seqlab's other casts (`.to(np.int64)` runs as an op, in the quiet state). Finite values cast as
NumPy casts them (towards zero), and the caller's own warning settings stay theirs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import seqlab.autograd as ag


@pytest.mark.parametrize("cast", ["long", "int"])
def test_casting_inf_and_nan_to_integers_warns_nothing(cast):
    values = np.array([np.inf, -np.inf, np.nan, 2.7, -2.7, 1e30], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = getattr(ag.tensor(values), cast)()
    assert result.dtype == (np.int64 if cast == "long" else np.int32)
    np.testing.assert_array_equal(result.data[3:5], [2, -2])


def test_the_callers_error_state_is_left_as_it_was():
    with np.errstate(invalid="raise"):
        ag.tensor([np.nan]).long()
        with pytest.raises(FloatingPointError):
            np.array([np.nan]).astype(np.int64)
