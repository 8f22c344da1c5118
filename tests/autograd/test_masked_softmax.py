"""`masked_softmax` (attention weights over padded sources) and batched matmul, in float64."""

import numpy as np
import pytest

from seqlab.autograd import Tensor, gradcheck
from seqlab.autograd.nn import functional as F


def _reference(scores: np.ndarray, keep: np.ndarray) -> np.ndarray:
    weights = np.zeros_like(scores)
    for index in np.ndindex(scores.shape[:-1]):
        row, kept = scores[index], np.broadcast_to(keep, scores.shape)[index]
        exps = np.exp(row[kept] - row[kept].max())
        weights[index][kept] = exps / exps.sum()
    return weights


def test_masked_softmax_matches_reference_and_zeroes_masked_positions():
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((3, 4, 5)) * 10
    lengths = np.array([5, 2, 1])
    keep = (np.arange(5)[None, :] < lengths[:, None])[:, None, :]  # (N, 1, S)
    out = F.masked_softmax(Tensor(scores), keep).numpy()
    np.testing.assert_allclose(out, _reference(scores, keep), rtol=1e-12, atol=1e-15)
    assert (out[1, :, 2:] == 0).all() and (out[2, :, 1:] == 0).all()
    np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-12)


def test_masked_softmax_gradcheck_and_no_gradient_into_masked_scores():
    rng = np.random.default_rng(1)
    keep = np.array([[True, True, False, False], [True, True, True, True]])[:, None, :]
    scores = Tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    gradcheck(lambda s: F.masked_softmax(s, keep), [scores])
    (F.masked_softmax(scores, keep) * Tensor(rng.standard_normal((2, 3, 4)))).sum().backward()
    assert (scores.grad[0, :, 2:] == 0).all()


def test_masked_softmax_extreme_scores_stay_finite():
    scores = Tensor(np.array([[1e4, -1e4, 3e3], [-1e4, -1e4, 5.0]]))
    out = F.masked_softmax(scores, np.array([[True, True, False], [True, True, False]])).numpy()
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, [[1, 0, 0], [0.5, 0.5, 0]])


def test_masked_softmax_refuses_a_row_with_nothing_kept():
    with pytest.raises(ValueError, match="at least one position"):
        F.masked_softmax(Tensor(np.zeros((2, 3))), np.array([[True, False, False],
                                                             [False, False, False]]))


def test_batched_matmul_gradcheck():
    rng = np.random.default_rng(2)
    queries = Tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    keys = Tensor(rng.standard_normal((2, 5, 4)), requires_grad=True)
    gradcheck(lambda q, k: q @ k.transpose(1, 2), [queries, keys])
    np.testing.assert_allclose((queries @ keys.transpose(1, 2)).numpy(),
                               np.einsum("nth,nsh->nts", queries.numpy(), keys.numpy()))
