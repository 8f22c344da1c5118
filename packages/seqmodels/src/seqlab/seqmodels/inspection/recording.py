"""Recording what a trained stack computes, per layer, step and unit, on the no-graph path.

`record(model_or_stack, inputs)` runs the stack step by step in NumPy through its `CellKind`
and keeps every hidden state, cell state (LSTM) and gate activation (LSTM i, f, g, o; GRU r,
z, n). A layer's units are its output features: with two directions, units 0..H-1 are the
forward direction's and H..2H-1 the reverse direction's, every array stored in time order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seqlab.seqmodels.inspection.kinds import CellKind, kind_of


@dataclass
class LayerRecord:
    """One layer over a sequence: `states` ('hidden', 'cell') and `gates` (by name), each
    (T, N, D*H), and the layer's input (T, N, F)."""

    layer: int
    directions: int
    hidden_size: int
    inputs: np.ndarray
    states: dict[str, np.ndarray]
    gates: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def units(self) -> int:
        """Features of this layer's output: directions * hidden_size."""
        return self.directions * self.hidden_size

    def direction_of(self, unit: int) -> tuple[str, int]:
        """('forward' or 'reverse', the unit's index within its direction) of output unit
        `unit`: units H..2H-1 of a bidirectional layer are the reverse direction's, whose
        parameters PyTorch names `weight_ih_l{k}_reverse`, `weight_hh_l{k}_reverse`, ..."""
        if not 0 <= unit < self.units:
            raise IndexError(f"layer {self.layer} has units 0..{self.units - 1}, not {unit}")
        direction, index = divmod(unit, self.hidden_size)
        return ("reverse" if direction else "forward"), index

    def parameter_suffix(self, unit: int) -> str:
        """The suffix of the parameters that compute output unit `unit`, as PyTorch names
        them: 'l{k}' or 'l{k}_reverse' (`weight_hh_l1_reverse`)."""
        direction, _ = self.direction_of(unit)
        return f"l{self.layer}" + ("_reverse" if direction == "reverse" else "")

    @property
    def series_names(self) -> tuple[str, ...]:
        """Every recorded quantity: 'hidden', ('cell',) and the gate names."""
        return (*self.states, *self.gates)

    def series(self, name: str) -> np.ndarray:
        """A recorded quantity (T, N, D*H) by name: 'hidden', 'cell' or a gate name."""
        if name in self.states:
            return self.states[name]
        if name in self.gates:
            return self.gates[name]
        raise KeyError(f"layer {self.layer} records {', '.join(self.series_names)}; "
                       f"not {name!r}")


@dataclass
class Recording:
    """A whole stack over a sequence: one `LayerRecord` per layer, and the final states."""

    kind: CellKind
    layers: list[LayerRecord]
    h_n: np.ndarray  # (L*D, N, H), as the stack returns it
    c_n: np.ndarray | None

    @property
    def output(self) -> np.ndarray:
        """The top layer's hidden states (T, N, D*H): the stack's `out`."""
        return self.layers[-1].states["hidden"]

    @property
    def steps(self) -> int:
        return self.output.shape[0]


def stack_of(model: Any):
    """The RNN / LSTM / GRU stack of a model (LanguageModel, SequenceClassifier) or the stack."""
    stack = getattr(model, "rnn", model)
    kind_of(stack)  # raises a clear ValueError for anything else
    return stack


def layer_arrays(stack, layer: int, direction: int) -> tuple[np.ndarray | None, ...]:
    """(w_ih, w_hh, b_ih, b_hh) of one (layer, direction) as ndarrays (None without bias)."""
    return tuple(None if w is None else w.data for w in stack.layer_weights(layer, direction))


def run_direction(kind: CellKind, inputs: np.ndarray, h0: np.ndarray, c0: np.ndarray | None,
                  weights: tuple, reverse: bool):
    """One direction over (T, N, F): hidden (T, N, H), cell or None, gates {name: (T, N, H)},
    final h and c. Arrays are in time order also for the reverse direction."""
    w_ih, w_hh, b_ih, b_hh = weights
    x_proj = inputs @ w_ih.T
    if b_ih is not None:
        x_proj += b_ih
    steps, batch = inputs.shape[:2]
    shape = (steps, batch, w_hh.shape[1])
    hidden = np.empty(shape, h0.dtype)
    cell = np.empty(shape, h0.dtype) if kind.has_cell else None
    gates = {name: np.empty(shape, h0.dtype) for name in kind.gate_names}
    h, c = h0, c0
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        step = kind.step(x_proj[t], h, c, w_hh, b_hh)
        hidden[t] = step.h
        if cell is not None:
            cell[t] = step.c
        for name, value in step.gates.items():
            gates[name][t] = value
        h, c = step.h, step.c
    return hidden, cell, gates, h, c


def _initial(stack, state: Any, batch: int, dtype) -> tuple[np.ndarray, np.ndarray | None]:
    shape = (stack.num_layers * stack.num_directions, batch, stack.hidden_size)
    has_cell = kind_of(stack).has_cell
    if state is None:
        zeros = np.zeros(shape, dtype)
        return zeros, (zeros.copy() if has_cell else None)
    h0, c0 = state if has_cell else (state, None)
    h0 = np.asarray(getattr(h0, "data", h0), dtype)
    c0 = None if c0 is None else np.asarray(getattr(c0, "data", c0), dtype)
    for name, value in (("h0", h0), ("c0", c0)):
        if value is not None and value.shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {value.shape}")
    return h0, c0


def record_stack(stack, inputs: Any, state: Any = None) -> Recording:
    """Run a stack on time-major inputs (T, N, F) or (T, F) in eval mode, keeping everything.

    `state` is h0, or (h0, c0) for an LSTM, shaped as the stack takes it (L*D, N, H).
    """
    kind = kind_of(stack)
    x = np.asarray(getattr(inputs, "data", inputs), dtype=stack.dtype)
    if x.ndim == 2:
        x = x[:, None, :]
    if x.ndim != 3 or x.shape[-1] != stack.input_size:
        raise ValueError(f"inputs must be (T, N, {stack.input_size}) or (T, {stack.input_size}),"
                         f" got shape {x.shape}")
    if x.shape[0] == 0:
        raise ValueError("inputs hold no steps; give at least one")
    h0, c0 = _initial(stack, state, x.shape[1], x.dtype)
    layers, h_finals, c_finals = [], [], []
    for layer in range(stack.num_layers):
        parts: dict[str, list[np.ndarray]] = {}
        for direction in range(stack.num_directions):
            index = layer * stack.num_directions + direction
            hidden, cell, gates, h_n, c_n = run_direction(
                kind, x, h0[index], None if c0 is None else c0[index],
                layer_arrays(stack, layer, direction), reverse=bool(direction))
            h_finals.append(h_n)
            c_finals.append(c_n)
            for name, value in (("hidden", hidden), ("cell", cell), *gates.items()):
                if value is not None:
                    parts.setdefault(name, []).append(value)
        joined = {name: np.concatenate(values, axis=2) for name, values in parts.items()}
        states = {name: joined.pop(name) for name in kind.state_names}
        layers.append(LayerRecord(layer, stack.num_directions, stack.hidden_size, x, states,
                                  joined))
        x = states["hidden"]
    c_n = np.stack(c_finals) if kind.has_cell else None
    return Recording(kind, layers, np.stack(h_finals), c_n)


def embed(model: Any, token_ids: Any) -> np.ndarray:
    """A model's embeddings of token ids: (T,) -> (T, 1, E), time-major (T, N) -> (T, N, E)."""
    ids = np.asarray(token_ids)
    if not np.issubdtype(ids.dtype, np.integer) or ids.ndim not in (1, 2):
        raise ValueError(f"token ids must be a (T,) or time-major (T, N) integer array, got "
                         f"shape {ids.shape} dtype {ids.dtype}")
    table = model.embedding.weight.data
    if ids.size and (ids.min() < 0 or ids.max() >= table.shape[0]):
        raise ValueError(f"token ids must lie in [0, {table.shape[0]}), got min {ids.min()} "
                         f"max {ids.max()}: the tokenizer does not match this model")
    vectors = table[ids]
    return vectors[:, None, :] if ids.ndim == 1 else vectors


def record(model: Any, inputs: Any, state: Any = None) -> Recording:
    """Record a model with an embedding (LanguageModel, SequenceClassifier) on token ids
    (T,) or time-major (T, N), or a bare RNN / LSTM / GRU stack on (T, N, F) / (T, F) vectors."""
    stack = stack_of(model)
    if stack is model:
        return record_stack(stack, inputs, state)
    return record_stack(stack, embed(model, inputs), state)
