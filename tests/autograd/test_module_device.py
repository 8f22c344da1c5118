"""`Module.to` takes PyTorch's device spellings: the CPU is where seqlab runs (a no-op that
keeps dtypes), any other device is one clear error; a dtype still casts."""

from __future__ import annotations

import numpy as np
import pytest

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
