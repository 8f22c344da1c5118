"""`seqlab.autograd.nn.functional`: losses and layers as functions, as `torch.nn.functional`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from seqlab.autograd import versions
from seqlab.autograd.creation import Generator, as_generator, where
from seqlab.autograd.nn import embedding_lookups
from seqlab.autograd.nn.functions.binary_cross_entropy import (
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
)
from seqlab.autograd.nn.functions.cross_entropy import NLLLoss, SoftmaxCrossEntropy
from seqlab.autograd.nn.functions.embedding import EmbeddingLookup
from seqlab.autograd.nn.functions.floor_in_value import FloorInValue
from seqlab.autograd.nn.functions.gelu import APPROXIMATIONS, Gelu
from seqlab.autograd.nn.functions.layer_norm import LayerNormalize
from seqlab.autograd.nn.functions.linear import LinearMap
from seqlab.autograd.nn.functions.masked_softmax import MaskedSoftmax
from seqlab.autograd.nn.functions.pad import ConstantPad
from seqlab.autograd.nn.functions.softplus import Softplus
from seqlab.autograd.tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")

__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cosine_similarity",
    "cross_entropy", "dropout",
    "embedding", "embedding_source", "gelu", "huber_loss", "l1_loss", "layer_norm", "linear",
    "log_softmax", "masked_softmax", "mse_loss", "nll_loss", "one_hot", "pad", "relu", "sigmoid",
    "smooth_l1_loss", "softmax", "softplus", "tanh",
]


def _array(value: Any) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def _check_reduction(reduction: str, function: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"{function}: reduction must be one of 'mean', 'sum', 'none', got {reduction!r}"
        )


def _class_weight(weight: Any, classes: int, dtype: np.dtype, function: str) -> np.ndarray:
    """The class weights as a contiguous (classes,) array; empty when there are none."""
    if weight is None:
        return np.empty(0, dtype=dtype)
    array = np.ascontiguousarray(_array(weight), dtype=dtype)
    if array.shape != (classes,):
        raise ValueError(
            f"{function}: weight must have one entry per class, shape ({classes},), "
            f"got {array.shape}"
        )
    return array


def _rows_and_targets(input: Tensor, target: np.ndarray,
                      function: str) -> tuple[Tensor, np.ndarray, tuple[int, ...]]:
    """(rows, C) logits with the class dim last, (rows,) int64 targets, and the 'none' shape.

    Accepts PyTorch's layouts: (C,) with a scalar target, (N, C) with (N,), and
    (N, C, d1, ...) with (N, d1, ...).
    """
    if input.ndim == 0:
        raise ValueError(f"{function}: input must have a class dimension, got a scalar")
    if input.ndim == 1:
        expected: tuple[int, ...] = ()
    else:
        expected = (input.shape[0], *input.shape[2:])
    if target.shape != expected:
        raise ValueError(
            f"{function}: input of shape {input.shape} needs class-index targets of shape "
            f"{expected}, got {target.shape}"
        )
    if target.dtype.kind not in "iu":
        raise TypeError(f"{function}: class-index targets must be integers, got {target.dtype}")
    classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    if input.ndim > 2:
        input = input.permute(0, *range(2, input.ndim), 1)
    rows = input.reshape(-1, classes)
    return rows, np.ascontiguousarray(target.reshape(-1), dtype=np.int64), expected


def cross_entropy(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits against class indices or class probabilities.

    PyTorch's semantics: input (C,), (N, C) or (N, C, d1, ...); integer targets without the
    class dim use the fused kernel, float targets of the input's shape are probabilities.
    With label smoothing eps the loss per element is (1 - eps) * NLL + eps / C * sum_c w_c *
    -log p_c; 'mean' divides by the summed weights of the targets that are not ignore_index.
    """
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    target_array = _array(target)
    if target_array.dtype.kind == "f":
        return _cross_entropy_probabilities(input, target, weight, ignore_index, reduction,
                                            label_smoothing)
    rows, targets, out_shape = _rows_and_targets(input, target_array, "cross_entropy")
    class_weight = _class_weight(weight, rows.shape[1], input.dtype, "cross_entropy")
    loss = SoftmaxCrossEntropy.apply(rows, targets, class_weight, int(ignore_index),
                                     float(label_smoothing), reduction)
    return loss.reshape(out_shape) if reduction == "none" else loss


def _cross_entropy_probabilities(input: Tensor, target: Any, weight: Any, ignore_index: int,
                                 reduction: str, label_smoothing: float) -> Tensor:
    """Cross-entropy against class probabilities (soft targets), composed from Tensor ops."""
    if tuple(_array(target).shape) != input.shape:
        raise ValueError(
            f"cross_entropy: probability targets must have the input's shape {input.shape}, "
            f"got {tuple(_array(target).shape)}"
        )
    if ignore_index != -100:
        raise ValueError("cross_entropy: ignore_index is only supported for class-index targets")
    class_dim = 0 if input.ndim == 1 else 1
    classes = input.shape[class_dim]
    if not isinstance(target, Tensor):
        target = Tensor(np.asarray(target, dtype=input.dtype))
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    terms = input.log_softmax(class_dim) * target
    if weight is not None:
        class_weight = _class_weight(weight, classes, input.dtype, "cross_entropy")
        terms = terms * class_weight.reshape((classes,) + (1,) * (input.ndim - class_dim - 1))
    losses = -terms.sum(class_dim)
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


def nll_loss(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities `input` at class indices `target`.

    Layouts as `cross_entropy`; 'mean' divides by the summed weights of the kept targets.
    """
    _check_reduction(reduction, "nll_loss")
    rows, targets, out_shape = _rows_and_targets(input, _array(target), "nll_loss")
    class_weight = _class_weight(weight, rows.shape[1], input.dtype, "nll_loss")
    loss = NLLLoss.apply(rows, targets, class_weight, int(ignore_index), reduction)
    return loss.reshape(out_shape) if reduction == "none" else loss


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Squared error (input - target) ** 2, reduced."""
    _check_reduction(reduction, "mse_loss")
    difference = input - target
    return _reduce(difference * difference, reduction)


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Absolute error |input - target|, reduced (gradient 0 where they are equal, as PyTorch)."""
    _check_reduction(reduction, "l1_loss")
    return _reduce((input - target).abs(), reduction)


def _piecewise_quadratic(input: Tensor, target: Any, cut: float, linear_scale: float,
                         quadratic_scale: float) -> Tensor:
    """quadratic_scale * d^2 / 2 where |d| < cut, else linear_scale * (|d| - cut / 2)."""
    difference = input - target
    size = difference.abs()
    quadratic = difference * difference * (0.5 * quadratic_scale)
    linear = (size - 0.5 * cut) * linear_scale
    return where(size.data < cut, quadratic, linear)


def smooth_l1_loss(input: Tensor, target: Any, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta, for d = input - target; beta 0
    is `l1_loss` (PyTorch's definition)."""
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must not be negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    return _reduce(_piecewise_quadratic(input, target, beta, 1.0, 1.0 / beta), reduction)


def huber_loss(input: Tensor, target: Any, reduction: str = "mean",
               delta: float = 1.0) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), for d = input - target."""
    _check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    return _reduce(_piecewise_quadratic(input, target, delta, delta, 1.0), reduction)


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities `input` in [0, 1] against `target` of its shape.

    Each log is clamped at -100, as PyTorch does, so a probability of exactly 0 or 1 gives a
    finite loss; `weight` broadcasts against the input.
    """
    _check_reduction(reduction, "binary_cross_entropy")
    if tuple(_array(target).shape) != input.shape:
        raise ValueError(
            f"binary_cross_entropy: target must have the input's shape {input.shape}, "
            f"got {tuple(_array(target).shape)}"
        )
    if input.data.size and not (input.data.min() >= 0 and input.data.max() <= 1):
        raise ValueError(
            "binary_cross_entropy: every input must be a probability in [0, 1]; for logits "
            "use binary_cross_entropy_with_logits"
        )
    if not isinstance(target, Tensor):
        target = np.asarray(target, dtype=input.dtype)
    class_weight = None
    if weight is not None:
        class_weight = np.asarray(_array(weight), dtype=input.dtype)
        if np.broadcast_shapes(class_weight.shape, input.shape) != input.shape:
            raise ValueError(
                f"binary_cross_entropy: weight of shape {class_weight.shape} does not "
                f"broadcast to the input's shape {input.shape}"
            )
    return _reduce(BinaryCrossEntropy.apply(input, target, class_weight), reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """Sigmoid + binary cross-entropy in one stable expression (finite for logits of 1e4)."""
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    if tuple(_array(target).shape) != input.shape:
        raise ValueError(
            "binary_cross_entropy_with_logits: target must have the input's shape "
            f"{input.shape}, got {tuple(_array(target).shape)}"
        )
    if not isinstance(target, Tensor):
        target = np.asarray(target, dtype=input.dtype)
    positive = None if pos_weight is None else np.asarray(_array(pos_weight), dtype=input.dtype)
    losses = BinaryCrossEntropyWithLogits.apply(input, target, positive)
    if weight is not None:
        losses = losses * (weight if isinstance(weight, Tensor)
                           else np.asarray(weight, dtype=input.dtype))
    return _reduce(losses, reduction)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """x1 . x2 / (max(||x1||, eps) * max(||x2||, eps)) along `dim`, x1 and x2 broadcast
    together first, as PyTorch's (each vector divided by its clamped norm, then the products
    summed). Composed from Tensor ops, so its gradient comes from theirs; a norm below `eps`
    is clamped in value only (`FloorInValue`: PyTorch clamps it outside the graph, so the
    gradient still runs through the norm)."""
    x1 = x1 if isinstance(x1, Tensor) else Tensor(x1)
    x2 = x2 if isinstance(x2, Tensor) else Tensor(x2)
    common = np.broadcast_shapes(x1.shape, x2.shape)
    x1 = x1 if x1.shape == common else x1.expand(*common)
    x2 = x2 if x2.shape == common else x2.expand(*common)
    x1_norm = FloorInValue.apply(x1.norm(2, dim=dim, keepdim=True), eps)
    x2_norm = FloorInValue.apply(x2.norm(2, dim=dim, keepdim=True), eps)
    return ((x1 / x1_norm) * (x2 / x2_norm)).sum(dim)


def softmax(input: Tensor, dim: int) -> Tensor:
    """exp(x) / sum(exp(x)) along `dim`, stable for large logits."""
    return input.softmax(dim)


def masked_softmax(input: Tensor, keep: Any) -> Tensor:
    """Softmax over the last dim, with zero weight (and zero gradient) where `keep` is False.

    `keep` is a boolean array broadcasting against `input`; every row must keep a position.
    """
    mask = np.asarray(_array(keep), dtype=bool)
    return MaskedSoftmax.apply(input, mask)


def log_softmax(input: Tensor, dim: int) -> Tensor:
    """x - logsumexp(x) along `dim`, stable for large logits."""
    return input.log_softmax(dim)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF; approximate='tanh' is PyTorch's tanh form."""
    if approximate not in APPROXIMATIONS:
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return Gelu.apply(input, approximate)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    return Softplus.apply(input, float(beta), float(threshold))


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """int64 one-hot vectors: shape tensor.shape + (num_classes,); num_classes -1 means
    max(tensor) + 1."""
    indices = _array(tensor)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"one_hot: indices must be integers, got {indices.dtype}")
    if num_classes == -1:
        if indices.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor")
        num_classes = int(indices.max()) + 1
    if indices.size and indices.min() < 0:
        raise ValueError(f"one_hot: class values must be non-negative, got {int(indices.min())}")
    if indices.size and indices.max() >= num_classes:
        raise ValueError(
            f"one_hot: class value {int(indices.max())} is not smaller than num_classes "
            f"{num_classes}"
        )
    out = np.zeros((*indices.shape, num_classes), dtype=np.int64)
    np.put_along_axis(out, indices[..., None].astype(np.int64), 1, axis=-1)
    return Tensor(out)


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last len(pad) // 2 dims with `value` (0 if None): pad = (last_before,
    last_after, second_last_before, ...), as PyTorch; negative widths crop.

    Only mode 'constant' is supported.
    """
    if mode != "constant":
        raise ValueError(f"pad: only mode 'constant' is supported, got {mode!r}")
    widths = [int(w) for w in pad]
    if len(widths) % 2 or len(widths) // 2 > input.ndim:
        raise ValueError(
            f"pad: needs an even number of widths, at most two per dim of the {input.ndim}-D "
            f"input, got {len(widths)}"
        )
    pairs = [(widths[2 * k], widths[2 * k + 1]) for k in range(len(widths) // 2)]
    per_dim = ((0, 0),) * (input.ndim - len(pairs)) + tuple(reversed(pairs))
    return ConstantPad.apply(input, per_dim, 0.0 if value is None else float(value))


def relu(input: Tensor) -> Tensor:
    """max(x, 0)."""
    return input.relu()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return input.tanh()


def sigmoid(input: Tensor) -> Tensor:
    """Logistic function."""
    return input.sigmoid()


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            generator: Generator = None) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (when training).

    `generator` is an np.random.Generator, a seed, or None for seqlab's default generator.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * np.zeros((), dtype=input.dtype)
    keep = as_generator(generator).random(input.shape) >= p
    return input * (keep * (1.0 / (1.0 - p))).astype(input.dtype)


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0) -> Tensor:
    """Rows of `weight` at integer indices `input`: shape input.shape + (embedding_dim,).

    Row `padding_idx` gets no gradient. With `max_norm`, each looked-up row whose
    `norm_type`-norm exceeds it is first rescaled in place to max_norm / (norm + 1e-7) times
    itself, as PyTorch does (the rescaling is not part of the graph).
    """
    indices = _array(input)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got {indices.dtype}")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, dim), got {weight.shape}")
    if max_norm is not None:
        _renormalize_rows(weight.data, indices, float(max_norm), float(norm_type))
        # PyTorch's embedding_renorm_ is an in-place write whether or not a row changed: a
        # graph that saved the table before (a tied output layer) must not use it in backward
        versions.mark_written(weight.data)
    padding = -1 if padding_idx is None else padding_idx % weight.shape[0]
    out = EmbeddingLookup.apply(weight, indices, padding)
    embedding_lookups.remember(out, weight, indices, None if padding < 0 else padding)
    return out


def _renormalize_rows(table: np.ndarray, indices: np.ndarray, max_norm: float,
                      norm_type: float) -> None:
    """Scale the rows of `table` named in `indices` whose norm exceeds max_norm, in place."""
    rows = np.unique(indices.reshape(-1))
    if rows.size and (rows[0] < 0 or rows[-1] >= table.shape[0]):
        return  # out of range: EmbeddingLookup reports it
    norms = np.linalg.norm(table[rows].astype(np.float64), ord=norm_type, axis=1)
    over = norms > max_norm
    scale = max_norm / (norms[over] + 1e-7)
    table[rows[over]] *= scale[:, None].astype(table.dtype)


def embedding_source(output: Tensor, wanted: Callable[[Tensor, np.ndarray], bool] | None = None,
                     ) -> tuple[Tensor, np.ndarray, int | None] | None:
    """(weight, indices, padding_idx) when `output` is, unchanged, what `embedding` returned
    for them (so a layer reading it may instead read rows of a per-symbol table), else None:
    also once `output` or the weight was written in place after the lookup, however written,
    while `output` retains its gradient, or when `wanted(weight, indices)` (a cheap test, run
    before the rows are compared) says False (`embedding_lookups`)."""
    return embedding_lookups.source_of(output, wanted)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias over the last dim; weight has shape (out_features, in_features)."""
    if input.shape[-1] != weight.shape[-1]:
        raise ValueError(
            f"linear: input's last dim {input.shape[-1]} does not match weight's in_features "
            f"{weight.shape[-1]} (weight shape {weight.shape})"
        )
    return LinearMap.apply(input, weight, bias)


def layer_norm(input: Tensor, normalized_shape: int | tuple[int, ...], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing `normalized_shape` dims, then scale and shift."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if input.shape[input.ndim - len(shape):] != shape:
        raise ValueError(
            f"layer_norm: input of shape {input.shape} does not end in normalized_shape {shape}"
        )
    return LayerNormalize.apply(input, weight, bias, len(shape), float(eps))
