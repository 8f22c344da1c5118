"""The torch-named ops added for qaB s20 item 10 against PyTorch's numbers
(tests/fixtures/torch_parity/functional.*, written by make_functional_fixtures.py) and against
finite differences in float64.

gelu (exact and tanh), softplus (beta, threshold), l1/smooth_l1/huber losses (beta, delta,
every reduction, differences exactly 0 and at the cut), binary_cross_entropy (probabilities
exactly 0 and 1, weights), pad (crop, value, a leading dim), pad_sequence (both layouts, left
padding), one_hot, Embedding max_norm (the rescaled table too) and one-argument where.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from seqlab.autograd import gradcheck, tensor, where
from seqlab.autograd.nn import functional as F
from seqlab.autograd.nn.utils import rnn

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "torch_parity"))
from parity_cases import load_cases  # the stored results' reader, beside them

FIXTURES = Path(__file__).parents[1] / "fixtures" / "torch_parity"
RESULTS = FIXTURES / "functional.safetensors"  # PyTorch's numbers, by case
SPEC = json.loads((FIXTURES / "functional.json").read_text())
CASES = SPEC["cases"]


def _leaf(array: np.ndarray):
    return tensor(np.array(array, dtype=np.float64), requires_grad=True)


def _call(case: dict, stored: dict[str, np.ndarray], leaves: dict):
    """Run the case in seqlab on the stored inputs; leaves get the inputs that need gradients."""
    kind, kwargs = case["kind"], dict(case["kwargs"])
    if kind == "unary":
        leaves["input"] = _leaf(stored["input"])
        return getattr(F, case["fn"])(leaves["input"], **kwargs)
    if kind in ("loss", "bce"):
        leaves["input"], leaves["target"] = _leaf(stored["input"]), _leaf(stored["target"])
        if "weight" in stored:
            kwargs["weight"] = stored["weight"]
        return getattr(F, case["fn"])(leaves["input"], leaves["target"], **kwargs)
    if kind == "pad":
        leaves["input"] = _leaf(stored["input"])
        return F.pad(leaves["input"], **kwargs)
    if kind == "pad_sequence":
        sequences = [_leaf(stored[f"seq{k}"]) for k in range(len(SPEC["sequence_lengths"]))]
        leaves.update({f"seq{k}": s for k, s in enumerate(sequences)})
        return rnn.pad_sequence(sequences, **kwargs)
    if kind == "embedding":
        leaves["weight"] = _leaf(stored["weight"])
        return F.embedding(stored["indices"], leaves["weight"], **kwargs)
    raise AssertionError(kind)


DIFFERENTIABLE = [name for name, case in CASES.items()
                  if case["kind"] not in ("one_hot", "where")]


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_values_and_gradients_match_pytorch(name):
    stored, leaves = load_cases(RESULTS)[name], {}
    out = _call(CASES[name], stored, leaves)
    np.testing.assert_allclose(out.numpy(), stored["out"], rtol=1e-12, atol=1e-12)
    out.backward(stored["cotangent"].reshape(out.shape))  # safetensors keeps 0-d as (1,)
    for key, leaf in leaves.items():
        # bce at probability 0 with target 1 has gradient -1e12 / n: relative tolerance only
        np.testing.assert_allclose(leaf.grad, stored[f"grad_{key}"], rtol=1e-10, atol=1e-12,
                                   err_msg=key)
    if CASES[name]["kind"] == "embedding":
        np.testing.assert_allclose(leaves["weight"].numpy(), stored["weight_after"], rtol=1e-12)


@pytest.mark.parametrize("name", ["one_hot", "one_hot_classes"])
def test_one_hot_matches_pytorch(name):
    stored = load_cases(RESULTS)[name]
    out = F.one_hot(stored["indices"], **CASES[name]["kwargs"])
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), stored["out"])


def test_where_with_the_condition_alone_matches_pytorch():
    stored = load_cases(RESULTS)["where_one_argument"]
    indices = where(tensor(stored["condition"].astype(bool)))
    assert len(indices) == 2 and all(index.dtype == np.int64 for index in indices)
    for k, index in enumerate(indices):
        np.testing.assert_array_equal(index.numpy(), stored[f"index{k}"])
    with pytest.raises(TypeError, match="both values"):
        where(tensor([True]), 1.0)


# Smooth points only (finite differences cannot cross a kink or a clamp)
GRADCHECK = {
    "gelu_none": lambda x: F.gelu(x),
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "softplus": lambda x: F.softplus(x, beta=2.0, threshold=5.0),
    "l1": lambda x: F.l1_loss(x, np.full(x.shape, 0.05), reduction="sum"),
    "smooth_l1": lambda x: F.smooth_l1_loss(x, np.full(x.shape, 0.05), beta=0.5),
    "huber": lambda x: F.huber_loss(x, np.full(x.shape, 0.05), reduction="none", delta=0.4),
    "bce": lambda x: F.binary_cross_entropy(x.sigmoid(), np.linspace(0, 1, x.shape[-1])
                                            * np.ones(x.shape), weight=np.arange(1, 5.0)),
    "pad": lambda x: F.pad(x, (1, -1, 0, 2), value=3.0),
    "pad_sequence": lambda x: rnn.pad_sequence([x, x[1:] * 2.0], batch_first=True),
}


@pytest.mark.parametrize("name", list(GRADCHECK))
def test_float64_gradients_match_finite_differences(name):
    x = tensor(np.linspace(-1.7, 1.9, 12).reshape(3, 4), requires_grad=True)
    assert gradcheck(GRADCHECK[name], [x])


def test_binary_cross_entropy_target_gradient_matches_finite_differences():
    x = tensor(np.linspace(0.1, 0.9, 6))
    t = tensor(np.linspace(0.0, 1.0, 6), requires_grad=True)
    assert gradcheck(lambda target: F.binary_cross_entropy(x, target), [t])
