"""Embedding -> RNN/LSTM/GRU, layer 0 reading the embedding's table: an in-place write into
the lookup's output after the layer's forward makes backward raise, as PyTorch's layer, which
saves that output as its input, raises ("one of the variables needed for gradient computation
has been modified by an inplace operation", torch 2.13 for all three kinds). The table path
never reads the output again, so its gradient would be right: it raised nothing before."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.autograd import no_grad
from seqlab.autograd.nn import Embedding
from seqlab.seqmodels.recurrent import GRU, LSTM, RNN

VOCAB, FEATURES, HIDDEN, STEPS, BATCH = 5, 3, 4, 6, 3  # 18 tokens > 5 symbols: table path
MESSAGE = "modified by an in-place operation"


def _write_mul(x):
    x.mul_(2.0)


def _write_item(x):
    x[0] = 0.5


def _forward(cls, batch_first: bool, bidirectional: bool):
    embedding = Embedding(VOCAB, FEATURES, dtype=np.float64, generator=1)
    stack = cls(FEATURES, HIDDEN, batch_first=batch_first, bidirectional=bidirectional,
                dtype=np.float64, generator=2)
    ids = np.random.default_rng(3).integers(0, VOCAB, (STEPS, BATCH))
    x = embedding(ids.T if batch_first else ids)
    assert stack.reads_embedding_table(VOCAB, ids.size)
    return x, stack(x)[0], embedding


@pytest.mark.parametrize("write", [_write_mul, _write_item])
@pytest.mark.parametrize(("batch_first", "bidirectional"), [(False, False), (True, True)])
@pytest.mark.parametrize("cls", [LSTM, GRU, RNN])
def test_writing_the_lookup_after_the_forward_makes_backward_raise(cls, batch_first,
                                                                   bidirectional, write):
    x, out, _ = _forward(cls, batch_first, bidirectional)
    with no_grad():
        write(x)
    with pytest.raises(RuntimeError, match=MESSAGE):
        out.sum().backward()


@pytest.mark.parametrize("cls", [LSTM, GRU, RNN])
def test_without_a_write_backward_runs(cls):
    _, out, embedding = _forward(cls, False, False)
    out.sum().backward()
    assert embedding.weight.grad is not None and np.abs(embedding.weight.grad).sum() > 0
