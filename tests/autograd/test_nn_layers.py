"""Linear, Embedding, LayerNorm, Dropout and nn.init: values against NumPy, float64 gradchecks."""

import math

import numpy as np
import pytest

import seqlab.autograd.nn.functional as F
from seqlab.autograd import Tensor, gradcheck, manual_seed, nn
from seqlab.autograd.nn import init

RNG = np.random.default_rng(99)


# ----------------------------------------------------------------- Linear
def test_linear_shapes_values_and_pytorch_init_bounds():
    layer = nn.Linear(50, 7, generator=0)
    assert layer.weight.shape == (7, 50) and layer.bias.shape == (7,)
    assert layer.weight.dtype == np.float32
    bound = 1 / math.sqrt(50)
    for parameter in (layer.weight, layer.bias):
        assert np.all(np.abs(parameter.numpy()) <= bound)
    assert np.abs(layer.weight.numpy()).max() > 0.9 * bound  # spread over the whole range
    x = RNG.standard_normal((2, 3, 50)).astype(np.float32)
    expected = x @ layer.weight.numpy().T + layer.bias.numpy()
    np.testing.assert_allclose(layer(Tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_linear_init_is_repeatable_with_a_seed_and_draws_weight_then_bias():
    a, b = nn.Linear(4, 3, generator=5), nn.Linear(4, 3, generator=5)
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())
    rng = np.random.default_rng(5)
    bound = 1 / math.sqrt(4)
    np.testing.assert_allclose(a.weight.numpy(), rng.uniform(-bound, bound, (3, 4)), rtol=1e-6)
    np.testing.assert_allclose(a.bias.numpy(), rng.uniform(-bound, bound, 3), rtol=1e-6)


def test_linear_without_bias_and_gradcheck():
    layer = nn.Linear(3, 2, bias=False, dtype=np.float64, generator=1)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    x = Tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    gradcheck(lambda x, w: F.linear(x, w), [x, layer.weight])
    biased = nn.Linear(3, 2, dtype=np.float64, generator=2)
    x3 = Tensor(RNG.standard_normal((2, 4, 3)), requires_grad=True)
    gradcheck(lambda x, w, b: F.linear(x, w, b), [x3, biased.weight, biased.bias])


def test_linear_rejects_mismatched_input():
    with pytest.raises(ValueError, match="in_features 3"):
        nn.Linear(3, 2)(Tensor(np.zeros((2, 4), dtype=np.float32)))


# ----------------------------------------------------------------- Embedding
def test_embedding_lookup_init_and_padding_row():
    table = nn.Embedding(10, 4, padding_idx=-1, generator=3)
    assert table.padding_idx == 9
    assert np.all(table.weight.numpy()[9] == 0)
    rng = np.random.default_rng(3)
    expected = rng.standard_normal((10, 4)).astype(np.float32)
    np.testing.assert_array_equal(table.weight.numpy()[:9], expected[:9])
    indices = np.array([[1, 9, 1], [0, 3, 9]])
    out = table(indices)
    assert out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out.numpy(), table.weight.numpy()[indices])


def test_embedding_gradient_scatter_adds_and_skips_padding():
    table = nn.Embedding(5, 3, padding_idx=2, dtype=np.float64, generator=0)
    indices = np.array([0, 2, 0, 4, 2])
    upstream = RNG.standard_normal((5, 3))
    table(indices).backward(upstream)
    expected = np.zeros((5, 3))
    for position, index in enumerate(indices):
        if index != 2:
            expected[index] += upstream[position]
    np.testing.assert_allclose(table.weight.grad, expected)
    assert np.all(table.weight.grad[2] == 0)
    weight = Tensor(RNG.standard_normal((5, 3)), requires_grad=True)
    gradcheck(lambda w: F.embedding(np.array([[0, 1], [1, 4]]), w), [weight])


def test_embedding_from_pretrained_and_errors():
    vectors = RNG.standard_normal((4, 2))
    frozen = nn.Embedding.from_pretrained(vectors)
    assert not frozen.weight.requires_grad
    np.testing.assert_array_equal(frozen(np.array([3])).numpy(), vectors[[3]])
    vectors[3] = 0  # a copy was taken
    assert np.all(frozen.weight.numpy()[3] != 0)
    trainable = nn.Embedding.from_pretrained(RNG.standard_normal((4, 2)), freeze=False,
                                             padding_idx=0)
    assert trainable.weight.requires_grad and trainable.padding_idx == 0
    with pytest.raises(IndexError, match="embedding index 4 is out of range for 4 embeddings"):
        trainable(np.array([1, 4]))
    with pytest.raises(ValueError, match="2-D array"):
        nn.Embedding.from_pretrained(np.zeros(3))
    with pytest.raises(ValueError, match="padding_idx 5 is out of range"):
        nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(TypeError, match="indices must be integers"):
        trainable(np.array([0.5]))


# ----------------------------------------------------------------- LayerNorm
def test_layer_norm_matches_numpy_and_gradcheck():
    x = RNG.standard_normal((2, 3, 4)) * 5 + 2
    norm = nn.LayerNorm((3, 4), eps=1e-5, dtype=np.float64)
    norm.weight.data[...] = RNG.standard_normal((3, 4))
    norm.bias.data[...] = RNG.standard_normal((3, 4))
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-5) * norm.weight.numpy() + norm.bias.numpy()
    np.testing.assert_allclose(norm(Tensor(x)).numpy(), expected, rtol=1e-10)
    xt = Tensor(x, requires_grad=True)
    gradcheck(lambda x, w, b: F.layer_norm(x, (3, 4), w, b), [xt, norm.weight, norm.bias])
    plain = nn.LayerNorm(4, elementwise_affine=False)
    assert list(plain.parameters()) == []
    y = plain(Tensor(x.astype(np.float32))).numpy()
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=-1), 1, rtol=1e-3)
    gradcheck(lambda x: F.layer_norm(x, 4), [Tensor(x, requires_grad=True)])


# ----------------------------------------------------------------- Dropout
def test_dropout_is_seeded_scaled_and_identity_in_eval():
    x = Tensor(np.ones((200, 50), dtype=np.float32))
    a, b = nn.Dropout(0.3, generator=7), nn.Dropout(0.3, generator=7)
    out_a, out_b = a(x).numpy(), b(x).numpy()
    np.testing.assert_array_equal(out_a, out_b)
    kept = np.random.default_rng(7).random((200, 50)) >= 0.3
    np.testing.assert_array_equal(out_a != 0, kept)
    np.testing.assert_allclose(out_a[kept], 1 / 0.7, rtol=1e-6)
    assert abs((out_a == 0).mean() - 0.3) < 0.02
    assert not np.array_equal(a(x).numpy(), out_a)  # the next mask is a new draw
    a.eval()
    assert a(x) is x
    assert nn.Dropout(1.0)(x).numpy().sum() == 0
    manual_seed(11)
    first = nn.Dropout(0.5)(x).numpy()
    manual_seed(11)
    np.testing.assert_array_equal(nn.Dropout(0.5)(x).numpy(), first)
    with pytest.raises(ValueError, match=r"probability must be in \[0, 1\]"):
        nn.Dropout(1.5)


def test_dropout_gradient_is_the_scaled_mask():
    x = Tensor(RNG.standard_normal((30, 4)), requires_grad=True)
    out = F.dropout(x, 0.4, generator=3)
    out.sum().backward()
    mask = np.random.default_rng(3).random((30, 4)) >= 0.4
    np.testing.assert_allclose(x.grad, mask / 0.6)
    np.testing.assert_allclose(out.numpy(), x.numpy() * mask / 0.6)


# ----------------------------------------------------------------- init
def test_init_functions_fill_in_place_with_the_right_distribution():
    weight = nn.Parameter(np.empty((300, 200), dtype=np.float32))
    assert init.uniform_(weight, -2, 3, generator=0) is weight
    assert weight.numpy().min() >= -2 and weight.numpy().max() < 3
    assert weight.dtype == np.float32
    init.normal_(weight, 1.0, 0.5, generator=0)
    assert abs(weight.numpy().mean() - 1.0) < 0.01 and abs(weight.numpy().std() - 0.5) < 0.01
    init.xavier_uniform_(weight, generator=0)
    bound = math.sqrt(6 / 500)
    assert np.abs(weight.numpy()).max() <= bound and np.abs(weight.numpy()).max() > 0.99 * bound
    init.kaiming_uniform_(weight, a=math.sqrt(5), generator=0)
    assert np.abs(weight.numpy()).max() <= 1 / math.sqrt(200)
    init.zeros_(weight)
    assert not weight.numpy().any()
    init.ones_(weight)
    assert np.all(weight.numpy() == 1)
    init.constant_(weight, 0.25)
    assert np.all(weight.numpy() == 0.25)
    with pytest.raises(ValueError, match="at least 2 dims"):
        init.xavier_uniform_(nn.Parameter(np.zeros(3)))


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 2, 2)])
def test_orthogonal_init(shape):
    weight = nn.Parameter(np.empty(shape))
    init.orthogonal_(weight, gain=2.0, generator=1)
    flat = weight.numpy().reshape(shape[0], -1)
    small = min(flat.shape)
    gram = flat @ flat.T if flat.shape[0] == small else flat.T @ flat
    np.testing.assert_allclose(gram, 4 * np.eye(small), atol=1e-10)
    again = nn.Parameter(np.empty(shape))
    init.orthogonal_(again, gain=2.0, generator=1)
    np.testing.assert_array_equal(again.numpy(), weight.numpy())
