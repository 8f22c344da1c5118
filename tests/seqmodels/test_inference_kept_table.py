"""Layer 0's projection of an embedding's whole table, kept across no-grad calls at a small
batch (`kept_tables`, `recurrent_inference.keeps_whole_table`): kept only while the arrays it
came from stay bitwise the same, so every change of the weights, however written, shows in the
next call; a call reading the kept table gives a fresh call's bits, on one thread and as the
unit team on two."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.autograd import no_grad, optim, threads
from seqlab.autograd.nn import Embedding, Parameter
from seqlab.seqmodels import recurrent, recurrent_inference
from seqlab.seqmodels.kept_tables import (
    _KEPT,
    MOST_KEPT,
    ChangeWatch,
    forget,
    kept,
    kept_room,
    same_bits,
)
from seqlab.seqmodels.recurrent import GRU, LSTM

VOCAB, FEATURES, HIDDEN = 20, 16, 96  # LSTM and GRU at H = 96: a unit team on 2 threads


@pytest.fixture(params=[1, 2], ids=["1 thread", "2 threads"])
def thread_count(request):
    before = threads.get_num_threads()
    threads.set_num_threads(request.param)
    yield request.param
    threads.set_num_threads(before)


def _ids(seed: int, steps: int = 24, batch: int = 1) -> np.ndarray:
    """Token ids reading at least 12 distinct rows (a whole table's worth)."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, VOCAB, (steps, batch))
    ids[:12, 0] = rng.permutation(VOCAB)[:12]
    return ids


def _model(stack_class=LSTM):
    return Embedding(VOCAB, FEATURES, generator=1), stack_class(FEATURES, HIDDEN, num_layers=2,
                                                               generator=0)


def _call(embedding, stack, ids) -> list[np.ndarray]:
    with no_grad():
        out, state = stack(embedding(ids))
    states = state if isinstance(state, tuple) else (state,)
    return [out.numpy().copy()] + [s.numpy().copy() for s in states]


def _fresh(embedding, stack, ids) -> list[np.ndarray]:
    """The call with nothing kept (computed from the weights as they are now)."""
    forget(stack)
    return _call(embedding, stack, ids)


def _assert_bits(got, want) -> None:
    for got_array, want_array in zip(got, want, strict=True):
        np.testing.assert_array_equal(got_array.view(np.uint32), want_array.view(np.uint32))


def _kept_keys(stack) -> list:
    """The keys of the tables kept for `stack` (its `ChangeWatch` and the stacked layers'
    kept panels aside: `test_kept_panels.py`)."""
    return [key for key in _KEPT.get(stack, {}) if key != ("change watch",)
            and not str(key[0]).startswith("stacked panels")]


@pytest.mark.parametrize("stack_class", [LSTM, GRU])
def test_a_kept_table_gives_a_fresh_calls_bits_and_is_computed_once(thread_count, stack_class):
    embedding, stack = _model(stack_class)
    first = _call(embedding, stack, _ids(0))
    assert _kept_keys(stack)  # batch 1, a 20-row table: kept
    for seed in (1, 2, 3):  # other ids: the same kept table serves them
        ids = _ids(seed)
        entries = dict(_KEPT[stack])
        got = _call(embedding, stack, ids)
        assert all(_KEPT[stack][key] is entry for key, entry in entries.items())
        _assert_bits(got, _fresh(embedding, stack, ids))
        _assert_bits(_call(embedding, stack, ids), got)
    _assert_bits(_call(embedding, stack, _ids(0)), first)
    with np.testing.assert_raises(AssertionError):  # (the checks above can fail)
        _assert_bits(_call(embedding, stack, _ids(1)), first)


def _write_in_place(embedding, stack, _ids_now) -> None:
    stack.weight_ih_l0.data[3, 2] += 0.5


def _write_through_copyto(embedding, stack, _ids_now) -> None:
    np.copyto(stack.bias_hh_l0.data, stack.bias_hh_l0.data[::-1].copy())


def _write_an_old_view(embedding, stack, _ids_now) -> None:
    # a view of the bias taken long before the call (no Tensor sees this write)
    _write_an_old_view.view[0] = 3.0


def _write_the_table(embedding, stack, ids_now) -> None:
    embedding.weight.numpy()[ids_now[0, 0]] *= -1.0


def _optimizer_step(embedding, stack, _ids_now) -> None:
    weight = stack.weight_ih_l0
    weight.grad = np.ones_like(weight.data)
    optim.SGD([weight], lr=0.1).step()


def _load_state_dict(embedding, stack, _ids_now) -> None:
    other = LSTM(FEATURES, HIDDEN, num_layers=2, generator=5) if isinstance(stack, LSTM) \
        else GRU(FEATURES, HIDDEN, num_layers=2, generator=5)
    stack.load_state_dict(other.state_dict())


def _new_parameter(embedding, stack, _ids_now) -> None:
    stack.bias_ih_l0 = Parameter(np.zeros_like(stack.bias_ih_l0.data))


def _new_embedding_weight(embedding, stack, _ids_now) -> None:
    embedding.weight = Parameter(embedding.weight.data * 0.5)


WRITES = [_write_in_place, _write_through_copyto, _write_an_old_view, _write_the_table,
          _optimizer_step, _load_state_dict, _new_parameter, _new_embedding_weight]


@pytest.mark.parametrize("write", WRITES, ids=[w.__name__.strip("_") for w in WRITES])
def test_a_weight_changed_after_a_call_is_seen_by_the_next_call(thread_count, write):
    embedding, stack = _model()
    _write_an_old_view.view = stack.bias_ih_l0.data
    ids = _ids(0)
    before = _call(embedding, stack, ids)
    assert _kept_keys(stack)
    write(embedding, stack, ids)
    got = _call(embedding, stack, ids)
    assert not np.array_equal(got[0], before[0])  # the change shows
    _assert_bits(got, _fresh(embedding, stack, ids))
    want = stack(embedding(ids))[0].numpy()  # the graph path: computed from the weights now
    np.testing.assert_allclose(got[0], want, rtol=2e-5, atol=2e-6)


def test_only_a_small_batch_and_a_small_table_are_kept(thread_count):
    embedding, stack = _model()
    _call(embedding, stack, _ids(0, batch=4))  # the panels' batch: the paths of before
    assert not _kept_keys(stack)
    _call(embedding, stack, np.array([[1], [2], [1], [2], [3]] * 4))  # 3 distinct rows of 20
    assert not _kept_keys(stack)
    assert recurrent_inference.keeps_whole_table(stack, VOCAB, 1, np.float32)
    assert not recurrent_inference.keeps_whole_table(stack, 100_000, 1, np.float32)
    assert not recurrent_inference.keeps_whole_table(stack, VOCAB, 4, np.float32)
    want = _call(embedding, stack, _ids(0, batch=3))
    assert _kept_keys(stack)
    _assert_bits(want, _fresh(embedding, stack, _ids(0, batch=3)))


def test_same_bits_compares_bits():
    a = np.array([0.0, 1.5, np.nan], np.float32)
    assert same_bits(a, a.copy())  # NaN: the same bits
    assert not same_bits(a, np.array([-0.0, 1.5, np.nan], np.float32))  # -0.0 is not 0.0
    assert not same_bits(a, a.astype(np.float64))
    assert not same_bits(a, a[:2])
    assert same_bits(None, None) and not same_bits(a, None)
    strided = np.arange(12.0).reshape(3, 4)[:, ::2]
    assert same_bits(strided, strided.copy())


def test_kept_recomputes_only_when_a_source_changes():
    owner = LSTM(2, 3)
    source = np.arange(6.0)
    computed = []

    def compute():
        computed.append(1)
        return source.sum()

    assert kept(owner, "k", (source, None), compute) == (15.0, True)
    assert kept(owner, "k", (source, None), compute) == (15.0, False)
    assert len(computed) == 1
    source[0] = 10.0
    assert kept(owner, "k", (source, None), compute) == (25.0, True)
    assert kept(owner, "k", (source, np.zeros(1)), compute) == (25.0, True)  # another source
    assert len(computed) == 3


def test_an_owner_keeps_only_its_most_recent_results():
    owner = LSTM(2, 3)
    for key in range(MOST_KEPT + 3):
        kept_room(owner, ("room", key), list)
    assert list(_KEPT[owner]) == [("room", key) for key in range(3, MOST_KEPT + 3)]
    forget(owner)
    assert owner not in _KEPT


def test_kept_results_are_evicted_by_the_most_recently_computed():
    owner = LSTM(2, 3)
    source = np.arange(3.0)
    for key in range(MOST_KEPT):
        kept(owner, key, (source,), lambda: 1.0)
    source[0] = 5.0
    assert kept(owner, 0, (source,), lambda: 2.0) == (2.0, True)  # the newest now
    assert kept(owner, MOST_KEPT, (source,), lambda: 3.0) == (3.0, True)
    assert list(_KEPT[owner]) == [*range(2, MOST_KEPT), 0, MOST_KEPT]  # 1, the oldest, went
    assert kept(owner, MOST_KEPT, (source,), lambda: 4.0) == (3.0, False)  # found: not moved
    assert list(_KEPT[owner])[-2:] == [0, MOST_KEPT]


def test_change_watch_stops_keeping_while_the_sources_change_and_probes():
    watch = ChangeWatch(changes=2, probe=4)
    assert watch.pays()
    watch.record(True)
    assert watch.pays()
    watch.record(True)  # two calls in a row found them changed
    answers = [watch.pays() for _ in range(8)]
    assert answers == [False, False, False, True] * 2  # a probe every 4th call
    watch.record(False)  # a probe found them unchanged
    assert watch.pays() and watch.pays()


@pytest.mark.parametrize("stack_class", [LSTM, GRU])
def test_weights_changed_before_every_call_send_calls_to_the_rows_read(monkeypatch, thread_count,
                                                                        stack_class):
    """An optimizer step between no-grad calls: after two calls that found the weights
    changed, calls project the rows they read (nothing kept), with the graph path's outputs."""
    embedding, stack = _model(stack_class)
    wholes = []
    real = recurrent._rows_read
    monkeypatch.setattr(recurrent, "_rows_read", lambda weight, ids, whole=False:
                        wholes.append(whole) or real(weight, ids, whole))
    for call in range(6):
        stack.weight_ih_l0.data[0, 0] += 0.25  # (W_ih's first element is among those sampled)
        ids = _ids(call)
        got = _call(embedding, stack, ids)
        want = stack(embedding(ids))[0].numpy()  # the graph path, the weights as they are
        np.testing.assert_allclose(got[0], want, rtol=2e-5, atol=2e-6)
    assert wholes == [True, True, False, False, False, False]



def test_two_python_threads_calling_one_model_get_a_lone_calls_bits():
    """A server calling one model from two threads at once: each call's outputs are what the
    call alone gives (the kept table is filled and read by one caller at a time; the other
    projects its rows itself). Before the lock, 30 of 80 such calls read rows of a table the
    other caller was still filling."""
    import threading

    before = threads.get_num_threads()
    threads.set_num_threads(2)
    try:
        rng = np.random.default_rng(0)
        wrong = 0
        for trial in range(16):
            def model(trial=trial):
                return (Embedding(65, 64, generator=trial),
                        LSTM(64, 256, num_layers=2, generator=trial))

            ids = [rng.integers(0, 65, (64, 1)) for _ in range(2)]
            want = [_call(*model(), i) for i in ids]  # each alone, on a model of its own
            embedding, stack = model()  # nothing kept yet: both callers would fill the table
            meet = threading.Barrier(2)
            got: list = [None, None]

            def caller(n: int, embedding=embedding, stack=stack, meet=meet, got=got,
                       ids=ids) -> None:
                meet.wait()
                got[n] = _call(embedding, stack, ids[n])

            workers = [threading.Thread(target=caller, args=(n,)) for n in range(2)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            for n in range(2):
                wrong += not all(np.array_equal(g.view(np.uint32), w.view(np.uint32))
                                 for g, w in zip(got[n], want[n], strict=True))
    finally:
        threads.set_num_threads(before)
    assert wrong == 0
