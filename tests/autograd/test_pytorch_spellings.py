"""Small PyTorch habits the autograd package answers: `nn.LSTM` and friends point to
seqlab.seqmodels, `clip_grad_*_(foreach=...)` is accepted, and a strict load that misses one
name of tied weights says which key it is tied to."""

from __future__ import annotations

import numpy as np
import pytest

import seqlab.autograd.nn as nn
from seqlab.autograd import Tensor
from seqlab.autograd.nn.utils import clip_grad_norm_, clip_grad_value_


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN", "LSTMCell", "GRUCell", "RNNCell"])
def test_recurrent_layers_are_pointed_to_seqmodels(name):
    with pytest.raises(AttributeError, match=f"seqlab.seqmodels import {name}"):
        getattr(nn, name)
    assert not hasattr(nn, "Transformer")  # other names: the plain AttributeError
    with pytest.raises(AttributeError, match="has no attribute 'Conv2d'"):
        nn.Conv2d  # noqa: B018


@pytest.mark.parametrize("foreach", [None, True, False])
def test_clipping_takes_foreach_as_pytorch(foreach):
    """foreach picks PyTorch's multi-tensor kernels; on seqlab's CPU arrays it changes
    nothing (torch accepts True on CPU tensors too)."""
    grads = [np.full(3, 2.0), np.full(4, -3.0)]
    params = [Tensor(np.zeros_like(g)) for g in grads]
    for param, grad in zip(params, grads, strict=True):
        param.grad = grad.copy()
    total = clip_grad_norm_(params, 1.0, foreach=foreach)
    assert total == pytest.approx(np.sqrt(3 * 4 + 4 * 9))
    clip_grad_value_(params, 0.1, foreach=foreach)
    assert max(float(np.abs(p.grad).max()) for p in params) <= 0.1


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(5, 3)
        self.decoder = nn.Linear(3, 5)
        self.decoder.weight = self.embedding.weight


def test_a_strict_load_missing_one_name_of_a_tie_names_the_other():
    """safetensors.torch.save_model keeps one name of tied weights: the missing one is the
    same Parameter as a key the state dict holds, and strict=False then loads correctly."""
    source = Tied()
    state = {k: v + 1 for k, v in source.state_dict().items() if k != "embedding.weight"}
    target = Tied()
    with pytest.raises(nn.StateDictError,
                       match=r"embedding\.weight \(tied to decoder\.weight, which is given.*"
                             r"strict=False"):
        target.load_state_dict(state)
    missing, unexpected = target.load_state_dict(state, strict=False)
    assert missing == ["embedding.weight"] and unexpected == []
    np.testing.assert_array_equal(target.embedding.weight.data, state["decoder.weight"])
    with pytest.raises(nn.StateDictError) as untied:
        nn.Linear(3, 5).load_state_dict({"bias": np.zeros(5)})
    assert "tied" not in str(untied.value)
