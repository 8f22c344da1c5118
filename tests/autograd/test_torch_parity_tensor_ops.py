"""std over constant slices, norm at zero, max/min/amax/amin with ties and NaN, relu at NaN,
index_select, scatter_add and einsum against PyTorch's numbers (qaB s21 items 4, 6, 11:
tests/fixtures/torch_parity/tensor_ops.*, written by make_tensor_ops_fixtures.py) and against
finite differences in float64."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import seqlab.autograd as ag
from seqlab.autograd import gradcheck, tensor

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "torch_parity"))
from parity_cases import load_cases, seqlab_case  # the shared reader and runner, beside them

FIXTURES = Path(__file__).parents[1] / "fixtures" / "torch_parity"
RESULTS = FIXTURES / "tensor_ops.safetensors"  # PyTorch's numbers, by case
CASES = json.loads((FIXTURES / "tensor_ops.json").read_text())["cases"]


FUNCTIONS = {"einsum": ag.einsum}  # the cases' functions that are not methods


@pytest.mark.parametrize("name", list(CASES))
def test_output_and_gradients_match_pytorch(name):
    stored = load_cases(RESULTS)[name]
    out, leaves = seqlab_case(CASES[name], stored, FUNCTIONS)
    # the stored file keeps a 0-d array as shape (1,)
    np.testing.assert_allclose(out.numpy(), stored["out"].reshape(out.shape), rtol=1e-12,
                               atol=1e-14, equal_nan=True)
    out.backward(stored["cotangent"].reshape(out.shape))
    for key, leaf in leaves.items():
        assert np.isfinite(leaf.grad).all() or name.startswith(("max", "min", "relu"))
        np.testing.assert_allclose(leaf.grad, stored[f"grad_{key}"], rtol=1e-12, atol=1e-14,
                                   equal_nan=True, err_msg=key)


EQUATIONS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("...ij,jk->...ik", [(2, 2, 3), (3, 2)]),
    ("...i,...i->...", [(2, 3), (1, 3)]),  # a size-1 ellipsis dim broadcasts
    ("ii->", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("iji->j", [(2, 3, 2)]),
    ("i,j->ij", [(3,), (2,)]),
    ("ij,jk->i", [(2, 3), (3, 4)]),
    ("ij,ij,ij->i", [(2, 3), (2, 3), (2, 3)]),
    ("Ab,bc", [(2, 3), (3, 4)]),
    ("ijk->", [(2, 3, 2)]),
]


@pytest.mark.parametrize(("equation", "shapes"), EQUATIONS)
def test_einsum_forward_is_numpy_and_gradient_finite_differences(equation, shapes):
    rng = np.random.default_rng(len(equation))
    arrays = [rng.standard_normal(shape) for shape in shapes]
    leaves = [tensor(array, requires_grad=True) for array in arrays]
    np.testing.assert_allclose(ag.einsum(equation, *leaves).numpy(),
                               np.einsum(equation, *arrays), rtol=1e-12, atol=1e-14)
    gradcheck(lambda *xs: ag.einsum(equation, *xs), leaves)


def test_einsum_takes_a_list_and_names_a_bad_term():
    a, b = tensor(np.ones((2, 3))), tensor(np.ones((3,)))
    np.testing.assert_array_equal(ag.einsum("ij,j->i", [a, b]).numpy(), [3.0, 3.0])
    with pytest.raises(ValueError, match=r"the term 'ijk' does not fit an operand with 2 dim"):
        ag.einsum("ijk->i", a)
    with pytest.raises(ValueError, match="names 2 operands but 1 were given"):
        ag.einsum("ij,j->i", a)


def test_new_reductions_and_indexing_against_finite_differences():
    rng = np.random.default_rng(0)
    x = tensor(rng.uniform(0.5, 2.0, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4)),
               requires_grad=True)
    for p in (2, 1, 3, 1.5, 0.5, float("inf"), -float("inf")):
        gradcheck(lambda t, p=p: t.norm(p, dim=1), [x])
    gradcheck(lambda t: t.std(dim=0, keepdim=True), [x])
    gradcheck(lambda t: t.amax(dim=1) + t.amin(dim=0).sum(), [x])
    gradcheck(lambda t: t.index_select(1, np.array([3, 0, 3])), [x])
    src = tensor(rng.standard_normal((2, 4)), requires_grad=True)
    index = np.array([[0, 2, 2, 1], [1, 1, 0, 0]])
    gradcheck(lambda t, s: t.scatter_add(0, index, s), [x, src])


def test_std_and_norm_of_constant_or_zero_input_have_zero_gradient_in_float32():
    x = tensor(np.full((2, 3), 1.5, dtype=np.float32), requires_grad=True)
    (x.std(dim=1).sum() + (x - 1.5).norm()).backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, 0.0)


def test_a_full_max_of_nothing_asks_for_dim_in_one_line():
    for method in ("max", "min", "amax", "amin"):
        with pytest.raises(RuntimeError, match=rf"^{method}\(\): Expected reduction dim "
                           r".*Specify the reduction dim with the 'dim' argument\.$"):
            getattr(tensor(np.zeros((0, 2))), method)()
    assert tensor(np.zeros((0, 2))).amax(dim=1).shape == (0,)  # nothing to reduce per row


def test_amax_sends_a_nan_slice_its_gradient_at_the_nan_as_max_does():
    # PyTorch 2.13's amax gives such a slice NaN gradients everywhere (its max() does not):
    # seqlab keeps one rule for both
    x = tensor(np.array([[np.nan, 1.0, 1.0], [2.0, 2.0, 1.0]]), requires_grad=True)
    x.amax(dim=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])


def test_norm_and_std_refuse_integer_tensors():
    with pytest.raises(RuntimeError, match=r"norm\(\).*convert first"):
        tensor([1, 2]).norm()
    with pytest.raises(RuntimeError, match=r"std\(\).*convert first"):
        tensor([1, 2]).std()
    with pytest.raises(ValueError, match="p must be a number or 'fro'"):
        tensor([1.0]).norm("nuc")


def test_retain_grad_keeps_a_non_leaf_gradient_and_accumulates():
    x = tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    hidden = x * 2
    hidden.retain_grad()
    assert hidden.retains_grad and not x.retains_grad
    doubled = hidden * hidden
    doubled.retain_grad()  # the root itself, too
    doubled.sum().backward(retain_graph=True)
    np.testing.assert_allclose(hidden.grad, 2 * hidden.numpy())
    np.testing.assert_allclose(doubled.grad, [1.0, 1.0, 1.0])
    doubled.sum().backward()
    np.testing.assert_allclose(hidden.grad, 4 * hidden.numpy())  # accumulates, as a leaf's
    untouched = x * 3
    assert untouched.grad is None and not untouched.retains_grad
    x.retain_grad()  # a leaf keeps its gradient anyway: a no-op
    with pytest.raises(RuntimeError, match="does not require grad"):
        tensor([1.0]).retain_grad()
