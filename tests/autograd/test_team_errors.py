"""A team part that raises never leaves its partners spinning: `threads.run_team` releases
the failed part's slot of the team's barrier (`spin_barrier.release`), its partners run on to
their end and the error comes out of `run_team`, whichever part raised (part 0 in the
caller's thread, a Ctrl-C's place; part 1 on the pool) and wherever its partner waits.

Each case runs in a child process with a time limit: a partner spinning for ever (nogil, in
the caller's thread or the pool's) would hang the test run itself.
"""

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.kernels

_CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    from seqlab.autograd import threads
    from seqlab.autograd.kernels.spin_barrier import arrive_and_wait

    failing, waits = int(sys.argv[1]), int(sys.argv[2])
    finished = []

    def run_part(part, parts, flags):
        if part == failing:
            raise RuntimeError("injected")
        for count in range(1, waits + 1):  # partners meet `waits` times (one step each)
            arrive_and_wait(flags, part, parts, count)
        finished.append(part)

    try:
        threads.run_team(2, run_part)
    except RuntimeError as error:
        print("raised", error, sorted(finished))
    else:
        print("no error")
""")


@pytest.mark.parametrize("waits", [1, 3])
@pytest.mark.parametrize("failing", [0, 1])
def test_a_part_that_raises_releases_its_partner_and_the_error_comes_out(failing, waits):
    done = subprocess.run([sys.executable, "-c", _CHILD, str(failing), str(waits)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["raised", "injected", f"[{1 - failing}]"]
