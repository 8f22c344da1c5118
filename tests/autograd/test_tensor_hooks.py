"""`Tensor.register_hook(fn)`, as PyTorch's: fn(grad) is called with the tensor's whole gradient
of a backward (a leaf used twice: the sum, once), before it reaches `.grad` or flows on, and
may return a replacement; `handle.remove()` takes it away. Gradients are float64 and compared
with the chain rule worked by hand."""

import numpy as np
import pytest

import seqlab.autograd as ag

A = np.array([1.0, -2.0, 3.0])


def _leaf():
    return ag.tensor(A, dtype=np.float64, requires_grad=True)


def test_a_leaf_hook_sees_the_summed_gradient_once_and_may_replace_it():
    leaf, seen = _leaf(), []

    def double(grad):
        seen.append(np.array(grad))
        return grad * 2

    leaf.register_hook(double)
    (leaf * leaf + 3 * leaf).sum().backward()  # d/dleaf = 2 leaf + 3, over two uses
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], 2 * A + 3)
    np.testing.assert_array_equal(leaf.grad, 2 * (2 * A + 3))


def test_a_non_leaf_hook_changes_what_flows_on():
    leaf, seen = _leaf(), []
    middle = leaf * 3
    middle.register_hook(lambda grad: seen.append(np.array(grad)))  # None: unchanged
    middle.register_hook(lambda grad: grad + 1)
    (middle * middle).sum().backward()  # d/dmiddle = 2 middle
    np.testing.assert_array_equal(seen[0], 2 * 3 * A)
    np.testing.assert_array_equal(leaf.grad, 3 * (2 * 3 * A + 1))


def test_a_removed_hook_is_not_called_and_the_root_leaf_hook_is():
    leaf = _leaf()
    handle = leaf.register_hook(lambda grad: grad * 0)
    handle.remove()
    leaf.sum().backward()
    np.testing.assert_array_equal(leaf.grad, np.ones(3))
    root = _leaf()
    root.register_hook(lambda grad: grad * 5)
    root.backward(np.ones(3))
    np.testing.assert_array_equal(root.grad, 5 * np.ones(3))


def test_a_hook_on_a_tensor_without_grad_and_a_wrong_shape_are_refused():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.tensor(A).register_hook(lambda grad: None)
    leaf = _leaf()
    leaf.register_hook(lambda grad: np.ones(2))
    with pytest.raises(RuntimeError, match=r"hook returned a gradient of shape \(2,\)"):
        leaf.sum().backward()


def test_a_hooked_retained_root_keeps_the_hooked_gradient_once():
    leaf = _leaf()
    middle = leaf * 2
    middle.register_hook(lambda grad: grad * 10)
    middle.retain_grad()
    middle.backward(np.ones(3))
    np.testing.assert_array_equal(middle.grad, 10 * np.ones(3))
    np.testing.assert_array_equal(leaf.grad, 20 * np.ones(3))
