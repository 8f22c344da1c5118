"""Which one-thread RNN and GRU loop products take the packed panels (`loop_panels_pay`), and
the layers on shapes that take them (whole panels, no padded columns) against the references.

The rule is host-dependent through the panel width (`panel_columns`), so the shapes below are
built from it: whole panels take them (where `rnn_panels_pay` does), a product with half a
panel of padding keeps BLAS.
"""

import numpy as np
import pytest

from seqlab.autograd.kernels.panel_gemm import FMA, panel_columns
from seqlab.autograd.kernels.recurrent_reference import gru_reference, rnn_reference
from seqlab.autograd.kernels.recurrent_rnn import (
    MAX_PADDED_SHARE,
    loop_panels_pay,
    rnn_panels_pay,
)
from seqlab.autograd.threads import one_thread, usable_cores
from seqlab.seqmodels import recurrent_ops as ops

pytestmark = pytest.mark.kernels
BATCH, STEPS, FEATURES = 6, 5, 3
TOLERANCE = {np.float64: 1e-12, np.float32: 2e-5}


def _width(dtype) -> int:
    return panel_columns(1, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_whole_panels_take_them_and_padded_ones_do_not(dtype):
    width = _width(dtype)
    whole = max(64, width)  # H >= 64 for `rnn_panels_pay`, a whole number of panels
    whole -= whole % width
    assert loop_panels_pay(BATCH, whole, whole, dtype) == rnn_panels_pay(BATCH, whole) == FMA
    half = whole + width // 2  # half a panel of padding
    assert not loop_panels_pay(BATCH, half, half, dtype)
    # the GRU's forward product has 3H columns: judged by its own padding
    assert loop_panels_pay(BATCH, whole, 3 * whole, dtype) == FMA
    # below the batch or hidden threshold no padding share makes them pay
    assert not loop_panels_pay(3, whole, whole, dtype)
    assert not loop_panels_pay(BATCH, 32, 64 * width, dtype)


def test_the_padded_share_is_a_share_of_the_panels():
    width = _width(np.float32)
    columns = 8 * width - int(MAX_PADDED_SHARE * 8 * width)  # 8 panels, just at the share
    assert loop_panels_pay(BATCH, 64, columns, np.float32) == FMA
    assert not loop_panels_pay(BATCH, 64, columns - 1, np.float32)


def _case(dtype, hidden, gates, seed=0):
    rng = np.random.default_rng(seed)
    scale = 1 / np.sqrt(hidden)
    return {
        "x": rng.standard_normal((STEPS, BATCH, FEATURES)).astype(dtype),
        "h0": rng.standard_normal((BATCH, hidden)).astype(dtype),
        "weights": [rng.uniform(-scale, scale, shape).astype(dtype) for shape in
                    ((gates * hidden, FEATURES), (gates * hidden, hidden), gates * hidden,
                     gates * hidden)],
        "lengths": np.array([5, 1, 3, 5, 2, 4], np.int64),
        "d_out": rng.standard_normal((STEPS, BATCH, hidden)).astype(dtype),
        "d_hn": rng.standard_normal((BATCH, hidden)).astype(dtype),
    }


def _check(got, want, dtype):
    tolerance = TOLERANCE[dtype]
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reverse", [False, True])
def test_rnn_layer_on_whole_panels_equals_the_reference(dtype, reverse):
    hidden = 128
    assert loop_panels_pay(BATCH, hidden, hidden, dtype) == FMA
    case = _case(dtype, hidden, 1)
    with one_thread():  # the panels are a one-thread loop's (two threads: BLAS splits)
        out, h_n, saved = ops.rnn_layer_forward(case["x"], case["h0"], *case["weights"],
                                                case["lengths"], reverse, "tanh")
        grads = ops.rnn_layer_backward(saved, case["d_out"], case["d_hn"])
    want_out, want_h_n, want_grads = rnn_reference(case["x"], case["h0"], *case["weights"],
                                                   case["lengths"], reverse, "tanh")
    _check((out, h_n), (want_out, want_h_n), dtype)
    _check(grads, want_grads(case["d_out"], case["d_hn"]), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reverse", [False, True])
def test_gru_layer_on_whole_panels_equals_the_reference(dtype, reverse):
    hidden = 128
    assert loop_panels_pay(BATCH, hidden, 3 * hidden, dtype) == FMA
    case = _case(dtype, hidden, 3, seed=1)
    with one_thread():
        out, h_n, saved = ops.gru_layer_forward(case["x"], case["h0"], *case["weights"],
                                                case["lengths"], reverse)
        grads = ops.gru_layer_backward(saved, case["d_out"], case["d_hn"])
    want_out, want_h_n, want_grads = gru_reference(case["x"], case["h0"], *case["weights"],
                                                   case["lengths"], reverse)
    _check((out, h_n), (want_out, want_h_n), dtype)
    _check(grads, want_grads(case["d_out"], case["d_hn"]), dtype)


def test_a_no_grad_loop_with_two_threads_leaves_the_product_to_blas():
    """Where seqlab has two threads for a no-grad loop, it keeps BLAS; the panels are taken
    there only on one thread (inside a team's part, or one thread set)."""
    from seqlab.autograd.threads import get_num_threads, set_num_threads
    from seqlab.seqmodels.recurrent_loops import _loop_panels

    w_hh = np.zeros((128, 128), np.float32)
    before = get_num_threads()
    try:
        set_num_threads(2)
        with one_thread():
            assert _loop_panels(32, 128, 128, w_hh).size > 0
        if usable_cores() > 1:
            assert _loop_panels(32, 128, 128, w_hh).size == 0
        set_num_threads(1)
        assert _loop_panels(32, 128, 128, w_hh).size > 0
    finally:
        set_num_threads(before)


def test_a_training_loop_takes_the_panels_whatever_the_thread_count():
    """A training loop that runs on one thread (`rows_team` gave it one part) gets no help
    from BLAS inside `seqlab_computing`: it takes the panels where they pay, with one thread
    set or two."""
    from seqlab.autograd.threads import get_num_threads, set_num_threads
    from seqlab.seqmodels.recurrent_loops import _loop_panels

    w_hh = np.zeros((128, 128), np.float32)
    before = get_num_threads()
    try:
        for threads in (1, 2):
            set_num_threads(threads)
            assert (_loop_panels(32, 128, 128, w_hh, training=True).size > 0) == FMA
            # where the panels do not pay, training keeps BLAS too
            assert _loop_panels(3, 128, 128, w_hh, training=True).size == 0
    finally:
        set_num_threads(before)


@pytest.mark.parametrize("cell", ["gru", "rnn"])
def test_a_training_layer_gives_the_same_bits_on_one_thread_and_two(cell):
    """A training loop too small to split by sequence runs the same kernel on one thread
    whether one or two threads are set, so its outputs and gradients are the same bits."""
    from seqlab.autograd.threads import get_num_threads, set_num_threads
    from seqlab.seqmodels.recurrent_loops import rows_team

    # BATCH sequences are too few to split (one part at any thread count); at H 256 the
    # one-thread BLAS product the loop ran with two threads set gave other bits than the panels
    hidden = 256
    gates = 3 if cell == "gru" else 1
    case = _case(np.float32, hidden, gates, seed=2)
    assert rows_team(BATCH, case["weights"][1]) == 1
    forward = ops.gru_layer_forward if cell == "gru" else ops.rnn_layer_forward
    backward = ops.gru_layer_backward if cell == "gru" else ops.rnn_layer_backward
    results = []
    before = get_num_threads()
    try:
        for threads in (1, 2):
            set_num_threads(threads)
            out, h_n, saved = forward(case["x"], case["h0"], *case["weights"], case["lengths"])
            grads = backward(saved, case["d_out"], case["d_hn"])
            results.append((out, h_n, *grads))
    finally:
        set_num_threads(before)
    for one, two in zip(*results, strict=True):
        np.testing.assert_array_equal(one, two)
