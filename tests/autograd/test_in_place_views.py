"""Views and in-place writes: a view taken before a write into its base follows the base's
new history when used (PyTorch regenerates it), or is refused; never a silent wrong gradient.

Reference numbers were computed with PyTorch 2.13 (float64) from the same programs.
"""

from __future__ import annotations

import gc
import tracemalloc
import warnings

import numpy as np
import pytest

import seqlab.autograd as ag

R = np.arange(1, 13, dtype=np.float64).reshape(4, 3) / 10


def _leaf(values):
    return ag.tensor(np.array(values, dtype=np.float64), requires_grad=True)


def test_a_slice_taken_before_a_write_follows_the_written_history():
    x, h = _leaf(R), _leaf([1.0, 2.0, 3.0])
    buf = x * 1
    view = buf[0]
    buf[0] = h * 2
    (view * view).sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros((4, 3)))  # torch
    np.testing.assert_array_equal(h.grad, [8.0, 16.0, 24.0])  # torch


def test_a_reshape_taken_before_a_write_follows_the_written_history():
    x, h = _leaf(R), _leaf([1.0, 2.0, 3.0])
    buf = x * 1
    view = buf.reshape(12)
    buf[0] = h * 2
    (view * ag.tensor(np.arange(12.0))).sum().backward()
    expected_x = np.arange(12.0).reshape(4, 3)
    expected_x[0] = 0
    np.testing.assert_array_equal(x.grad, expected_x)  # torch
    np.testing.assert_array_equal(h.grad, [0.0, 2.0, 4.0])  # torch


def test_a_view_of_a_view_follows_the_written_history():
    x, h = _leaf(R), _leaf([1.0, 2.0, 3.0])
    buf = x * 1
    row = buf[1]
    view = row[1:]
    buf[1] = h * 3
    before = (row * row).sum()  # recorded after the write: sees h
    (view.sum() + before).backward()
    np.testing.assert_array_equal(x.grad, np.zeros((4, 3)))
    np.testing.assert_allclose(h.grad, [18.0, 39.0, 57.0])  # 2*9*h, + 3 on [1:]


def test_ops_recorded_on_the_view_before_the_write_keep_the_old_values():
    x, h = _leaf(R), _leaf([1.0, 2.0, 3.0])
    buf = x * 1
    view = buf[0]
    early = view.sum()  # before the write: x[0]
    buf[0] = h * 2
    (early + view.sum()).backward()
    expected_x = np.zeros((4, 3))
    expected_x[0] = 1
    np.testing.assert_array_equal(x.grad, expected_x)
    np.testing.assert_array_equal(h.grad, [2.0, 2.0, 2.0])


def test_a_view_of_a_tensor_without_history_is_refused_after_a_recorded_write():
    h = _leaf([1.0, 2.0, 3.0])
    buf = ag.zeros(4, 3, dtype=np.float64)
    view = buf[0]
    buf[0] = h * 2
    with pytest.raises(RuntimeError, match="possibly taken before the write"):
        (view * view).sum()
    (buf[0] * buf[0]).sum().backward()  # a view taken after the write is fine
    np.testing.assert_array_equal(h.grad, [8.0, 16.0, 24.0])


# ------------------------------------------------- writes into views and fresh op outputs
def test_a_fresh_op_output_that_numpy_returns_as_a_view_can_be_written():
    x = _leaf(R)
    values = x.max(-1)[0]  # NumPy hands back a view of the op's own scratch array
    values[0] = 0.0
    values.sum().backward()
    np.testing.assert_array_equal(x.grad[:, 2], [0.0, 1.0, 1.0, 1.0])
    linear = ag.nn.Linear(3, 2)
    logits = linear(ag.tensor(R.astype(np.float32)))
    logits[:, 1] = -np.inf
    assert np.isneginf(logits.data[:, 1]).all()


@pytest.mark.parametrize(
    ("change", "torch_grad_rows"),
    [
        (lambda y: y.__setitem__(0, y[0].__imul__(2.0)), [[0.04, 0.16, 0.36], [0.32, 0.5, 0.72]]),
        (lambda y: y.__setitem__((slice(None), 0), y[:, 0].__isub__(1.0)),
         [[0.02, 0.08, 0.18], [0.32, 0.5, 0.72]]),
    ],
    ids=["y[0] *= 2", "y[:, 0] -= 1"],
)
def test_augmented_assignment_on_a_subscript_is_recorded(change, torch_grad_rows):
    x = _leaf(R)
    y = x * x
    change(y)  # what Python runs for y[0] *= 2: tmp = y[0]; tmp *= 2; y[0] = tmp
    (y * ag.tensor(R)).sum().backward()
    np.testing.assert_allclose(x.grad[:2], torch_grad_rows, rtol=1e-12)  # torch


def test_writing_into_a_row_of_a_graph_tensor_reaches_the_tensor():
    x, h = _leaf(R), _leaf([1.0, 2.0, 3.0])
    buf = x * 1
    buf[0][1] = h[0] * 2  # out[t][i] = h
    (buf * ag.tensor(R)).sum().backward()
    expected_x = R.copy()
    expected_x[0, 1] = 0
    np.testing.assert_allclose(x.grad, expected_x)  # torch
    np.testing.assert_allclose(h.grad, [0.4, 0.0, 0.0])  # torch


def test_writing_into_a_transposed_graph_tensor_reaches_the_tensor():
    x, h = _leaf(R), _leaf([1.0, 2.0, 3.0, 4.0])
    buf = (x * 1).t()
    buf[0] = h * 2
    (buf * ag.tensor(R.T)).sum().backward()
    expected_x = R.copy()
    expected_x[:, 0] = 0
    np.testing.assert_allclose(x.grad, expected_x)  # torch
    np.testing.assert_allclose(h.grad, [0.2, 0.8, 1.4, 2.0])  # torch


# ---------------------------------------------------------- what writes keep and copy
def _held_bytes(run):
    tracemalloc.start()
    try:
        kept = run()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del kept
    return held


def _many_writes(count):
    w = _leaf([0.5])
    buf = ag.zeros(count, dtype=np.float64)
    for t in range(count):
        buf[t] = w[0] * t
    return buf


def test_memory_held_by_recorded_writes_grows_linearly():
    small, large = _held_bytes(lambda: _many_writes(500)), _held_bytes(lambda: _many_writes(2000))
    assert large < 6 * small  # 4x the writes; a copied write history grew 16x


def test_add_and_subtract_in_place_do_not_copy_the_tensor():
    w = ag.tensor(np.full(50_000, 0.5), requires_grad=True)

    def accumulate():
        acc = ag.zeros(50_000, dtype=np.float64)
        for _ in range(20):
            acc += w
            acc -= w * 0.5
        return acc

    assert _held_bytes(accumulate) < 30 * 50_000 * 8  # 40 tensor copies held before
    acc = accumulate()
    acc.sum().backward()
    np.testing.assert_array_equal(w.grad, np.full(50_000, 10.0))


def test_ops_save_only_what_the_needed_gradients_read():
    x = _leaf(R)
    scaled = (x * 1) / 2.0  # the divisor needs no gradient: the quotient is not saved
    scaled[0] = -np.inf
    scaled[1:].sum().backward()
    np.testing.assert_array_equal(x.grad, np.r_[np.zeros((1, 3)), np.full((3, 3), 0.5)])
    x = _leaf(R)
    y = x * 1
    product = y @ ag.tensor(np.ones((3, 2)))  # the constant's gradient is not needed: y unsaved
    y[0] = 0.5
    product.sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((4, 3), 2.0))  # the product came first


def test_division_by_zero_in_forward_is_silent_as_in_pytorch():
    x = ag.tensor(np.array([0.0, 1.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quotient = 2.0 / x
        ratio = x / x
    np.testing.assert_array_equal(quotient.data, [np.inf, 2.0])
    assert np.isnan(ratio.data[0])


def test_backward_skips_write_lookups_once_no_graph_with_writes_is_alive():
    from seqlab.autograd import in_place

    gc.collect()
    live = in_place.rebasing.live
    buf = _many_writes(3)
    assert in_place.rebasing.live > live
    buf.sum().backward()
    del buf
    gc.collect()
    assert in_place.rebasing.live == live  # graphs without writes pay nothing again


def test_a_view_whose_graph_was_freed_can_still_be_read_after_a_write():
    x = _leaf(R)
    buf = x * 1
    view = buf[0]
    view.sum().backward()  # frees the view's node
    with ag.no_grad():
        buf[0] = 2.0
    np.testing.assert_array_equal((view * 1).data, [2.0, 2.0, 2.0])


@pytest.mark.parametrize(
    ("left", "right"),
    [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)), ((2, 1, 2, 3), (3, 3, 1))],
)
def test_matmul_with_one_operand_needing_a_gradient_gives_the_same_gradient(left, right):
    rng = np.random.default_rng(0)
    a_values, b_values = rng.standard_normal(left), rng.standard_normal(right)
    a, b = ag.tensor(a_values, requires_grad=True), ag.tensor(b_values, requires_grad=True)
    (a @ b).sum().backward()
    a_only, b_only = ag.tensor(a_values, requires_grad=True), ag.tensor(b_values)
    (a_only @ b_only).sum().backward()
    b_side = ag.tensor(b_values, requires_grad=True)
    (ag.tensor(a_values) @ b_side).sum().backward()
    np.testing.assert_allclose(a_only.grad, a.grad, rtol=1e-12)
    np.testing.assert_allclose(b_side.grad, b.grad, rtol=1e-12)
