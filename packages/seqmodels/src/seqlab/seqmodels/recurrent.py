"""`RNN`, `LSTM` and `GRU` stacks with PyTorch's signatures, parameter names and return values."""

from __future__ import annotations

import functools
import importlib.util
import math
import warnings
from typing import Any

import numpy as np

from seqlab.autograd import Tensor, as_generator, cat, is_grad_enabled, stack, where, zeros
from seqlab.autograd.errors import ShapeOrDtypeError, cast_hint
from seqlab.autograd.nn import Module
from seqlab.autograd.nn import functional as F
from seqlab.autograd.nn.layer_inputs import as_layer_input
from seqlab.autograd.threads import seqlab_computing
from seqlab.seqmodels import composed
from seqlab.seqmodels.cell_kinds import CELL_KINDS, cell_kind
from seqlab.seqmodels.cells import uniform_parameter

# No-grad calls read an embedding's whole table (its projection kept across calls) only where a
# sequence reads this many of its rows: OpenBLAS's bits of a row of x @ W^T depend on x's row
# count below ~5 (0.3.30-31, AMD EPYC), so the rows read would differ from the compacted
# table's (`_rows_read`) that earlier versions projected; from 8 rows they matched.
MIN_WHOLE_TABLE_ROWS = 8


def check_lengths(lengths: Any, steps: int, batch: int) -> np.ndarray:
    """Validate per-sequence lengths: one int per sequence, each in [1, steps]."""
    array = np.asarray(lengths.data if isinstance(lengths, Tensor) else lengths)
    if array.ndim != 1 or array.shape[0] != batch:
        raise ValueError(f"lengths must hold one length per sequence ({batch}), got {array.shape}")
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"lengths must be integers, got dtype {array.dtype}")
    if array.size and (array.min() < 1 or array.max() > steps):
        raise ValueError(
            f"lengths must lie in [1, {steps}] (the padded sequence length), "
            f"got min {array.min()} max {array.max()}"
        )
    return array.astype(np.int64)


class RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters per (layer, direction), the stacking loop."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype: Any = np.float32,
                 generator: Any = None, proj_size: int = 0) -> None:
        super().__init__()
        if proj_size:
            raise ValueError(
                f"proj_size={proj_size}: seqlab's {type(self).__name__} has no "
                "projections (PyTorch's LSTM proj_size); leave proj_size at 0 and add a Linear "
                "after the stack if you need a smaller output"
            )
        if input_size <= 0 or hidden_size <= 0 or num_layers <= 0:
            raise ValueError(
                "input_size, hidden_size and num_layers must be positive, got "
                f"{input_size}, {hidden_size}, {num_layers}"
            )
        self.check_dtype(np.dtype(dtype))
        if not 0.0 <= dropout <= 1.0:  # PyTorch's words; 1.0 zeroes between layers, as there
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             f"probability of an element being zeroed, got {dropout}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(  # PyTorch's warning, word for word
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                "dropout expects num_layers greater than 1, but got dropout="
                f"{dropout} and num_layers={num_layers}", UserWarning, stacklevel=3)
        self.mode = mode
        self.kind = CELL_KINDS[mode]
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional = bidirectional
        self.fused = True  # False runs the composed reference path
        self._rng = as_generator(generator)
        gates = self.kind.gates * hidden_size
        bound = 1 / math.sqrt(hidden_size)
        directions = 2 if bidirectional else 1
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                setattr(self, "weight_ih" + suffix,
                        uniform_parameter((gates, layer_input), bound, self._rng, dtype))
                setattr(self, "weight_hh" + suffix,
                        uniform_parameter((gates, hidden_size), bound, self._rng, dtype))
                if bias:
                    setattr(self, "bias_ih" + suffix,
                            uniform_parameter((gates,), bound, self._rng, dtype))
                    setattr(self, "bias_hh" + suffix,
                            uniform_parameter((gates,), bound, self._rng, dtype))

    def check_dtype(self, dtype: np.dtype) -> None:
        """The stacks run in float32 or float64 only (their kernels' dtypes): TypeError, at
        construction and at `.to()`, rather than a failure inside the first call."""
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"{type(self).__name__} runs in float32 or float64 only, got "
                            f"{dtype} (seqlab's recurrent kernels have no other)")

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def dtype(self) -> np.dtype:
        return self.weight_ih_l0.dtype

    @property
    def all_weights(self) -> list[list]:
        """PyTorch's `all_weights`: per layer, forward then reverse, the parameters
        [w_ih, w_hh, b_ih, b_hh] (no biases without bias)."""
        return [[weight for weight in self.layer_weights(layer, direction) if weight is not None]
                for layer in range(self.num_layers) for direction in range(self.num_directions)]

    def flatten_parameters(self) -> None:
        """Nothing to do: PyTorch's call lays weights out for cuDNN; seqlab runs on the CPU
        (ported code calls it after `.to(device)` or in `forward`)."""

    def layer_weights(self, layer: int, direction: int) -> tuple:
        """(w_ih, w_hh, b_ih, b_hh) of one (layer, direction); biases None without bias."""
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        if self.bias:
            return (getattr(self, "weight_ih" + suffix), getattr(self, "weight_hh" + suffix),
                    getattr(self, "bias_ih" + suffix), getattr(self, "bias_hh" + suffix))
        return getattr(self, "weight_ih" + suffix), getattr(self, "weight_hh" + suffix), None, None

    def _run_direction(self, x, h0, c0, weights, lengths, reverse):
        if self.fused:
            from seqlab.seqmodels import fused

            return fused.run_direction(self.kind, x, h0, c0, weights, lengths, reverse)
        return composed.run_direction(self.kind, x, h0, c0, weights, lengths, reverse)

    def _dropout(self, x: Tensor) -> Tensor:
        keep = 1.0 - self.dropout
        if keep == 0.0:  # dropout=1: every element zeroed (PyTorch's F.dropout(p=1))
            return x * np.zeros((), dtype=x.dtype)
        mask = (self._rng.random(x.shape) < keep).astype(x.dtype) / np.asarray(keep, x.dtype)
        return x * mask

    def _initial_states(self, hx: Any, batch: int, unbatched: bool):
        shape = (self.num_layers * self.num_directions, batch, self.hidden_size)
        is_lstm = self.kind.has_cell_state
        if hx is None:
            h0 = zeros(shape, dtype=self.dtype)
            return h0, (zeros(shape, dtype=self.dtype) if is_lstm else None)
        name = type(self).__name__
        if is_lstm and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise ValueError(f"{name} takes hx as a tuple (h0, c0), got {type(hx).__name__}")
        if not is_lstm and isinstance(hx, (tuple, list)):
            raise ValueError(f"{name} takes hx as one tensor h0, got a {type(hx).__name__}")
        h0, c0 = hx if is_lstm else (hx, None)
        h0 = None if h0 is None else as_layer_input(h0, self.dtype)
        c0 = None if c0 is None else as_layer_input(c0, self.dtype)
        if is_lstm and (h0 is None or c0 is None):
            missing = "h0" if h0 is None else "c0"
            raise ValueError(f"{name} takes hx as (h0, c0) tensors; {missing} is None (give "
                             "both, or hx=None for zero states)")
        for state_name, state in (("h0", h0), ("c0", c0)):
            if state is None:
                continue
            if unbatched and state.ndim != 2:
                raise ValueError(f"For unbatched 2-D input, hx should also be 2-D but got "
                                 f"{state.ndim}-D {state_name} of shape {tuple(state.shape)}")
            self._check_dtype(state_name, state)
        if unbatched:
            h0 = h0.unsqueeze(1)
            c0 = c0.unsqueeze(1) if c0 is not None else None
        for state_name, state in (("h0", h0), ("c0", c0)):
            if state is not None and tuple(state.shape) != shape:
                raise ShapeOrDtypeError(
                    f"{state_name} must have shape {shape}, got {tuple(state.shape)}")
        return h0, c0

    def _check_dtype(self, name: str, value: Any) -> None:
        """The input and initial states share the parameters' dtype, as PyTorch requires."""
        dtype = np.dtype(value.dtype)
        if dtype.kind != "f":
            raise ValueError(f"{type(self).__name__} {name} must be floating point "
                             f"({self.dtype}), got {dtype}")
        if dtype != self.dtype:
            # the model's conversion is offered only to a dtype the stacks run in
            model = (f" or the model (model{cast_hint(dtype)})"
                     if dtype in (np.float32, np.float64) else
                     f" ({type(self).__name__} runs in float32 or float64 only)")
            raise ValueError(
                f"{type(self).__name__} {name} dtype {dtype} does not match its {self.dtype} "
                f"parameters: convert the {name} ({name}{cast_hint(self.dtype)}){model}"
            )

    def forward(self, x: Tensor, hx: Any = None, lengths: Any = None):
        """out, h_n (RNN/GRU) or out, (h_n, c_n) (LSTM), exactly as PyTorch returns them.

        When `x` is, unchanged, the output of an `Embedding` (or `F.embedding`) over fewer
        symbols than it has tokens, layer 0 reads its input projection from a per-symbol
        table E @ W_ih^T + b (V, G*H) at the token ids instead of projecting every embedded
        token: the same outputs and gradients, for whoever composed the two.
        """
        x = as_layer_input(x, self.dtype)
        unbatched = x.ndim == 2
        if x.ndim not in (2, 3):
            raise ValueError(f"input must be (T, N, F), (N, T, F) or (T, F), got shape {x.shape}")
        # checks the rows are still the table's (once a call, after the cheap tests)
        source = F.embedding_source(x, lambda weight, ids: self._may_read_table(x, weight, ids))
        table = self._embedding_table(x, source)
        whole_table = table is not None and table[0] is source[0]  # (kept across calls)
        if unbatched:
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        if x.shape[-1] != self.input_size:
            raise ShapeOrDtypeError(f"input has {x.shape[-1]} features, expected {self.input_size}")
        self._check_dtype("input", x)
        steps, batch = x.shape[0], x.shape[1]
        if steps == 0:
            raise ShapeOrDtypeError("Expected sequence length to be larger than 0 in RNN (got "
                                    f"input of shape {tuple(x.shape)})")
        lengths = check_lengths(lengths, steps, batch) if lengths is not None else None
        h0, c0 = self._initial_states(hx, batch, unbatched)
        if batch == 0:  # as PyTorch, once hx and lengths are checked: empty outputs and states
            return self._empty_batch_outputs(steps)
        if table is not None:
            weight, ids, padding_idx = table
            ids = ids[:, None] if unbatched else (ids.T if self.batch_first else ids)
            table = (weight, ids, padding_idx)
        if not is_grad_enabled() and self.fused and not (self.dropout and self.training):
            from seqlab.seqmodels import recurrent_inference  # no graph: plain arrays

            out, h_n, c_n = recurrent_inference.run_layers(self, x, h0, c0, lengths, table,
                                                           whole_table)
        else:
            ordered = None
            if lengths is not None and self.fused:  # rows longest first (`training_length_order`)
                from seqlab.seqmodels.training_length_order import run_layers_longest_first

                ordered = run_layers_longest_first(self, x, h0, c0, lengths, table)
            out, h_n, c_n = ordered or self._run_layers(x, h0, c0, lengths, 0, [], [], table)
        if unbatched:
            out, h_n = out.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        elif self.batch_first:
            out = out.transpose(0, 1)
        return (out, (h_n, c_n)) if self.kind.has_cell_state else (out, h_n)

    def _empty_batch_outputs(self, steps: int):
        """What `forward` returns for a batch of no sequences."""
        out = zeros((steps, 0, self.num_directions * self.hidden_size), dtype=self.dtype)
        if self.batch_first:
            out = out.transpose(0, 1)
        shape = (self.num_layers * self.num_directions, 0, self.hidden_size)
        h_n = zeros(shape, dtype=self.dtype)
        if self.kind.has_cell_state:
            return out, (h_n, zeros(shape, dtype=self.dtype))
        return out, h_n

    def reads_embedding_table(self, symbols: int, tokens: int) -> bool:
        """Whether layer 0 reads an embedding's per-symbol input table rather than projecting
        its output: on the fused path, when the symbols are fewer than the tokens."""
        return self.fused and symbols < tokens

    def _embedding_table(self, x: Tensor, source):
        """(weight, ids, padding_idx) of the embedding `x` came from (`source`, from
        `F.embedding_source`) when layer 0 should read its table (ids laid out as `x`), else
        None."""
        if source is None:
            return None
        weight, ids, _ = source
        if not is_grad_enabled():
            from seqlab.seqmodels import recurrent_inference

            batch = 1 if x.ndim == 2 else x.shape[0 if self.batch_first else 1]
            return _rows_read(weight, ids, recurrent_inference.reads_whole_table(
                self, weight.shape[0], batch, weight.dtype))
        return source

    def _may_read_table(self, x: Tensor, weight: Tensor, ids: np.ndarray) -> bool:
        """The cheap tests of whether layer 0 may read the table of the embedding `weight`
        that `x` was looked up from at `ids` (run before its rows are compared)."""
        if ids.shape != tuple(x.shape[:-1]) or weight.dtype != self.dtype or not self.fused:
            return False
        return not is_grad_enabled() or self.reads_embedding_table(weight.shape[0], ids.size)

    def _input_table(self, table, layer_weights, looked_up: np.ndarray) -> Tensor:
        """Layer 0's input projection of every symbol, E @ W_ih^T + b (V, G*H) (GRU: + b_ih
        only; b_hh sits in its reset gate): one (V, E) x (E, G*H) GEMM instead of a (T*N, E)
        one; the loop reads its rows at the token ids and its backward adds into V rows
        (`looked_up`: the embedding's output, whose rows dW_ih reads as PyTorch's does)."""
        weight, ids, padding_idx = table
        w_ih, _, b_ih, b_hh = layer_weights
        bias = self.kind.projection_bias(b_ih, b_hh)
        if not is_grad_enabled():  # inference: no graph, the faster orientation for few rows
            from seqlab.seqmodels.recurrent_ops import project_rows

            with seqlab_computing():
                return Tensor(project_rows(weight.data, w_ih.data,
                                           None if bias is None else bias.data))
        if padding_idx is not None and weight.requires_grad:
            # the padding row gets no gradient, as through the embedding itself
            keep = (np.arange(weight.shape[0]) != padding_idx)[:, None]
            weight = where(keep, weight, weight.detach())
        # dW_ih = d_table^T @ E in W_ih's own layout, E as it was looked up (a write into the
        # embedding's weight after forward changes no gradient, as in PyTorch)
        from seqlab.seqmodels.table_projection import table_projection

        return table_projection(weight, w_ih, bias, ids, looked_up)

    def _run_layers(self, layer_input, h0, c0, lengths, first_layer: int, h_finals: list,
                    c_finals: list, table=None):
        """Layers `first_layer`.. over (T, N, F) input; finals of earlier layers come in lists.
        With `table` (weight, ids (T, N), padding_idx), layer 0 reads an embedding's table."""
        for layer in range(first_layer, self.num_layers):
            if layer and self.dropout and self.training:
                layer_input = self._dropout(layer_input)
            if self._both_directions_at_once(layer, table):
                layer_input = self._both_directions(layer, layer_input, h0, c0, lengths,
                                                    h_finals, c_finals)
                continue
            outputs = []
            for direction in range(self.num_directions):
                index = layer * self.num_directions + direction
                weights = self.layer_weights(layer, direction)
                h0_part, c0_part = h0[index], c0[index] if c0 is not None else None
                if layer == 0 and table is not None:
                    from seqlab.seqmodels import fused

                    out, h_n, c_n = fused.run_projected(
                        self.kind, self._input_table(table, weights, layer_input.data),
                        h0_part, c0_part,
                        weights[1], weights[3], table[1], lengths, bool(direction),
                        looked_up=layer_input.data)
                else:
                    out, h_n, c_n = self._run_direction(layer_input, h0_part, c0_part, weights,
                                                        lengths, reverse=bool(direction))
                outputs.append(out)
                h_finals.append(h_n)
                c_finals.append(c_n)
            layer_input = outputs[0] if len(outputs) == 1 else cat(outputs, dim=2)
        h_n = stack(h_finals, 0)
        c_n = stack(c_finals, 0) if self.kind.has_cell_state else None
        return layer_input, h_n, c_n

    def _both_directions_at_once(self, layer: int, table) -> bool:
        """Whether a layer's two directions run as one fused node (`both_directions`): a
        bidirectional layer on the fused path over its input (layer 0 reading an embedding's
        table keeps a node per direction, `fused.run_projected`)."""
        return self.bidirectional and self.fused and not (layer == 0 and table is not None)

    def _both_directions(self, layer: int, layer_input, h0, c0, lengths, h_finals: list,
                         c_finals: list) -> Tensor:
        """One bidirectional layer as one node: its output (T, N, 2H); the final states of
        both directions go into the lists."""
        from seqlab.seqmodels import both_directions

        index = 2 * layer
        states = (h0[index], h0[index + 1])
        cells = (c0[index], c0[index + 1]) if c0 is not None else (None, None)
        weights = (self.layer_weights(layer, 0), self.layer_weights(layer, 1))
        out, h_n, c_n = both_directions.run_both_directions(self.kind, layer_input, states,
                                                            cells, weights, lengths)
        h_finals.extend(h_n)
        c_finals.extend(c_n)
        return out

    def forward_projected(self, xg: Tensor, hx: Any = None, ids: Any = None):
        """`forward` for a unidirectional fused stack whose layer-0 input projection
        `x @ W_ih^T + b` (T, N, G*H) was computed by the caller (GRU: + b_ih only).

        With `ids` (T, N) integer rows, `xg` is a (R, G*H) table and step t of sequence n
        reads row ids[t, n]: a language model passes E @ W_ih^T + b over its vocabulary,
        much cheaper than projecting every embedded token (the LSTM loop reads the table in
        place). Time-major, no lengths.
        """
        if self.bidirectional or not self.fused:
            raise ValueError("forward_projected needs a unidirectional stack on the fused path")
        from seqlab.seqmodels import fused

        if ids is not None:
            ids = np.asarray(ids)
            if ids.ndim != 2:
                raise ValueError(f"ids must be (T, N) table rows; got shape {ids.shape}")
        batch = ids.shape[1] if ids is not None else xg.shape[1]
        h0, c0 = self._initial_states(hx, batch, False)
        _, w_hh, _, b_hh = self.layer_weights(0, 0)
        out, h_n, c_n = fused.run_projected(self.kind, xg, h0[0],
                                            c0[0] if c0 is not None else None, w_hh, b_hh, ids)
        out, h_n, c_n = self._run_layers(out, h0, c0, None, 1, [h_n], [c_n])
        return (out, (h_n, c_n)) if self.kind.has_cell_state else (out, h_n)

    def extra_repr(self) -> str:
        parts = [f"{self.input_size}, {self.hidden_size}"]
        if self.num_layers != 1:
            parts.append(f"num_layers={self.num_layers}")
        if not self.bias:
            parts.append("bias=False")
        if self.batch_first:
            parts.append("batch_first=True")
        if self.dropout:
            parts.append(f"dropout={self.dropout}")
        if self.bidirectional:
            parts.append("bidirectional=True")
        return ", ".join(parts)


class LSTM(RNNBase):
    """Multi-layer LSTM: `out, (h_n, c_n) = lstm(x, (h0, c0), lengths=None)`."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 dtype: Any = np.float32, generator: Any = None, proj_size: int = 0) -> None:
        super().__init__("lstm", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, dtype, generator, proj_size)


def _refuse_proj_size(proj_size: int | None) -> None:
    """GRU and RNN take no proj_size, not even 0 (as PyTorch: LSTM's argument only)."""
    if proj_size is not None:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")


class GRU(RNNBase):
    """Multi-layer GRU: `out, h_n = gru(x, h0, lengths=None)`."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 dtype: Any = np.float32, generator: Any = None,
                 proj_size: int | None = None) -> None:
        _refuse_proj_size(proj_size)
        super().__init__("gru", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, dtype, generator)


class RNN(RNNBase):
    """Multi-layer Elman RNN (tanh or relu): `out, h_n = rnn(x, h0, lengths=None)`."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, dtype: Any = np.float32,
                 generator: Any = None, proj_size: int | None = None) -> None:
        _refuse_proj_size(proj_size)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(f"rnn_{nonlinearity}", input_size, hidden_size, num_layers, bias,
                         batch_first, dropout, bidirectional, dtype, generator)
        self.nonlinearity = nonlinearity


# the stack class of each cell kind, with its arguments
_STACKS = {"lstm": LSTM, "gru": GRU, "rnn_tanh": functools.partial(RNN, nonlinearity="tanh"),
           "rnn_relu": functools.partial(RNN, nonlinearity="relu")}


def fused_available() -> bool:
    """Whether the fused whole-sequence kernels (`seqlab.seqmodels.fused`) are installed."""
    return importlib.util.find_spec("seqlab.seqmodels.fused") is not None


def build_stack(cell: str, input_size: int, hidden_size: int, num_layers: int = 1,
                dropout: float = 0.0, bidirectional: bool = False, batch_first: bool = False,
                dtype: Any = np.float32, generator: Any = None) -> RNNBase:
    """An LSTM, GRU or RNN stack by cell name ('lstm', 'gru', 'rnn', 'rnn_relu'), on the fused
    path when it is available."""
    # a head's dropout also applies around the stack; between layers only when there are two
    stack = _STACKS[cell_kind(cell).name](
        input_size, hidden_size, num_layers=num_layers, batch_first=batch_first,
        dropout=dropout if num_layers > 1 else 0.0, bidirectional=bidirectional, dtype=dtype,
        generator=generator)
    stack.fused = fused_available()
    return stack


def _rows_read(weight: Tensor, ids: np.ndarray, whole: bool = False):
    """(table weight, ids into it, None) for layer 0 without a graph (inference): the
    embedding's rows that `ids` read, each once, and ids renumbered to them, when they are
    fewer than the tokens (else None: projecting the embedded tokens costs no more). A batch-1
    char sequence of 64 tokens reads ~25 of 65 symbols: a 25-row projection instead of 64.
    `whole`: the whole table (weight itself, ids as given) where it reads as many rows as that
    takes (`MIN_WHOLE_TABLE_ROWS`): its projection is kept across calls
    (`recurrent_inference.reads_whole_table`)."""
    if ids.size < 2:
        return None
    if 8 * ids.size < weight.shape[0]:  # few ids in a large vocabulary: nothing vocabulary-sized
        distinct, inverse = np.unique(ids, return_inverse=True)
        if distinct.size >= ids.size:
            return None
        return Tensor(weight.data[distinct]), inverse.reshape(ids.shape), None
    present = np.zeros(weight.shape[0], np.bool_)
    present[ids] = True
    distinct = np.flatnonzero(present)
    if distinct.size >= ids.size:
        return None
    if distinct.size == weight.shape[0] or (whole and distinct.size >= MIN_WHOLE_TABLE_ROWS):
        return weight, ids, None
    position = np.empty(weight.shape[0], np.int64)
    position[distinct] = np.arange(distinct.size)
    return Tensor(weight.data[distinct]), position[ids], None
