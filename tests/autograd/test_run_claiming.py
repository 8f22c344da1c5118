"""`threads.run_claiming`: threads sharing one job through a counter; the caller waits for its
partners only while a share is still running, never for a partner that has not started."""

import threading

import pytest

from seqlab.autograd import threads


def test_a_partner_not_started_is_not_waited_for():
    """The caller took every share (finished() is true): it returns while its partner is still
    held back from starting, and the partner runs later on its own."""
    hold, ran = threading.Event(), threading.Event()
    caller = threading.get_ident()

    def work():
        if threading.get_ident() != caller:
            hold.wait(10)
            ran.set()

    threads.run_claiming(2, work, lambda: True)
    assert not ran.is_set()  # returned before the partner could run
    hold.set()
    assert ran.wait(10)


def test_a_share_still_running_is_waited_for_and_its_error_raised():
    caller = threading.get_ident()
    started = threading.Event()

    def work():
        if threading.get_ident() == caller:
            assert started.wait(10)  # the partner has taken its share
            return
        started.set()
        raise ValueError("the partner's share failed")

    with pytest.raises(ValueError, match="partner's share"):
        threads.run_claiming(2, work, lambda: False)


def test_one_part_runs_work_here_once():
    calls = []
    threads.run_claiming(1, lambda: calls.append(threading.get_ident()), lambda: True)
    assert calls == [threading.get_ident()]


@pytest.mark.parametrize("parts", [0, 65])
def test_a_team_of_no_parts_or_too_many_is_refused(parts):
    with pytest.raises(ValueError, match="parts"):
        threads.run_claiming(parts, lambda: None, lambda: True)
