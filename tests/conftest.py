"""Fixtures for every test directory."""

import os

import pytest


def pytest_configure(config):
    """Under pytest-xdist (`-n` in addopts) two workers may compile the same kernel at once."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        _one_numba_cache_writer_at_a_time()


def _one_numba_cache_writer_at_a_time():
    """Numba writes each cache file atomically, but one entry is two files (an index and a data
    file): two processes saving different signatures of one kernel at the same moment can leave
    an index that names another signature's code. The workers save under the lock the `seqlab`
    commands take (`seqlab.autograd.kernel_cache_lock`, which says why), so a worker and the
    seqlab subprocesses the tests start save one at a time."""
    from seqlab.autograd.kernel_cache_lock import lock_cache_saves

    lock_cache_saves()


@pytest.fixture(autouse=True)
def _fresh_units_team_watches():
    """Every test starts with the batch-1 unit team allowed: an earlier test's calls on a
    loaded machine (in any test directory: cli and nlp run no-grad stacks too) must not send
    this one's to the one-part path (`TeamWatch`)."""
    from seqlab.seqmodels.recurrent_units_team import UNITS_TEAM_WATCHES

    UNITS_TEAM_WATCHES.reset()
    yield
    UNITS_TEAM_WATCHES.reset()
