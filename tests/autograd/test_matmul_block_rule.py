"""threads.matmul's split: blocks of at least MIN_PARALLEL_MACS multiply-adds each (a product
of 2^22 on 2 threads stays on one: Embedding(65) -> LSTM(128)'s table projection, whose split
gained nothing), by shape and thread count alone, with NumPy's values either way."""

import numpy as np
import pytest

from seqlab.autograd import threads


@pytest.fixture
def handed_over(monkeypatch):
    """seqlab on 2 threads and cores; the returned list records each task given to the pool."""
    monkeypatch.setattr(threads, "_threads", 2)
    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    pool, submitted = threads._pool(), []

    class CountingPool:
        def submit(self, *args):
            submitted.append(args)
            return pool.submit(*args)

    monkeypatch.setattr(threads, "_pool", CountingPool)
    return submitted


def _product(rows, inner, cols):
    rng = np.random.default_rng(rows + inner + cols)
    return (rng.standard_normal((rows, inner)).astype(np.float32),
            rng.standard_normal((inner, cols)).astype(np.float32))


@pytest.mark.parametrize("shape", [(65, 128, 512), (512, 65, 128), (128, 256, 255)])
def test_a_product_under_two_blocks_of_work_stays_on_one_thread(shape, handed_over):
    rows, inner, cols = shape
    assert threads.MIN_PARALLEL_MACS <= rows * inner * cols < 2 * threads.MIN_PARALLEL_MACS
    a, b = _product(*shape)
    np.testing.assert_array_equal(threads.matmul(a, b), a @ b)
    assert handed_over == []


@pytest.mark.parametrize("shape", [(128, 256, 256), (2048, 128, 32), (64, 256, 512)])
def test_a_product_of_two_blocks_of_work_splits_in_two(shape, handed_over):
    rows, inner, cols = shape
    assert rows * inner * cols >= 2 * threads.MIN_PARALLEL_MACS  # (2^23: the edge itself)
    a, b = _product(*shape)
    np.testing.assert_allclose(threads.matmul(a, b), a @ b, rtol=1e-5, atol=1e-4)
    assert len(handed_over) == 1  # one block here, one on the pool
