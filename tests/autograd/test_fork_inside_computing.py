"""A child forked while another parent thread is inside `seqlab_computing` (BLAS held at one
thread) starts with no seqlab call computing: the thread that counted itself does not exist in
the child, whose BLAS gets its thread counts back. Before, the child's count stayed at one
user for good and its BLAS on one thread."""

import os
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the fork runner beside these tests
from forked_child import in_forked_child

from seqlab.autograd import threads

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin",
                                reason="needs fork")


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

        assert in_forked_child(work) == repr((0, counts)).encode()
    finally:
        leave.set()
        thread.join()
    assert threads._blas_users == 0 and _blas_counts() == counts
