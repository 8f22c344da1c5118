"""Single-step cells written with ordinary autograd ops: the readable reference path.

Gate layouts follow PyTorch exactly: LSTM rows [i, f, g, o]; GRU rows [r, z, n] with
n = tanh(W_in x + b_in + r * (W_hn h + b_hn)) and h' = (1 - z) * n + z * h.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from seqlab.autograd import Tensor, as_generator, zeros
from seqlab.autograd.errors import ShapeOrDtypeError
from seqlab.autograd.nn import Module, Parameter
from seqlab.autograd.nn.layer_inputs import as_layer_input


class HiddenStateTypeError(TypeError, ValueError):
    """hx of the wrong kind for a cell (one tensor for an LSTM cell, a tuple for the others):
    PyTorch raises TypeError, seqlab's bad inputs are ValueErrors; either catches it."""


def uniform_parameter(shape: tuple[int, ...], bound: float, generator: np.random.Generator,
                      dtype: Any) -> Parameter:
    """A parameter drawn from U(-bound, bound), PyTorch's recurrent initialisation."""
    return Parameter(generator.uniform(-bound, bound, size=shape).astype(dtype))


def lstm_cell(x: Tensor, h: Tensor, c: Tensor, w_ih: Tensor, w_hh: Tensor,
              b_ih: Tensor | None, b_hh: Tensor | None) -> tuple[Tensor, Tensor]:
    """One LSTM step from the equations."""
    gates = x @ w_ih.T + h @ w_hh.T
    if b_ih is not None:
        gates = gates + b_ih + b_hh
    i, f, g, o = gates.chunk(4, 1)
    c_next = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h_next = o.sigmoid() * c_next.tanh()
    return h_next, c_next


def gru_cell(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor,
             b_ih: Tensor | None, b_hh: Tensor | None) -> Tensor:
    """One GRU step from the equations (reset applied after the hidden projection)."""
    x_proj = x @ w_ih.T
    h_proj = h @ w_hh.T
    if b_ih is not None:
        x_proj = x_proj + b_ih
        h_proj = h_proj + b_hh
    x_r, x_z, x_n = x_proj.chunk(3, 1)
    h_r, h_z, h_n = h_proj.chunk(3, 1)
    r = (x_r + h_r).sigmoid()
    z = (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()
    return (1 - z) * n + z * h


def rnn_cell(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None,
             b_hh: Tensor | None, nonlinearity: str = "tanh") -> Tensor:
    """One Elman RNN step."""
    pre = x @ w_ih.T + h @ w_hh.T
    if b_ih is not None:
        pre = pre + b_ih + b_hh
    return pre.tanh() if nonlinearity == "tanh" else pre.relu()


class _CellBase(Module):
    def __init__(self, input_size: int, hidden_size: int, bias: bool, gates: int,
                 dtype: Any, generator: Any) -> None:
        super().__init__()
        if input_size <= 0 or hidden_size <= 0:
            raise ValueError(
                f"input_size and hidden_size must be positive, got {input_size}, {hidden_size}"
            )
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        rng = as_generator(generator)
        bound = 1 / math.sqrt(hidden_size)
        self.weight_ih = uniform_parameter((gates * hidden_size, input_size), bound, rng, dtype)
        self.weight_hh = uniform_parameter((gates * hidden_size, hidden_size), bound, rng, dtype)
        if bias:
            self.bias_ih = uniform_parameter((gates * hidden_size,), bound, rng, dtype)
            self.bias_hh = uniform_parameter((gates * hidden_size,), bound, rng, dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)

    def _zeros(self, x: Tensor) -> Tensor:
        shape = (x.shape[0], self.hidden_size) if x.ndim == 2 else (self.hidden_size,)
        return zeros(shape, dtype=self.weight_ih.dtype)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


def _checked_batch(cell: _CellBase, x: Tensor, states: dict[str, Tensor | None]
                   ) -> tuple[bool, Tensor, list[Tensor | None]]:
    """PyTorch's checks of a cell's input and states, then unbatched (F,) inputs given the
    batch dim (remember to drop it). Without them NumPy broadcast a (1, H) state over the batch."""
    name = type(cell).__name__
    dtype = cell.weight_ih.dtype
    x = as_layer_input(x, dtype)
    states = {state_name: None if state is None else as_layer_input(state, dtype)
              for state_name, state in states.items()}
    if x.ndim not in (1, 2):
        raise ShapeOrDtypeError(f"{name}: Expected input to be 1D or 2D, got {x.ndim}D instead")
    if x.shape[-1] != cell.input_size:
        raise ShapeOrDtypeError(f"{name}: input has inconsistent input_size: got {x.shape[-1]} "
                                f"expected {cell.input_size}")
    expected = (x.shape[0], cell.hidden_size) if x.ndim == 2 else (cell.hidden_size,)
    meaning = "(batch, hidden_size)" if x.ndim == 2 else "(hidden_size,)"
    for state_name, state in states.items():
        if state is not None and tuple(state.shape) != expected:
            raise ShapeOrDtypeError(
                f"{name}: {state_name} must have shape {expected} {meaning} for input of "
                f"shape {tuple(x.shape)}, got {tuple(state.shape)}")
    if x.ndim == 1:
        return True, x.unsqueeze(0), [s.unsqueeze(0) if s is not None else None
                                      for s in states.values()]
    return False, x, list(states.values())


def _lstm_pair(hx: Any) -> tuple[Tensor | None, Tensor | None]:
    """(h, c) from an LSTM cell's hx; one tensor is refused (`h, c = hx` would split its rows)."""
    if hx is None:
        return None, None
    if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
        raise HiddenStateTypeError(
            f"LSTMCell takes hx as a tuple (h, c) of tensors, got {type(hx).__name__}"
            + (f" of length {len(hx)}" if isinstance(hx, (tuple, list)) else ""))
    for state_name, state in zip("hc", hx):
        if state is None:
            raise ValueError(f"LSTMCell takes hx as (h, c) tensors; {state_name} is None (give "
                             "both, or hx=None for zero states)")
    return hx[0], hx[1]


def _single_state(cell: _CellBase, hx: Any) -> Tensor | None:
    """A GRU or RNN cell's hx: one tensor (or None), never a tuple."""
    if isinstance(hx, (tuple, list)):
        raise HiddenStateTypeError(
            f"{type(cell).__name__} takes hx as one tensor h, got a {type(hx).__name__}")
    return hx


class LSTMCell(_CellBase):
    """`h', c' = cell(x, (h, c))`, PyTorch's LSTMCell."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 dtype: Any = np.float32, generator: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, dtype, generator)

    def forward(self, x: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        h, c = _lstm_pair(hx)
        single, x, (h, c) = _checked_batch(self, x, {"hx[0] (h)": h, "hx[1] (c)": c})
        h = h if h is not None else self._zeros(x)
        c = c if c is not None else self._zeros(x)
        h, c = lstm_cell(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h.squeeze(0), c.squeeze(0)) if single else (h, c)


class GRUCell(_CellBase):
    """`h' = cell(x, h)`, PyTorch's GRUCell."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 dtype: Any = np.float32, generator: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, dtype, generator)

    def forward(self, x: Tensor, hx: Tensor | None = None) -> Tensor:
        single, x, (h,) = _checked_batch(self, x, {"hx": _single_state(self, hx)})
        h = h if h is not None else self._zeros(x)
        h = gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h.squeeze(0) if single else h


class RNNCell(_CellBase):
    """`h' = cell(x, h)`, PyTorch's RNNCell (tanh or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", dtype: Any = np.float32,
                 generator: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, 1, dtype, generator)
        self.nonlinearity = nonlinearity

    def forward(self, x: Tensor, hx: Tensor | None = None) -> Tensor:
        single, x, (h,) = _checked_batch(self, x, {"hx": _single_state(self, hx)})
        h = h if h is not None else self._zeros(x)
        h = rnn_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
                     self.nonlinearity)
        return h.squeeze(0) if single else h
