"""Modules and helpers with torch.nn's names and defaults (qaB s20 item 10): each is the
functional op it wraps, and bad arguments give one clear error."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.autograd import nn, tensor
from seqlab.autograd.nn import functional as F
from seqlab.autograd.nn.utils import rnn

X = np.linspace(-2.0, 2.0, 12).reshape(3, 4)
T = np.linspace(1.0, -1.0, 12).reshape(3, 4)


@pytest.mark.parametrize("module, function", [
    (nn.L1Loss(), lambda x, t: F.l1_loss(x, t)),
    (nn.SmoothL1Loss(reduction="sum", beta=0.5),
     lambda x, t: F.smooth_l1_loss(x, t, "sum", beta=0.5)),
    (nn.HuberLoss(delta=0.7), lambda x, t: F.huber_loss(x, t, delta=0.7)),
    (nn.BCELoss(weight=np.arange(1.0, 5.0)),
     lambda x, t: F.binary_cross_entropy(x, t, np.arange(1.0, 5.0))),
])
def test_loss_modules_are_their_functions(module, function):
    x, t = tensor(1 / (1 + np.exp(-X))), tensor((T + 1) / 2)
    assert module(x, t).item() == function(x, t).item()


def test_activation_modules_and_reprs():
    x = tensor(X)
    assert nn.Identity(3, bias=True)(x) is x
    np.testing.assert_array_equal(nn.GELU("tanh")(x).numpy(), F.gelu(x, "tanh").numpy())
    np.testing.assert_array_equal(nn.Softplus(beta=2.0)(x).numpy(), F.softplus(x, 2.0).numpy())
    np.testing.assert_array_equal(nn.Softmax(dim=0)(x).numpy(), x.softmax(0).numpy())
    np.testing.assert_array_equal(nn.LogSoftmax(-1)(x).numpy(), x.log_softmax(-1).numpy())
    with pytest.warns(UserWarning, match="dim=1"):  # PyTorch's implicit choice for 2-D input
        np.testing.assert_array_equal(nn.Softmax()(x).numpy(), x.softmax(1).numpy())
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
    assert repr(nn.Embedding(5, 2, max_norm=1.0)) == "Embedding(5, 2, max_norm=1.0)"
    with pytest.raises(ValueError, match="'none' or 'tanh'"):
        nn.GELU("erf")


def test_embedding_max_norm_rescales_only_the_rows_looked_up():
    table = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    layer = nn.Embedding.from_pretrained(table, max_norm=1.0)
    out = layer(np.array([0, 1]))
    np.testing.assert_allclose(out.numpy(), [[0.6, 0.8], [0.3, 0.4]], rtol=1e-6)
    np.testing.assert_array_equal(layer.weight.numpy()[2], [6.0, 8.0])


def test_bad_arguments_are_refused_clearly():
    x = tensor(X)
    with pytest.raises(ValueError, match="probability in \\[0, 1\\]"):
        F.binary_cross_entropy(x, T)
    with pytest.raises(ValueError, match="beta must not be negative"):
        F.smooth_l1_loss(x, T, beta=-1.0)
    with pytest.raises(ValueError, match="delta must be positive"):
        F.huber_loss(x, T, delta=0.0)
    with pytest.raises(ValueError, match="only mode 'constant'"):
        F.pad(x, (1, 1), mode="reflect")
    with pytest.raises(ValueError, match="even number"):
        F.pad(x, (1, 1, 1))
    with pytest.raises(ValueError, match="smaller than num_classes"):
        F.one_hot(np.array([0, 3]), num_classes=3)
    with pytest.raises(ValueError, match="non-negative"):
        F.one_hot(np.array([0, -1]))
    with pytest.raises(ValueError, match="trailing shape"):
        rnn.pad_sequence([tensor(np.zeros((2, 3))), tensor(np.zeros((2, 4)))])
    with pytest.raises(AttributeError, match="lengths=lengths"):
        rnn.pack_padded_sequence  # noqa: B018


def test_unpad_sequence_inverts_pad_sequence():
    sequences = [tensor(np.arange(6.0).reshape(3, 2)), tensor(np.arange(2.0).reshape(1, 2))]
    padded = rnn.pad_sequence(sequences)
    assert padded.shape == (3, 2, 2)
    for original, recovered in zip(sequences, rnn.unpad_sequence(padded, [3, 1])):
        np.testing.assert_array_equal(recovered.numpy(), original.numpy())
