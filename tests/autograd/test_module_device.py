"""`Module.to` and `Tensor.to` take PyTorch's device spellings (positional, `device=`, with a
dtype, or a tensor): the CPU is where seqlab runs (a no-op that keeps dtypes), any other device
is one clear error; a dtype still casts."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.autograd import Tensor
from seqlab.autograd.nn import Linear


def test_cpu_is_a_no_op_and_a_dtype_still_casts():
    layer = Linear(3, 2, dtype=np.float32)
    before = layer.weight.data.copy()
    assert layer.to("cpu") is layer
    assert layer.cpu() is layer
    assert layer.weight.dtype == np.float32
    np.testing.assert_array_equal(layer.weight.data, before)
    layer.to(np.float64)
    assert layer.weight.dtype == np.float64
    np.testing.assert_array_equal(layer.weight.data, before.astype(np.float64))


@pytest.mark.parametrize("device", ["cuda", "cuda:0", "mps"])
def test_other_devices_are_refused_by_name(device):
    with pytest.raises(ValueError, match=f"device {device!r}.*CPU"):
        Linear(3, 2).to(device)


def test_a_word_that_is_no_dtype_or_device_is_still_an_error():
    with pytest.raises(TypeError):
        Linear(3, 2).to("fast")


@pytest.mark.parametrize(("call", "dtype"), [
    (lambda m: m.to(device="cpu"), np.float32),
    (lambda m: m.to("cpu", np.float64), np.float64),
    (lambda m: m.to(device="cpu", dtype=np.float64), np.float64),
    (lambda m: m.to(dtype=np.float64, non_blocking=True), np.float64),
    (lambda m: m.to(Tensor(np.zeros(1))), np.float64),
])
def test_pytorchs_other_spellings_of_to(call, dtype):
    """`model.to(device=device)`, `.to(device, dtype)` and `.to(tensor)` (its dtype), as in
    PyTorch; non_blocking is accepted and means nothing on the CPU."""
    layer = Linear(3, 2)
    assert call(layer) is layer
    assert layer.weight.dtype == dtype


def test_module_to_names_a_device_keyword_it_refuses():
    with pytest.raises(ValueError, match=r"device 'cuda'.*CPU"):
        Linear(3, 2).to(device="cuda")
    with pytest.raises(TypeError, match=r"unexpected keyword.*'memory_format'"):
        Linear(3, 2).to(np.float64, memory_format=None)


@pytest.mark.parametrize("call", [
    lambda x: x.to("cpu"),
    lambda x: x.to("cpu:0"),
    lambda x: x.to(device="cpu"),
    lambda x: x.to("cpu", np.float32),
    lambda x: x.to(np.float32),
    lambda x: x.to(dtype=np.float32, non_blocking=True),
    lambda x: x.to(Tensor(np.zeros(1, dtype=np.float32))),
    lambda x: x.cpu(),
])
def test_tensor_to_takes_pytorchs_device_and_dtype_spellings(call):
    """`x.to(device)` is in every PyTorch script: it was NumPy's "data type 'cpu' not
    understood"."""
    x = Tensor(np.arange(3.0), requires_grad=True)
    moved = call(x)
    assert moved.dtype == (np.float64 if moved is x else np.float32)
    np.testing.assert_array_equal(moved.numpy(), [0.0, 1.0, 2.0])
    moved.sum().backward()  # still in the graph
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 1.0])


@pytest.mark.parametrize("device", ["cuda", "cuda:1", "mps"])
def test_tensor_to_refuses_other_devices_by_name(device):
    with pytest.raises(ValueError, match=f"device {device!r}.*CPU"):
        Tensor(np.zeros(2)).to(device)


def test_tensor_to_copy_gives_a_new_tensor_as_pytorch():
    x = Tensor(np.arange(3.0))
    same = x.to("cpu", copy=True)
    assert same is not x and not np.shares_memory(same.numpy(), x.numpy())
    assert x.to("cpu") is x
