"""seqmodels.rows_layer: a part of the layer's team that raises, before or after one of the
layer's own meets (its panels packed; every part's gradient rows in), never leaves its
partner spinning; the error comes out of the call, whichever part raised (part 0: the
caller's thread, a Ctrl-C's place, which Python raises as the loop kernel returns).

Each failing part runs in a child process with a time limit: a partner spinning for ever
(nogil) would hang the test run itself.
"""

import subprocess
import sys
import textwrap

import numba
import pytest

pytestmark = pytest.mark.skipif(numba.config.DISABLE_JIT,
                                reason="the layer's team takes the jitted panels only")

_CHILD = textwrap.dedent("""
    import sys
    import threading
    import numpy as np
    from seqlab.seqmodels import recurrent_loops, recurrent_rows_teams, rows_layer

    failing = int(sys.argv[1])  # the part that raises: 0 runs in this (the main) thread

    def failing_part():
        return (threading.current_thread() is threading.main_thread()) == (failing == 0)

    def raising(module, name, after=False):
        original = getattr(module, name)

        def call(*args):
            if after:
                original(*args)
            if failing_part():
                raise RuntimeError("injected")
            if not after:
                original(*args)

        return module, name, original, call

    def layer(kind, features):
        rng = np.random.default_rng(0)
        steps, batch, hidden = 16, 16, 128
        gates = {"lstm": 4, "gru": 3}[kind] * hidden
        x = rng.standard_normal((steps, batch, features)).astype(np.float32)
        h0 = np.zeros((batch, hidden), np.float32)
        c0 = h0.copy() if kind == "lstm" else None
        w_ih = (0.1 * rng.standard_normal((gates, features))).astype(np.float32)
        w_hh = (0.1 * rng.standard_normal((gates, hidden))).astype(np.float32)
        return x, h0, c0, w_ih, w_hh, np.full(batch, steps, np.int64)

    def forward(kind, features):
        x, h0, c0, w_ih, w_hh, lengths = layer(kind, features)
        return rows_layer.project_and_loop(kind, x, h0, c0, w_ih, w_hh, None, None, lengths,
                                           False, 2)

    def backward(kind, features, dx):
        x, h0, c0, w_ih, w_hh, lengths = layer(kind, features)
        out, h_n, c_n, saved = forward(kind, features)
        d_cn = np.ones_like(c_n) if kind == "lstm" else None
        rows_layer.loop_and_weight_grads(kind, saved, w_hh, lengths, False, np.ones_like(out),
                                         np.ones_like(h_n), d_cn, x, w_ih, False, 2, False, dx)

    cases = {  # name: (the call patched to raise in the failing part, what runs)
        "forward, packing W_ih": (raising(rows_layer, "pack_transposed_into"),
                                  lambda: forward("lstm", 40)),
        "forward, projecting": (raising(rows_layer, "project_sequences_into"),
                                lambda: forward("gru", 40)),
        "backward, as the LSTM loop returns": (
            raising(recurrent_loops, "lstm_backward_rows", after=True),
            lambda: backward("lstm", 40, False)),
        "backward, as the GRU loop returns": (
            raising(recurrent_rows_teams, "gru_backward_rows", after=True),
            lambda: backward("gru", 40, False)),
        "backward, packing W_ih for dx": (raising(rows_layer, "pack_rows_into"),
                                          lambda: backward("lstm", 128, True)),
    }
    for name, ((module, attribute, original, patched), run) in cases.items():
        setattr(module, attribute, patched)
        try:
            run()
        except RuntimeError as error:
            print(name, "->", error, flush=True)
        else:
            print(name, "-> no error", flush=True)
        finally:
            setattr(module, attribute, original)
""")
CASES = ["forward, packing W_ih", "forward, projecting", "backward, as the LSTM loop returns",
         "backward, as the GRU loop returns", "backward, packing W_ih for dx"]


@pytest.mark.parametrize("failing", [0, 1])
def test_a_part_that_raises_never_leaves_its_partner_spinning(failing):
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, str(failing)],
                              capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired as expired:
        finished = (expired.stdout or b"").decode()
        done = None
    if done is None:
        pytest.fail(f"part {1 - failing} spun for ever; cases finished before: {finished!r}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"{name} -> injected" for name in CASES]
