"""A recurrent layer fed an input of another dtype suggests only conversions that work: the
model's conversion only to a dtype the stacks run in (float32, float64)."""

import numpy as np
import pytest

import seqlab.autograd as ag
from seqlab.seqmodels import LSTM

X = np.zeros((3, 2, 4))


def test_a_float16_input_is_told_to_convert_the_input_only():
    with pytest.raises(ValueError) as caught:
        LSTM(4, 8)(ag.tensor(X.astype(np.float16)))
    message = str(caught.value)
    assert "input.float()" in message and "float16" in message
    assert "model" not in message.replace("float32 parameters", "")


def test_a_float64_input_into_float32_may_convert_either():
    with pytest.raises(ValueError, match=r"input\.float\(\).*model\.double\(\)"):
        LSTM(4, 8)(ag.tensor(X, dtype=np.float64))
