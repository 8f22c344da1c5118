"""A stack's forward under no_grad (`recurrent_inference`: plain arrays, upper LSTM layers as
one per-step product) equals the graph path's outputs to float32 round-off, and takes the
stacked loop exactly where `stacked_pays` says."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.autograd import Tensor, no_grad
from seqlab.autograd.kernels.panel_gemm import panel_columns
from seqlab.autograd.nn import Embedding
from seqlab.autograd.threads import one_thread
from seqlab.seqmodels import recurrent_inference
from seqlab.seqmodels.recurrent import GRU, LSTM, RNN
from seqlab.seqmodels.recurrent_inference import PANELS


def _stacked_calls(monkeypatch) -> list:
    calls = []
    real = recurrent_inference.lstm_stacked_layer

    def counting(*args):
        calls.append(args[0].shape)
        return real(*args)

    monkeypatch.setattr(recurrent_inference, "lstm_stacked_layer", counting)
    return calls


def _spy_teams(monkeypatch) -> list:
    """The team sizes `units_team_forward` is called with from now on (it still runs)."""
    teams = []
    real = recurrent_inference.units_team_forward
    monkeypatch.setattr(recurrent_inference, "units_team_forward",
                        lambda *args, **keywords: teams.append(args[6])
                        or real(*args, **keywords))
    return teams


@pytest.fixture
def small_parts(monkeypatch):
    """A batch split of these tests' small stacks, whatever their work (`MIN_PART_MACS`)."""
    monkeypatch.setattr(recurrent_inference, "MIN_PART_MACS", 0)


def _assert_same(got, want, tolerance):
    got_out, got_state = got
    want_out, want_state = want
    assert not got_out.requires_grad
    pairs = [(got_out, want_out)]
    pairs += list(zip(got_state, want_state)) if isinstance(got_state, tuple) else [
        (got_state, want_state)]
    for got_tensor, want_tensor in pairs:
        assert got_tensor.dtype == want_tensor.dtype and got_tensor.shape == want_tensor.shape
        np.testing.assert_allclose(got_tensor.data, want_tensor.data, rtol=tolerance,
                                   atol=tolerance)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_float32_lstm_stack_equals_the_graph_path(monkeypatch, bias, batch_first):
    stack = LSTM(6, 16, num_layers=3, bias=bias, batch_first=batch_first, generator=0)
    rng = np.random.default_rng(2)
    shape = (9, 7, 6) if batch_first else (7, 9, 6)
    x = Tensor(rng.standard_normal(shape).astype(np.float32))
    h0 = Tensor((0.5 * rng.standard_normal((3, 9, 16))).astype(np.float32))
    c0 = Tensor((0.5 * rng.standard_normal((3, 9, 16))).astype(np.float32))
    want = stack(x, (h0, c0))
    assert want[0].requires_grad  # the graph path
    calls = _stacked_calls(monkeypatch)
    with no_grad():
        got = stack(x, (h0, c0))
    # layer 0 over x itself, then layers 1, 2; time-major
    assert calls == ([(7, 9, 6), (7, 9, 16), (7, 9, 16)] if PANELS else [])
    _assert_same(got, want, 2e-6)


def test_embedding_table_then_stacked_layer_equals_the_graph_path(monkeypatch):
    """Layer 0 reads the embedding's rows, layer 1 runs stacked (a language model's shape)."""
    embedding = Embedding(11, 8, generator=0)
    stack = LSTM(8, 16, num_layers=2, generator=1)
    ids = np.random.default_rng(3).integers(0, 11, (12, 5))
    want = stack(embedding(ids))
    calls = _stacked_calls(monkeypatch)
    with no_grad():
        got = stack(embedding(ids))
    assert len(calls) == (1 if PANELS else 0)
    _assert_same(got, want, 2e-6)


@pytest.mark.parametrize("case", ["lengths", "gru"])
def test_other_stacks_keep_the_layer_by_layer_path(monkeypatch, case):
    """Lengths and other cells: no stacked loop, same outputs. (A batch below the panels'
    runs stacked over kept panels: `test_kept_panels.py`; two directions: below.)"""
    batch = 6
    stack_class = GRU if case == "gru" else LSTM
    stack = stack_class(5, 8, num_layers=2, generator=0)
    x = Tensor(np.random.default_rng(4).standard_normal((6, batch, 5)).astype(np.float32))
    lengths = np.array([6, 2, 5, 6, 1, 3]) if case == "lengths" else None
    want = stack(x, lengths=lengths)
    calls = _stacked_calls(monkeypatch)
    with no_grad():
        got = stack(x, lengths=lengths)
    assert calls == []
    _assert_same(got, want, 2e-6)


@pytest.mark.parametrize("batch", [1, 6])
def test_bidirectional_lstm_runs_each_direction_stacked(monkeypatch, two_threads, batch):
    """Each direction of a bidirectional LSTM layer runs stacked where a one-direction layer
    of its shape would (the reverse one from the last step, `lstm_stacked_reverse`, over its
    own kept panels): the graph path's outputs to float32 round-off (the stacked loop sums
    [x_t | h | 1] in one product, the graph path projects x first), and on 2 threads (the
    directions side by side, each whole on a thread) the one-thread bits."""
    stack = LSTM(5, 8, num_layers=2, bidirectional=True, generator=0)
    x = Tensor(np.random.default_rng(batch).standard_normal((6, batch, 5)).astype(np.float32))
    want = stack(x)
    with no_grad(), one_thread():
        alone = stack(x)
    calls = _stacked_calls(monkeypatch)
    with no_grad():
        got = stack(x)
    assert len(calls) == (4 if PANELS else 0)  # 2 layers x 2 directions
    for got_array, alone_array in zip(_flat(got), _flat(alone)):
        np.testing.assert_array_equal(got_array, alone_array)
    _assert_same(got, want, 2e-6)


def test_dropout_in_training_mode_keeps_the_graph_paths_dropout():
    """Under no_grad a training-mode stack with dropout still drops (as PyTorch's does)."""
    stack = LSTM(4, 8, num_layers=2, dropout=0.5, generator=0)
    x = Tensor(np.ones((5, 6, 4), np.float32))
    with no_grad():
        dropped = stack(x)[0].data
        stack.eval()
        kept = stack(x)[0].data
    assert not np.allclose(dropped, kept)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("panels", [1, 2])
def test_project_by_panels_equals_numpy(dtype, panels):
    rows = panels * panel_columns(1, dtype)
    assert recurrent_inference.panels_project(rows, dtype) == PANELS
    rng = np.random.default_rng(panels)
    x = rng.standard_normal((rows, 9)).astype(dtype)
    w = rng.standard_normal((20, 9)).astype(dtype)
    bias = rng.standard_normal(20).astype(dtype)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    for b in (bias, None):
        got = recurrent_inference.project_by_panels(x, w, b)
        want = x.astype(np.float64) @ w.T.astype(np.float64) + (0 if b is None else b)
        assert got.dtype == dtype and got.shape == (rows, 20)
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("stack_class", [GRU])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_one_upper_layer_projected_by_panels_equals_the_graph_path(monkeypatch,
                                                                         stack_class, dtype):
    """Batch 1 over as many steps as a panel has columns: layer 1's projection by panels.
    (An LSTM's layers run stacked over kept panels there: `test_kept_panels.py`.)"""
    steps = panel_columns(1, dtype)
    stack = stack_class(5, 8, num_layers=2, dtype=dtype, generator=0)
    x = Tensor(np.random.default_rng(5).standard_normal((steps, 1, 5)).astype(dtype))
    want = stack(x)
    calls = []
    real = recurrent_inference.project_by_panels
    monkeypatch.setattr(recurrent_inference, "project_by_panels",
                        lambda *args: calls.append(args[0].shape) or real(*args))
    with no_grad():
        got = stack(x)
    assert calls == ([(steps, 8)] if PANELS else [])
    _assert_same(got, want, 2e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("stack_class", [LSTM, GRU, RNN])
def test_plain_arrays_as_input_and_state_under_no_grad(stack_class):
    """The graph path takes NumPy arrays for x and h0 (and c0): so does the no-grad path."""
    stack = stack_class(4, 8, num_layers=2, generator=0)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((5, 6, 4)).astype(np.float32)
    h0 = rng.standard_normal((2, 6, 8)).astype(np.float32)
    state = (h0, rng.standard_normal((2, 6, 8)).astype(np.float32)) if stack_class is LSTM else h0
    want = stack(x, state)
    with no_grad():
        got = stack(x, state)
    _assert_same(got, want, 2e-6)


@pytest.mark.parametrize("case", ["lstm", "lstm table", "gru lengths", "bidirectional"])
def test_two_threads_split_the_batch_and_equal_the_graph_path(monkeypatch, two_threads,
                                                             small_parts, case):
    """On 2 threads a batch of 8+ sequences a part runs as parts of the batch, every layer of
    a part on one thread: the same outputs as the graph path, the parts covering the batch.
    An LSTM over its own input whose layers all run stacked ("lstm") is split by chunks its
    threads claim (`_claimed_call`) instead of fixed parts."""
    batch = 21
    stack = (GRU if case.startswith("gru") else LSTM)(8, 16, num_layers=2, generator=0,
                                                      bidirectional=case == "bidirectional")
    rng = np.random.default_rng(7)
    lengths = rng.integers(1, 7, batch) if case == "gru lengths" else None
    if case == "lstm table":
        embedding = Embedding(11, 8, generator=1)
        ids = rng.integers(0, 11, (6, batch))
        want = stack(embedding(ids))
    else:
        x = Tensor(rng.standard_normal((6, batch, 8)).astype(np.float32))
        want = stack(x, lengths=lengths)
    parts, claimed = [], []
    real = recurrent_inference._stack_arrays
    monkeypatch.setattr(recurrent_inference, "_stack_arrays",
                        lambda stack, x, h0, *rest, **keywords: parts.append(h0.shape[1])
                        or real(stack, x, h0, *rest, **keywords))
    real_claimed = recurrent_inference._claimed_call
    monkeypatch.setattr(recurrent_inference, "_claimed_call",
                        lambda *args: claimed.append(real_claimed(*args)) or claimed[-1])
    with no_grad():
        got = stack(embedding(ids)) if case == "lstm table" else stack(x, lengths=lengths)
    expected_parts = recurrent_inference.batch_parts(batch)
    if case == "lstm" and expected_parts == 2 and PANELS:
        assert parts == [] and len(claimed) == 1 and claimed[0] is not None
    else:
        assert sorted(parts) == ([10, 11] if expected_parts == 2 else [batch])
        assert not any(claimed)
    _assert_same(got, want, 2e-6)


@pytest.mark.parametrize("stack_class", [LSTM, GRU, RNN])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_split_parts_write_their_own_outputs_into_the_calls(monkeypatch, two_threads,
                                                            small_parts, stack_class, dtype):
    """Each part of a batch split writes its sequences' out, h_n (and c_n) into the call's
    arrays itself: bit for bit the parts' own arrays side by side, each in its own columns.
    (An LSTM over its own input is split by claimed chunks, `_claimed_call`: here it takes
    the fixed parts, as an LSTM over a table or past the L2 does.)"""
    batch = 19
    if recurrent_inference.batch_parts(batch) != 2:
        pytest.skip("needs 2 usable cores (and the JIT) for a batch split")
    monkeypatch.setattr(recurrent_inference, "_claimed_call", lambda *args: None)
    stack = stack_class(8, 16, num_layers=2, generator=0, dtype=dtype)
    x = Tensor(np.random.default_rng(11).standard_normal((6, batch, 8)).astype(dtype))
    parts = {}
    real = recurrent_inference._stack_arrays

    def recording(stack, x, h0, *rest, **keywords):
        result = real(stack, x, h0, *rest, **keywords)
        parts[h0.shape[1]] = [None if array is None else array.copy() for array in result]
        return result

    monkeypatch.setattr(recurrent_inference, "_stack_arrays", recording)
    with no_grad():
        got = _flat(stack(x))
    assert sorted(parts) == [9, 10]
    for index, got_array in enumerate(got):
        want = np.concatenate([parts[9][index], parts[10][index]], axis=1)
        assert got_array.dtype == dtype
        np.testing.assert_array_equal(got_array, want)


@pytest.mark.parametrize("case", ["lstm batch 1 table", "gru batch 3 lengths",
                                  "lstm no bias float64", "rnn batch 2"])
def test_small_batches_on_two_threads_run_as_one_unit_team(monkeypatch, two_threads, case):
    """Below the panels' batch on 2 threads a stack runs as one team split by hidden units
    (`recurrent_units_team`) where `units_team_parts` says so: the graph path's outputs."""
    if recurrent_inference.team_size(256) < 2:
        pytest.skip("needs 2 usable cores for a team")
    dtype = np.float64 if "float64" in case else np.float32
    batch = 3 if "batch 3" in case else (2 if "batch 2" in case else 1)
    stack_class = {"lstm": LSTM, "gru": GRU, "rnn": RNN}[case.split()[0]]
    stack = stack_class(8, 256, num_layers=2, bias="no bias" not in case, dtype=dtype,
                        generator=0)
    rng = np.random.default_rng(8)
    lengths = np.array([5, 2, 4]) if "lengths" in case else None
    if "table" in case:
        embedding = Embedding(11, 8, generator=1)
        ids = rng.integers(0, 11, (5, batch))
        want = stack(embedding(ids))
    else:
        x = Tensor(rng.standard_normal((5, batch, 8)).astype(dtype))
        want = stack(x, lengths=lengths)
    teams = _spy_teams(monkeypatch)
    with no_grad():
        got = stack(embedding(ids)) if "table" in case else stack(x, lengths=lengths)
    expected = recurrent_inference.units_team_parts(stack.kind, batch, 256, 1)
    if not recurrent_inference.units_team_work_pays(stack.kind, batch, 8, 256, 2):
        expected = 1
    assert teams == ([expected] if expected > 1 else [])
    _assert_same(got, want, 2e-6 if dtype == np.float32 else 1e-12)


def test_units_team_is_only_for_small_unidirectional_batches_with_work(two_threads):
    if recurrent_inference.team_size(128) < 2:
        pytest.skip("needs 2 usable cores for a team")
    parts = recurrent_inference.units_team_parts
    lstm, gru, rnn = (LSTM(4, 256, generator=0), GRU(4, 256, generator=0),
                      RNN(4, 256, generator=0))
    assert parts(lstm.kind, 1, 256, 2) == 1  # bidirectional
    assert parts(lstm.kind, 4, 256, 1) == 1  # from batch 4 the panel loops
    assert parts(lstm.kind, 1, 64, 1) == 1  # 4 * 64 * 64 multiply-adds a step: too few
    assert parts(gru.kind, 1, 96, 1) == 1
    assert parts(rnn.kind, 1, 128, 1) == 1
    assert parts(lstm.kind, 1, 256, 1, layer_steps=1) == 1  # one step at a time: no team
    expected = recurrent_inference.team_size(128)  # 2 where 2 cores are usable
    assert parts(lstm.kind, 3, 128, 1) == parts(gru.kind, 1, 128, 1) == expected


def test_units_team_pays_only_with_work_enough_a_layer_step():
    """Shapes alone decide (`units_team_work_pays`): the batch times each layer's input and
    recurrent multiply-adds, averaged over the layers, against `MIN_TEAM_LAYER_STEP_MACS`."""
    pays = recurrent_inference.units_team_work_pays
    lstm, gru, rnn = (LSTM(4, 8, generator=0).kind, GRU(4, 8, generator=0).kind,
                      RNN(4, 8, generator=0).kind)
    assert not pays(lstm, 1, 40, 128, 1)  # (40 + 128) * 4 * 128 = 86k: one thread is faster
    assert not pays(lstm, 2, 40, 128, 1)  # 172k
    assert not pays(lstm, 1, 40, 128, 2)  # (86k + 131k) / 2
    assert not pays(gru, 1, 40, 128, 1)
    assert not pays(rnn, 1, 40, 256, 1)
    assert pays(lstm, 1, 40, 256, 1)  # 303k
    assert pays(lstm, 1, 256, 256, 2)  # the char LM's 2 x 256 over a 256-wide embedding
    assert pays(gru, 1, 40, 256, 1)
    assert pays(rnn, 1, 40, 512, 1)
    assert pays(lstm, 3, 40, 128, 1)  # 259k
    # layer 0 fed by an embedding's table multiplies no input a step: its recurrent product
    assert pays(lstm, 1, 256, 256, 2, reads_table=True)  # (256k + 524k) / 2
    assert pays(lstm, 1, 192, 192, 1) and not pays(lstm, 1, 192, 192, 1, reads_table=True)
    assert pays(gru, 1, 192, 192, 1) and not pays(gru, 1, 192, 192, 1, reads_table=True)
    assert pays(lstm, 1, 256, 256, 1, reads_table=True)  # 262k


@pytest.mark.parametrize("stack_class", [LSTM, GRU])
def test_small_work_on_two_threads_gives_the_one_thread_calls_bits(monkeypatch, two_threads,
                                                                   stack_class):
    """A batch-1 stack whose unit team would not pay (`units_team_work_pays`) runs the
    one-thread path on 2 threads: no team, bit for bit what a 1-thread call gives (the team
    gave the graph path's outputs to float32 round-off, not the 1-thread call's bits)."""
    from seqlab.autograd import threads

    stack = stack_class(40, 128, num_layers=1, generator=0)
    x = Tensor(np.random.default_rng(9).standard_normal((16, 1, 40)).astype(np.float32))
    want = stack(x)
    teams = _spy_teams(monkeypatch)
    with no_grad():
        got = stack(x)
        threads.set_num_threads(1)
        one = stack(x)
        threads.set_num_threads(2)
    assert teams == []
    for got_array, one_array in zip(_flat(got), _flat(one)):
        np.testing.assert_array_equal(got_array, one_array)
    _assert_same(got, want, 2e-6)


@pytest.mark.parametrize("stack_class", [LSTM, GRU])
def test_embedding_fed_small_work_on_two_threads_gives_the_one_thread_calls_bits(
        monkeypatch, two_threads, stack_class):
    """An Embedding-fed batch-1 stack counts only layer 0's recurrent product
    (`units_team_work_pays(reads_table=True)`): at 192 units, too little for the unit team,
    the 2-thread call runs the one-thread path, bit for bit what a 1-thread call gives."""
    from seqlab.autograd import threads

    if recurrent_inference.team_size(192) < 2:
        pytest.skip("needs 2 usable cores for a team")
    embedding = Embedding(65, 192, generator=1)
    stack = stack_class(192, 192, num_layers=1, generator=0)
    ids = np.random.default_rng(10).integers(0, 65, (16, 1))
    want = stack(embedding(ids))
    teams = _spy_teams(monkeypatch)
    with no_grad():
        got = stack(embedding(ids))
        threads.set_num_threads(1)
        one = stack(embedding(ids))
        threads.set_num_threads(2)
    assert teams == []
    for got_array, one_array in zip(_flat(got), _flat(one)):
        np.testing.assert_array_equal(got_array, one_array)
    _assert_same(got, want, 2e-6)


def _flat(output) -> list:
    out, state = output
    return [out.data] + [s.data for s in (state if isinstance(state, tuple) else [state])]


def test_a_read_only_weight_in_one_layer_takes_the_unit_team_too(two_threads):
    """Weights of mixed flags (one layer's W_hh read-only, as from a memory-mapped file) give
    the kernel's per-layer tuples one type: no TypingError, the graph path's outputs."""
    if recurrent_inference.team_size(128) < 2:
        pytest.skip("needs 2 usable cores for a team")
    stack = LSTM(8, 256, num_layers=2, generator=0)  # (work enough for the team)
    frozen = stack.weight_hh_l1.data.copy()
    frozen.setflags(write=False)
    stack.weight_hh_l1.data = frozen
    x = Tensor(np.random.default_rng(3).standard_normal((6, 1, 8)).astype(np.float32))
    want = stack(x)
    with no_grad():
        got = stack(x)
    _assert_same(got, want, 2e-6)


@pytest.mark.parametrize("hidden", [16, 48, 80])
def test_stacked_panels_packed_by_several_threads_equal_one(hidden):
    """`stacked_panels` split over 2 or 3 threads (whole panels each, some with none when
    there are fewer panels than threads) packs exactly what one thread packs."""
    rng = np.random.default_rng(hidden)
    w_ih = rng.standard_normal((4 * hidden, 7)).astype(np.float32)
    w_hh = rng.standard_normal((4 * hidden, hidden)).astype(np.float32)
    b_ih, b_hh = (rng.standard_normal(4 * hidden).astype(np.float32) for _ in range(2))
    want = recurrent_inference.stacked_panels(w_ih, w_hh, b_ih, b_hh, np.float32)
    want_packed = recurrent_inference.packed_panels(w_hh, np.float32)
    for parts in (2, 3):
        got = recurrent_inference.stacked_panels(w_ih, w_hh, b_ih, b_hh, np.float32, parts)
        np.testing.assert_array_equal(got, want)
        got = recurrent_inference.packed_panels(w_hh, np.float32, parts)
        np.testing.assert_array_equal(got, want_packed)


@pytest.mark.parametrize("source", ["table", "x"])
@pytest.mark.parametrize("hidden,batch", [(48, 18), (80, 19)])
def test_two_threads_share_the_table_projection_and_panels(monkeypatch, two_threads,
                                                           small_parts, hidden, batch, source):
    """A batch split (even or not) over an embedding's table or a plain input: the table's
    projection, layer 0's W_hh panels and the stacked layer's panels computed once for both
    parts (`shared_work`, gate rows over several panels), the graph path's outputs."""
    if recurrent_inference.batch_parts(batch) != 2:
        pytest.skip("needs 2 usable cores (and the JIT) for a batch split")
    embedding = Embedding(13, 8, generator=1)
    stack = LSTM(8, hidden, num_layers=2, generator=0)
    ids = np.random.default_rng(8).integers(0, 13, (5, batch))
    x = Tensor(np.random.default_rng(8).standard_normal((5, batch, 8)).astype(np.float32))

    def run():
        return stack(embedding(ids) if source == "table" else x)

    want = run()
    shared = []
    real = recurrent_inference.shared_work
    monkeypatch.setattr(recurrent_inference, "shared_work",
                        lambda *args: shared.append(real(*args)) or shared[-1])
    calls = _stacked_calls(monkeypatch)
    with no_grad():
        got = run()
    assert len(shared) == 1 and ("rows" in shared[0]) == (PANELS and source == "table")
    # layer 0 over the shared W_hh panels after a table, stacked over x itself
    assert ("panels0" in shared[0]) == (PANELS and source == "table")
    assert (0 in shared[0]) == (PANELS and source == "x") and (1 in shared[0]) == PANELS
    # (over x the threads claim chunks through both layers: no layer call a part)
    assert len(calls) == (2 if PANELS and source == "table" else 0)
    _assert_same(got, want, 2e-6)


def test_two_threads_with_an_input_of_another_dtype_refuse_it_as_the_graph_path(two_threads):
    """A float64 input to a float32 stack over a batch split: no shared work in the wrong
    dtype, the graph path's one clear error."""
    stack = LSTM(8, 16, num_layers=2, generator=0)
    x = Tensor(np.random.default_rng(9).standard_normal((5, 18, 8)))
    with pytest.raises(ValueError, match="dtype") as graph_error:
        stack(x)
    with no_grad(), pytest.raises(ValueError, match="dtype") as no_grad_error:
        stack(x)
    assert str(no_grad_error.value) == str(graph_error.value)


@pytest.mark.parametrize("case", ["gru", "bidirectional gru", "lstm lengths", "rnn"])
def test_two_threads_project_the_table_once_for_every_kind(monkeypatch, two_threads,
                                                           small_parts, case):
    """GRU, RNN, bidirectional and `lengths` parts share layer 0's projection of the table
    (`shared_table_rows`, each direction's once, where every part had projected the whole
    table itself): the same bits as parts that project it themselves, the graph path's
    outputs."""
    if recurrent_inference.batch_parts(18) != 2:
        pytest.skip("needs 2 usable cores (and the JIT) for a batch split")
    embedding = Embedding(13, 8, generator=1)
    stack_class = {"gru": GRU, "bidirectional gru": GRU, "lstm lengths": LSTM, "rnn": RNN}[case]
    directions = 2 if case.startswith("bidirectional") else 1
    stack = stack_class(8, 48, num_layers=2, generator=0, bidirectional=directions == 2)
    ids = np.random.default_rng(10).integers(0, 13, (5, 18))
    lengths = (np.random.default_rng(3).integers(1, 6, 18) if case == "lstm lengths"
               else None)
    want = stack(embedding(ids), lengths=lengths)
    shared = []
    real = recurrent_inference.shared_work
    monkeypatch.setattr(recurrent_inference, "shared_work",
                        lambda *args: shared.append(real(*args)) or shared[-1])
    projections = []
    real_rows = recurrent_inference.project_rows
    monkeypatch.setattr(recurrent_inference, "project_rows",
                        lambda *args: projections.append(args[0].shape) or real_rows(*args))
    with no_grad():
        got = stack(embedding(ids), lengths=lengths)
    assert len(shared) == 1
    assert sorted(shared[0]) == [("rows", direction) for direction in range(directions)]
    assert len(projections) == directions  # (each part had projected every direction)
    _assert_same(got, want, 2e-6)
    monkeypatch.setattr(recurrent_inference, "shared_table_rows", lambda *args: {})
    with no_grad():
        own = stack(embedding(ids), lengths=lengths)
    for got_tensor, own_tensor in zip(_flat(got), _flat(own)):
        np.testing.assert_array_equal(got_tensor, own_tensor)


def test_an_input_of_another_dtype_on_one_thread_refuses_it_as_the_graph_path(monkeypatch):
    """Layer 0 runs stacked over x only when x shares the stack's dtype: a float64 input to
    a float32 stack at a panel batch gets the graph path's one clear error, no stacked call."""
    stack = LSTM(8, 16, num_layers=2, generator=0)
    x = Tensor(np.random.default_rng(9).standard_normal((5, 9, 8)))
    with pytest.raises(ValueError, match="dtype") as graph_error:
        stack(x)
    calls = _stacked_calls(monkeypatch)
    with no_grad(), pytest.raises(ValueError, match="dtype") as no_grad_error:
        stack(x)
    assert str(no_grad_error.value) == str(graph_error.value) and calls == []
