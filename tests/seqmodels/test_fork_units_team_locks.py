"""A child forked while another parent thread is inside a unit team's call with a kept table
(holding `_LOCKS_GUARD` or the stack's table lock) computes as a fresh process does: those
locks are free in the child, where the thread that held them does not exist. Before, the child
waited for ever on `_LOCKS_GUARD`, and a stack's table lock held at the fork kept every child
call from its kept table."""

import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "autograd"))  # the fork runner
from forked_child import in_forked_child

from seqlab.seqmodels import recurrent_units_team as team
from seqlab.seqmodels.recurrent import LSTM

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin",
                                reason="needs fork")


def _held_by_another_thread(*locks: threading.Lock):
    """A thread holding `locks` until the returned event is set (a call in flight)."""
    taken, done = threading.Event(), threading.Event()

    def hold() -> None:
        for lock in locks:
            lock.acquire()
        taken.set()
        done.wait()
        for lock in reversed(locks):
            lock.release()

    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(10)
    return thread, done


@pytest.mark.parametrize("held", ["guard", "table lock"])
def test_a_child_forked_during_a_kept_table_call_finds_the_locks_free(held):
    stack = LSTM(4, 8)
    table_lock = team._table_lock(stack)
    x0, w_ih = np.zeros((5, 4), np.float32), np.zeros((32, 4), np.float32)
    team._table0(stack, x0, w_ih, 2, 2)[4] = True  # a kept table, filled before
    thread, done = _held_by_another_thread(
        team._LOCKS_GUARD if held == "guard" else table_lock)
    try:
        def work() -> bytes:
            lock = team._table_lock(stack)  # (waited for ever with the guard held)
            free = lock.acquire(blocking=False)
            if free:
                lock.release()
            # a table whose lock was held at the fork may be half filled: made afresh
            fresh = team._table0(stack, x0, w_ih, 2, 2)[4] is False
            return b"1" if free and fresh == (held == "table lock") else b"0"

        assert in_forked_child(work) == b"1"
    finally:
        done.set()
        thread.join()
