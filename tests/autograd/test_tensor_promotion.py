"""Tensor-tensor arithmetic of mixed dtypes gives PyTorch's dtype, not NumPy's (int64 with
float32 is float32; a 0-d tensor decides only from a higher category), checked against
PyTorch's table in tests/fixtures/torch_parity/promotion.json; gradients keep each input's
dtype."""

from __future__ import annotations

import json
import operator
from pathlib import Path

import numpy as np
import pytest

import seqlab.autograd as ag

TABLE = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "torch_parity" / "promotion.json").read_text()
)["cases"]
OPS = {"add": operator.add, "mul": operator.mul, "div": operator.truediv}


def _operand(dtype: str, ndim: int) -> ag.Tensor:
    return ag.tensor(np.ones([2] * ndim, dtype=dtype))


@pytest.mark.parametrize("op", sorted(OPS))
def test_result_dtype_matches_pytorch(op):
    wrong = []
    for case in TABLE:
        a, b = _operand(case["a"], case["a_ndim"]), _operand(case["b"], case["b_ndim"])
        got = OPS[op](a, b).dtype
        if got != np.dtype(case[op]):
            wrong.append(f"{case['a']}[{case['a_ndim']}d] {op} {case['b']}[{case['b_ndim']}d]: "
                         f"{got}, PyTorch {case[op]}")
    assert not wrong, "\n".join(wrong)


def test_parameter_operands_and_gradient_dtypes():
    weight = ag.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    scale = ag.tensor(np.array(2.0), requires_grad=True)  # 0-d float64
    counts = ag.tensor(np.array([1, 2, 3]))
    out = weight * counts + weight * scale
    assert out.dtype == np.float32
    out.sum().backward()
    assert weight.grad.dtype == np.float32 and scale.grad.dtype == np.float64
    assert np.allclose(weight.grad, [3.0, 4.0, 5.0]) and np.isclose(scale.grad, 3.0)
