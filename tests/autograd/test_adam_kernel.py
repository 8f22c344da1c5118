"""The single-pass Adam kernel against the optimizer's NumPy path, operation for operation."""

import numpy as np
import pytest

from seqlab.autograd import Tensor
from seqlab.autograd import threads as thread_team
from seqlab.autograd.optim import Adam, AdamW
from seqlab.autograd.optim import adam as adam_module

OPTIONS = [
    (Adam, {"lr": 0.01}),
    (Adam, {"lr": 0.02, "betas": (0.5, 0.9), "eps": 1e-3, "weight_decay": 0.1}),
    (Adam, {"lr": 0.01, "maximize": True, "amsgrad": True}),
    (AdamW, {"lr": 0.05, "weight_decay": 0.3, "amsgrad": True}),
]


def trajectory(optimizer_class, options, dtype, steps=6):
    rng = np.random.default_rng(3)
    params = [Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
              for shape in ((5, 7), (11,))]
    optimizer = optimizer_class(params, **options)
    for _ in range(steps):
        for param in params:
            param.grad = rng.standard_normal(param.shape).astype(dtype)
        optimizer.step()
    return [param.data.copy() for param in params]


@pytest.mark.kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("optimizer_class, options", OPTIONS)
def test_kernel_equals_numpy_path_bit_for_bit(monkeypatch, dtype, optimizer_class, options):
    kernel = trajectory(optimizer_class, options, dtype)
    monkeypatch.setattr(adam_module, "_KERNEL_DTYPES", ())
    numpy_path = trajectory(optimizer_class, options, dtype)
    for got, want in zip(kernel, numpy_path):
        np.testing.assert_array_equal(got, want)


@pytest.mark.kernels
def test_kernel_split_across_threads_equals_one_range(monkeypatch):
    one = trajectory(Adam, {"lr": 0.01, "amsgrad": True}, np.float32)
    monkeypatch.setattr(thread_team, "_threads", 3)
    monkeypatch.setattr(thread_team, "usable_cores", lambda: 3)
    calls = []
    kernel = adam_module.adam_update

    def counted(data, grad, *rest):
        calls.append(rest[3:5])
        kernel(data, grad, *rest)

    monkeypatch.setattr(adam_module, "adam_update", counted)
    real_for_ranges = thread_team.for_ranges
    monkeypatch.setattr(adam_module, "for_ranges",
                        lambda sizes, call: real_for_ranges(sizes, call, min_block=4))
    split = trajectory(Adam, {"lr": 0.01, "amsgrad": True}, np.float32)
    for got, want in zip(split, one):
        np.testing.assert_array_equal(got, want)
    # 35 + 11 elements end to end, split in three blocks of 15, 15 and 16
    assert sorted(set(calls)) == [(0, 11), (0, 15), (15, 30), (30, 35)]
