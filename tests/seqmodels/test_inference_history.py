"""A no-grad call's bits depend on the weights, the input, the shapes, the dtype and the thread
count, never on the calls before it: a series of in-place weight edits (each followed by a
call, as optimizer steps between evaluations) that is then undone gives the first call's bits
again. The kept-panels and kept-table watches only decide whether this call keeps what it
packs (`kept_panels`, `kept_tables.ChangeWatch`), never which path (summation order) it takes."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.autograd import Tensor, no_grad, threads
from seqlab.seqmodels.language_model import LanguageModel
from seqlab.seqmodels.recurrent import LSTM


@pytest.fixture(params=[1, 2], ids=["1 thread", "2 threads"])
def thread_count(request):
    before = threads.get_num_threads()
    threads.set_num_threads(request.param)
    yield request.param
    threads.set_num_threads(before)


def _outputs(model, given) -> list[np.ndarray]:
    with no_grad():
        out, state = model(given)
    states = state if isinstance(state, tuple) else (state,)
    return [out.numpy().copy()] + [s.numpy().copy() for s in states]


def _edited_then_undone(model, given, weight) -> tuple[list, list]:
    """(the first call's outputs, those of a call after three edit-and-call rounds undone)."""
    first = _outputs(model, given)
    saved = weight.data.copy()
    for _ in range(3):
        weight.data.reshape(-1)[0] += 1e-3
        _outputs(model, given)
    weight.data[...] = saved
    return first, _outputs(model, given)


def _assert_bits(got, want) -> None:
    for got_array, want_array in zip(got, want, strict=True):
        np.testing.assert_array_equal(got_array.view(np.uint32), want_array.view(np.uint32))


@pytest.mark.parametrize("batch", [1, 8])
@pytest.mark.parametrize("layers", [1, 2])
def test_a_stack_gives_the_same_bits_after_weight_edits_are_undone(thread_count, batch, layers):
    stack = LSTM(32, 32, num_layers=layers, generator=0)
    x = Tensor(np.random.default_rng(0).standard_normal((64, batch, 32)).astype(np.float32))
    first, again = _edited_then_undone(stack, x, stack.weight_hh_l0)
    _assert_bits(again, first)


@pytest.mark.parametrize("vocab, distinct", [(65, 65), (200, 10)])
@pytest.mark.parametrize("batch", [1, 8])
def test_a_language_model_gives_the_same_bits_after_weight_edits_are_undone(thread_count,
                                                                            batch, vocab,
                                                                            distinct):
    """Also where the kept whole table (200 rows) and the rows a call reads once the watch
    stops keeping (10) are projected by differently shaped products (`FEW_ROWS`)."""
    model = LanguageModel(vocab, 32, 32, num_layers=2, generator=0)
    rng = np.random.default_rng(0)
    ids = rng.choice(rng.choice(vocab, distinct, replace=False), (64, batch))
    first, again = _edited_then_undone(model, ids, model.rnn.weight_ih_l0)
    _assert_bits(again, first)
    edited, _ = _edited_then_undone(model, ids, model.embedding.weight)
    _assert_bits(edited, first)
