"""qaA s24 finding 4, the library's part: an OMP_NUM_THREADS that holds no positive thread
count (0, -1, abc) falls back to every usable core with one `warnings.warn` naming the
variable, instead of silently; a good or empty value warns nothing."""

from __future__ import annotations

import warnings

import pytest

from seqlab.autograd.thread_variables import ThreadsEnvironmentWarning
from seqlab.autograd.threads import threads_from_environment, usable_cores


@pytest.mark.parametrize("value", ["0", "-1", "abc", "2.5"])
def test_a_bad_omp_num_threads_warns_and_uses_every_core(monkeypatch, value):
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    with pytest.warns(ThreadsEnvironmentWarning, match=f"OMP_NUM_THREADS={value}") as caught:
        assert threads_from_environment() == usable_cores()
    assert len(caught) == 1


@pytest.mark.parametrize(("value", "threads"), [("3", 3), ("2,1", 2), ("", None)])
def test_a_good_or_empty_omp_num_threads_warns_nothing(monkeypatch, value, threads):
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert threads_from_environment() == (threads or usable_cores())
