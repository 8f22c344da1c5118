"""Tensor construction, dtypes, values of every op against NumPy, and the PyTorch-style API."""

from __future__ import annotations

import numpy as np

import seqlab.autograd as ag
from seqlab.autograd import Tensor


def leaf(values, dtype=np.float64) -> Tensor:
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# ------------------------------------------------------------------ construction and dtypes
def test_python_floats_become_float32_and_ints_int64():
    assert ag.tensor([1.0, 2.0]).dtype == np.float32
    assert ag.tensor(3.5).dtype == np.float32
    assert ag.tensor([1, 2]).dtype == np.int64
    assert ag.tensor([True, False]).dtype == np.bool_
    assert ag.tensor([1.0], dtype=ag.float64).dtype == np.float64


def test_ndarrays_keep_their_dtype_and_tensor_copies_them():
    array = np.arange(3.0)
    assert Tensor(array).dtype == np.float64 and Tensor(array).data is array
    copied = ag.tensor(array)
    array[0] = 100.0
    assert copied.data[0] == 0.0


def test_constructors_shapes_dtypes_and_seeded_generators():
    assert ag.zeros(2, 3).shape == (2, 3) and ag.zeros((2, 3)).dtype == np.float32
    np.testing.assert_array_equal(ag.ones(2, dtype=ag.float64).data, [1.0, 1.0])
    np.testing.assert_array_equal(ag.full((2,), 7.0).data, [7.0, 7.0])
    like = ag.zeros_like(Tensor(np.ones((2, 2))), dtype=np.dtype(np.float32))
    assert like.dtype == np.float32 and ag.ones_like(Tensor(np.ones(2))).dtype == np.float64
    a = ag.randn(3, 4, generator=np.random.default_rng(5))
    b = ag.randn(3, 4, generator=5)
    np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(
        a.data, np.random.default_rng(5).standard_normal((3, 4)).astype(np.float32)
    )
    u = ag.rand(1000, generator=1)
    assert u.data.min() >= 0 and u.data.max() < 1
    assert ag.randn(2, requires_grad=True).requires_grad
    ag.manual_seed(3)
    first = ag.randn(4).data
    ag.manual_seed(3)
    np.testing.assert_array_equal(first, ag.randn(4).data)


def test_arange_follows_pytorch_dtype_rules():
    assert ag.arange(5).dtype == np.int64 and ag.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert ag.arange(0, 1, 0.25).dtype == np.float32
    np.testing.assert_allclose(ag.arange(1.0, 2.0, 0.5).data, [1.0, 1.5])


def test_properties_and_conversions():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    assert x.shape == (2, 3) and x.size() == (2, 3) and x.size(1) == 3 and x.size(-1) == 3
    assert x.ndim == 2 and x.dim() == 2 and x.numel() == 6 and len(x) == 2
    assert x.numpy() is x.data and x.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert Tensor(np.array([4.5])).item() == 4.5 and float(Tensor(2.0)) == 2.0
    assert int(Tensor(np.array(3))) == 3
    assert x.float().dtype == np.float32 and x.double() is x and x.long().dtype == np.int64
    assert x.to(np.float32).dtype == np.float32 and x.int().dtype == np.int32
    assert x.is_leaf and np.asarray(x) is x.data
    assert f"{Tensor(np.array(0.123456)):.3f}" == "0.123"
    assert "requires_grad=True" in repr(leaf([1.0]))


def test_float_to_float_cast_is_differentiable():
    x = leaf([1.0, 2.0])
    y = x.float()
    assert y.dtype == np.float32 and y.requires_grad
    (y * 2).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [2.0, 2.0]


def test_clone_copies_data_and_keeps_the_graph():
    x = leaf([1.0, 2.0])
    y = x.clone()
    assert y.data is not x.data and y.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_python_scalars_and_arrays_keep_the_tensor_dtype():
    x = Tensor(np.ones(2, np.float32))
    for result in (x + 1, 1 + x, x * 2.5, x / np.float64(3.0), x - np.array([1.0, 2.0]),
                   2.0**x, x**2, x @ np.ones((2, 2))):
        assert result.dtype == np.float32


def test_numpy_arrays_on_the_left_use_the_tensor_reflected_ops():
    x = leaf([1.0, 2.0])
    y = np.array([3.0, 4.0]) * x
    assert isinstance(y, Tensor) and y.requires_grad
    z = np.array([1.0, 1.0]) - x
    np.testing.assert_allclose(z.data, [0.0, -1.0])


# ------------------------------------------------------------------ values against NumPy
def test_elementwise_values_match_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.5, 2, (3, 4)), rng.uniform(0.5, 2, (4,))
    ta, tb = Tensor(a), Tensor(b)
    pairs = [
        (ta + tb, a + b), (ta - tb, a - b), (ta * tb, a * b), (ta / tb, a / b),
        (ta**tb, a**b), (-ta, -a), (ta.exp(), np.exp(a)), (ta.log(), np.log(a)),
        (ta.sqrt(), np.sqrt(a)), ((ta - 1).abs(), np.abs(a - 1)), (ta.tanh(), np.tanh(a)),
        ((ta - 1).sigmoid(), 1 / (1 + np.exp(1 - a))), ((ta - 1).relu(), np.maximum(a - 1, 0)),
        (ta.clamp(0.8, 1.5), np.clip(a, 0.8, 1.5)), (ta.clamp(max=1.0), np.minimum(a, 1.0)),
        (ta.maximum(tb), np.maximum(a, b)), (ta.minimum(tb), np.minimum(a, b)),
        (ta.max(tb), np.maximum(a, b)), (abs(ta - 1), np.abs(a - 1)),
    ]
    for got, expected in pairs:
        np.testing.assert_allclose(got.data, expected, rtol=1e-12)


def test_matmul_values_match_numpy_including_batched_and_vectors():
    rng = np.random.default_rng(1)
    for left, right in [((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((3,), (3,)), ((3,), (2, 3, 4))]:
        a, b = rng.standard_normal(left), rng.standard_normal(right)
        np.testing.assert_allclose((Tensor(a) @ Tensor(b)).data, np.matmul(a, b))
        np.testing.assert_allclose(Tensor(a).matmul(b).data, np.matmul(a, b))


def test_comparisons_give_boolean_tensors_without_gradient():
    x = leaf([1.0, 2.0, 3.0])
    for result, expected in [(x > 1.5, [False, True, True]), (x <= 2, [True, True, False]),
                             (x == 2, [False, True, False]), (x != 2, [True, False, True]),
                             (x < Tensor(np.array([2.0, 2.0, 2.0])), [True, False, False]),
                             (x >= 3, [False, False, True])]:
        assert result.dtype == np.bool_ and not result.requires_grad
        assert result.tolist() == expected
    mask = (x > 1.5) & ~(x > 2.5)
    assert mask.tolist() == [False, True, False] and ((x > 2.5) | (x < 1.5)).tolist() == [
        True, False, True]
    assert (x > 0).all().item() and (x > 2.5).any().item() and not (x > 5).any().item()


def test_where_and_masked_fill_values():
    x = Tensor(np.array([[1.0, -2.0], [3.0, -4.0]]))
    np.testing.assert_array_equal(ag.where(x > 0, x, 0.0).data, [[1.0, 0.0], [3.0, 0.0]])
    np.testing.assert_array_equal(ag.where(x > 0, 1.0, x).data, [[1.0, -2.0], [1.0, -4.0]])
    filled = x.masked_fill(x < 0, -1e9)
    np.testing.assert_array_equal(filled.data, [[1.0, -1e9], [3.0, -1e9]])
    row_mask = Tensor(np.array([True, False]))  # broadcasts over rows
    np.testing.assert_array_equal(x.masked_fill(row_mask, 0.0).data, [[0.0, -2.0], [0.0, -4.0]])


def test_reductions_match_numpy():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((2, 3, 4))
    x = Tensor(a)
    np.testing.assert_allclose(x.sum().data, a.sum())
    np.testing.assert_allclose(x.sum(1).data, a.sum(1))
    np.testing.assert_allclose(x.sum((0, 2), keepdim=True).data, a.sum((0, 2), keepdims=True))
    np.testing.assert_allclose(x.mean(-1).data, a.mean(-1))
    np.testing.assert_allclose(x.var(1).data, a.var(1, ddof=1))
    np.testing.assert_allclose(x.var(1, unbiased=False).data, a.var(1))
    np.testing.assert_allclose(x.std().data, a.std(ddof=1))
    np.testing.assert_allclose(x.logsumexp(2).data, np.log(np.exp(a).sum(2)))
    np.testing.assert_allclose(x.max().data, a.max())
    np.testing.assert_allclose(x.min().data, a.min())
    assert x.argmax().item() == a.argmax() and x.argmin(1).tolist() == a.argmin(1).tolist()
    assert x.argmax(1, keepdim=True).shape == (2, 1, 4)


def test_max_and_min_along_dim_return_values_and_indices():
    a = np.array([[1.0, 5.0, 3.0], [7.0, 0.0, 2.0]])
    x = leaf(a)
    result = x.max(dim=1)
    values, indices = result
    assert result.values is values and result.indices is indices
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert indices.dtype == np.int64
    low = x.min(0, keepdim=True)
    assert low.values.tolist() == [[1.0, 0.0, 2.0]] and low.indices.tolist() == [[0, 1, 1]]
    values.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 1, 0], [1, 0, 0]])


def test_full_max_splits_the_gradient_between_ties():
    x = leaf([1.0, 3.0, 3.0])
    x.max().backward()
    np.testing.assert_allclose(x.grad, [0.0, 0.5, 0.5])


def test_softmax_and_log_softmax_values():
    a = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    expected = np.exp(a) / np.exp(a).sum(1, keepdims=True)
    np.testing.assert_allclose(Tensor(a).softmax(1).data, expected)
    np.testing.assert_allclose(Tensor(a).log_softmax(-1).data, np.log(expected))
    np.testing.assert_allclose(Tensor(a).softmax(0).data.sum(0), [1.0, 1.0, 1.0])


# ------------------------------------------------------------------ shape ops
def test_reshape_view_flatten_permute_transpose():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = Tensor(a)
    np.testing.assert_array_equal(x.reshape(6, 4).data, a.reshape(6, 4))
    np.testing.assert_array_equal(x.view((4, -1)).data, a.reshape(4, 6))
    assert x.reshape(2, 3, 4) is x
    np.testing.assert_array_equal(x.flatten().data, a.ravel())
    assert x.flatten(1).shape == (2, 12) and x.flatten(0, 1).shape == (6, 4)
    assert Tensor(np.array(3.0)).flatten().shape == (1,)
    np.testing.assert_array_equal(x.permute(2, 0, 1).data, a.transpose(2, 0, 1))
    np.testing.assert_array_equal(x.permute((1, 0, 2)).data, a.transpose(1, 0, 2))
    np.testing.assert_array_equal(x.transpose(0, 2).data, a.swapaxes(0, 2))
    np.testing.assert_array_equal(x.T.data, a.T)
    m = Tensor(a[0])
    np.testing.assert_array_equal(m.t().data, a[0].T)


def test_squeeze_unsqueeze_expand():
    x = Tensor(np.zeros((1, 3, 1, 2)))
    assert x.squeeze().shape == (3, 2)
    assert x.squeeze(0).shape == (3, 1, 2) and x.squeeze(1).shape == (1, 3, 1, 2)
    assert x.squeeze(-2).shape == (1, 3, 2) and x.squeeze((0, 2)).shape == (3, 2)
    assert x.unsqueeze(0).shape == (1, 1, 3, 1, 2) and x.unsqueeze(-1).shape == (1, 3, 1, 2, 1)
    assert x.unsqueeze(4).shape == (1, 3, 1, 2, 1) and x.unsqueeze(-5).shape == (1, 1, 3, 1, 2)
    column = Tensor(np.array([[1.0], [2.0]]))
    np.testing.assert_array_equal(column.expand(2, 3).data, [[1, 1, 1], [2, 2, 2]])
    assert column.expand(4, -1, 3).shape == (4, 2, 3)
    assert column.expand_as(Tensor(np.zeros((2, 5)))).shape == (2, 5)


def test_cat_stack_split_chunk():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(6.0, 12.0).reshape(2, 3)
    x, y = Tensor(a), Tensor(b)
    np.testing.assert_array_equal(ag.cat([x, y]).data, np.concatenate([a, b]))
    np.testing.assert_array_equal(ag.cat((x, y), dim=-1).data, np.concatenate([a, b], 1))
    np.testing.assert_array_equal(ag.stack([x, y], dim=1).data, np.stack([a, b], 1))
    pieces = Tensor(np.arange(10.0)).split(4)
    assert [p.tolist() for p in pieces] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    pieces = Tensor(np.arange(10.0)).split([2, 0, 8])
    assert [p.shape for p in pieces] == [(2,), (0,), (8,)]
    assert [p.shape for p in x.split(1, dim=1)] == [(2, 1)] * 3
    assert [p.shape for p in Tensor(np.arange(10.0)).chunk(3)] == [(4,), (4,), (2,)]
    assert [p.shape for p in Tensor(np.arange(6.0)).chunk(4)] == [(2,), (2,), (2,)]
    assert len(Tensor(np.arange(2.0)).chunk(5)) == 2


def test_cat_and_stack_backward_route_gradients_to_each_input():
    x, y = leaf([1.0, 2.0]), leaf([3.0])
    (ag.cat([x, y]) * Tensor(np.array([1.0, 2.0, 3.0]))).sum().backward()
    assert x.grad.tolist() == [1.0, 2.0] and y.grad.tolist() == [3.0]
    p, q = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (ag.stack([p, q], dim=1) * Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))).sum().backward()
    assert p.grad.tolist() == [1.0, 3.0] and q.grad.tolist() == [2.0, 4.0]


# ------------------------------------------------------------------ indexing
def test_basic_and_advanced_indexing_values():
    a = np.arange(12.0).reshape(3, 4)
    x = Tensor(a)
    np.testing.assert_array_equal(x[1].data, a[1])
    np.testing.assert_array_equal(x[:, 1:3].data, a[:, 1:3])
    np.testing.assert_array_equal(x[..., -1].data, a[..., -1])
    np.testing.assert_array_equal(x[[0, 2, 0]].data, a[[0, 2, 0]])
    np.testing.assert_array_equal(x[Tensor(np.array([2, 1])), 0].data, a[[2, 1], 0])
    np.testing.assert_array_equal(x[x > 5].data, a[a > 5])
    for i, row in enumerate(x):
        np.testing.assert_array_equal(row.data, a[i])


def test_repeated_integer_indices_scatter_add_in_backward():
    x = leaf([10.0, 20.0, 30.0])
    x[np.array([0, 2, 0, 0])].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]
    m = leaf(np.zeros((2, 3)))
    rows, cols = np.array([0, 0, 1, 0]), np.array([1, 1, 2, 1])
    (m[rows, cols] * Tensor(np.array([1.0, 2.0, 3.0, 4.0]))).sum().backward()
    np.testing.assert_array_equal(m.grad, [[0, 7, 0], [0, 0, 3]])


def test_gather_values_and_backward_with_repeats():
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    x = leaf(a)
    index = np.array([[0, 0], [2, 1]])
    out = x.gather(1, index)
    np.testing.assert_array_equal(out.data, [[1.0, 1.0], [6.0, 5.0]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [[2, 0, 0], [0, 1, 1]])
    rows = Tensor(a).gather(0, Tensor(np.array([[1, 0, 1]])))
    np.testing.assert_array_equal(rows.data, [[4.0, 2.0, 6.0]])


def test_in_place_writes_are_allowed_off_the_graph():
    x = Tensor(np.zeros(3))
    x[1] = 5.0
    x[Tensor(np.array([0]))] = Tensor(np.array([2.0]))
    assert x.tolist() == [2.0, 5.0, 0.0]
    assert x.fill_(1.0).tolist() == [1.0, 1.0, 1.0] and x.zero_().tolist() == [0.0, 0.0, 0.0]
    assert x.copy_(np.arange(3.0)).tolist() == [0.0, 1.0, 2.0]
    parameter = leaf([1.0, 2.0])
    with ag.no_grad():
        parameter[0] = 9.0
        parameter.zero_()
    assert parameter.tolist() == [0.0, 0.0]


def test_requires_grad_and_detach():
    x = Tensor(np.ones(2))
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not (x * 2).requires_grad
    y = leaf([1.0]) * 2
    assert not y.is_leaf and y.detach().is_leaf and not y.detach().requires_grad


def test_multiplying_a_float_tensor_by_a_boolean_mask():
    x = leaf([1.0, 2.0, 3.0])
    (x * (x > 1.5)).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0]
