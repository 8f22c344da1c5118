"""In-place writes: recorded in the graph (PyTorch's CopySlices), checked against saved arrays
(PyTorch's version counter), refused on leaves that require grad, and `+=` on tensors.

Reference numbers marked "torch" were computed once with PyTorch 2.13 (float64) from the
same programs; the others are float64 finite differences (gradcheck).
"""

from __future__ import annotations

import numpy as np
import pytest

import seqlab.autograd as ag
from seqlab.autograd import gradcheck

MODIFIED = "modified by an in-place operation"


def _f64(values, requires_grad=False):
    return ag.tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


# ----------------------------------------------------------------- writes enter the graph
def test_filling_a_preallocated_tensor_sends_gradients_to_the_values():
    w = _f64([0.5, -1.0, 2.0], requires_grad=True)
    outputs = ag.zeros(3, 3, dtype=np.float64)
    h = ag.zeros(3, dtype=np.float64)
    for t in range(3):
        h = (h + w).tanh()
        outputs[t] = h
    assert outputs.requires_grad and not outputs.is_leaf
    (outputs.sum() + (w * w).sum()).backward()
    torch_grad = [3.0880407794354476, -1.3305462342196572, 4.0920817313928355]
    np.testing.assert_allclose(w.grad, torch_grad, rtol=1e-12)


def test_overwritten_positions_get_no_gradient_from_the_old_history():
    x = _f64([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y[1] = x[0] * 3
    (y * _f64([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_allclose(x.grad, [32.0, 0.0, 200.0])  # torch


def test_copy_zero_and_fill_are_recorded():
    x = _f64([1.0, 2.0, 3.0], requires_grad=True)
    buffer = ag.zeros(2, 3, dtype=np.float64)
    buffer.copy_(x * x)  # broadcast into both rows
    (buffer * _f64([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    np.testing.assert_allclose(x.grad, [10.0, 28.0, 54.0])  # torch
    x.grad = None
    zeroed, filled = x * 1, x * 1
    zeroed.zero_()
    filled.fill_(7.0)
    (zeroed + filled + x).sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, 1.0, 1.0])  # torch
    np.testing.assert_array_equal(filled.data, [7.0, 7.0, 7.0])


def test_ops_recorded_before_a_write_keep_the_old_history():
    x = _f64([1.0, 2.0, 3.0], requires_grad=True)
    h = _f64(5.0, requires_grad=True)
    y = x * 2
    z = y * 3  # took y before the writes
    y[0] = h * h
    y[1] = y[2] * 4  # reads y between writes
    s = y.sum()
    y += x
    (z * _f64([1.0, 10.0, 100.0]) + y + s).sum().backward()
    np.testing.assert_allclose(x.grad, [7.0, 61.0, 641.0])  # torch
    np.testing.assert_allclose(h.grad, 40.0)  # torch


@pytest.mark.parametrize("index", [np.s_[1], np.s_[:, 1:], (np.array([2, 0]),),
                                   np.array([True, False, True])])
def test_index_put_gradients_match_finite_differences(index):
    rng = np.random.default_rng(0)
    base = ag.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    value_shape = np.zeros((3, 2))[index].shape
    value = ag.tensor(rng.standard_normal(value_shape), requires_grad=True)

    def written(b, v):
        out = b * 1.5
        out[index] = v.tanh()
        return out * out

    assert gradcheck(written, [base, value])


def test_a_broadcast_value_gets_the_summed_gradient():
    row = _f64([[1.0, -2.0]], requires_grad=True)  # an extra leading 1, as NumPy allows

    def written(v):
        out = ag.zeros(3, 2, dtype=np.float64)
        out[1] = v
        out[2:] = v * v
        return out.exp()

    assert gradcheck(written, [row])


def test_writing_a_graph_value_into_a_view_is_refused():
    out = ag.zeros(3, 2, dtype=np.float64)
    h = _f64([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"views another tensor's memory.*stack/cat"):
        out[0][1] = h[0]
    with pytest.raises(RuntimeError, match="views another tensor's memory"):
        out.reshape(6)[0] = h[0]
    out[0, 1] = h[0]  # through the owner: recorded
    out.sum().backward()
    np.testing.assert_array_equal(h.grad, [1.0, 0.0])


def test_writes_without_gradients_stay_plain():
    buffer = ag.zeros(2)
    buffer[0] = 3.0
    with ag.no_grad():
        buffer[1] = _f64([4.0], requires_grad=True)[0]
    assert buffer.is_leaf and not buffer.requires_grad
    np.testing.assert_array_equal(buffer.data, [3.0, 4.0])


# ----------------------------------------------------------------- saved arrays are checked
@pytest.mark.parametrize("change", [
    lambda w: w.__setitem__(0, 100.0),
    lambda w: w.fill_(7.0),
    lambda w: w.zero_(),
    lambda w: w.copy_(np.array([5.0, 6.0])),
    lambda w: w.__iadd__(1.0),
    lambda w: w.detach().__setitem__(0, 1.0),  # detach shares the memory
    lambda w: w[1:].__setitem__(0, 1.0),  # so does a slice
])
def test_backward_refuses_a_saved_array_changed_in_place(change):
    a = _f64([1.0, 2.0], requires_grad=True)
    w = _f64([3.0, 4.0])
    y = (a * w).sum()
    change(w)
    with pytest.raises(RuntimeError, match=MODIFIED + ".*Mul saved an array of shape"):
        y.backward()


def test_an_op_output_saved_by_its_op_is_checked_too():
    x = _f64([0.5, 1.0], requires_grad=True)
    y = x.exp()  # Exp saves its output
    y[0] = 0.0
    with pytest.raises(RuntimeError, match=MODIFIED + ".*Exp saved"):
        y.sum().backward()


def test_changes_that_no_op_saved_are_allowed():
    a = _f64([1.0, 2.0], requires_grad=True)
    w = _f64([3.0, 4.0])
    y = (a + w).sum()  # Add saves nothing, as in PyTorch
    w[0] = 100.0
    y.backward()
    np.testing.assert_array_equal(a.grad, [1.0, 1.0])
    z = (a * w).sum()  # saved after the change: fine
    z.backward()
    np.testing.assert_array_equal(a.grad, [101.0, 5.0])


# ----------------------------------------------------------------- +=, -=, *=, /=
def test_manual_sgd_step_under_no_grad_updates_the_parameters():
    w = _f64([1.0, -2.0], requires_grad=True)
    (w * w).sum().backward()
    same = w
    with ag.no_grad():
        w -= 0.1 * w.grad
        w += 1
        w *= 2
        w /= 4
    assert w is same and w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.data, (np.array([1.0, -2.0]) * 0.8 + 1) * 2 / 4)


def test_in_place_on_a_leaf_that_requires_grad_is_refused_outside_no_grad():
    w = _f64([1.0, 2.0], requires_grad=True)
    for change in (lambda: w.__iadd__(1), lambda: w.__setitem__(0, 5.0), w.zero_):
        with pytest.raises(RuntimeError, match=r"leaf tensor that requires grad.*no_grad"):
            change()
    np.testing.assert_array_equal(w.data, [1.0, 2.0])


def test_in_place_arithmetic_on_a_graph_tensor_is_recorded():
    x = _f64([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y += x
    y *= x  # needs y's values before the write: 3x
    (y * _f64([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_allclose(x.grad, [6.0, 120.0, 1800.0])  # torch

    def updated(a, b):
        out = a * 1
        out -= b
        out /= b + 3
        return out

    rng = np.random.default_rng(1)
    assert gradcheck(updated, [ag.tensor(rng.standard_normal((2, 3)), requires_grad=True),
                               ag.tensor(rng.standard_normal(3), requires_grad=True)])


def test_in_place_result_that_does_not_fit_the_dtype_is_refused():
    counts = ag.tensor([1, 2])
    with pytest.raises(RuntimeError, match="float64 can't be cast to the tensor's dtype int64"):
        counts += 0.5
    with pytest.raises(RuntimeError, match="can't be cast"):
        counts /= 2
    counts += 1
    np.testing.assert_array_equal(counts.data, [2, 3])


def test_a_write_whose_value_overlaps_its_destination_is_right():
    """`y[1:] = y[:-1]`: PyTorch refuses it (clone the source); seqlab allows it, and its
    values and gradients are those of `y[1:] = y[:-1].clone()` (float64: the same as PyTorch
    2.13's to the last bit on these inputs, checked by hand; here against NumPy copies and
    central differences), in both directions of overlap (leftovers s21, item 8)."""
    rng = np.random.default_rng(0)
    start = rng.standard_normal((5, 3))

    def shifted(x):
        y = x * 2.0
        y[1:] = y[:-1]  # each row takes the row before it: the source moves under the write
        z = y * y
        z[:-2] = z[2:] + y[:-2]  # the other direction
        return z

    out = shifted(_f64(start, requires_grad=True))
    y = start * 2.0
    y[1:] = y[:-1].copy()
    z = y * y
    z[:-2] = z[2:].copy() + y[:-2]
    np.testing.assert_array_equal(out.data, z)
    assert gradcheck(shifted, [_f64(start, requires_grad=True)])
