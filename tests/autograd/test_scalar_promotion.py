"""Result dtypes of tensor-with-Python-scalar arithmetic and of `//`, as PyTorch gives them
(dtypes and values below were read from PyTorch 2.13)."""

from __future__ import annotations

import numpy as np
import pytest

import seqlab.autograd as ag


@pytest.mark.parametrize(("compute", "dtype"), [
    (lambda: ag.tensor([1, 2]) / 255.0, np.float32),
    (lambda: ag.tensor([1, 2]) / 2, np.float32),
    (lambda: 2 / ag.tensor([1, 2]), np.float32),
    (lambda: ag.tensor([1, 2]) / ag.tensor([2, 2]), np.float32),
    (lambda: ag.tensor([1, 2]) / ag.tensor([2.0, 2.0], dtype=np.float64), np.float64),
    (lambda: ag.tensor([1, 2]) + 0.5, np.float32),
    (lambda: 0.5 - ag.tensor([1, 2]), np.float32),
    (lambda: ag.tensor([1, 2]) * 2, np.int64),
    (lambda: ag.tensor([1, 2], dtype=np.int32) * 2, np.int32),
    (lambda: ag.tensor([True]) + 1, np.int64),
    (lambda: ag.tensor([True]) + 1.5, np.float32),
    (lambda: ag.tensor([1, 2]) ** 0.5, np.float32),
    (lambda: ag.tensor([1.0, 2.0], dtype=np.float64) + 1.5, np.float64),
    (lambda: ag.tensor([1.0, 2.0]) * 3, np.float32),
    (lambda: ag.tensor([1, 4]).maximum(2.5), np.float32),
])
def test_python_scalars_promote_as_in_pytorch(compute, dtype):
    assert compute().dtype == dtype


def test_int_pixels_over_255_feed_a_float32_layer():
    pixels = ag.tensor(np.array([[0, 51, 102, 255]]))
    x = pixels / 255.0
    np.testing.assert_allclose(x.data, [[0.0, 0.2, 0.4, 1.0]], rtol=1e-7)
    assert ag.nn.Linear(4, 2)(x).dtype == np.float32


def test_floor_division_matches_pytorch():
    np.testing.assert_array_equal((ag.tensor([7, -7]) // 2).data, [3, -4])
    np.testing.assert_array_equal((7 // ag.tensor([2, -2])).data, [3, -4])
    assert (ag.tensor([7, -7]) // 2.0).dtype == np.float32
    floats = ag.tensor([7.0, -7.0, 7.5]).floor_divide(ag.tensor([2.0, 2.0, 0.0]))
    np.testing.assert_array_equal(floats.data, [3.0, -4.0, np.inf])
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        ag.tensor([7, -7]) // ag.tensor([0, 2])


def test_floor_division_has_no_gradient_as_in_pytorch():
    x = ag.tensor([3.5, -2.5], requires_grad=True)
    y = x // 2
    assert y.requires_grad  # PyTorch's result also carries a (NotImplemented) grad_fn
    with pytest.raises(RuntimeError, match=r"derivative of floor_divide.*not implemented"):
        y.sum().backward()
