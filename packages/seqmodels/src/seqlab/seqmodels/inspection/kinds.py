"""What inspection adds to each kind of `seqlab.seqmodels.cell_kinds`: gate names and ranges, a
NumPy step that keeps every gate, and the state Jacobian; the autograd step is the kind's own
composed cell. Everything in `inspection` dispatches through `KINDS`.

Gate layouts are PyTorch's: LSTM rows [i, f, g, o]; GRU rows [r, z, n] with
n = tanh(W_in x + b_in + r * (W_hn h + b_hn)) and h' = (1 - z) * n + z * h.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from seqlab.autograd import Tensor
from seqlab.seqmodels.cell_kinds import CELL_KINDS

SIGMOID_RANGE = (0.0, 1.0)
TANH_RANGE = (-1.0, 1.0)
RELU_RANGE = (0.0, float("inf"))


def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic function in its tanh form (no overflow warning for large |a|)."""
    return 0.5 * (np.tanh(0.5 * a) + 1.0)


@dataclass(frozen=True)
class Step:
    """One step of one direction over a batch: new state and every gate's activation (N, H)."""

    h: np.ndarray
    c: np.ndarray | None
    gates: dict[str, np.ndarray]
    hidden_n: np.ndarray | None = None  # GRU: W_hn h + b_hn, the part r scales


def _split(matrix: np.ndarray, count: int) -> list[np.ndarray]:
    return np.split(matrix, count, axis=-1)


def lstm_step(x_proj, h, c, w_hh, b_hh) -> Step:
    """LSTM step; x_proj = x @ W_ih^T + b_ih."""
    a = x_proj + h @ w_hh.T + (0 if b_hh is None else b_hh)
    a_i, a_f, a_g, a_o = _split(a, 4)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c_next = f * c + i * g
    return Step(o * np.tanh(c_next), c_next, {"i": i, "f": f, "g": g, "o": o})


def gru_step(x_proj, h, c, w_hh, b_hh) -> Step:
    """GRU step; x_proj = x @ W_ih^T + b_ih."""
    h_proj = h @ w_hh.T + (0 if b_hh is None else b_hh)
    x_r, x_z, x_n = _split(x_proj, 3)
    h_r, h_z, h_n = _split(h_proj, 3)
    r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    return Step((1 - z) * n + z * h, None, {"r": r, "z": z, "n": n}, h_n)


def _rnn_step(relu: bool) -> Callable[..., Step]:
    def step(x_proj, h, c, w_hh, b_hh) -> Step:
        a = x_proj + h @ w_hh.T + (0 if b_hh is None else b_hh)
        return Step(np.maximum(a, 0) if relu else np.tanh(a), None, {})

    step.__doc__ = f"Elman RNN step ({'relu' if relu else 'tanh'}); x_proj = x @ W_ih^T + b_ih."
    return step


def lstm_graph_step(x: Tensor, h: Tensor, c: Tensor, w_ih: Tensor, w_hh: Tensor,
                    b_ih: Tensor | None, b_hh: Tensor | None,
                    cell_probe: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """The LSTM step on the autograd graph, with `cell_probe` added to c_t before
    h_t = o * tanh(c_t) reads it: the probe's gradient is then the total dL/dc_t (through h_t
    as well as the carry into c_{t+1}), torch's `c_t.retain_grad()`."""
    gates = x @ w_ih.T + h @ w_hh.T
    if b_ih is not None:
        gates = gates + b_ih + b_hh
    i, f, g, o = gates.chunk(4, 1)
    c_next = f.sigmoid() * c + i.sigmoid() * g.tanh()
    if cell_probe is not None:
        c_next = c_next + cell_probe
    return o.sigmoid() * c_next.tanh(), c_next


def _rows(w_hh: np.ndarray, count: int) -> list[np.ndarray]:
    return np.split(w_hh, count, axis=0)


def lstm_jacobian(step: Step, h, c, w_hh) -> np.ndarray:
    """d(h', c') / d(h, c), (N, 2H, 2H), from one step's gates."""
    gates = step.gates
    i, f, g, o = gates["i"], gates["f"], gates["g"], gates["o"]
    w_i, w_f, w_g, w_o = _rows(w_hh, 4)
    d_i = (i * (1 - i))[:, :, None] * w_i
    d_f = (f * (1 - f))[:, :, None] * w_f
    d_g = (1 - g**2)[:, :, None] * w_g
    d_o = (o * (1 - o))[:, :, None] * w_o
    dc_dh = c[:, :, None] * d_f + g[:, :, None] * d_i + i[:, :, None] * d_g
    tanh_c = np.tanh(step.c)
    slope = o * (1 - tanh_c**2)
    dh_dh = tanh_c[:, :, None] * d_o + slope[:, :, None] * dc_dh
    batch, hidden = h.shape
    jacobian = np.zeros((batch, 2 * hidden, 2 * hidden), dtype=h.dtype)
    diagonal = np.arange(hidden)
    jacobian[:, :hidden, :hidden] = dh_dh
    jacobian[:, diagonal, hidden + diagonal] = slope * f
    jacobian[:, hidden:, :hidden] = dc_dh
    jacobian[:, hidden + diagonal, hidden + diagonal] = f
    return jacobian


def gru_jacobian(step: Step, h, c, w_hh) -> np.ndarray:
    """dh' / dh, (N, H, H), from one step's gates."""
    r, z, n = step.gates["r"], step.gates["z"], step.gates["n"]
    w_r, w_z, w_n = _rows(w_hh, 3)
    d_r = (r * (1 - r))[:, :, None] * w_r
    d_z = (z * (1 - z))[:, :, None] * w_z
    d_n = (1 - n**2)[:, :, None] * (step.hidden_n[:, :, None] * d_r + r[:, :, None] * w_n)
    jacobian = (1 - z)[:, :, None] * d_n + (h - n)[:, :, None] * d_z
    diagonal = np.arange(h.shape[1])
    jacobian[:, diagonal, diagonal] += z
    return jacobian


def _rnn_jacobian(relu: bool) -> Callable[..., np.ndarray]:
    def jacobian(step: Step, h, c, w_hh) -> np.ndarray:
        slope = (step.h > 0).astype(h.dtype) if relu else 1 - step.h**2
        return slope[:, :, None] * w_hh[None]

    jacobian.__doc__ = "dh' / dh, (N, H, H): diag(activation slope) @ W_hh."
    return jacobian


@dataclass(frozen=True)
class CellKind:
    """What inspection needs to know about one cell kind."""

    mode: str  # RNNBase.mode
    title: str  # for people: "LSTM", "GRU", "Elman RNN (tanh)"
    gate_names: tuple[str, ...]  # in weight-row order
    gate_ranges: tuple[tuple[float, float], ...]  # activation range of each gate
    hidden_range: tuple[float, float]  # what h can take: (-1, 1) for tanh, (0, inf) for ReLU
    # (x_proj, h, c, w_hh, b_hh) ndarrays -> Step
    step: Callable[..., Step]
    # (Step, h_prev, c_prev, w_hh) -> d state' / d state, (N, S, S); S = 2H with a cell state
    jacobian: Callable[..., np.ndarray]
    # (x, h, c, w_ih, w_hh, b_ih, b_hh) Tensors -> (h', c' or None), on the autograd graph;
    # a kind with a cell state also takes `cell_probe`, added to c' before h' reads it
    graph_step: Callable[..., tuple[Tensor, Tensor | None]]

    @property
    def has_cell(self) -> bool:
        """Whether the kind carries a cell state c beside h (LSTM): `cell_kinds`' own answer."""
        return CELL_KINDS[self.mode].has_cell_state

    @property
    def state_names(self) -> tuple[str, ...]:
        """The recurrent states this kind records: ('hidden',) or ('hidden', 'cell')."""
        return ("hidden", "cell") if self.has_cell else ("hidden",)


KINDS: dict[str, CellKind] = {
    "lstm": CellKind(
        mode="lstm", title="LSTM", gate_names=("i", "f", "g", "o"),
        gate_ranges=(SIGMOID_RANGE, SIGMOID_RANGE, TANH_RANGE, SIGMOID_RANGE),
        hidden_range=TANH_RANGE, step=lstm_step, jacobian=lstm_jacobian,
        graph_step=lstm_graph_step),
    "gru": CellKind(
        mode="gru", title="GRU", gate_names=("r", "z", "n"),
        gate_ranges=(SIGMOID_RANGE, SIGMOID_RANGE, TANH_RANGE),
        hidden_range=TANH_RANGE, step=gru_step, jacobian=gru_jacobian,
        graph_step=CELL_KINDS["gru"].cell),
    "rnn_tanh": CellKind(
        mode="rnn_tanh", title="Elman RNN (tanh)", gate_names=(), gate_ranges=(),
        hidden_range=TANH_RANGE, step=_rnn_step(False),
        jacobian=_rnn_jacobian(False), graph_step=CELL_KINDS["rnn_tanh"].cell),
    "rnn_relu": CellKind(
        mode="rnn_relu", title="Elman RNN (ReLU)", gate_names=(), gate_ranges=(),
        hidden_range=RELU_RANGE, step=_rnn_step(True),
        jacobian=_rnn_jacobian(True), graph_step=CELL_KINDS["rnn_relu"].cell),
}


def kind_of(stack) -> CellKind:
    """The `CellKind` of an RNN / LSTM / GRU stack (by its `mode`)."""
    try:
        return KINDS[stack.mode]
    except (KeyError, AttributeError):
        raise ValueError(f"expected an RNN, LSTM or GRU stack, got {type(stack).__name__}") \
            from None
