"""A forked child computes on its threads once its parent has (the README's "Several processes
at once": `multiprocessing.Pool` forks on Linux). The parent's pool threads do not exist in the
child; a child that reused the parent's cached pool waited for them for ever."""

import os
import pickle
import select
import signal
import sys

import numpy as np
import pytest

from seqlab.autograd import threads

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin",
                                reason="needs fork")

CHILD_SECONDS = 30  # a child that hangs is killed after this, and the test fails


def _two_thread_work() -> np.ndarray:
    """A 2-part team (always on the pool, whatever the cores) and a split GEMM."""
    out = np.zeros(2)

    def part(k: int, parts: int, _flags) -> None:
        out[k] = k + 1.0

    threads.run_team(2, part)
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((512, 128)), rng.standard_normal((128, 128))
    return np.concatenate([out, threads.matmul(a, b).ravel()])


def _in_forked_child(work) -> object:
    """work()'s answer computed in a forked child; fails where the child does not finish."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer through the pipe, never return into pytest
        code = 0
        try:
            with os.fdopen(write, "wb") as pipe:
                pickle.dump(work(), pipe)
        except BaseException:
            code = 1
        os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        ready, _, _ = select.select([pipe], [], [], CHILD_SECONDS)
        if not ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"the forked child did not finish in {CHILD_SECONDS} s")
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return pickle.loads(data)


def test_a_child_forked_after_two_thread_work_computes_the_parents_answer():
    previous = threads.get_num_threads()
    threads.set_num_threads(2)
    try:
        expected = _two_thread_work()  # the pool's threads now exist in this process
        assert np.array_equal(_in_forked_child(_two_thread_work), expected)
    finally:
        threads.set_num_threads(previous)
