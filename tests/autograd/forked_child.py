"""A piece of work run in a forked child, its answer handed back: the fork tests' one runner
(a child that hangs is killed and the test fails, instead of hanging the suite)."""

import os
import pickle
import select
import signal

import pytest

CHILD_SECONDS = 30  # a child that hangs is killed after this, and the test fails


def in_forked_child(work) -> object:
    """work()'s answer (pickled through a pipe) computed in a forked child; fails the test where
    the child raises or does not finish in CHILD_SECONDS."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer through the pipe, never return into pytest
        code = 0
        try:
            os.close(read)
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
    assert os.waitstatus_to_exitcode(status) == 0, "the forked child's work raised"
    return pickle.loads(data)
