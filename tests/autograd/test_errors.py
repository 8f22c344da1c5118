"""Every user-facing error of the autograd core says what was wrong and what to do."""

from __future__ import annotations

import numpy as np
import pytest

import seqlab.autograd as ag
from seqlab.autograd import Function, GradcheckError, Tensor, gradcheck


def leaf(values) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match=r"only floating-point tensors .* dtype int64.*\.float\(\)"):
        Tensor(np.arange(3), requires_grad=True)
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        Tensor(np.arange(3)).requires_grad_()


def test_requires_grad_false_on_a_computed_tensor_points_to_detach():
    with pytest.raises(RuntimeError, match=r"use \.detach\(\)"):
        (leaf([1.0]) * 2).requires_grad_(False)


def test_backward_on_a_tensor_without_grad():
    with pytest.raises(RuntimeError, match=r"does not require grad.*no_grad"):
        Tensor(np.ones(1)).backward()
    with ag.no_grad():
        y = leaf([1.0]) * 2
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_backward_without_grad_on_a_non_scalar_output():
    with pytest.raises(RuntimeError, match=r"one-element output, got shape \(2, 2\).*\.sum\(\)"):
        (leaf(np.ones((2, 2))) * 2).backward()


def test_backward_with_a_gradient_of_the_wrong_shape():
    with pytest.raises(RuntimeError, match=r"shape \(3,\) for an output of shape \(2,\)"):
        (leaf([1.0, 2.0]) * 2).backward(np.ones(3))


def test_item_len_iter_and_bool_on_the_wrong_shapes():
    with pytest.raises(ValueError, match=r"one-element tensor, got shape \(2,\)"):
        Tensor(np.ones(2)).item()
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(Tensor(np.array(1.0)))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(Tensor(np.array(1.0)))
    with pytest.raises(RuntimeError, match=r"truth value of a tensor with 2 elements.*any\(\)"):
        bool(Tensor(np.ones(2)))


def test_in_place_writes_into_a_leaf_that_requires_grad_are_refused():
    x = leaf([1.0, 2.0])
    for write in (lambda: x.__setitem__(0, 5.0), x.zero_, lambda: x.fill_(1.0),
                  lambda: x.copy_(np.zeros(2))):
        with pytest.raises(RuntimeError, match=r"in-place .* requires grad.*no_grad"):
            write()


def test_numpy_ufuncs_on_tensors_are_refused():
    with pytest.raises(TypeError):
        np.exp(leaf([1.0]))


def test_clamp_without_bounds_and_masked_fill_without_boolean_mask():
    x = leaf([1.0])
    with pytest.raises(ValueError, match="at least one of min= and max="):
        x.clamp()
    with pytest.raises(TypeError, match="boolean mask, got dtype float64"):
        x.masked_fill(np.ones(1), 0.0)


def test_dims_out_of_range():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(IndexError, match="dim 2 is out of range for a tensor with 2 dimensions"):
        x.sum(2)
    with pytest.raises(IndexError, match="dim -3 is out of range"):
        x.softmax(-3)
    with pytest.raises(IndexError, match=r"unsqueeze dim 3 .* 2 dims \(allowed -3\.\.2\)"):
        x.unsqueeze(3)
    with pytest.raises(ValueError, match="start_dim 1 comes after end_dim 0"):
        x.flatten(1, 0)
    with pytest.raises(ValueError, match=r"permute dims \(0, 0\) are not a permutation"):
        x.permute(0, 0)


def test_expand_errors():
    x = Tensor(np.ones((2, 1)))
    with pytest.raises(ValueError, match=r"size 2 of dim 0 .* cannot become 3"):
        x.expand(3, 4)
    with pytest.raises(ValueError, match="needs at least 2 sizes"):
        x.expand(4)
    with pytest.raises(ValueError, match="-1 is not allowed for the new leading dims"):
        x.expand(-1, 2, 4)


def test_split_chunk_cat_stack_errors():
    x = Tensor(np.arange(5.0))
    with pytest.raises(ValueError, match="split size must be a positive integer, got 0"):
        x.split(0)
    with pytest.raises(ValueError, match=r"split sizes \(2, 2\) must be .* add up to 5"):
        x.split([2, 2])
    with pytest.raises(ValueError, match="positive number of chunks, got 0"):
        x.chunk(0)
    with pytest.raises(ValueError, match="cat\\(\\) needs at least one tensor"):
        ag.cat([])
    with pytest.raises(ValueError, match="stack\\(\\) needs at least one tensor"):
        ag.stack([])


def test_gather_index_errors():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match="gather index must hold integers, got dtype float64"):
        x.gather(1, np.zeros((2, 1)))
    with pytest.raises(ValueError, match="gather index has 1 dims but the tensor has 2"):
        x.gather(1, np.zeros(2, dtype=np.int64))


class WrongGradient(Function):
    """Doubles its input but claims a gradient of 3."""

    @staticmethod
    def forward(ctx, a):
        return a * 2

    @staticmethod
    def backward(ctx, grad):
        return grad * 3


def test_gradcheck_reports_the_input_and_index_of_a_wrong_gradient():
    with pytest.raises(GradcheckError, match=r"gradient of input 1 \(shape \(2,\)\) differs at "
                       r"index \(\d,\): analytic .*, numerical"):
        gradcheck(lambda a, b: a * 1.0 + WrongGradient.apply(b), [leaf([1.0, 2.0]),
                                                                  leaf([3.0, 4.0])])
    assert gradcheck(lambda a: a * 2, [leaf([1.0, 2.0])])


def test_gradcheck_input_errors():
    with pytest.raises(GradcheckError, match="no input Tensor has requires_grad=True"):
        gradcheck(lambda a: a * 2, [Tensor(np.ones(2))])
    with pytest.raises(GradcheckError, match=r"input 0 is float32; .* \.double\(\)"):
        gradcheck(lambda a: a * 2, [Tensor(np.ones(2, np.float32), requires_grad=True)])
    with pytest.raises(GradcheckError, match="no floating-point Tensor output"):
        gradcheck(lambda a: a > 0, [leaf([1.0])])
    with pytest.raises(GradcheckError, match="does not depend on any checked input"):
        gradcheck(lambda a: a.detach() * 2, [leaf([1.0])])
