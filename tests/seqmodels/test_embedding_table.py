"""Embedding -> RNN/LSTM/GRU composed by a user: layer 0 reads a per-symbol input table
E @ W_ih^T + b at the token ids instead of projecting every embedded token. Same outputs and
gradients as the projection of the embedded tokens, in every layout the stack accepts."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.autograd import Tensor, no_grad
from seqlab.autograd.nn import Embedding
from seqlab.seqmodels import fused, recurrent_inference
from seqlab.seqmodels.recurrent import GRU, LSTM, RNN

FACTORIES = {
    "lstm": lambda **kw: LSTM(**kw),
    "gru": lambda **kw: GRU(**kw),
    "rnn_tanh": lambda **kw: RNN(nonlinearity="tanh", **kw),
    "rnn_relu": lambda **kw: RNN(nonlinearity="relu", **kw),
}
VOCAB, FEATURES, HIDDEN, STEPS, BATCH = 7, 5, 4, 6, 3  # 18 tokens > 7 symbols


@pytest.fixture
def table_reads(monkeypatch) -> list:
    """Records each table a layer reads (its shape): through the fused projected path, or
    without a graph through `recurrent_inference.table_layer`."""
    reads, run = [], fused.run_projected

    def counted(mode, xg, *rest, **kw):
        reads.append(tuple(xg.shape))
        return run(mode, xg, *rest, **kw)

    def counted_without_graph(kind, rows, *rest):
        reads.append(tuple(rows.shape))
        return read_table(kind, rows, *rest)

    monkeypatch.setattr(fused, "run_projected", counted)
    # under no_grad the stack runs on plain arrays (`recurrent_inference`)
    read_table = recurrent_inference.table_layer
    monkeypatch.setattr(recurrent_inference, "table_layer", counted_without_graph)
    return reads


def _run(kind, *, copy_input, padding_idx, batch_first, bidirectional, lengths, unbatched=False):
    """Outputs and every gradient of Embedding -> stack; `copy_input` passes the embedded
    tokens through `+ 0.0`, which hides where they came from (no table)."""
    embedding = Embedding(VOCAB, FEATURES, padding_idx=padding_idx, dtype=np.float64,
                          generator=1)
    stack = FACTORIES[kind](input_size=FEATURES, hidden_size=HIDDEN, num_layers=2,
                            batch_first=batch_first, bidirectional=bidirectional,
                            dtype=np.float64, generator=2)
    rng = np.random.default_rng(3)
    shape = (STEPS,) if unbatched else ((BATCH, STEPS) if batch_first else (STEPS, BATCH))
    ids = rng.integers(0, VOCAB, shape)
    ids.flat[:3] = 0  # the padding row is read
    x = embedding(ids)
    if copy_input:
        x = x + 0.0
    out, state = stack(x, lengths=lengths)
    h_n = state[0] if kind == "lstm" else state
    weight = rng.standard_normal(out.shape)
    ((out * weight).sum() + (h_n * h_n).sum()).backward()
    grads = {"embedding": embedding.weight.grad}
    grads.update({name: p.grad for name, p in stack.named_parameters()})
    return out.data, h_n.data, grads


@pytest.mark.parametrize("kind", sorted(FACTORIES))
@pytest.mark.parametrize("layout", ["time_major", "batch_first_bidirectional_lengths",
                                    "unbatched"])
def test_table_equals_projecting_the_embedded_tokens(kind, layout, table_reads):
    options = {
        "time_major": {"padding_idx": None, "batch_first": False, "bidirectional": False,
                       "lengths": None},
        "batch_first_bidirectional_lengths": {"padding_idx": 0, "batch_first": True,
                                              "bidirectional": True,
                                              "lengths": np.array([6, 3, 1])},
        "unbatched": {"padding_idx": 0, "batch_first": False, "bidirectional": False,
                      "lengths": None, "unbatched": True},
    }[layout]
    plain = _run(kind, copy_input=True, **options)
    assert table_reads == []
    if layout == "unbatched":  # 6 tokens < 7 symbols: no table
        _run(kind, copy_input=False, **options)
        assert table_reads == []
        return
    table = _run(kind, copy_input=False, **options)
    gates = {"lstm": 4, "gru": 3}.get(kind, 1)
    directions = 2 if options["bidirectional"] else 1
    assert table_reads == [(VOCAB, gates * HIDDEN)] * directions
    for got, want in zip(table[:2], plain[:2]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    for name, want in plain[2].items():
        np.testing.assert_allclose(table[2][name], want, rtol=1e-11, atol=1e-12, err_msg=name)
    if options["padding_idx"] is not None:
        assert not table[2]["embedding"][0].any()


def test_no_table_on_the_composed_path_or_for_a_large_vocabulary(table_reads):
    stack = LSTM(FEATURES, HIDDEN, dtype=np.float64)
    small, large = (Embedding(size, FEATURES, dtype=np.float64) for size in (VOCAB, 100))
    ids = np.zeros((STEPS, BATCH), np.int64)
    stack(large(ids))
    stack.fused = False
    stack(small(ids))
    assert table_reads == []
    stack.fused = True
    stack(small(ids))
    assert len(table_reads) == 1


def test_a_refilled_index_buffer_does_not_change_what_the_layer_reads():
    embedding = Embedding(VOCAB, FEATURES, dtype=np.float64, generator=0)
    stack = GRU(FEATURES, HIDDEN, dtype=np.float64, generator=0)
    ids = np.arange(STEPS * BATCH).reshape(STEPS, BATCH) % VOCAB
    x = embedding(ids)
    want, _ = stack(Tensor(x.data.copy()))
    ids[:] = 0  # the caller's next batch, written before the layer runs
    got, _ = stack(x)
    np.testing.assert_allclose(got.data, want.data, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", sorted(FACTORIES))
@pytest.mark.parametrize("vocab, used", [(40, 5), (7, 7), (30, 30), (400, 5)])
def test_under_no_grad_layer_0_projects_only_the_symbols_read(kind, vocab, used, table_reads):
    """Without a graph, the table holds the embedding rows the ids read, each once, whenever
    they are fewer than the tokens (here from 18 tokens: 5 of 40 symbols, all 7 of 7, 5 of 400
    found without a vocabulary-sized mask; 30 distinct ids of 30 need no table): outputs equal
    the graph path's to round-off."""
    embedding = Embedding(vocab, FEATURES, dtype=np.float64, generator=1)
    stack = FACTORIES[kind](input_size=FEATURES, hidden_size=HIDDEN, num_layers=2,
                            bidirectional=True, dtype=np.float64, generator=2)
    rng = np.random.default_rng(4)
    if used == 30:  # more tokens, all distinct
        ids = rng.permutation(vocab).reshape(STEPS * 5, 1)
    else:
        symbols = rng.choice(vocab, used, replace=False)
        ids = symbols[np.arange(STEPS * BATCH) % used].reshape(STEPS, BATCH)
    want = stack(embedding(ids) + 0.0)  # the graph's path: every embedded token projected
    with no_grad():
        got = stack(embedding(ids))
    gates = {"lstm": 4, "gru": 3}.get(kind, 1)
    rows = [] if used == 30 else [(used, gates * HIDDEN)] * 2
    assert table_reads == rows
    for got_array, want_array in zip(_flat(*got), _flat(*want)):
        np.testing.assert_allclose(got_array.data, want_array.data, rtol=1e-12, atol=1e-12)


def _flat(out, state) -> list:
    """out and every state tensor of a stack's return value."""
    return [out, *(state if isinstance(state, tuple) else (state,))]
