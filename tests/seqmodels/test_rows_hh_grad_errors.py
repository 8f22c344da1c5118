"""seqmodels.rows_hh_grad: a part of an LSTM backward team that raises as it lays out its
share of h_prev (before the weight gradient's meet) never leaves its partner spinning at that
meet; the error comes out of the call, whichever part raised (part 0: the caller's thread).

The failing part runs in a child process with a time limit: a partner spinning for ever
(nogil) would hang the test run itself.
"""

import subprocess
import sys
import textwrap

import numba
import pytest

pytestmark = pytest.mark.skipif(numba.config.DISABLE_JIT,
                                reason="a split by sequence takes the jitted panels only")

_CHILD = textwrap.dedent("""
    import sys
    import threading
    import numpy as np
    from seqlab.autograd import threads
    from seqlab.seqmodels import recurrent_loops, rows_hh_grad

    threads.set_num_threads(2)
    threads.usable_cores = lambda: 2
    failing = int(sys.argv[1])  # the part that raises: 0 runs in this (the main) thread
    original = rows_hh_grad.shifted_share

    def raising(*args):
        if (threading.current_thread() is threading.main_thread()) == (failing == 0):
            raise RuntimeError("injected")
        original(*args)

    rows_hh_grad.shifted_share = raising
    rng = np.random.default_rng(0)
    steps, batch, hidden = 64, 32, 128
    xg = rng.standard_normal((steps, batch, 4 * hidden)).astype(np.float32)
    w_hh = (0.1 * rng.standard_normal((4 * hidden, hidden))).astype(np.float32)
    h0 = np.zeros((batch, hidden), np.float32)
    lengths = np.full(batch, steps, np.int64)
    out, h_n, c_n, *saved = recurrent_loops.lstm_team_forward(xg, h0, h0.copy(), w_hh, lengths,
                                                              False, 2, None, True)
    try:
        recurrent_loops._lstm_rows_backward(tuple(saved), w_hh, lengths, False,
                                            np.ones_like(out), np.ones_like(h_n),
                                            np.ones_like(c_n), 2, None, 0, False)
    except RuntimeError as error:
        print("->", error, flush=True)
    else:
        print("-> no error", flush=True)
""")


@pytest.mark.parametrize("failing", [0, 1])
def test_a_part_that_raises_never_leaves_its_partner_spinning(failing):
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, str(failing)],
                              capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired:
        pytest.fail(f"part {1 - failing} spun for ever at the weight gradient's meet")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["-> injected"]
