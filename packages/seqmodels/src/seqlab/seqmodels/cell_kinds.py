"""The one table of what differs between recurrent cell kinds: LSTM, GRU, Elman RNN (tanh, relu).

Every place that used to choose by a string (the stacks, the composed and fused paths, the time
loops, inspection, seq2seq decoding, language-model generation) reads a `CellKind` instead:

    kind = CELL_KINDS["gru"]             # or cell_kind("rnn") for the names models are built by
    kind.gates, kind.has_cell_state      # 3, False
    kind.cell(x, h, c, w_ih, w_hh, b_ih, b_hh) -> (h, c | None)      composed reference step
    kind.loop_forward / kind.loop_backward                           fused time loops
    kind.step(xg, h, c, w_hh_t, b_hh) -> (h, c | None)               one step on ndarrays
    kind.step_kernel                                                 (its jitted kernel)
    kind.generation_code          the kind's code in seqlab.autograd.kernels.generation
    kind.stacked_code             its code in kernels.recurrent_lstm_claims (None: GRU has none)
    kind.relu, kind.saved_h_prev  the Elman nonlinearity; where loop_forward saves h_prev
    kind.rows_parts(steps, batch, w_hh)  the parts its training loop splits the batch into

The fused layer Function is one for every kind (`seqlab.seqmodels.fused.RecurrentLayer`): it
takes the kind and calls its loops.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from seqlab.autograd.kernels import generation, gru_step, lstm_step, rnn_step
from seqlab.autograd.kernels.recurrent_lstm_claims import LSTM_CELL, RNN_RELU_CELL, RNN_TANH_CELL
from seqlab.seqmodels import recurrent_loops as loops
from seqlab.seqmodels.cells import gru_cell, lstm_cell, rnn_cell


@dataclass(frozen=True)
class CellKind:
    """One recurrent cell kind: its gate count, state, and the functions that compute it."""

    name: str  # RNNBase.mode: 'lstm', 'gru', 'rnn_tanh' or 'rnn_relu'
    gates: int  # G: W_ih and W_hh have G * hidden_size rows
    has_cell_state: bool  # LSTM's c beside h
    # GRU: b_hh sits inside the reset gate, so the input projection holds b_ih alone and b_hh
    # goes to the loop; the others add both biases to the projection
    hh_bias_in_loop: bool
    cell: Callable  # (x, h, c, w_ih, w_hh, b_ih, b_hh) -> (h, c or None), autograd ops
    loop_forward: Callable  # see recurrent_loops
    loop_backward: Callable
    step: Callable  # (xg, h, c, w_hh_t, b_hh) -> (h, c or None), ndarrays: calls step_kernel
    step_kernel: Callable  # the jitted step itself (its module holds its cache)
    generation_code: int  # the kind in the fused whole-model generation kernels
    # the kind in the stacked no-grad loops (`recurrent_lstm_claims`); None: no stacked loop
    # (a GRU's n gate scales its recurrent sum by r before the input's is added)
    stacked_code: int | None
    relu: bool  # an Elman RNN's nonlinearity is ReLU (False: tanh, and every other kind)
    saved_h_prev: int  # the index of h_prev (T, N, H) in loop_forward's activations
    # (steps, batch, w_hh) -> how many parts a training loop splits its batch into by sequence
    # (1: it does not): shapes, dtype and the thread count only
    rows_parts: Callable

    def projection_bias(self, b_ih, b_hh):
        """The bias added to x @ W_ih^T (tensors or arrays; None without bias)."""
        if b_ih is None or self.hh_bias_in_loop:
            return b_ih
        return b_ih + b_hh


def _lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh):
    return lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh)


def _gru_cell(x, h, c, w_ih, w_hh, b_ih, b_hh):
    return gru_cell(x, h, w_ih, w_hh, b_ih, b_hh), None


def _rnn_cell(x, h, c, w_ih, w_hh, b_ih, b_hh, nonlinearity):
    return rnn_cell(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity), None


def _lstm_step(xg, h, c, w_hh_t, b_hh):
    return lstm_step(xg, h, c, w_hh_t)


def _gru_step(xg, h, c, w_hh_t, b_hh):
    return gru_step(xg, h, w_hh_t, b_hh), None


def _rnn_step(xg, h, c, w_hh_t, b_hh, relu):
    return rnn_step(xg, h, w_hh_t, relu), None


def _rnn_kind(nonlinearity: str) -> CellKind:
    relu = nonlinearity == "relu"
    return CellKind(
        name=f"rnn_{nonlinearity}", gates=1, has_cell_state=False, hh_bias_in_loop=False,
        cell=functools.partial(_rnn_cell, nonlinearity=nonlinearity),
        loop_forward=functools.partial(loops.rnn_loop_forward, relu=relu),
        loop_backward=functools.partial(loops.rnn_loop_backward, relu=relu),
        step=functools.partial(_rnn_step, relu=relu), step_kernel=rnn_step,
        generation_code=generation.RNN_RELU if relu else generation.RNN_TANH,
        stacked_code=RNN_RELU_CELL if relu else RNN_TANH_CELL, relu=relu, saved_h_prev=1,
        rows_parts=loops.loop_rows_team)


CELL_KINDS: dict[str, CellKind] = {
    "lstm": CellKind("lstm", 4, True, False, _lstm_cell, loops.lstm_loop_forward,
                     loops.lstm_loop_backward, _lstm_step, lstm_step, generation.LSTM,
                     stacked_code=LSTM_CELL, relu=False, saved_h_prev=3,
                     rows_parts=loops.lstm_rows_parts),
    "gru": CellKind("gru", 3, False, True, _gru_cell, loops.gru_loop_forward,
                    loops.gru_loop_backward, _gru_step, gru_step, generation.GRU,
                    stacked_code=None, relu=False, saved_h_prev=2,
                    rows_parts=loops.loop_rows_team),
    "rnn_tanh": _rnn_kind("tanh"),
    "rnn_relu": _rnn_kind("relu"),
}

# the names models and the CLI build stacks by ('rnn' is the tanh RNN)
CELL_NAMES: dict[str, str] = {"lstm": "lstm", "gru": "gru", "rnn": "rnn_tanh",
                              "rnn_relu": "rnn_relu"}
CELLS = tuple(CELL_NAMES)


def cell_kind(name: str) -> CellKind:
    """The kind a cell name ('lstm', 'gru', 'rnn', 'rnn_relu') or a stack mode names."""
    kind = CELL_KINDS.get(CELL_NAMES.get(name, name))
    if kind is None:
        raise ValueError(f"cell must be one of {', '.join(CELLS)}, got {name!r}")
    return kind
