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


def test_team_watch_pauses_after_a_contended_call_and_doubles_the_pause():
    watch = threads.TeamWatch(first_pause=0.05, longest_pause=0.15)
    assert watch.team_pays()
    watch.record(spun_out=1, meets=130)  # a late start: not contention
    assert watch.team_pays()
    watch.record(spun_out=130, meets=260)  # one part spun out at every meet
    assert not watch.team_pays()
    assert watch._pause == pytest.approx(0.05)
    watch.record_alone(0.0)  # the one-part calls meanwhile were faster
    time.sleep(0.06)
    assert watch.team_pays()  # the pause over: one call tries the team again
    watch.record(spun_out=100, meets=260)
    assert watch._pause == pytest.approx(0.1)
    watch.record(spun_out=100, meets=260)
    assert watch._pause == pytest.approx(0.15)  # capped at longest_pause
    watch.record(spun_out=0, meets=260)  # a free call sets the pause back
    assert watch._pause == 0.0
    watch.record(spun_out=10, meets=260)  # a few, as a busy machine gives a free team
    assert watch._pause == 0.0
    watch.record(spun_out=70, meets=260)
    assert watch._pause == pytest.approx(0.05) and not watch.team_pays()
    watch.reset()
    assert watch.team_pays()


def test_team_watch_keeps_the_team_while_one_part_is_slower_still():
    """On a machine loaded past its cores a one-part call can be slower than a contended
    team's: then contended calls take no pause, until a free team call says the machine
    changed."""
    watch = threads.TeamWatch(first_pause=10.0)
    watch.record(spun_out=130, meets=130, seconds=4e-5)  # contended, one part not tried yet
    assert not watch.team_pays()
    watch.record_alone(9e-5)  # the one-part call that ran meanwhile: slower
    watch._until = 0.0  # (the pause over)
    watch.record(spun_out=130, meets=130, seconds=4e-5)
    assert watch.team_pays()  # no pause: the team, contended, is still the faster
    watch.record(spun_out=130, meets=130, seconds=1e-4)  # slower than one part now: pause
    assert not watch.team_pays()
    watch._until = 0.0
    watch.record(spun_out=0, meets=130, seconds=2e-5)  # free: one part is news again
    watch.record(spun_out=130, meets=130, seconds=4e-5)
    assert not watch.team_pays()


def test_one_thread_makes_splits_answer_one_and_restores():
    before = threads.get_num_threads()
    threads.set_num_threads(2)
    try:
        most = threads.threads_for(8)
        with threads.one_thread():
            assert threads.threads_for(8) == 1
            a = np.ones((300, 300))
            np.testing.assert_array_equal(threads.matmul(a, a), a @ a)
        assert threads.threads_for(8) == most
    finally:
        threads.set_num_threads(before)
