"""Reductions as PyTorch types and reads them: mean/var/std refuse integer and bool tensors
(sum keeps them), and `dim=()` (or `[]`) means every dim, not none."""

from __future__ import annotations

import numpy as np
import pytest

import seqlab.autograd as ag


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_mean_of_integer_or_bool_tensor_is_refused(dtype):
    t = ag.tensor(np.array([1, 0, 1], dtype=dtype))
    with pytest.raises(RuntimeError, match=r"mean\(\).*floating point.*\.float\(\)"):
        t.mean()
    with pytest.raises(RuntimeError, match=r"mean\(\)"):
        t.mean(dim=0)


@pytest.mark.parametrize("name", ["var", "std"])
def test_var_and_std_of_integer_tensor_are_refused(name):
    with pytest.raises(RuntimeError, match=r"std and var only support floating point"):
        getattr(ag.tensor(np.array([1, 2, 4])), name)()


def test_sum_of_integer_and_bool_tensors_is_int64():
    assert ag.tensor(np.array([1, 2], dtype=np.int32)).sum().dtype == np.int64
    assert ag.tensor(np.array([True, True])).sum().item() == 2


def test_empty_dim_reduces_every_dim():
    x = ag.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.sum(dim=()).shape == () and x.sum(dim=()).item() == 15.0
    assert x.sum(dim=[], keepdim=True).shape == (1, 1)
    assert x.mean(dim=()).item() == 2.5
    assert np.isclose(x.var(dim=()).item(), 3.5)
    assert np.isclose(x.std(dim=(), correction=0).item(), np.arange(6.0).std())
    x.mean(dim=()).backward()
    assert np.allclose(x.grad, 1 / 6)
    assert ag.tensor(np.array([1, 2])).sum(dim=()).item() == 3


def test_logsumexp_with_no_dims_is_refused():
    with pytest.raises(RuntimeError, match=r"logsumexp.*dim=\(\)"):
        ag.tensor(np.ones((2, 3))).logsumexp(dim=())
