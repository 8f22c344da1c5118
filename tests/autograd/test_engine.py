"""The backward engine: accumulation, graph recording rules, long graphs, freeing, errors."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import seqlab.autograd as ag
from seqlab.autograd import Context, Function, Tensor, no_grad
from seqlab.autograd.engine import unbroadcast


def leaf(values, dtype=np.float64) -> Tensor:
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def test_tensor_used_twice_gets_both_gradients():
    x = leaf([1.0, 2.0, 3.0])
    (x * x + x).sum().backward()  # d/dx (x^2 + x) = 2x + 1
    np.testing.assert_allclose(x.grad, 2 * np.array([1.0, 2.0, 3.0]) + 1)


def test_diamond_graph_accumulates_before_running_the_shared_op():
    x = leaf([0.5, -1.0])
    shared = x.exp()
    (shared * 2 + shared.tanh()).sum().backward()
    e = np.exp([0.5, -1.0])
    np.testing.assert_allclose(x.grad, (2 + (1 - np.tanh(e) ** 2)) * e)


def test_gradients_accumulate_across_backward_calls_until_reset():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad, [6.0, 6.0])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 3.0])


def test_leaf_gradient_does_not_alias_arrays_of_other_leaves():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()  # Add hands the same gradient array to both inputs
    a.grad += 10
    np.testing.assert_allclose(b.grad, [1.0, 1.0])


def test_leaf_gradient_takes_the_parameters_layout():
    # x.T @ y's backward hands x a transposed (F-ordered) array; the leaf's .grad must be laid
    # out as x.data is, so optimizers can walk both as flat arrays without copying
    x = leaf(np.arange(6.0).reshape(2, 3))
    y = leaf(np.arange(8.0).reshape(2, 4))
    (x.T @ y).sum().backward()
    assert x.grad.flags.c_contiguous and y.grad.flags.c_contiguous
    np.testing.assert_allclose(x.grad, np.tile(y.data.sum(axis=1, keepdims=True), (1, 3)))
    f_ordered = leaf(np.asfortranarray(np.arange(6.0).reshape(3, 2)))
    (f_ordered * 2).sum().backward()
    assert f_ordered.grad.flags.f_contiguous
    np.testing.assert_allclose(f_ordered.grad, 2.0)


def test_no_graph_when_no_input_requires_grad():
    x = Tensor(np.ones(3))
    y = (x * 2).exp()
    assert not y.requires_grad and y.is_leaf and y._ctx is None


def test_no_graph_under_no_grad_and_restored_after():
    x = leaf([1.0, 2.0])
    with no_grad():
        y = x * 2
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()
    assert not y.requires_grad and y._ctx is None
    assert (x * 2).requires_grad


def test_no_grad_and_enable_grad_as_decorators_and_set_grad_enabled():
    x = leaf([1.0])

    @no_grad()
    def double(t):
        return t * 2

    @no_grad
    def triple(t):
        return t * 3

    @ag.enable_grad()
    def quadruple(t):
        return t * 4

    assert not double(x).requires_grad and not triple(x).requires_grad
    with no_grad():
        assert quadruple(x).requires_grad
    with ag.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    ag.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        ag.set_grad_enabled(True)


def test_no_grad_is_restored_after_an_exception():
    with pytest.raises(ValueError), no_grad():
        raise ValueError("boom")
    assert ag.is_grad_enabled()


def test_backward_runs_without_recording_a_graph():
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1.0

        @staticmethod
        def backward(ctx, grad):
            seen.append(ag.is_grad_enabled())
            return grad

    x = leaf([1.0])
    Probe.apply(x).sum().backward()
    assert seen == [False] and ag.is_grad_enabled()


def test_chain_of_ten_thousand_ops_backward_is_iterative():
    x = leaf([0.5])
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0001**10_000], rtol=1e-9)


def test_saved_arrays_and_intermediates_are_freed_after_backward():
    x = leaf(np.ones(4))
    hidden = x.exp()
    data_ref = weakref.ref(hidden.data)
    ctx = hidden._ctx
    loss = (hidden * 2).sum()
    del hidden
    gc.collect()
    assert data_ref() is not None  # the graph keeps the intermediate alive until backward
    loss.backward()
    gc.collect()
    assert data_ref() is None
    assert ctx.released and ctx._saved == () and ctx.inputs == ()


def test_second_backward_through_freed_graph_is_a_clear_error():
    x = leaf([1.0, 2.0])
    loss = (x.exp() * 2).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"backward through the graph a second time.*"
                       "retain_graph=True"):
        loss.backward()


def test_backward_from_an_intermediate_after_the_graph_was_freed_is_an_error():
    x = leaf([1.0, 2.0])
    hidden = x.tanh()
    hidden.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        (hidden * 2).sum().backward()


def test_saved_tensors_after_release_is_a_clear_error():
    ctx = Context((True,))
    ctx.save_for_backward(np.ones(2))
    ctx.release()
    with pytest.raises(RuntimeError, match="second time"):
        _ = ctx.saved_tensors


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    loss = (x.exp() * x).sum()
    loss.backward(retain_graph=True)
    first = x.grad.copy()
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * first)
    np.testing.assert_allclose(first, np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0])))


class SplitHalves(Function):
    """Two outputs: the first and second half of a vector."""

    calls = 0

    @staticmethod
    def forward(ctx, a):
        ctx.half = a.shape[0] // 2
        return a[: ctx.half] * 2.0, a[ctx.half :] * 3.0

    @staticmethod
    def backward(ctx, grad_first, grad_second):
        SplitHalves.calls += 1
        return np.concatenate([grad_first * 2.0, grad_second * 3.0])


def test_multi_output_function_with_an_unused_output_gets_zeros():
    x = leaf([1.0, 2.0, 3.0, 4.0])
    first, _second = SplitHalves.apply(x)
    first.sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 2.0, 0.0, 0.0])


def test_multi_output_function_with_both_outputs_used_runs_backward_once():
    SplitHalves.calls = 0
    x = leaf([1.0, 2.0, 3.0, 4.0])
    first, second = SplitHalves.apply(x)
    (first.sum() * 5 + second.sum()).backward()
    np.testing.assert_allclose(x.grad, [10.0, 10.0, 3.0, 3.0])
    assert SplitHalves.calls == 1


def test_integer_outputs_never_require_grad():
    x = leaf([[3.0, 1.0], [0.0, 5.0]])
    values, indices = x.max(dim=1)
    assert values.requires_grad and not indices.requires_grad
    assert indices.dtype == np.int64 and indices._ctx is None


def test_needs_input_grad_is_reported_and_respected():
    recorded = {}

    class Scale(Function):
        @staticmethod
        def forward(ctx, a, b):
            recorded["forward"] = ctx.needs_input_grad
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            recorded["backward"] = ctx.needs_input_grad
            return (grad * b if ctx.needs_input_grad[0] else None,
                    grad * a if ctx.needs_input_grad[1] else None)

    a, b = leaf([2.0]), Tensor(np.array([5.0]))
    Scale.apply(a, b).sum().backward()
    assert recorded == {"forward": (True, False), "backward": (True, False)}
    assert b.grad is None
    np.testing.assert_allclose(a.grad, [5.0])
    with no_grad():
        Scale.apply(a, b)
    assert recorded["forward"] == (False, False)


def test_non_tensor_arguments_pass_through_to_forward():
    class AddConstant(Function):
        @staticmethod
        def forward(ctx, a, constant, *, _unused=None):
            return a + constant

        @staticmethod
        def backward(ctx, grad):
            return grad, None

    x = leaf([1.0])
    y = AddConstant.apply(x, 2.5)
    y.sum().backward()
    assert y.item() == 3.5 and x.grad.tolist() == [1.0]


def test_engine_unbroadcasts_gradients_to_each_input_shape():
    a, b = leaf(np.ones((2, 1, 3))), leaf(np.ones(3))
    c = leaf(np.ones((4, 1)))
    (a * b + c).sum().backward()
    assert a.grad.shape == (2, 1, 3) and b.grad.shape == (3,) and c.grad.shape == (4, 1)
    np.testing.assert_allclose(a.grad, np.full((2, 1, 3), 4.0))
    np.testing.assert_allclose(b.grad, np.full(3, 8.0))
    np.testing.assert_allclose(c.grad, np.full((4, 1), 6.0))


def test_unbroadcast_sums_leading_and_size_one_dims():
    grad = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_allclose(unbroadcast(grad, (3, 1)), grad.sum(axis=(0, 2))[:, None])
    np.testing.assert_allclose(unbroadcast(grad, ()), grad.sum())
    assert unbroadcast(grad, (2, 3, 4)) is grad


def test_backward_returning_a_wrong_shape_is_a_clear_error():
    class BadShape(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, grad):
            return np.ones(5)

    with pytest.raises(RuntimeError, match=r"BadShape.backward returned a gradient of shape "
                       r"\(5,\) for an input of shape \(3,\)"):
        BadShape.apply(leaf([1.0, 2.0, 3.0])).sum().backward()


def test_backward_returning_too_few_gradients_is_a_clear_error():
    class TooFew(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(RuntimeError, match=r"TooFew\.backward returned 1 gradients for 2"):
        TooFew.apply(leaf([1.0]), leaf([2.0])).sum().backward()


def test_gradient_dtype_follows_the_input_dtype():
    x32 = leaf([1.0, 2.0], np.float32)
    x64 = leaf([1.0, 2.0], np.float64)
    (x32 * x64).sum().backward()
    assert x32.grad.dtype == np.float32 and x64.grad.dtype == np.float64


def test_backward_with_explicit_gradient_on_nonscalar_output():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).backward(np.array([1.0, 0.0, 2.0]))
    np.testing.assert_allclose(x.grad, [2.0, 0.0, 12.0])


def test_backward_on_a_leaf_sets_its_own_gradient():
    x = leaf([1.0, 2.0])
    x.backward(np.array([3.0, 4.0]))
    np.testing.assert_allclose(x.grad, [3.0, 4.0])


def test_detach_cuts_the_graph():
    x = leaf([2.0])
    y = x * 3
    z = y.detach() * x
    z.sum().backward()
    np.testing.assert_allclose(x.grad, [6.0])  # only the direct path
    assert y.detach().data is y.data


def test_branch_that_gets_no_gradient_is_skipped_but_the_rest_still_runs():
    class StopGradient(Function):
        @staticmethod
        def forward(ctx, a):
            return a.copy()

        @staticmethod
        def backward(ctx, grad):
            return None

    x = leaf([1.0, 2.0])
    exponential = x.exp()
    (StopGradient.apply(exponential) * 5 + x * 2).sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 2.0])
    assert not exponential._ctx.released  # no gradient reached it, so it never ran
