"""`Tensor.backward` takes PyTorch's keywords: `gradient=` (seqlab's older `grad=` too), and
refuses `create_graph` / `inputs` in one line that names what is not supported."""

import numpy as np
import pytest

import seqlab.autograd as ag


def _leaf_and_output():
    leaf = ag.tensor(np.array([1.0, 2.0, 3.0]), dtype=np.float64, requires_grad=True)
    return leaf, leaf * leaf


@pytest.mark.parametrize("how", ["gradient", "grad", "positional"])
def test_the_given_gradient_reaches_the_leaf_by_every_spelling(how):
    leaf, out = _leaf_and_output()
    given = np.array([1.0, 10.0, 100.0])
    if how == "positional":
        out.backward(given)
    else:
        out.backward(**{how: given})
    np.testing.assert_array_equal(leaf.grad, 2 * leaf.data * given)


def test_gradient_and_grad_together_are_refused():
    _, out = _leaf_and_output()
    with pytest.raises(TypeError, match="gradient= or grad="):
        out.backward(gradient=np.ones(3), grad=np.ones(3))


@pytest.mark.parametrize(("keyword", "value", "says"), [
    ("create_graph", True, "double backward"),
    ("inputs", None, "backward to chosen inputs"),
])
def test_unsupported_keywords_are_refused_in_one_line(keyword, value, says):
    leaf, out = _leaf_and_output()
    value = [leaf] if keyword == "inputs" else value
    with pytest.raises(NotImplementedError, match=says) as caught:
        out.sum().backward(**{keyword: value})
    assert "\n" not in str(caught.value)
    assert leaf.grad is None  # refused before any work


def test_create_graph_false_and_retain_graph_none_are_torchs_defaults():
    leaf, out = _leaf_and_output()
    total = out.sum()
    total.backward(retain_graph=True, create_graph=False)
    total.backward(retain_graph=None)
    np.testing.assert_array_equal(leaf.grad, 4 * leaf.data)
