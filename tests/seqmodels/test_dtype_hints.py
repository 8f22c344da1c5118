"""Dtype-mismatch errors name conversions that exist on Tensor and Module (.float(),
.double()), and following the hint works."""

from __future__ import annotations

import numpy as np
import pytest

import seqlab.autograd as ag
from seqlab.seqmodels.recurrent import GRU


def test_linear_dtype_error_names_existing_conversions():
    layer = ag.nn.Linear(3, 2)  # float32
    x = ag.tensor(np.ones((1, 3)))  # float64
    with pytest.raises(ValueError, match=r"x\.float\(\).*model\.double\(\)") as caught:
        layer(x)
    assert "astype" not in str(caught.value)
    assert layer(x.float()).dtype == np.float32
    assert layer.double()(x).dtype == np.float64


def test_recurrent_dtype_error_names_existing_conversions():
    gru = GRU(3, 2)
    x = ag.tensor(np.ones((4, 1, 3)))
    with pytest.raises(ValueError, match=r"input\.float\(\).*model\.double\(\)") as caught:
        gru(x)
    assert "astype" not in str(caught.value)
    assert gru(x.float())[0].dtype == np.float32
