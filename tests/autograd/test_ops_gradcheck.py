"""Float64 finite-difference checks of every op's gradient over generated shapes.

Shapes come from hypothesis (including broadcasting pairs); values come from a NumPy
generator seeded by hypothesis and are kept away from the kinks of abs/relu/clamp/max, from
zero for log/sqrt/division, and from ties for max/min.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seqlab.autograd as ag
from seqlab.autograd import Tensor, gradcheck

EXAMPLES = settings(deadline=None, max_examples=12)

shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)
nonscalar_shapes = st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple)
seeds = st.integers(0, 2**32 - 1)


@st.composite
def broadcast_pairs(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Two shapes that broadcast together: the second drops leading dims / has size-1 dims."""
    full = draw(shapes)
    dropped = draw(st.integers(0, len(full)))
    other = tuple(1 if draw(st.booleans()) else size for size in full[dropped:])
    return (full, other) if draw(st.booleans()) else (other, full)


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values with |x| in [0.3, 2] and random signs."""
    return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def positive(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(0.3, 2.0, shape)


def distinct(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values at least 0.1 apart, so max/min have no ties within a finite-difference step."""
    count = int(np.prod(shape))
    return (rng.permutation(count) * 0.1 - 1.0).reshape(shape)


def leaf(array: np.ndarray) -> Tensor:
    return Tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def check(fn, *arrays: np.ndarray) -> None:
    assert gradcheck(fn, [leaf(a) for a in arrays], eps=1e-6, atol=1e-6, rtol=1e-4)


# ------------------------------------------------------------------ binary, with broadcasting
BINARY = {
    "add": (lambda a, b: a + b, away_from_zero),
    "sub": (lambda a, b: a - b, away_from_zero),
    "mul": (lambda a, b: a * b, away_from_zero),
    "div": (lambda a, b: a / b, away_from_zero),
    "pow": (lambda a, b: a**b, positive),
    "maximum": (lambda a, b: a.maximum(b), distinct),
    "minimum": (lambda a, b: a.minimum(b), distinct),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@EXAMPLES
@given(pair=broadcast_pairs(), seed=seeds)
def test_binary_ops_with_broadcasting(name, pair, seed):
    fn, values = BINARY[name]
    rng = np.random.default_rng(seed)
    left = values(rng, pair[0])
    right = values(rng, pair[1]) + (0.05 if values is distinct else 0.0)  # no cross ties
    check(fn, left, right)


@EXAMPLES
@given(shape=shapes, seed=seeds, scalar=st.floats(0.5, 3.0))
def test_ops_with_python_scalars_and_reflected_forms(shape, seed, scalar):
    x = positive(np.random.default_rng(seed), shape)
    check(lambda a: scalar - a, x)
    check(lambda a: scalar / a, x)
    check(lambda a: scalar * a + scalar, x)
    check(lambda a: scalar**a, x)
    check(lambda a: a**scalar, x)
    check(lambda a: a ** np.float64(2.0), x)


@EXAMPLES
@given(pair=broadcast_pairs(), seed=seeds)
def test_where_and_masked_fill(pair, seed):
    rng = np.random.default_rng(seed)
    condition = rng.random(pair[1]) < 0.5
    check(lambda a, b: ag.where(condition, a, b), away_from_zero(rng, pair[0]),
          away_from_zero(rng, pair[1]))
    check(lambda a: a.masked_fill(Tensor(condition), -5.0), away_from_zero(rng, pair[0]))


MATMUL_SHAPES = [
    ((2, 3), (3, 4)),
    ((3,), (3, 4)),
    ((2, 3), (3,)),
    ((3,), (3,)),
    ((2, 2, 3), (3, 4)),
    ((2, 2, 3), (2, 3, 4)),
    ((1, 2, 3), (2, 3, 4)),
    ((2, 1, 2, 3), (3, 3, 1)),
    ((3,), (2, 3, 4)),
]


@pytest.mark.parametrize(("left", "right"), MATMUL_SHAPES)
def test_matmul_including_batched_and_vector_rules(left, right):
    rng = np.random.default_rng(0)
    check(lambda a, b: a @ b, rng.standard_normal(left), rng.standard_normal(right))


# ------------------------------------------------------------------ unary
UNARY = {
    "neg": (lambda a: -a, away_from_zero),
    "exp": (lambda a: a.exp(), away_from_zero),
    "log": (lambda a: a.log(), positive),
    "sqrt": (lambda a: a.sqrt(), positive),
    "abs": (lambda a: a.abs(), away_from_zero),
    "tanh": (lambda a: a.tanh(), away_from_zero),
    "sigmoid": (lambda a: a.sigmoid(), away_from_zero),
    "relu": (lambda a: a.relu(), away_from_zero),
    "clamp": (lambda a: a.clamp(-1.0, 1.0), away_from_zero),
    "clamp_min": (lambda a: a.clamp(min=0.5), away_from_zero),
    "clone": (lambda a: a.clone() * 2, away_from_zero),
    "double": (lambda a: a.double() * 2, away_from_zero),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@EXAMPLES
@given(shape=shapes, seed=seeds)
def test_unary_ops(name, shape, seed):
    fn, values = UNARY[name]
    x = values(np.random.default_rng(seed), shape)
    if name == "clamp":  # stay off the bounds as well as off zero
        x = np.where(np.abs(np.abs(x) - 1.0) < 0.05, x * 0.8, x)
    if name == "clamp_min":
        x = np.where(np.abs(x - 0.5) < 0.05, x + 0.2, x)
    check(fn, x)


# ------------------------------------------------------------------ reductions
@st.composite
def shape_and_dims(draw: st.DrawFn) -> tuple[tuple[int, ...], object]:
    shape = draw(nonscalar_shapes)
    choice = draw(st.sampled_from(["none", "int", "negative", "tuple"]))
    if choice == "none":
        return shape, None
    if choice == "int":
        return shape, draw(st.integers(0, len(shape) - 1))
    if choice == "negative":
        return shape, draw(st.integers(-len(shape), -1))
    dims = draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True))
    return shape, tuple(dims)


@EXAMPLES
@given(case=shape_and_dims(), keepdim=st.booleans(), seed=seeds)
def test_sum_mean_logsumexp_var_over_dims(case, keepdim, seed):
    shape, dim = case
    x = away_from_zero(np.random.default_rng(seed), shape)
    check(lambda a: a.sum(dim, keepdim=keepdim), x)
    check(lambda a: a.mean(dim, keepdim=keepdim), x)
    check(lambda a: a.logsumexp(dim if dim is not None else 0, keepdim=keepdim), x)
    reduced = int(np.prod([shape[d] for d in ([dim] if isinstance(dim, int) else dim or [])]))
    if (dim is None and int(np.prod(shape)) > 1) or (dim is not None and reduced > 1):
        # var and std are only finite and differentiable with two or more values
        check(lambda a: a.var(dim, keepdim=keepdim), x)
        check(lambda a: a.std(dim, keepdim=keepdim, correction=0), x)


@EXAMPLES
@given(shape=nonscalar_shapes, data=st.data(), keepdim=st.booleans(), seed=seeds)
def test_max_min_along_dim_and_full(shape, data, keepdim, seed):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = distinct(np.random.default_rng(seed), shape)
    check(lambda a: a.max(dim, keepdim=keepdim).values, x)
    check(lambda a: a.min(dim=dim, keepdim=keepdim).values, x)
    check(lambda a: a.max(), x)
    check(lambda a: a.min(), x)


@EXAMPLES
@given(shape=nonscalar_shapes, data=st.data(), seed=seeds)
def test_softmax_and_log_softmax(shape, data, seed):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = away_from_zero(np.random.default_rng(seed), shape)
    check(lambda a: a.softmax(dim), x)
    check(lambda a: a.log_softmax(dim=dim), x)


# ------------------------------------------------------------------ shape ops
@EXAMPLES
@given(shape=nonscalar_shapes, data=st.data(), seed=seeds)
def test_reshape_flatten_permute_transpose_squeeze_unsqueeze(shape, data, seed):
    x = away_from_zero(np.random.default_rng(seed), shape)
    ndim = len(shape)
    order = tuple(data.draw(st.permutations(range(ndim))))
    check(lambda a: a.reshape(-1), x)
    check(lambda a: a.view(int(np.prod(shape)), 1), x)
    check(lambda a: a.flatten(), x)
    check(lambda a: a.permute(*order), x)
    check(lambda a: a.permute(order), x)
    check(lambda a: a.transpose(0, -1), x)
    check(lambda a: a.T, x)
    position = data.draw(st.integers(-ndim - 1, ndim))
    check(lambda a: a.unsqueeze(position), x)
    check(lambda a: a.unsqueeze(0).squeeze(), x)
    check(lambda a: a.unsqueeze(-1).squeeze(-1), x)


@EXAMPLES
@given(shape=shapes, seed=seeds, extra=st.integers(1, 3))
def test_expand(shape, seed, extra):
    x = away_from_zero(np.random.default_rng(seed), tuple(1 for _ in shape))
    target = (extra, *[size + 1 for size in shape])
    check(lambda a: a.expand(*target) * 1.5, x)
    check(lambda a: a.expand(target), x)


@EXAMPLES
@given(shape=nonscalar_shapes, data=st.data(), seed=seeds)
def test_split_chunk_cat_stack(shape, data, seed):
    rng = np.random.default_rng(seed)
    dim = data.draw(st.integers(0, len(shape) - 1))
    x = away_from_zero(rng, shape)
    size = data.draw(st.integers(1, shape[dim]))
    chunks = data.draw(st.integers(1, 4))
    check(lambda a: a.split(size, dim=dim), x)
    # Only the first piece is used: the others' gradients must come back as zeros.
    check(lambda a: a.chunk(chunks, dim)[0] * 3, x)
    y = away_from_zero(rng, shape)
    check(lambda a, b: ag.cat([a, b, a], dim=dim), x, y)
    check(lambda a, b: ag.stack([a, b], dim=dim), x, y)
    check(lambda a, b: ag.stack((a, b), dim=-1), x, y)


# ------------------------------------------------------------------ indexing
@EXAMPLES
@given(shape=nonscalar_shapes, seed=seeds)
def test_basic_indexing(shape, seed):
    x = away_from_zero(np.random.default_rng(seed), shape)
    check(lambda a: a[0], x)
    check(lambda a: a[-1:], x)
    check(lambda a: a[..., ::2], x)
    check(lambda a: a[None, :, ...], x)


@EXAMPLES
@given(shape=nonscalar_shapes, seed=seeds, count=st.integers(1, 6))
def test_integer_array_indexing_with_repeats_and_boolean_masks(shape, seed, count):
    rng = np.random.default_rng(seed)
    x = away_from_zero(rng, shape)
    rows = rng.integers(0, shape[0], count)  # repeats are likely
    check(lambda a: a[rows], x)
    check(lambda a: a[Tensor(rows)], x)
    check(lambda a: a[list(rows)], x)
    mask = rng.random(shape) < 0.5
    check(lambda a: a[mask], x)
    if len(shape) >= 2:
        cols = rng.integers(0, shape[1], count)
        check(lambda a: a[rows, cols], x)
        check(lambda a: a[:, cols], x)


@EXAMPLES
@given(shape=nonscalar_shapes, data=st.data(), seed=seeds)
def test_gather(shape, data, seed):
    rng = np.random.default_rng(seed)
    dim = data.draw(st.integers(0, len(shape) - 1))
    index_shape = tuple(data.draw(st.integers(1, size)) for size in shape)
    index_shape = (*index_shape[:dim], data.draw(st.integers(1, 4)), *index_shape[dim + 1 :])
    index = rng.integers(0, shape[dim], index_shape)
    check(lambda a: a.gather(dim, index), away_from_zero(rng, shape))


def test_composed_expression_mlp_layer():
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    targets = np.array([0, 4, 2, 2])
    check(lambda x, w, b: -(x @ w + b).tanh().log_softmax(1)[np.arange(4), targets].mean(),
          x, w, b)
