"""cumsum, bmm, detach_, flip, repeat, topk, masked_select and F.cosine_similarity (qaB s23
item 6): values and gradients against PyTorch's numbers (tests/fixtures/torch_parity/small_ops.*,
written by make_small_ops_fixtures.py) and against finite differences in float64."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import seqlab.autograd as ag
from seqlab.autograd import gradcheck, tensor
from seqlab.autograd.nn import functional as F

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "torch_parity"))
from parity_cases import load_cases, seqlab_case  # the shared reader and runner, beside them

FIXTURES = Path(__file__).parents[1] / "fixtures" / "torch_parity"
RESULTS = FIXTURES / "small_ops.safetensors"  # PyTorch's numbers, by case
CASES = json.loads((FIXTURES / "small_ops.json").read_text())["cases"]


FUNCTIONS = {"cosine_similarity": F.cosine_similarity}  # the cases' functions that are not methods


@pytest.mark.parametrize("name", list(CASES))
def test_output_and_gradients_match_pytorch(name):
    stored = load_cases(RESULTS)[name]
    out, leaves = seqlab_case(CASES[name], stored, FUNCTIONS)
    if CASES[name]["fn"] == "topk":
        out, indices = out
        assert indices.dtype == np.int64
        np.testing.assert_array_equal(indices.numpy(), stored["indices"])
    np.testing.assert_allclose(out.numpy(), stored["out"].reshape(out.shape), rtol=1e-12,
                               atol=1e-14)
    out.backward(stored["cotangent"].reshape(out.shape))
    for key, leaf in leaves.items():
        np.testing.assert_allclose(leaf.grad, stored[f"grad_{key}"], rtol=1e-12, atol=1e-14,
                                   err_msg=key)


def leaf(*shape, seed=0):
    return tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def test_gradients_equal_finite_differences():
    x, y = leaf(3, 4), leaf(3, 4, seed=1)
    gradcheck(lambda t: t.cumsum(1), [x])
    gradcheck(lambda t: t.cumsum(-2), [x])
    gradcheck(lambda a, b: a.bmm(b), [leaf(2, 3, 4), leaf(2, 4, 2, seed=1)])
    gradcheck(lambda a, b: ag.bmm(a, b), [leaf(3, 1, 2), leaf(3, 2, 3, seed=1)])
    gradcheck(lambda t: t.flip(0, 1), [x])
    gradcheck(lambda t: t.repeat(2, 1, 3), [x])
    gradcheck(lambda t: t.topk(2, dim=1).values, [x])
    gradcheck(lambda t: t.topk(3, dim=0, largest=False).values, [x])
    mask = np.random.default_rng(2).random((3, 4)) > 0.5
    gradcheck(lambda t: t.masked_select(mask), [x])
    gradcheck(lambda t: t.masked_select(mask[0]), [x])  # (4,) broadcast over the rows
    gradcheck(lambda a, b: F.cosine_similarity(a, b, dim=1), [x, y])
    gradcheck(lambda a, b: F.cosine_similarity(a, b, dim=0), [x, leaf(3, 1, seed=3)])


def test_values_are_numpys():
    data = np.random.default_rng(4).standard_normal((2, 3, 4))
    t = tensor(data)
    np.testing.assert_allclose(t.cumsum(2).numpy(), np.cumsum(data, axis=2))
    np.testing.assert_array_equal(t.flip(-1).numpy(), data[..., ::-1])
    np.testing.assert_array_equal(t.repeat(1, 2, 1, 2).numpy(), np.tile(data, (1, 2, 1, 2)))
    values, indices = t.topk(2)
    np.testing.assert_array_equal(indices.numpy(), np.argsort(-data, axis=-1)[..., :2])
    np.testing.assert_array_equal(values.numpy(), np.sort(data, axis=-1)[..., ::-1][..., :2])
    np.testing.assert_array_equal(t.masked_select(t > 0).numpy(), data[data > 0])
    assert tensor([1, 2, 3], dtype=np.int32).cumsum(0).dtype == np.int64  # as PyTorch's
    assert tensor([True, True]).cumsum(0).tolist() == [1, 2]
    assert t.flip(0).numpy().base is None  # a copy, as torch.flip (never a view)


def test_topk_gradient_reaches_the_picked_entries_only():
    x = tensor(np.array([[0.5, 2.0, -1.0, 3.0]]), requires_grad=True)
    values, indices = x.topk(2)
    assert indices.tolist() == [[3, 1]] and values.tolist() == [[3.0, 2.0]]
    (values * tensor([[10.0, 1.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0, 0.0, 10.0]])
    ties = tensor(np.array([1.0, 2.0, 2.0, 0.0])).topk(1)
    assert ties.indices.tolist() == [1]  # ties in index order


def test_detach_in_place_cuts_the_tensor_from_the_graph():
    x = leaf(3)
    hidden = x * 2
    assert hidden.detach_() is hidden
    assert hidden.is_leaf and not hidden.requires_grad
    (x * 3 + hidden * 5).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full(3, 3.0))  # nothing through hidden


def test_detach_in_place_keeps_the_graph_recorded_before_it():
    """Ops that took the tensor before `detach_` still reach its old node (PyTorch: x.grad 10,
    hidden.grad None); only ops after it see a leaf without a gradient."""
    x = leaf(3)
    hidden = x * 2
    earlier = hidden * 5
    hidden.detach_()
    (earlier.sum() + (hidden * 7).sum()).backward()
    np.testing.assert_array_equal(x.grad, np.full(3, 10.0))
    assert hidden.grad is None and hidden.is_leaf


def test_topk_counts_nan_as_the_largest():
    """As torch.topk: NaN is larger than any number (picked first by largest, last by
    smallest), and the gradient goes to the picked entries."""
    x = tensor(np.array([[1.0, np.nan, 3.0, 2.0], [np.nan, 0.0, np.nan, 5.0]]),
               requires_grad=True)
    values, indices = x.topk(3)
    assert indices.tolist() == [[1, 2, 3], [0, 2, 3]]
    np.testing.assert_array_equal(values.data, [[np.nan, 3.0, 2.0], [np.nan, np.nan, 5.0]])
    values.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0, 1.0, 1.0], [1.0, 0.0, 1.0, 1.0]])
    assert x[0].topk(4, largest=False).indices.tolist() == [0, 3, 2, 1]


def test_bad_arguments_are_clear_errors():
    x = tensor(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"bmm: expected \(B, n, m\) and \(B, m, p\)"):
        x.bmm(tensor(np.zeros((2, 3, 4))))
    with pytest.raises(ValueError, match="bmm: both operands must be 3-D"):
        ag.bmm(x, tensor(np.zeros((4, 2))))
    with pytest.raises(ValueError, match=r"topk: k \(5\) must lie in \[0, 4\]"):
        x.topk(5)
    with pytest.raises(TypeError, match="masked_select needs a boolean mask"):
        x.masked_select(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="repeat: give at least one size per dim"):
        x.repeat(2, 2)
    with pytest.raises(IndexError):
        x.cumsum(3)
