"""Below the panels' batch a no-grad layer's per-step product (BLAS on one thread, the unit
team's GEMV on two) reads W_hh every step, 13-17% slower off a 64-byte line; where malloc puts
an array varies from process to process, so a Parameter keeps its data on a line
(`seqlab.autograd.aligned`): weights given off a line are copied onto one, changing no bits,
and a stack gives the same outputs wherever the arrays it was given started, on one thread and
on two."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.autograd import no_grad, threads
from seqlab.autograd.nn import Embedding
from seqlab.autograd.workspace import LINE_BYTES
from seqlab.seqmodels.kept_tables import forget
from seqlab.seqmodels.recurrent import GRU, LSTM, RNN

# H 256 over 256 features: on one thread the layer-by-layer path at batch 1-3 (not
# `small_batch_stacked`); on two the LSTM and GRU stacks run as the unit team
VOCAB, FEATURES, HIDDEN = 20, 256, 256


@pytest.fixture(params=[1, 2], ids=["1 thread", "2 threads"])
def thread_count(request):
    before = threads.get_num_threads()
    threads.set_num_threads(request.param)
    yield request.param
    threads.set_num_threads(before)


def _starting_at(array: np.ndarray, offset: int) -> np.ndarray:
    """A C-contiguous copy of `array` starting `offset` bytes past a 64-byte line."""
    raw = np.empty(array.nbytes + 2 * LINE_BYTES, np.uint8)
    start = -raw.ctypes.data % LINE_BYTES + offset
    copy = raw[start:start + array.nbytes].view(array.dtype).reshape(array.shape)
    copy[...] = array
    assert copy.ctypes.data % LINE_BYTES == offset
    return copy


def _place(stack, offset: int) -> None:
    for parameter in stack.parameters():
        given = _starting_at(parameter.data, offset)
        parameter.data = given
        assert parameter.data.ctypes.data % LINE_BYTES == 0
        assert (parameter.data is given) == (offset == 0)


def _outputs(stack, x) -> list[np.ndarray]:
    forget(stack)  # (nothing kept from the other placement's calls)
    with no_grad():
        out, state = stack(x)
    states = state if isinstance(state, tuple) else (state,)
    return [out.numpy().copy()] + [s.numpy().copy() for s in states]


@pytest.mark.parametrize("stack_class", [LSTM, GRU, RNN])
@pytest.mark.parametrize("batch", [1, 2])
@pytest.mark.parametrize("fed", ["embedding", "features"])
def test_the_same_bits_wherever_the_weights_start(thread_count, stack_class, batch, fed):
    steps = 32
    rng = np.random.default_rng(3)
    stack = stack_class(FEATURES, HIDDEN, num_layers=2, generator=0)
    if fed == "embedding":
        embedding = Embedding(VOCAB, FEATURES, generator=1)
        ids = rng.integers(0, VOCAB, (steps, batch))

        def call():
            return _outputs(stack, embedding(ids))
    else:
        x = rng.standard_normal((steps, batch, FEATURES)).astype(np.float32)

        def call():
            from seqlab.autograd import Tensor

            return _outputs(stack, Tensor(x))
    _place(stack, 0)
    on_line = call()
    for offset in (16, 48):
        _place(stack, offset)
        for expected, got in zip(on_line, call()):
            assert np.array_equal(expected, got)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh"])
def test_a_generation_plan_reads_its_matrices_on_a_line_with_the_same_bits(cell):
    import dataclasses

    from seqlab.seqmodels import LanguageModel
    from seqlab.seqmodels.generation_step import GenerationPlan

    model = LanguageModel(VOCAB, 32, 64, 2, cell=cell, generator=0)
    plan = GenerationPlan.from_model(model)
    matrices = ("table", "w_ih0_t", "w_ih_t", "w_hh_t", "decoder_t")
    for name in matrices:
        array = getattr(plan, name)
        assert array.flags.c_contiguous and array.ctypes.data % LINE_BYTES == 0, name
    off_line = dataclasses.replace(plan, **{name: _starting_at(getattr(plan, name), 16)
                                            for name in matrices})
    layers = 2
    states = [np.random.default_rng(5).standard_normal((layers, 1, 64)).astype(np.float32)]
    if model.rnn.kind.has_cell_state:
        states.append(states[0] * 0.5)
    for token in (0, 3, VOCAB - 1):
        (expected, logprobs), (got, got_logprobs) = (p.step(token, tuple(states))
                                                     for p in (plan, off_line))
        assert np.array_equal(logprobs, got_logprobs)
        for a, b in zip(expected, got):
            assert np.array_equal(a, b)
