"""Single-step cells written with ordinary autograd ops: the readable reference path.

Gate layouts follow PyTorch exactly: LSTM rows [i, f, g, o]; GRU rows [r, z, n] with
n = tanh(W_in x + b_in + r * (W_hn h + b_hn)) and h' = (1 - z) * n + z * h.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from seqlab.autograd import Tensor, as_generator, zeros
from seqlab.autograd.nn import Module, Parameter


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


def _batched(x: Tensor, *states: Tensor | None) -> tuple[bool, Tensor, list[Tensor | None]]:
    """PyTorch cells accept unbatched (F,) inputs: add the batch dim, remember to drop it."""
    if x.ndim == 1:
        return True, x.unsqueeze(0), [s.unsqueeze(0) if s is not None else None for s in states]
    return False, x, list(states)


class LSTMCell(_CellBase):
    """`h', c' = cell(x, (h, c))`, PyTorch's LSTMCell."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 dtype: Any = np.float32, generator: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, dtype, generator)

    def forward(self, x: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        h, c = hx if hx is not None else (None, None)
        single, x, (h, c) = _batched(x, h, c)
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
        single, x, (h,) = _batched(x, hx)
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
        single, x, (h,) = _batched(x, hx)
        h = h if h is not None else self._zeros(x)
        h = rnn_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
                     self.nonlinearity)
        return h.squeeze(0) if single else h
