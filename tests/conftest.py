"""Fixtures for every test directory."""

import fcntl
import os

import pytest


def pytest_configure(config):
    """Under pytest-xdist (`-n` in addopts) two workers may compile the same kernel at once."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        _one_numba_cache_writer_at_a_time()


def _one_numba_cache_writer_at_a_time():
    """Numba writes each cache file atomically, but one entry is two files: `save` reads the
    index, picks the first free data-file number, rewrites the index, then writes the data.
    Two processes saving different signatures of one kernel at the same moment can pick the
    same number, leaving an index that names another signature's code (numba issue 10128 is
    the same race for gufuncs). The workers take an exclusive `flock` beside the index around
    each save. Loads need no lock: an index naming a data file not yet written is a miss, and
    the kernel compiles. (Seqlab subprocesses the tests start save without the lock.)"""
    from numba.core import caching

    save = caching.IndexDataCacheFile.save

    def locked_save(self, key, data):
        with open(self._index_path + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            save(self, key, data)

    caching.IndexDataCacheFile.save = locked_save


@pytest.fixture(autouse=True)
def _fresh_units_team_watches():
    """Every test starts with the batch-1 unit team allowed: an earlier test's calls on a
    loaded machine (in any test directory: cli and nlp run no-grad stacks too) must not send
    this one's to the one-part path (`TeamWatch`)."""
    from seqlab.seqmodels.recurrent_units_team import UNITS_TEAM_WATCHES

    UNITS_TEAM_WATCHES.reset()
    yield
    UNITS_TEAM_WATCHES.reset()
