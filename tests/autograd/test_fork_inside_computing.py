"""A child forked while another parent thread is inside `seqlab_computing` (BLAS held at one
thread) starts with no seqlab call computing: the thread that counted itself does not exist in
the child, whose BLAS gets its thread counts back. Before, the child's count stayed at one
user for good and its BLAS on one thread."""

import os
import select
import signal
import sys
import threading

import pytest

from seqlab.autograd import threads

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin",
                                reason="needs fork")

CHILD_SECONDS = 30


def _child_answer(work) -> bytes:
    """work()'s bytes from a forked child; fails where the child does not finish."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.write(write, work())
        except BaseException:
            code = 1
        os._exit(code)
    os.close(write)
    ready, _, _ = select.select([read], [], [], CHILD_SECONDS)
    if not ready:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(read)
        pytest.fail(f"the forked child did not finish in {CHILD_SECONDS} s")
    answer = os.read(read, 64)
    os.close(read)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return answer


def _blas_counts() -> tuple:
    return tuple(library.num_threads for library in threads._blas_libraries())


def test_a_child_forked_while_another_thread_computes_has_its_blas_back():
    counts = _blas_counts()  # (before any seqlab call computes)
    inside, leave = threading.Event(), threading.Event()

    def compute() -> None:
        with threads.seqlab_computing():
            inside.set()
            leave.wait()

    thread = threading.Thread(target=compute)
    thread.start()
    try:
        assert inside.wait(10)

        def work() -> bytes:
            with threads.seqlab_computing():  # (the child's own call: counted and let go)
                pass
            return repr((threads._blas_users, _blas_counts())).encode()

        assert _child_answer(work) == repr((0, counts)).encode()
    finally:
        leave.set()
        thread.join()
    assert threads._blas_users == 0 and _blas_counts() == counts
