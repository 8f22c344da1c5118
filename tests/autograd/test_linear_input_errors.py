"""Linear refuses an input it cannot take with one line naming the problem, as PyTorch's
`nn.Linear` refuses it (a 0-d input: "at least 1D"; an integer input: not floating point),
never a bare IndexError or advice to cast the model to an integer dtype."""

import numpy as np
import pytest

from seqlab.autograd import Tensor
from seqlab.autograd.errors import ShapeOrDtypeError
from seqlab.autograd.nn import Linear


@pytest.mark.parametrize("value", [np.float32(1.0), np.array(1.0, np.float32),
                                   Tensor(np.array(1.0, np.float32))])
def test_a_0d_input_is_refused_with_one_line(value):
    with pytest.raises(ShapeOrDtypeError, match="at least 1-D") as caught:
        Linear(4, 2)(value)
    assert len(str(caught.value).splitlines()) == 1


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_an_integer_input_is_refused_without_advice_to_cast_the_model(dtype):
    with pytest.raises(ShapeOrDtypeError, match="floating point") as caught:
        Linear(4, 2)(np.zeros((3, 4), dtype))
    assert "model" not in str(caught.value)


def test_a_1d_input_still_gives_the_1d_answer():
    layer = Linear(4, 2)
    x = np.arange(4, dtype=np.float32)
    expected = layer.weight.data @ x + layer.bias.data
    assert np.allclose(layer(x).data, expected, rtol=1e-6)
