"""Gradient flow through time: ||dL/dh_k|| for every step k of every layer, on the autograd graph.

The stack is unrolled step by step with its kind's autograd cell (`CellKind.graph_step`), and a
zero leaf tensor (a probe) is added to every new state: the probe's gradient is exactly
dL/dh_k (and dL/dc_k for an LSTM), through every path the loss depends on h_k by (later
steps and the layers above). An LSTM's cell probe enters c_k before h_k = o * tanh(c_k) is
formed, so dL/dc_k is the total gradient (through h_k and c_{k+1}), torch's c_k.retain_grad().
Each step also reads its own leaf copy of W_ih and W_hh, whose
gradients are that step's share of dL/dW (they sum to the full gradient). Where the state is
small, the product of the step Jacobians d s_t / d s_{t-1} from the last step back is measured
too (its spectral norm): BPTT written as the matrix product it is.

The model's own parameters are only read: no `.grad` of the model is touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from seqlab.autograd import Tensor, cat, stack
from seqlab.autograd.nn import functional as F
from seqlab.autograd.threads import seqlab_computing
from seqlab.seqmodels.inspection.kinds import CellKind, kind_of
from seqlab.seqmodels.inspection.recording import (
    Recording,
    embed,
    layer_arrays,
    record_stack,
    stack_of,
)

# Per-step weight copies hold T gradients of each weight: skip them beyond this many numbers.
WEIGHT_GRADIENT_BUDGET = 20_000_000
# Jacobian products cost O(T * S^3): measured only for states up to this size S.
JACOBIAN_STATE_LIMIT = 512


@dataclass
class LayerFlow:
    """One layer's gradients through time, every array in time order (index t = step t).

    `grad_h` is dL/dh_t (T, N, D*H), and `grad_c` (LSTM) the total dL/dc_t, through h_t as
    well as c_{t+1} (torch's `c_t.retain_grad()`); `norms` is grad_h's 2-norm per step
    over units and batch. `weight_ih_norms` / `weight_hh_norms` (D, T) are the norms of each
    step's contribution to dL/dW (None when over budget). `jacobian_norms` (D, T) holds
    ||J_last ... J_{t+1}||_2 of sequence 0, the state Jacobians from the direction's last step
    back to step t (1 at the last step; None for large states).
    """

    layer: int
    grad_h: np.ndarray
    grad_c: np.ndarray | None
    norms: np.ndarray
    weight_ih_norms: np.ndarray | None
    weight_hh_norms: np.ndarray | None
    jacobian_norms: np.ndarray | None
    # with keep_weight_grads: {'weight_ih': (D, T, G*H, F), 'weight_hh': (D, T, G*H, H)}
    weight_grads: dict[str, np.ndarray] | None = None


@dataclass
class GradientFlow:
    """The loss and each layer's `LayerFlow`."""

    loss: float
    layers: list[LayerFlow]

    def norms_back(self, layer: int = -1) -> list[float]:
        """||dL/dh_k|| of one layer from the last step (index 0) back to the first."""
        return [float(value) for value in self.layers[layer].norms[::-1]]


@dataclass
class _Probes:
    """One direction's leaves, indexed by step t."""

    h: list[Tensor]  # zeros added to h_t
    c: list[Tensor] | None  # zeros added to c_t (LSTM)
    w_ih: list[Tensor] | None  # the copy of W_ih step t reads
    w_hh: list[Tensor] | None


def _leaf(array: np.ndarray) -> Tensor:
    return Tensor(array, requires_grad=True)


def _constant(parameter) -> Tensor | None:
    return None if parameter is None else Tensor(parameter.data)


def _initial_state(stack, batch: int, dtype) -> tuple[np.ndarray, np.ndarray]:
    shape = (stack.num_layers * stack.num_directions, batch, stack.hidden_size)
    return np.zeros(shape, dtype), np.zeros(shape, dtype)


def _unroll_direction(kind: CellKind, x: Tensor, h: Tensor, c: Tensor | None, weights: tuple,
                      reverse: bool, copy_weights: bool) -> tuple[Tensor, _Probes]:
    """One direction stepped on the graph with probes; returns out (T, N, H) and its probes."""
    w_ih, w_hh, b_ih, b_hh = weights
    b_ih, b_hh = _constant(b_ih), _constant(b_hh)
    steps = x.shape[0]
    shape = h.shape
    outputs: list[Tensor | None] = [None] * steps
    probes = _Probes([None] * steps, [None] * steps if kind.has_cell else None,
                     [None] * steps if copy_weights else None,
                     [None] * steps if copy_weights else None)
    shared_ih, shared_hh = Tensor(w_ih.data), Tensor(w_hh.data)
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        step_ih, step_hh = shared_ih, shared_hh
        if copy_weights:
            step_ih = probes.w_ih[t] = _leaf(w_ih.data)
            step_hh = probes.w_hh[t] = _leaf(w_hh.data)
        if kind.has_cell:  # the probe enters c_t before h_t = o * tanh(c_t) reads it
            probes.c[t] = _leaf(np.zeros(shape, h.dtype))
            h_next, c = kind.graph_step(x[t], h, c, step_ih, step_hh, b_ih, b_hh,
                                        cell_probe=probes.c[t])
        else:
            h_next, _ = kind.graph_step(x[t], h, c, step_ih, step_hh, b_ih, b_hh)
        probes.h[t] = _leaf(np.zeros(shape, h.dtype))
        h = h_next + probes.h[t]
        outputs[t] = h
    return stack(outputs, 0), probes


def _norms_over_steps(grads: list[Tensor]) -> np.ndarray:
    return np.array([np.linalg.norm(_grad(tensor)) for tensor in grads])


def _grad(tensor: Tensor) -> np.ndarray:
    return tensor.grad if tensor.grad is not None else np.zeros_like(tensor.data)


def jacobian_product_norms(kind: CellKind, inputs: np.ndarray, hidden: np.ndarray,
                           cell: np.ndarray | None, weights: tuple, h0: np.ndarray,
                           c0: np.ndarray | None, reverse: bool) -> np.ndarray:
    """||J_last ... J_{t+1}||_2 for every step t of sequence 0 of one direction (time order),
    from its recorded inputs (T, N, F) and states (T, N, H)."""
    # small LAPACK calls split over busy cores stall for 100 ms each (measured: the 2-norm of
    # a 128 x 128 matrix takes 135 ms on 2 loaded cores, 3 ms on one thread)
    with seqlab_computing():  # (BLAS on one thread inside)
        return _jacobian_product_norms(kind, inputs, hidden, cell, weights, h0, c0, reverse)


def _jacobian_product_norms(kind, inputs, hidden, cell, weights, h0, c0, reverse) -> np.ndarray:
    w_ih, w_hh, b_ih, b_hh = weights
    x_proj = inputs[:, :1] @ w_ih.T
    if b_ih is not None:
        x_proj += b_ih
    steps = inputs.shape[0]
    order = list(range(steps - 1, -1, -1)) if reverse else list(range(steps))
    size = hidden.shape[2] * (2 if kind.has_cell else 1)
    # the product is kept as scale * direction with ||direction||_2 = 1: a raw product of
    # many small Jacobians turns denormal, and arithmetic on denormals is 100x slower
    direction, scale = np.eye(size, dtype=np.float64), 1.0
    norms = np.empty(steps)
    for position in range(steps - 1, -1, -1):  # from the direction's last step back
        t = order[position]
        norms[t] = scale
        if scale == 0.0:
            continue
        if position == 0:
            h_prev, c_prev = h0[:1], (None if c0 is None else c0[:1])
        else:
            before = order[position - 1]
            h_prev = hidden[before, :1]
            c_prev = None if cell is None else cell[before, :1]
        step = kind.step(x_proj[t], h_prev, c_prev, w_hh, b_hh)
        direction = direction @ kind.jacobian(step, h_prev, c_prev, w_hh)[0]
        size_now = np.linalg.norm(direction, 2)
        scale *= size_now
        if size_now > 0:
            direction /= size_now
    return norms


def gradient_flow(stack_like, inputs: np.ndarray, loss_fn: Callable[[Tensor], Tensor], *,
                  weight_norms: bool = True, jacobians: bool = True,
                  keep_weight_grads: bool = False) -> GradientFlow:
    """dL/dh_t for every layer and step of a stack on time-major inputs (T, N, F) from a zero
    state, where L = loss_fn(out) and out (T, N, D*H) is the top layer's output.

    `weight_norms`: also each step's share of dL/dW_ih and dL/dW_hh (within a memory budget);
    `keep_weight_grads`: keep those shares themselves; `jacobians`: also the step-Jacobian
    product norms (for states up to JACOBIAN_STATE_LIMIT)."""
    stack_module = stack_of(stack_like)
    kind = kind_of(stack_module)
    x_array = np.asarray(inputs, dtype=stack_module.dtype)
    if x_array.ndim == 2:
        x_array = x_array[:, None, :]
    steps, batch = x_array.shape[:2]
    weights_size = sum(w.data.size for w in stack_module.parameters() if w.ndim == 2)
    copy_weights = keep_weight_grads or (weight_norms
                                         and steps * weights_size <= WEIGHT_GRADIENT_BUDGET)
    h0, c0 = _initial_state(stack_module, batch, x_array.dtype)
    x = Tensor(x_array)
    all_probes: list[list[_Probes]] = []
    for layer in range(stack_module.num_layers):
        outputs, probes = [], []
        for direction in range(stack_module.num_directions):
            index = layer * stack_module.num_directions + direction
            out, direction_probes = _unroll_direction(
                kind, x, Tensor(h0[index]), Tensor(c0[index]) if kind.has_cell else None,
                stack_module.layer_weights(layer, direction), bool(direction), copy_weights)
            outputs.append(out)
            probes.append(direction_probes)
        all_probes.append(probes)
        x = outputs[0] if len(outputs) == 1 else cat(outputs, dim=2)
    loss = loss_fn(x)
    if loss.data.size != 1:
        raise ValueError(f"loss_fn must return a scalar Tensor, got shape {loss.shape}")
    loss.backward()
    recording = record_stack(stack_module, x_array) if jacobians else None
    layers = [_layer_flow(stack_module, kind, layer, probes, recording, h0, c0, copy_weights,
                          keep_weight_grads) for layer, probes in enumerate(all_probes)]
    return GradientFlow(float(loss.item()), layers)


def _stacked(grads: list[list[Tensor]]) -> np.ndarray:
    """Probes [direction][t] -> their gradients (T, N, D*H)."""
    return np.concatenate([np.stack([_grad(t) for t in steps]) for steps in grads], axis=2)


def _layer_flow(stack_module, kind: CellKind, layer: int, probes: list[_Probes],
                recording: Recording | None, h0, c0, copy_weights: bool,
                keep_weight_grads: bool) -> LayerFlow:
    grad_h = _stacked([p.h for p in probes])
    grad_c = _stacked([p.c for p in probes]) if kind.has_cell else None
    norms = np.sqrt((grad_h.astype(np.float64) ** 2).sum(axis=(1, 2)))
    ih = hh = None
    if copy_weights:
        ih = np.stack([_norms_over_steps(p.w_ih) for p in probes])
        hh = np.stack([_norms_over_steps(p.w_hh) for p in probes])
    jacobian = None
    state_size = stack_module.hidden_size * (2 if kind.has_cell else 1)
    if recording is not None and state_size <= JACOBIAN_STATE_LIMIT:
        record = recording.layers[layer]
        hidden_size = stack_module.hidden_size
        rows = []
        for direction in range(stack_module.num_directions):
            index = layer * stack_module.num_directions + direction
            units = slice(direction * hidden_size, (direction + 1) * hidden_size)
            cell = record.states["cell"][:, :, units] if kind.has_cell else None
            rows.append(jacobian_product_norms(
                kind, record.inputs, record.states["hidden"][:, :, units], cell,
                layer_arrays(stack_module, layer, direction), h0[index],
                c0[index] if kind.has_cell else None, bool(direction)))
        jacobian = np.stack(rows)
    kept = None
    if keep_weight_grads:
        kept = {"weight_ih": np.stack([np.stack([_grad(t) for t in p.w_ih]) for p in probes]),
                "weight_hh": np.stack([np.stack([_grad(t) for t in p.w_hh]) for p in probes])}
    return LayerFlow(layer, grad_h, grad_c, norms, ih, hh, jacobian, kept)


# ---------------------------------------------------------------------- losses of the heads
def _linear(features: Tensor, layer) -> Tensor:
    """A head's Linear on detached copies of its weights (the model's .grad stays untouched)."""
    bias = None if layer.bias is None else Tensor(layer.bias.data)
    return F.linear(features, Tensor(layer.weight.data), bias)


def language_model_flow(model, token_ids, step: int = -1, **options) -> GradientFlow:
    """Gradient flow of a LanguageModel on a text: L is the cross-entropy of the prediction
    made at `step` (default: the last) for the token after it; ids (T+1,) give T steps."""
    ids = np.asarray(token_ids)
    if ids.ndim != 1 or ids.shape[0] < 2:
        raise ValueError(f"token_ids must be a 1-D array of at least 2 ids, got {ids.shape}")
    inputs, targets = ids[:-1], ids[1:]
    steps = inputs.shape[0]
    if not -steps <= step < steps:
        raise ValueError(f"step must lie in [-{steps}, {steps}), got {step}")

    def loss_fn(out: Tensor) -> Tensor:
        logits = _linear(out[step], model.decoder)
        return F.cross_entropy(logits, targets[step : step + 1 if step != -1 else None])

    return gradient_flow(model.rnn, embed(model, inputs), loss_fn, **options)


def classifier_flow(model, token_ids, label: int, **options) -> GradientFlow:
    """Gradient flow of a SequenceClassifier on one text: L is its cross-entropy for `label`."""
    ids = np.asarray(token_ids)
    if ids.ndim != 1 or ids.shape[0] < 1:
        raise ValueError(f"token_ids must be a 1-D array of ids, got shape {ids.shape}")
    hidden = model.rnn.hidden_size

    def loss_fn(out: Tensor) -> Tensor:
        if model.pooling == "last":
            pooled = out[-1]
            if model.rnn.bidirectional:  # the reverse direction ends at step 0
                pooled = cat([out[-1][:, :hidden], out[0][:, hidden:]], dim=1)
        elif model.pooling == "mean":
            pooled = out.mean(0)
        else:
            pooled = out.max(0).values
        return F.cross_entropy(_linear(pooled, model.classifier), np.array([label]))

    return gradient_flow(model.rnn, embed(model, ids), loss_fn, **options)


__all__ = ["GradientFlow", "LayerFlow", "classifier_flow", "gradient_flow",
           "jacobian_product_norms", "language_model_flow"]
