"""A no-grad batch split run layer by layer (`recurrent_inference._split_call`: a GRU stack,
a stack over an embedding's table) cuts the batch into chunks its threads claim
(`claimed_chunks`): every chunk runs once, an error in one is raised, and the outputs are the
one-thread call's bits (each chunk's rows take the loops the whole batch's take)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from seqlab.autograd import Tensor, no_grad
from seqlab.autograd.threads import one_thread
from seqlab.seqmodels import recurrent_inference
from seqlab.seqmodels.claimed_chunks import (
    CHUNKS_PER_THREAD,
    MIN_SEQUENCES_PER_PART,
    chunk_bounds,
    run_claimed_chunks,
)
from seqlab.seqmodels.recurrent import GRU, RNN


@pytest.mark.parametrize("batch", [8, 9, 16, 17, 31, 32, 100, 128])
@pytest.mark.parametrize("parts", [1, 2, 3])
def test_chunk_bounds_cover_the_batch_in_parts_to_a_few_times_parts_chunks(batch, parts):
    if batch < parts * MIN_SEQUENCES_PER_PART:
        pytest.skip("`batch_parts` never splits so small a batch so many ways")
    bounds = chunk_bounds(batch, parts)
    sizes = np.diff(bounds)
    assert bounds[0] == 0 and bounds[-1] == batch
    assert parts <= len(sizes) <= CHUNKS_PER_THREAD * parts
    assert sizes.min() >= MIN_SEQUENCES_PER_PART and sizes.max() - sizes.min() <= 1


@pytest.mark.parametrize("parts", [1, 2])
def test_every_chunk_runs_once(parts):
    ran = []
    lock = threading.Lock()

    def run(chunk):
        with lock:
            ran.append(chunk)

    run_claimed_chunks(parts, 7, run)
    assert sorted(ran) == list(range(7))


@pytest.mark.parametrize("parts", [1, 2])
def test_an_error_in_a_chunk_is_raised_after_the_others_ran(parts):
    ran = []

    def run(chunk):
        ran.append(chunk)
        if chunk == 1:
            raise ValueError("chunk 1")

    with pytest.raises(ValueError, match="chunk 1"):
        run_claimed_chunks(parts, 4, run)
    assert sorted(ran) == [0, 1, 2, 3]


@pytest.mark.parametrize("hidden", [32, 128])
@pytest.mark.parametrize("batch", [16, 17, 32, 56])
def test_two_threads_gru_calls_give_the_one_thread_bits(monkeypatch, two_threads, hidden,
                                                        batch):
    stack = GRU(40, hidden, num_layers=2, generator=0)
    x = Tensor(np.random.default_rng(batch).standard_normal((16, batch, 40)).astype(np.float32))
    with no_grad(), one_thread():
        alone = stack(x)
    chunks = []
    real = recurrent_inference._stack_arrays
    monkeypatch.setattr(recurrent_inference, "_stack_arrays",
                        lambda stack, x, h0, *rest, **keywords: chunks.append(h0.shape[1])
                        or real(stack, x, h0, *rest, **keywords))
    with no_grad():
        got = stack(x)
    parts = recurrent_inference.call_parts(stack, batch, 16, 40, None, np.float32)
    assert sorted(chunks) == sorted(np.diff(chunk_bounds(batch, parts)).tolist())
    for a, b in zip(got, alone):
        np.testing.assert_array_equal(a.data, b.data)


def test_two_threads_embedding_fed_rnn_gives_the_one_thread_bits(two_threads):
    """An RNN over an embedding's table splits by claimed chunks layer by layer (its layer 0
    reads the table's projected rows; the upper layer runs stacked)."""
    from seqlab.autograd import nn

    embedding = nn.Embedding(50, 16)
    stack = RNN(16, 64, num_layers=2, generator=0)
    ids = np.random.default_rng(0).integers(0, 50, size=(12, 32))
    with no_grad(), one_thread():
        alone = stack(embedding(Tensor(ids)))
    with no_grad():
        got = stack(embedding(Tensor(ids)))
    for a, b in zip(got, alone):
        np.testing.assert_array_equal(a.data, b.data)
