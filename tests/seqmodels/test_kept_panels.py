"""No-grad LSTM calls read their layers' stacked panels kept across calls (`kept_panels`): at
every batch (below the panels' too), never stale after a weight is written in place, packed
per call again while the weights keep changing; and the thread policy for small calls
(`recurrent_inference.call_parts`, `stacked_pays`): the graph path's outputs to float32
round-off (the stacked loop sums in another order than the projection and BLAS loop), and
the same bits as the one-thread stacked loop where it computes the same sums."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.autograd import Tensor, no_grad
from seqlab.autograd.kernels.panel_gemm import MIN_BATCH
from seqlab.autograd.threads import one_thread
from seqlab.seqmodels import kept_panels, recurrent_inference
from seqlab.seqmodels.kept_tables import forget
from seqlab.seqmodels.language_model import LanguageModel
from seqlab.seqmodels.recurrent import GRU, LSTM
from seqlab.seqmodels.recurrent_inference import PANELS

pytestmark = pytest.mark.skipif(not PANELS, reason="the stacked loop needs the FMA panels "
                                                   "(and the JIT)")


def _count(monkeypatch, name: str) -> list:
    calls = []
    real = getattr(recurrent_inference, name)
    monkeypatch.setattr(recurrent_inference, name,
                        lambda *args, **keywords: calls.append(args[0].shape)
                        or real(*args, **keywords))
    return calls


def _assert_close(got, want, tolerance=2e-6):
    (got_out, (got_h, got_c)), (want_out, (want_h, want_c)) = got, want
    for got_tensor, want_tensor in ((got_out, want_out), (got_h, want_h), (got_c, want_c)):
        assert got_tensor.shape == want_tensor.shape and got_tensor.dtype == want_tensor.dtype
        np.testing.assert_allclose(got_tensor.data, want_tensor.data, rtol=tolerance,
                                   atol=tolerance)


@pytest.mark.parametrize("batch", [1, 3])
def test_small_batches_run_stacked_over_panels_packed_once(monkeypatch, batch):
    """Below the panels' batch every layer runs stacked; the second call packs nothing and
    gives the first call's bits."""
    stack = LSTM(5, 8, num_layers=2, generator=0)
    x = Tensor(np.random.default_rng(batch).standard_normal((6, batch, 5)).astype(np.float32))
    want = stack(x)
    stacked = _count(monkeypatch, "lstm_stacked_layer")
    packs = _count(monkeypatch, "stacked_panels")
    with no_grad(), one_thread():
        first = stack(x)
        second = stack(x)
    assert stacked == [(6, batch, 5), (6, batch, 8)] * 2
    assert len(packs) == 2  # both layers on the first call only
    _assert_close(first, want)
    for a, b in zip((first[0], *first[1]), (second[0], *second[1])):
        np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("threads", ["one", "two"])
def test_bidirectional_layers_keep_each_directions_panels(monkeypatch, two_threads, threads):
    """Each direction of a bidirectional layer keeps its own panels (the reverse one under
    its own key): the first call packs all four, the next packs none, the same bits, whether
    the two directions run in turn or side by side."""
    stack = LSTM(5, 8, num_layers=2, bidirectional=True, generator=0)
    x = Tensor(np.random.default_rng(2).standard_normal((6, 4, 5)).astype(np.float32))
    want = stack(x)
    packs = _count(monkeypatch, "stacked_panels")
    with no_grad():
        if threads == "one":
            with one_thread():
                first, second = stack(x), stack(x)
        else:
            first, second = stack(x), stack(x)
    assert len(packs) == 4  # 2 layers x 2 directions, on the first call only
    _assert_close(first, want)
    for a, b in zip((first[0], *first[1]), (second[0], *second[1])):
        np.testing.assert_array_equal(a.data, b.data)


def test_the_panels_room_exists_before_the_two_directions_start(monkeypatch, two_threads):
    """The race the "two" case above names: both directions looking up a missing room at
    once would each make one (and one direction's panels would be lost). Whether or not
    `run_both` then runs them side by side, the room is there before it starts them."""
    from seqlab.seqmodels import kept_tables

    stack = LSTM(5, 8, num_layers=2, bidirectional=True, generator=0)
    x = Tensor(np.random.default_rng(2).standard_normal((6, 4, 5)).astype(np.float32))
    key = ("stacked panels", np.dtype(np.float32).str)
    real, found = recurrent_inference.run_both, []

    def watched(tasks, *args, **kwargs):
        found.append(key in kept_tables._KEPT.get(stack, {}))
        return real(tasks, *args, **kwargs)

    monkeypatch.setattr(recurrent_inference, "run_both", watched)
    with no_grad():
        stack(x)
    assert found and all(found)


@pytest.mark.parametrize("written", ["weight_ih_l0", "weight_hh_l1", "bias_hh_l0"])
def test_a_weight_written_in_place_is_never_read_stale(monkeypatch, written):
    """One element of one weight written in place between calls: its layer packs again and
    the outputs are the graph path's with the new weights."""
    stack = LSTM(5, 8, num_layers=2, generator=0)
    x = Tensor(np.random.default_rng(0).standard_normal((6, 2, 5)).astype(np.float32))
    with no_grad(), one_thread():
        stack(x)
    getattr(stack, written).data.reshape(-1)[3] += 0.25  # (as an optimizer's step would)
    want = stack(x)
    packs = _count(monkeypatch, "stacked_panels")
    with no_grad(), one_thread():
        got = stack(x)
    assert len(packs) == 1
    _assert_close(got, want)


def test_weights_changing_between_calls_stop_the_keeping(monkeypatch):
    """After two calls in a row that found their weights changed, a batch below the panels'
    packs its panels for the call alone (nothing copied to be kept), on the same stacked path:
    the bits of a call that kept them."""
    stack = LSTM(5, 8, num_layers=1, generator=0)
    x = Tensor(np.random.default_rng(1).standard_normal((6, 1, 5)).astype(np.float32))
    with no_grad(), one_thread():
        for _ in range(3):
            stack.weight_hh_l0.data += 0.01
            stack(x)
    assert not kept_panels.panels_watch(stack).pays()
    stacked = _count(monkeypatch, "lstm_stacked_layer")
    want = stack(x)
    packs = _counted_packs(monkeypatch)
    with no_grad(), one_thread():
        got = stack(x)
        stack(x)
    assert stacked == [(6, 1, 5)] * 2 and len(packs) == 2  # packed by each call for itself
    _assert_close(got, want)
    forget(stack)  # nothing kept, nothing watched: the call keeps, with the same bits
    with no_grad(), one_thread():
        fresh = stack(x)
    for a, b in zip((got[0], *got[1]), (fresh[0], *fresh[1])):
        np.testing.assert_array_equal(a.data, b.data)


def _counted_packs(monkeypatch) -> list:
    packs = []
    real = recurrent_inference.stacked_panels
    monkeypatch.setattr(recurrent_inference, "stacked_panels",
                        lambda *args, **keywords: packs.append(1) or real(*args, **keywords))
    return packs


def test_an_eight_layer_stack_keeps_every_layers_panels(monkeypatch):
    """All of a deep stack's layers' panels stay kept across calls (one kept entry per stack,
    the watches apart from the evicting results): no layer packs again after the first call,
    and weights that keep changing still stop the keeping."""
    stack = LSTM(32, 32, num_layers=8, generator=0)
    x = Tensor(np.random.default_rng(0).standard_normal((64, 1, 32)).astype(np.float32))
    packs = _counted_packs(monkeypatch)
    with no_grad(), one_thread():
        stack(x)
        assert len(packs) == 8
        for _ in range(3):
            stack(x)
    assert len(packs) == 8
    with no_grad(), one_thread():
        for _ in range(3):
            stack.weight_hh_l7.data += 0.01
            stack(x)
    assert not kept_panels.panels_watch(stack).pays()


def test_a_seven_layer_language_model_keeps_every_layers_panels(monkeypatch):
    model = LanguageModel(65, 32, 32, num_layers=7, generator=0)
    ids = np.random.default_rng(0).integers(0, 65, (64, 1))
    packs = _counted_packs(monkeypatch)
    with no_grad(), one_thread():
        model(ids)
        first = len(packs)
        for _ in range(3):
            model(ids)
    assert first >= 6 and len(packs) == first


def test_call_parts_split_small_lstm_calls_by_panel_tiles_with_work(two_threads):
    """Parts of `MIN_BATCH` sequences for an LSTM whose panels fit a core's L2, only while a
    part has `MIN_PART_MACS` of work; other stacks keep `batch_parts`."""
    parts = recurrent_inference.call_parts
    if parts(LSTM(40, 128, generator=0), 32, 64, 40, None, np.float32) < 2:
        pytest.skip("needs 2 usable cores for a split")
    small = LSTM(40, 128, generator=0)
    assert parts(small, 2 * MIN_BATCH, 64, 40, None, np.float32) == 2
    assert parts(small, 2 * MIN_BATCH - 1, 64, 40, None, np.float32) == 1
    assert parts(small, 2 * MIN_BATCH, 2, 40, None, np.float32) == 1  # too little work
    assert parts(small, 2 * MIN_BATCH, 64, 40, np.full(8, 64), np.float32) == 1  # lengths
    assert parts(LSTM(40, 32, generator=0), 8, 64, 40, None, np.float32) == 1  # too little
    assert parts(LSTM(40, 32, generator=0), 32, 64, 40, None, np.float32) == 2
    wide = LSTM(40, 512, generator=0)  # panels past a core's L2: the old rule (8 a part)
    assert parts(wide, 8, 64, 40, None, np.float32) == recurrent_inference.batch_parts(8) == 1
    assert parts(GRU(40, 128, generator=0), 8, 64, 40, None, np.float32) == 1


@pytest.mark.parametrize("batch", [5, 8, 13])
def test_two_threads_small_lstm_calls_give_the_one_thread_bits(monkeypatch, two_threads, batch):
    """On 2 threads a small LSTM runs stacked, alone (batch 5) or split by chunks of a panel
    tile's sequences its threads claim (8, 13: `_claimed_call`): each sequence's sums are the
    one-thread stacked loop's, so are the bits; the graph path's outputs to float32
    round-off."""
    stack = LSTM(40, 128, num_layers=2, generator=0)
    x = Tensor(np.random.default_rng(batch).standard_normal((64, batch, 40)).astype(np.float32))
    want = stack(x)
    with no_grad(), one_thread():
        alone = stack(x)
    parts = []
    real = recurrent_inference._stack_arrays
    monkeypatch.setattr(recurrent_inference, "_stack_arrays",
                        lambda stack, x, h0, *rest, **keywords: parts.append(h0.shape[1])
                        or real(stack, x, h0, *rest, **keywords))
    stacked = _count(monkeypatch, "lstm_stacked_layer")
    claimed = []
    real_claimed = recurrent_inference._claimed_call
    monkeypatch.setattr(recurrent_inference, "_claimed_call",
                        lambda *args: claimed.append(real_claimed(*args)) or claimed[-1])
    with no_grad():
        got = stack(x)
    expected = recurrent_inference.call_parts(stack, batch, 64, 40, None, np.float32)
    if expected == 1:
        assert parts == [batch] and len(stacked) == 2 and claimed == []
    else:
        assert parts == [] and stacked == [] and len(claimed) == 1 and claimed[0] is not None
    for a, b in zip((got[0], *got[1]), (alone[0], *alone[1])):
        np.testing.assert_array_equal(a.data, b.data)
    _assert_close(got, want, 5e-6)
