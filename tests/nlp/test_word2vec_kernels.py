"""word2vec Numba kernels against the plain-NumPy reference, finite differences and autograd."""

import bisect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.nlp.word2vec import kernels, reference
from seqlab.nlp.word2vec.vocab import build_huffman_tree, make_cum_table


def _tables(counts, vector_size, rng, dtype=np.float64):
    counts = np.asarray(counts, dtype=np.int64)
    vocab_size = len(counts)
    tree = build_huffman_tree(counts)
    cum_table = make_cum_table(counts, 0.75)
    return {
        "syn0": rng.uniform(-0.5, 0.5, (vocab_size, vector_size)).astype(dtype),
        "syn1neg": rng.uniform(-0.5, 0.5, (vocab_size, vector_size)).astype(dtype),
        "syn1": rng.uniform(-0.5, 0.5, (vocab_size, vector_size)).astype(dtype),
        "cum_table": cum_table,
        "cum_guide": kernels.make_cum_guide(cum_table),
        "tree": tree,
    }


@pytest.mark.kernels
@settings(deadline=None, max_examples=15)
@given(
    counts=st.lists(st.integers(1, 50), min_size=1, max_size=30),
    seed=st.integers(0, 2**40),
)
def test_draw_negatives_is_bisect_left_on_the_cum_table(counts, seed):
    cum_table = make_cum_table(np.array(counts, dtype=np.int64), 0.75)
    guide = kernels.make_cum_guide(cum_table)
    drawn = np.zeros(40, dtype=np.int64)
    after = kernels.draw_negatives(cum_table, guide, 40, seed, drawn)
    expected, expected_after = reference.draw_negatives(cum_table, 40, seed)
    assert (
        drawn.tolist()
        == expected
        == [
            bisect.bisect_left(cum_table.tolist(), value)
            for value in _values(seed, 40, int(cum_table[-1]))
        ]
    )
    assert after == expected_after


def _values(next_random, count, total):
    values = []
    for _ in range(count):
        values.append((next_random >> 16) % total)
        next_random = (next_random * 25214903917 + 11) & (2**48 - 1)
    return values


@pytest.mark.kernels
@pytest.mark.parametrize(
    ("sg", "hs", "negative", "cbow_mean", "shrink_windows"),
    [(1, 0, 3, 1, True), (0, 0, 3, 1, True), (0, 0, 2, 0, True), (1, 1, 0, 1, True),
     (0, 1, 2, 1, True), (1, 0, 3, 1, False), (0, 1, 2, 1, False)],
)
def test_train_chunk_matches_numpy_reference(sg, hs, negative, cbow_mean, shrink_windows):
    rng = np.random.default_rng(0)
    counts = [9, 7, 5, 4, 3, 2, 2, 1]
    tables = _tables(counts, 6, rng)
    words = rng.integers(0, len(counts), 40)
    ends = np.array([7, 7, 19, 33, 40], dtype=np.int64)  # includes an empty sentence
    sample_ints = np.array([2**31, 2**32 - 1, 2**30] + [2**32 - 1] * 5, dtype=np.int64)
    tree = tables["tree"]
    kernel_arrays = {k: tables[k].copy() for k in ("syn0", "syn1neg", "syn1")}
    ref_arrays = {k: tables[k].copy() for k in ("syn0", "syn1neg", "syn1")}
    work, neu1 = np.zeros(6), np.zeros(6)
    got = kernels.train_chunk(
        kernel_arrays["syn0"], kernel_arrays["syn1neg"], kernel_arrays["syn1"], words, ends,
        sample_ints, tables["cum_table"], tables["cum_guide"], tree.codes, tree.points,
        tree.codelens, sg, negative, hs, 3, cbow_mean, 0.5, 0.1, 12345, work, neu1, True,
        shrink_windows,
    )  # fmt: skip
    expected = reference.train_chunk(
        ref_arrays["syn0"], ref_arrays["syn1neg"], ref_arrays["syn1"], words, ends,
        sample_ints, tables["cum_table"], tree.codes, tree.points, tree.codelens,
        sg, negative, hs, 3, cbow_mean, 0.5, 0.1, 12345, shrink_windows,
    )  # fmt: skip
    assert got[0] == expected[0]  # same random stream consumed
    assert got[1] == expected[1]
    assert got[2] == pytest.approx(expected[2], rel=1e-10)
    for name in ("syn0", "syn1neg", "syn1"):
        np.testing.assert_allclose(kernel_arrays[name], ref_arrays[name], rtol=1e-10, atol=1e-12)
    assert not np.allclose(kernel_arrays["syn0"], tables["syn0"])  # training did something


def _pair_loss(syn0, syn1neg, input_index, target, negatives):
    h = syn0[input_index]
    loss = np.logaddexp(0.0, -(syn1neg[target] @ h))
    for row in negatives:
        loss += np.logaddexp(0.0, syn1neg[row] @ h)
    return loss


@pytest.mark.kernels
def test_negative_sampling_step_is_minus_alpha_times_finite_difference_gradient():
    rng = np.random.default_rng(1)
    syn0 = rng.normal(0, 0.5, (5, 4))
    syn1neg = rng.normal(0, 0.5, (5, 4))
    negatives = np.array([0, 3, 4])
    input_index, target, alpha = 2, 1, 0.1
    before0, before1 = syn0.copy(), syn1neg.copy()
    work = np.zeros(4)
    loss = kernels.negative_sampling_update(
        syn0[input_index], syn1neg, target, negatives, 3, alpha, work, True
    )
    syn0[input_index] += work
    assert loss == pytest.approx(_pair_loss(before0, before1, input_index, target, negatives))
    eps = 1e-6
    for matrix, after in ((before0, syn0), (before1, syn1neg)):
        numeric = np.zeros_like(matrix)
        for index in np.ndindex(matrix.shape):
            plus, minus = matrix.copy(), matrix.copy()
            plus[index] += eps
            minus[index] -= eps
            args0 = (plus, before1) if matrix is before0 else (before0, plus)
            args1 = (minus, before1) if matrix is before0 else (before0, minus)
            numeric[index] = (
                _pair_loss(*args0, input_index, target, negatives)
                - _pair_loss(*args1, input_index, target, negatives)
            ) / (2 * eps)
        np.testing.assert_allclose(after - matrix, -alpha * numeric, atol=1e-9)


@pytest.mark.kernels
def test_kernel_update_equals_autograd_gradient_of_the_same_loss():
    from seqlab.autograd import tensor

    rng = np.random.default_rng(2)
    vocab_size, dim = 7, 5
    syn0 = rng.normal(0, 0.5, (vocab_size, dim))
    syn1neg = rng.normal(0, 0.5, (vocab_size, dim))
    alpha = 0.05
    # a small batch of (input word, target word, negatives), distinct rows within each pair
    batch = [(0, 1, [2, 3]), (4, 5, [6, 2]), (3, 0, [1, 5])]
    for input_index, target, negatives in batch:
        h = tensor(syn0[input_index].copy(), requires_grad=True)
        outputs = tensor(syn1neg.copy(), requires_grad=True)
        scores = outputs[np.array([target, *negatives])] @ h  # (1 + negatives,)
        signs = tensor(np.array([1.0] + [-1.0] * len(negatives)))
        loss = -(scores * signs).sigmoid().log().sum()
        loss.backward()

        work = np.zeros(dim)
        syn1_before = syn1neg.copy()
        kernel_loss = kernels.negative_sampling_update(
            syn0[input_index], syn1neg, target, np.array(negatives), 2, alpha, work, True
        )
        assert kernel_loss == pytest.approx(float(np.asarray(loss.numpy())), rel=1e-12)
        np.testing.assert_allclose(work, -alpha * h.grad, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(syn1neg - syn1_before, -alpha * outputs.grad, atol=1e-15)
        syn0[input_index] += work
