"""Work `threads` splits onto its pool keeps the caller's `np.errstate`: a training step that
silences overflow warnings (the Trainer, around a diverging step) silences them in every
block of a split GEMM, not only in the calling thread's."""

import warnings

import numpy as np
import pytest

from seqlab.autograd import threads


@pytest.fixture
def two_threads():
    if threads.usable_cores() < 2:
        pytest.skip("needs two usable cores to split the work")
    before = threads.get_num_threads()
    threads.set_num_threads(2)
    yield
    threads.set_num_threads(before)


def test_a_split_matmul_keeps_the_callers_floating_point_settings(two_threads):
    # 256 x 128 @ 128 x 256 is above MIN_PARALLEL_MACS: two row blocks, one on the pool;
    # 1e30 squared overflows float32 in every block
    a = np.full((256, 128), 1e30, dtype=np.float32)
    b = np.full((128, 256), 1e30, dtype=np.float32)
    assert a.shape[0] * a.shape[1] * b.shape[1] >= threads.MIN_PARALLEL_MACS
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning in any thread raises
        with np.errstate(over="ignore", invalid="ignore"):
            out = threads.matmul(a, b)
    assert np.isinf(out).all()
    with pytest.warns(RuntimeWarning, match="overflow"), np.errstate(over="warn"):
        threads.matmul(a, b)  # and warns where the caller asks for warnings
