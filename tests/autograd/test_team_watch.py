"""A team's spin-outs at its barrier (`spin_barrier.spin_outs`, `run_team`'s answer), the
`TeamWatch` that pauses a contended team, and `one_thread`."""

import threading
import time

import numpy as np
import pytest
from numba import njit

from seqlab.autograd import threads
from seqlab.autograd.kernels.spin_barrier import (
    FLAG_STRIDE,
    SPIN_OUT_SLOT,
    arrive_and_wait,
    meets,
    new_flags,
    spin_outs,
)


@njit(nogil=True)
def _meet(flags, part, parts, meets):
    for count in range(1, meets + 1):
        arrive_and_wait(flags, part, parts, count)


@pytest.mark.kernels
def test_a_partner_that_comes_late_makes_the_waiting_part_spin_out():
    flags = new_flags(2)
    assert spin_outs(flags) == 0
    late = threading.Thread(target=lambda: (time.sleep(0.2), _meet(flags, 1, 2, 3)))
    late.start()
    _meet(flags, 0, 2, 3)  # waits ~0.2 s at its first meet: far past its spinning
    late.join()
    assert flags[SPIN_OUT_SLOT] >= 1  # part 0's count, in its own line
    assert spin_outs(flags) == flags[SPIN_OUT_SLOT] + flags[FLAG_STRIDE + SPIN_OUT_SLOT]
    assert flags[0] == flags[FLAG_STRIDE] == 3  # the step counters are untouched by it


@pytest.mark.kernels
def test_run_team_answers_the_spin_outs_and_the_meets():
    def run_part(part, parts, flags):
        if part == 1:
            time.sleep(0.2)
        _meet(flags, part, parts, 2)

    spun_out, meets = threads.run_team(2, run_part)
    assert spun_out >= 1 and meets == 2 * 2
    assert threads.run_team(1, lambda part, parts, flags: _meet(flags, part, parts, 2)) == (0, 0)


@pytest.mark.kernels
def test_a_meet_counts_one_spin_out_however_many_partners_it_waits_for():
    """Part 0 of 3 waits past its spinning for part 1 and then for part 2 at one meet: one
    spin-out (it once counted two); part 2, the last, waits for none."""
    flags = new_flags(3)
    late = [threading.Thread(target=lambda part=part: (time.sleep(0.25 * part),
                                                        _meet(flags, part, 3, 1)))
            for part in (1, 2)]
    for thread in late:
        thread.start()
    _meet(flags, 0, 3, 1)
    for thread in late:
        thread.join()
    counts = [flags[part * FLAG_STRIDE + SPIN_OUT_SLOT] for part in range(3)]
    assert counts[0] == 1 and counts[2] == 0  # (part 1: 1, or 0 where its thread started late)
    assert spin_outs(flags) == sum(counts) and meets(flags) == 3  # one meet, 3 parts at it


def _alone_for_the_pause(watch, seconds):
    """One-part calls (`record_alone`) until the pause is over; how many ran."""
    calls = 0
    while not watch.team_pays():
        watch.record_alone(seconds)
        calls += 1
        assert calls < 1000
    return calls


def test_team_watch_pauses_after_a_contended_call_and_doubles_the_pause():
    watch = threads.TeamWatch(first_pause=2, longest_pause=6)
    assert watch.team_pays()
    watch.record(spun_out=1, met=130, seconds=1e-5)  # a late start: not contention
    assert watch.team_pays()
    watch.record(spun_out=130, met=260, seconds=1e-5)  # one part spun out at every meet
    assert not watch.team_pays()
    # the pause counts calls, however far apart they come (no clock is read)
    assert _alone_for_the_pause(watch, 0.0) == 2  # one-part calls faster than the team's
    assert watch.team_pays()  # the pause over: one call tries the team again
    watch.record(spun_out=100, met=260, seconds=1e-5)
    assert _alone_for_the_pause(watch, 0.0) == 4
    watch.record(spun_out=100, met=260, seconds=1e-5)
    assert _alone_for_the_pause(watch, 0.0) == 6  # capped at longest_pause
    watch.record(spun_out=0, met=260, seconds=1e-5)  # a free call sets the pause back
    watch.record(spun_out=10, met=260, seconds=1e-5)  # a few, as a busy machine gives a free team
    assert watch.team_pays()
    watch.record(spun_out=70, met=260, seconds=1e-5)
    assert _alone_for_the_pause(watch, 0.0) == 2
    watch.record(spun_out=70, met=260, seconds=1e-5)
    assert not watch.team_pays()
    watch.reset()
    assert watch.team_pays()


def test_team_watch_keeps_the_team_while_one_part_is_slower_still():
    """On a machine loaded past its cores a one-part call can be slower than a contended
    team's: then contended calls take no pause, until a free team call says the machine
    changed."""
    watch = threads.TeamWatch(first_pause=1)
    watch.record(spun_out=130, met=130, seconds=4e-5)  # contended, one part not tried yet
    assert _alone_for_the_pause(watch, 9e-5) == 1  # the one-part call meanwhile: slower
    watch.record(spun_out=130, met=130, seconds=4e-5)
    assert watch.team_pays()  # no pause: the team, contended, is still the faster
    watch.record(spun_out=130, met=130, seconds=1e-4)  # slower than one part now: pause
    assert _alone_for_the_pause(watch, 9e-5) >= 1
    watch.record(spun_out=0, met=130, seconds=2e-5)  # free: one part is news again
    watch.record(spun_out=130, met=130, seconds=4e-5)
    assert not watch.team_pays()


def test_team_watch_tries_one_part_again_after_retry_alone_calls():
    """One slow one-part call must not keep a contended team forever: after `retry_alone`
    contended calls that took no pause, one part is tried again (and its new time decides)."""
    watch = threads.TeamWatch(first_pause=1, longest_pause=8, retry_alone=3)
    watch.record(spun_out=130, met=130, seconds=4e-5)
    assert _alone_for_the_pause(watch, 9e-5) == 1  # slow (the machine was loaded then)
    for _ in range(3):
        watch.record(spun_out=130, met=130, seconds=4e-5)
        assert watch.team_pays()
    watch.record(spun_out=130, met=130, seconds=4e-5)  # the 4th: the one-part time is stale
    assert _alone_for_the_pause(watch, 1e-5) == 1  # a first pause; one part is faster now
    watch.record(spun_out=130, met=130, seconds=4e-5)
    assert _alone_for_the_pause(watch, 1e-5) == 2  # and the pauses grow again


def test_team_watches_keep_one_watch_per_shape_and_a_bounded_number():
    """A small model's contended call must not pause (nor be judged against) a big one's."""
    watches = threads.TeamWatches(most=3)
    small, big = ("lstm", 128, 1, 1, "<f4"), ("lstm", 512, 2, 1, "<f4")
    watches.watch(small).record(spun_out=130, met=130, seconds=4e-6)
    assert not watches.watch(small).team_pays()
    assert watches.watch(big).team_pays()
    watches.watch(big).record(spun_out=130, met=130, seconds=4e-5)
    _alone_for_the_pause(watches.watch(big), 1e-4)  # big's one part slower: big keeps its
    _alone_for_the_pause(watches.watch(small), 1e-6)  # team; small's faster: small pauses
    assert watches.watch(small).team_pays() and watches.watch(big).team_pays()
    watches.watch(small).record(spun_out=130, met=130, seconds=4e-6)
    watches.watch(big).record(spun_out=130, met=130, seconds=4e-5)
    assert not watches.watch(small).team_pays() and watches.watch(big).team_pays()
    for hidden in (64, 256, 1024):  # more shapes than kept: the least recently used go
        watches.watch(("gru", hidden, 1, 1, "<f4"))
    assert len(watches) == 3 and watches.watch(small).team_pays()  # small's forgotten
    watches.reset()
    assert len(watches) == 0


def test_one_thread_makes_splits_answer_one_and_restores():
    before = threads.get_num_threads()
    threads.set_num_threads(2)
    try:
        most = threads.threads_for(8)
        if most < 2:
            pytest.skip("one usable core: threads_for answers 1 with or without one_thread")
        with threads.one_thread():
            assert threads.threads_for(8) == 1
            a = np.ones((300, 300))
            np.testing.assert_array_equal(threads.matmul(a, a), a @ a)
        assert threads.threads_for(8) == most
    finally:
        threads.set_num_threads(before)
