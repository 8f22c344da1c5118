"""The usable-core count is kept between calls and follows a change of affinity."""

from __future__ import annotations

import os

import pytest

from seqlab.autograd import threads


@pytest.fixture
def counted_reads(monkeypatch):
    """os.sched_getaffinity replaced by a counter returning the cores in `cores`."""
    reads = {"calls": 0, "cores": {0, 1, 2}}

    def affinity(pid: int) -> set[int]:
        reads["calls"] += 1
        return set(reads["cores"])

    monkeypatch.setattr(threads.os, "sched_getaffinity", affinity, raising=False)
    threads.forget_usable_cores()
    yield reads
    threads.forget_usable_cores()


def test_the_count_is_read_once_then_kept(counted_reads, monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(threads.time, "monotonic", lambda: clock[0])
    assert [threads.usable_cores() for _ in range(50)] == [3] * 50
    assert counted_reads["calls"] == 1
    assert threads.threads_for(64) == min(threads.get_num_threads(), 3)
    assert counted_reads["calls"] == 1


def test_a_changed_affinity_is_followed_after_the_recheck_time(counted_reads, monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(threads.time, "monotonic", lambda: clock[0])
    assert threads.usable_cores() == 3
    counted_reads["cores"] = {0}
    clock[0] += threads.CORES_RECHECK_SECONDS / 2
    assert threads.usable_cores() == 3  # kept
    clock[0] += threads.CORES_RECHECK_SECONDS
    assert threads.usable_cores() == 1
    assert counted_reads["calls"] == 2


def test_set_num_threads_counts_the_cores_afresh(counted_reads):
    assert threads.usable_cores() == 3
    counted_reads["cores"] = {0, 1}
    before = threads.get_num_threads()
    threads.set_num_threads(before)
    assert threads.usable_cores() == 2


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
                    reason="needs two usable cores and sched_setaffinity")
def test_a_real_affinity_change_is_seen_after_set_num_threads():
    cores = os.sched_getaffinity(0)
    threads.set_num_threads(threads.get_num_threads())
    assert threads.usable_cores() == len(cores)
    try:
        os.sched_setaffinity(0, {min(cores)})
        threads.set_num_threads(threads.get_num_threads())
        assert threads.usable_cores() == 1
        assert threads.threads_for(64) == 1
    finally:
        os.sched_setaffinity(0, cores)
        threads.forget_usable_cores()
    assert threads.usable_cores() == len(cores)
