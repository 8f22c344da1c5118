"""The fused recurrent layers keep their weights for backward: an optimizer step between a
forward and its backward makes the backward raise, as PyTorch's LSTM/GRU/RNN do, while the
usual loop (backward, then step) runs on."""

from __future__ import annotations

import numpy as np
import pytest

import seqlab.autograd as ag
from seqlab.autograd import optim
from seqlab.seqmodels.recurrent import GRU, LSTM, RNN


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cls", [LSTM, GRU, RNN])
def test_step_between_forward_and_backward_raises(cls, bidirectional):
    ag.manual_seed(0)
    layer = cls(4, 5, batch_first=True, bidirectional=bidirectional)
    opt = optim.SGD(layer.parameters(), lr=0.1)
    x = ag.tensor(np.ones((2, 3, 4), dtype=np.float32))
    pending = layer(x)[0].sum()
    layer(x)[0].sum().backward()
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        pending.backward()
    for _ in range(2):  # backward, then step: fine
        opt.zero_grad()
        layer(x)[0].sum().backward()
        opt.step()
