"""Packed teacher forcing: valid positions, the row gather and layout Functions, the packed stack
against `RNNBase` over the same padded batch, and the packed loss against the padded one."""

import numpy as np
import pytest

from seqlab.autograd import Tensor, cat, get_num_threads, gradcheck, set_num_threads
from seqlab.autograd import stack as stacked
from seqlab.autograd import threads as thread_module
from seqlab.autograd.nn import Embedding
from seqlab.autograd.nn import functional as F
from seqlab.seqmodels.language_model import build_stack
from seqlab.seqmodels.seq2seq import Seq2Seq, loop_jobs, make_batch, packing
from seqlab.seqmodels.seq2seq.packed_stack import run_packed
from seqlab.seqmodels.seq2seq.packing import Positions, batch_first_join, gather_rows

LENGTHS = np.array([3, 1, 4, 2])


@pytest.fixture(params=[False, True], ids=["one-loop", "chunked"])
def chunked(request, monkeypatch):
    """Whether the loops run in chunks: with chunks of one sequence allowed and free, the
    four sequences of LENGTHS run as four loops of 4, 3, 2 and 1 steps."""
    if request.param:
        monkeypatch.setattr(packing, "MIN_CHUNK", 1)
        monkeypatch.setattr(packing, "CHUNK_COST", 0)
    return request.param


def test_chunk_count_weighs_steps_saved_against_the_cost_of_a_chunk():
    # 32 x 15 + 32 x 7 + one extra chunk's cost: less than 64 x 15, and than four chunks
    assert packing.chunk_count(np.array([15] * 32 + [7] * 32)) == 2
    assert packing.chunk_count(np.array([15] * 16 + [7] * 48)) == 4
    assert packing.chunk_count(np.full(64, 9)) == 1  # equal lengths: nothing to save
    assert packing.chunk_count(np.array([9, 3])) == 1  # fewer than MIN_CHUNK per chunk


def test_positions_list_every_valid_position_once_in_time_major_order():
    positions = Positions.of(LENGTHS, 5, chunked=False)
    expected = [(t, n) for t in range(5) for n in range(4) if t < LENGTHS[n]]
    assert positions.count == len(expected) == LENGTHS.sum()
    assert [(i // 4, i % 4) for i in positions.time_major] == expected
    assert [(i % 5, i // 5) for i in positions.batch_first] == expected
    for row, (t, n) in enumerate(expected):
        assert positions.rows[t, n] == row


def test_chunks_hold_sequences_longest_first_and_contiguous_rows(chunked):
    positions = Positions.of(LENGTHS, 6)  # one padded step beyond the longest
    assert len(positions.chunks) == (4 if chunked else 1)
    seen, start = [], 0
    for chunk in positions.chunks:
        members = np.arange(4)[chunk.sequences]
        assert chunk.start == start and chunk.steps == LENGTHS[members].max()
        for column, n in enumerate(members):
            for t in range(chunk.steps):
                if t < LENGTHS[n]:
                    row = chunk.start + chunk.ids[t, column]
                    assert positions.rows[t, n] == row
                    assert positions.time_major[row] == t * 4 + n
                    assert positions.batch_first[row] == n * 6 + t
                    seen.append(row)
        start = chunk.stop
    assert sorted(seen) == list(range(LENGTHS.sum())) and start == LENGTHS.sum()
    if chunked:
        assert [int(np.arange(4)[c.sequences][0]) for c in positions.chunks] == [2, 0, 3, 1]


def test_gather_rows_and_batch_first_join_match_numpy_and_finite_differences():
    rng = np.random.default_rng(0)
    positions = Positions.of(LENGTHS, 5)
    time_major = Tensor(rng.normal(size=(5, 4, 3)), requires_grad=True)
    batch_first = Tensor(rng.normal(size=(4, 5, 2)), requires_grad=True)
    rows = gather_rows([time_major, batch_first], [positions.time_major, positions.batch_first])
    expected = [np.concatenate([time_major.numpy()[t, n], batch_first.numpy()[n, t]])
                for t in range(5) for n in range(4) if t < LENGTHS[n]]
    np.testing.assert_array_equal(rows.numpy(), np.array(expected))
    gradcheck(lambda a, b: gather_rows([a, b], [positions.time_major, positions.batch_first]),
              [time_major, batch_first])
    other = Tensor(rng.normal(size=(5, 4, 2)), requires_grad=True)
    joined = batch_first_join([time_major, other])
    np.testing.assert_array_equal(joined.numpy(), np.concatenate(
        [time_major.numpy(), other.numpy()], axis=2).transpose(1, 0, 2))
    gradcheck(lambda a, b: batch_first_join([a, b]), [time_major, other])


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("symbols", [6, 40])  # fewer symbols than positions: the table path
def test_packed_stack_equals_the_padded_stack_with_lengths(cell, symbols, chunked):
    rng = np.random.default_rng(1)
    stack = build_stack(cell, 3, 4, num_layers=2, bidirectional=True, batch_first=False,
                        dtype=np.float64, generator=2)
    embedding = Embedding(symbols, 3, dtype=np.float64, generator=3)
    steps, batch = 5 if chunked else 4, 4  # (padding beyond the longest sequence, or none)
    ids = rng.integers(0, symbols, size=(steps, batch))
    shape = (4, batch, 4)
    h0 = Tensor(rng.normal(size=shape), requires_grad=True)
    c0 = Tensor(rng.normal(size=shape), requires_grad=True)
    initial = (h0, c0) if cell == "lstm" else h0
    positions = Positions.of(LENGTHS, steps)
    valid = np.arange(steps)[:, None] < LENGTHS[None, :]
    weights_out = rng.normal(size=(steps, batch, 8)) * valid[:, :, None]
    weights_final = rng.normal(size=(4, batch, 4))

    def loss_and_grads(packed: bool):
        for parameter in (*stack.parameters(), *embedding.parameters(), h0, c0):
            parameter.grad = None
        if packed:
            outputs, h_finals, c_finals = run_packed(stack, embedding, ids, positions, initial)
            out = cat(outputs, dim=2)
            finals = stacked(h_finals, 0) if cell != "lstm" else stacked(c_finals, 0)
            h_n = stacked(h_finals, 0)
        else:
            out, final = stack(embedding(ids), initial, lengths=LENGTHS)
            h_n = final[0] if cell == "lstm" else final
            finals = final[1] if cell == "lstm" else final
        loss = (out * Tensor(weights_out)).sum() + (finals * Tensor(weights_final)).sum() \
            + (h_n * h_n).sum()
        loss.backward()
        grads = {name: p.grad.copy() for name, p in stack.named_parameters()}
        grads["embedding"] = embedding.weight.grad.copy()
        grads["h0"] = h0.grad.copy()
        if cell == "lstm":
            grads["c0"] = c0.grad.copy()
        return out.numpy(), loss.item(), grads

    out, loss, grads = loss_and_grads(packed=True)
    expected_out, expected_loss, expected_grads = loss_and_grads(packed=False)
    np.testing.assert_allclose(out, expected_out, rtol=1e-12, atol=1e-14)
    assert (out[~valid] == 0).all()
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-12)
    for name, grad in expected_grads.items():
        np.testing.assert_allclose(grads[name], grad, rtol=1e-10, atol=1e-13, err_msg=name)


def _padded_loss(model: Seq2Seq, batch) -> Tensor:
    """The loss over every padded position with padding ignored: the path the packed one
    replaces."""
    logits = model(batch.source, batch.source_lengths, batch.target_in)
    return F.cross_entropy(logits.reshape(-1, model.target_vocab_size),
                           batch.target_out.reshape(-1), ignore_index=model.pad_id)


@pytest.mark.parametrize("cell, attention, bidirectional", [
    ("gru", "dot", True), ("rnn", "additive", False), ("lstm", "general", True)])
def test_packed_loss_equals_the_padded_loss(cell, attention, bidirectional, chunked):
    rng = np.random.default_rng(5)
    model = Seq2Seq(50, 45, 5, 6, num_layers=2, cell=cell, bidirectional=bidirectional,
                    attention=attention, dtype=np.float64, generator=6)
    sources = [rng.integers(4, 50, size=n) for n in (5, 2, 7, 3)]
    targets = [rng.integers(4, 45, size=n) for n in (2, 6, 1, 4)]
    batch = make_batch(sources, targets, model.bos_id, model.eos_id, model.pad_id)
    results = []
    for loss_of in (lambda: model.training_loss(batch)[0], lambda: _padded_loss(model, batch)):
        model.zero_grad()
        loss = loss_of()
        loss.backward()
        results.append((loss.item(), {n: p.grad.copy() for n, p in model.named_parameters()}))
    (packed, packed_grads), (padded, padded_grads) = results
    np.testing.assert_allclose(packed, padded, rtol=1e-12)
    for name, grad in padded_grads.items():
        np.testing.assert_allclose(packed_grads[name], grad, rtol=1e-10, atol=1e-13,
                                   err_msg=name)


def test_dropout_masks_the_packed_rows_in_training_only():
    rng = np.random.default_rng(7)
    model = Seq2Seq(9, 8, 5, 6, num_layers=2, bidirectional=True, dropout=0.4,
                    dtype=np.float64, generator=8)
    sources = [rng.integers(4, 9, size=n) for n in (5, 2, 7, 3)]
    targets = [rng.integers(4, 8, size=n) for n in (2, 6, 1, 4)]
    batch = make_batch(sources, targets, model.bos_id, model.eos_id, model.pad_id)
    model.train()
    first, second = model.training_loss(batch)[0], model.training_loss(batch)[0]
    assert first.item() != second.item()
    model.zero_grad()
    first.backward()
    assert all(np.isfinite(p.grad).all() and p.grad.any() for p in model.parameters())
    model.eval()
    np.testing.assert_allclose(model.training_loss(batch)[0].item(),
                               _padded_loss(model, batch).item(), rtol=1e-12)


def test_loop_jobs_go_longest_first_to_the_least_loaded_thread():
    shares = loop_jobs.assign([3, 9, 3, 9, 5, 5], 2)  # two directions' chunks: equal halves
    assert sorted(shares[0] + shares[1]) == list(range(6))
    assert [sum([3, 9, 3, 9, 5, 5][i] for i in share) for share in shares] == [17, 17]
    assert loop_jobs.assign([4, 1], 3) == [[0], [1], []]


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_packed_loss_is_the_same_with_loops_side_by_side(cell, chunked, monkeypatch):
    """The loops as jobs on two threads give the one-thread result bit for bit."""
    rng = np.random.default_rng(9)
    model = Seq2Seq(30, 25, 5, 6, num_layers=2, cell=cell, bidirectional=True,
                    dtype=np.float64, generator=4)
    sources = [rng.integers(4, 30, size=n) for n in (5, 2, 7, 3)]
    targets = [rng.integers(4, 25, size=n) for n in (2, 6, 1, 4)]
    batch = make_batch(sources, targets, model.bos_id, model.eos_id, model.pad_id)
    monkeypatch.setattr(thread_module, "usable_cores", lambda: 2)  # (also on one core)
    # (and under NUMBA_DISABLE_JIT=1, where the jobs would otherwise stay on one thread)
    monkeypatch.setattr(loop_jobs.numba.config, "DISABLE_JIT", False)
    results, used = [], []
    real_run_team = loop_jobs.run_team
    monkeypatch.setattr(loop_jobs, "run_team",
                        lambda parts, run: (used.append(parts), real_run_team(parts, run)))
    before = get_num_threads()
    try:
        for threads in (1, 2):
            set_num_threads(threads)
            model.zero_grad()
            loss = model.training_loss(batch)[0]
            loss.backward()
            results.append((loss.item(), {n: p.grad.copy() for n, p in model.named_parameters()}))
    finally:
        set_num_threads(before)
    assert used and set(used) == {2}  # only the two-thread run handed loops to threads
    (one, one_grads), (two, two_grads) = results
    assert one == two
    for name, grad in one_grads.items():
        np.testing.assert_array_equal(two_grads[name], grad, err_msg=name)


@pytest.mark.parametrize("threads", [1, 2])
def test_a_retained_graph_runs_backward_twice(threads, chunked, monkeypatch):
    """backward(retain_graph=True) then backward(): every gradient twice the first one's."""
    rng = np.random.default_rng(11)
    model = Seq2Seq(30, 25, 5, 6, num_layers=2, cell="lstm", bidirectional=True,
                    dtype=np.float64, generator=3)
    sources = [rng.integers(4, 30, size=n) for n in (5, 2, 7, 3)]
    targets = [rng.integers(4, 25, size=n) for n in (2, 6, 1, 4)]
    batch = make_batch(sources, targets, model.bos_id, model.eos_id, model.pad_id)
    monkeypatch.setattr(thread_module, "usable_cores", lambda: 2)
    monkeypatch.setattr(loop_jobs.numba.config, "DISABLE_JIT", False)
    before = get_num_threads()
    try:
        set_num_threads(threads)
        model.zero_grad()
        loss = model.training_loss(batch)[0]
        loss.backward(retain_graph=True)
        once = {n: p.grad.copy() for n, p in model.named_parameters()}
        loss.backward()
    finally:
        set_num_threads(before)
    for name, param in model.named_parameters():
        np.testing.assert_allclose(param.grad, 2 * once[name], rtol=1e-12, err_msg=name)
