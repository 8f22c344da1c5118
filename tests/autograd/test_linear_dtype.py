"""`Linear` refuses an input whose dtype is not its weight's, as PyTorch does ("mat1 and mat2
must have the same dtype"), rather than computing in the wider dtype behind the user's back."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.autograd import Tensor
from seqlab.autograd.nn import Linear


@pytest.mark.parametrize(("weights", "inputs"), [(np.float32, np.float64),
                                                 (np.float64, np.float32)])
def test_input_of_another_float_dtype_is_one_clear_error(weights, inputs):
    layer = Linear(3, 2, dtype=weights)
    with pytest.raises(ValueError, match=rf"input dtype {np.dtype(inputs)} .* "
                                         rf"{np.dtype(weights)} weight"):
        layer(Tensor(np.ones((4, 3), dtype=inputs)))


def test_matching_dtypes_keep_their_dtype():
    for dtype in (np.float32, np.float64):
        out = Linear(3, 2, dtype=dtype)(Tensor(np.ones((4, 3), dtype=dtype)))
        assert out.dtype == dtype
