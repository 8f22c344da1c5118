"""A forked child computes on its threads once its parent has (the README's "Several processes
at once": `multiprocessing.Pool` forks on Linux). The parent's pool threads do not exist in the
child; a child that reused the parent's cached pool waited for them for ever."""

import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the fork runner beside these tests
from forked_child import in_forked_child

from seqlab.autograd import threads

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin",
                                reason="needs fork")


def _two_thread_work() -> np.ndarray:
    """A 2-part team (always on the pool, whatever the cores) and a split GEMM."""
    out = np.zeros(2)

    def part(k: int, parts: int, _flags) -> None:
        out[k] = k + 1.0

    threads.run_team(2, part)
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((512, 128)), rng.standard_normal((128, 128))
    return np.concatenate([out, threads.matmul(a, b).ravel()])


def test_a_child_forked_after_two_thread_work_computes_the_parents_answer():
    previous = threads.get_num_threads()
    threads.set_num_threads(2)
    try:
        expected = _two_thread_work()  # the pool's threads now exist in this process
        assert np.array_equal(in_forked_child(_two_thread_work), expected)
    finally:
        threads.set_num_threads(previous)
