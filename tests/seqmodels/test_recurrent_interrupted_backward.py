"""A backward through a fused recurrent layer that writes its gradients over the saved
activations (a backward that does not retain the graph) must leave the node released even when
it is interrupted (Ctrl-C after the time loop, review 4 finding 2): a later backward through the
same layer, from another loss, then gets the usual "backward a second time" error instead of
silently wrong gradients computed from overwritten activations."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.autograd import Tensor
from seqlab.seqmodels import fused
from seqlab.seqmodels.cell_kinds import CELL_KINDS

STEPS, BATCH, FEATURES, HIDDEN = 5, 3, 4, 6


def _tensor(rng, *shape):
    return Tensor(rng.normal(size=shape), requires_grad=True)


def _layer_output(kind_name: str, projected: bool) -> Tensor:
    kind = CELL_KINDS[kind_name]
    rng = np.random.default_rng(0)
    gates = kind.gates * HIDDEN
    h0 = Tensor(np.zeros((BATCH, HIDDEN)))
    c0 = Tensor(np.zeros((BATCH, HIDDEN))) if kind.has_cell_state else None
    w_hh, b_hh = _tensor(rng, gates, HIDDEN), _tensor(rng, gates)
    if projected:
        xg = _tensor(rng, STEPS, BATCH, gates)
        out, _, _ = fused.run_projected(kind, xg, h0, c0, w_hh, b_hh)
    else:
        x, w_ih, b_ih = _tensor(rng, STEPS, BATCH, FEATURES), _tensor(rng, gates, FEATURES), \
            _tensor(rng, gates)
        out, _, _ = fused.run_direction(kind, x, h0, c0, (w_ih, w_hh, b_ih, b_hh), None, False)
    return out


def _interrupt_after(monkeypatch, name: str) -> None:
    real = getattr(fused.ops, name)

    def run_then_interrupt(*args, **kwargs):
        real(*args, **kwargs)  # the loop has written over the saved activations
        raise KeyboardInterrupt

    monkeypatch.setattr(fused.ops, name, run_then_interrupt)


@pytest.mark.parametrize("kind_name", ["lstm", "gru", "rnn_tanh"])
@pytest.mark.parametrize("projected", [False, True])
def test_a_retry_after_an_interrupted_backward_is_refused(monkeypatch, kind_name, projected):
    out = _layer_output(kind_name, projected)
    first, second = (out * out).sum(), (out * 3.0).sum()
    with monkeypatch.context() as patch:
        _interrupt_after(patch, "projected_backward" if projected else "layer_backward")
        with pytest.raises(KeyboardInterrupt):
            first.backward()
    with pytest.raises(RuntimeError, match="second time"):
        second.backward()


@pytest.mark.parametrize("projected", [False, True])
def test_a_retained_graph_still_allows_a_second_backward(projected):
    out = _layer_output("lstm", projected)
    (out * out).sum().backward(retain_graph=True)
    (out * 3.0).sum().backward()
