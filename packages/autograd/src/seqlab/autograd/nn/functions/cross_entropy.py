"""Cross-entropy on (rows, classes) logits through the fused kernel, and NLL on log-probabilities.

Both take class-index targets flattened to (rows,); `nn.functional` moves the class dim last and
flattens any extra dims before calling them, and reshapes 'none' results back.
"""

from __future__ import annotations

import numpy as np

from seqlab.autograd import workspace
from seqlab.autograd.function import Context, Function
from seqlab.autograd.grad_mode import is_graph_retained
from seqlab.autograd.nn.functions import backend
from seqlab.autograd.threads import for_ranges

# logits elements a row block gets at least: a block of 1M float32 (4 MB) takes ~1 ms each
# way, far above a thread hand-over; a char model's 2048 x 65 stays on one thread
MIN_BLOCK_ELEMENTS = 1 << 20


def _reduce(losses: np.ndarray, total: float, weight_sum: float, reduction: str,
            dtype: np.dtype) -> np.ndarray:
    if reduction == "none":
        return losses
    if reduction == "sum":
        return np.asarray(total, dtype=dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        # every target ignored: 0 / 0 = nan, as PyTorch
        return np.asarray(np.float64(total) / np.float64(weight_sum), dtype=dtype)


def _row_grads(grad: np.ndarray, weight_sum: float, reduction: str,
               dtype: np.dtype) -> np.ndarray:
    """d loss / d row_loss: one entry per row for 'none', one shared entry otherwise."""
    if reduction == "none":
        return np.ascontiguousarray(grad, dtype=dtype)
    if reduction == "sum":
        return np.asarray([grad], dtype=dtype).reshape(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray([np.float64(grad) / np.float64(weight_sum)], dtype=dtype).reshape(1)


def _out_of_range(targets: np.ndarray, row: int, classes: int, ignore_index: int) -> IndexError:
    return IndexError(
        f"target {int(targets[row])} at position {row} is out of range for {classes} classes: "
        f"targets must be in [0, {classes}) or equal ignore_index ({ignore_index})"
    )


def _min_block_rows(classes: int) -> int:
    return max(1, -(-MIN_BLOCK_ELEMENTS // max(classes, 1)))


def _forward_in_blocks(logits: np.ndarray, targets: np.ndarray, weight: np.ndarray,
                       ignore_index: int, label_smoothing: float, probs: np.ndarray,
                       losses: np.ndarray) -> tuple[float, float, int]:
    """The forward kernel over row blocks on seqlab's threads (one block for small logits);
    (total, weight_sum, first bad row or -1) over all rows. Each block sums its own rows, so
    the totals' last bits depend on the thread count (as PyTorch's do)."""
    results: dict[int, tuple[float, float, int]] = {}

    def rows_of(_item: int, start: int, stop: int) -> None:
        total, weight_sum, bad_row = backend.softmax_cross_entropy_forward(
            logits[start:stop], targets[start:stop], weight, ignore_index, label_smoothing,
            probs[start:stop], losses[start:stop])
        results[start] = (total, weight_sum, bad_row + start if bad_row >= 0 else -1)

    for_ranges([logits.shape[0]], rows_of, _min_block_rows(logits.shape[1]))
    total = weight_sum = 0.0
    for start in sorted(results):
        block_total, block_weight_sum, bad_row = results[start]
        if bad_row >= 0:
            return total, weight_sum, bad_row
        total += block_total
        weight_sum += block_weight_sum
    return total, weight_sum, -1


class SoftmaxCrossEntropy(Function):
    """log_softmax + NLL (+ label smoothing) in one kernel pass; saves only the probabilities."""

    @staticmethod
    def forward(ctx: Context, logits: np.ndarray, targets: np.ndarray, weight: np.ndarray,
                ignore_index: int, label_smoothing: float, reduction: str) -> np.ndarray:
        logits = np.ascontiguousarray(logits)
        rows, classes = logits.shape
        # (rows, classes) arrays come from the workspace: a word LM's 1120 x 10k float32 is 45 MB,
        # which glibc maps afresh every step (page faults; CPU time a step: forward 49 -> 7.5 ms,
        # backward 44 -> 3 ms)
        probs = workspace.empty(logits.shape, logits.dtype)
        losses = np.empty(rows, dtype=logits.dtype)
        total, weight_sum, bad_row = _forward_in_blocks(logits, targets, weight, ignore_index,
                                                        label_smoothing, probs, losses)
        if bad_row >= 0:
            raise _out_of_range(targets, bad_row, classes, ignore_index)
        ctx.save_for_backward(probs, targets, weight)
        ctx.options = (ignore_index, label_smoothing, reduction, weight_sum)
        return _reduce(losses, total, weight_sum, reduction, logits.dtype)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        probs, targets, weight = ctx.saved_tensors
        ignore_index, label_smoothing, reduction, weight_sum = ctx.options
        row_grads = _row_grads(grad, weight_sum, reduction, probs.dtype)
        if is_graph_retained():
            grad_logits = workspace.empty(probs.shape, probs.dtype)
        else:
            # nothing reads the probabilities again: the gradient takes their place, so a step
            # holds two (rows, classes) arrays, not three (a word LM's 4480 x 20k float32 is
            # 358 MB each). The node is released first: a backward interrupted mid-write
            # leaves "backward a second time", not gradients from half-overwritten probs
            ctx.release()
            grad_logits = probs
        shared = row_grads.shape[0] == 1

        def rows_of(_item: int, start: int, stop: int) -> None:
            backend.softmax_cross_entropy_backward(
                probs[start:stop], targets[start:stop], weight, ignore_index, label_smoothing,
                row_grads if shared else row_grads[start:stop], grad_logits[start:stop])

        for_ranges([probs.shape[0]], rows_of, _min_block_rows(probs.shape[1]))
        return grad_logits, None, None, None, None, None


class NLLLoss(Function):
    """Negative log-likelihood of (rows, classes) log-probabilities, PyTorch's `nll_loss`."""

    @staticmethod
    def forward(ctx: Context, log_probs: np.ndarray, targets: np.ndarray, weight: np.ndarray,
                ignore_index: int, reduction: str) -> np.ndarray:
        rows, classes = log_probs.shape
        kept = targets != ignore_index
        bad = kept & ((targets < 0) | (targets >= classes))
        if bad.any():
            raise _out_of_range(targets, int(np.argmax(bad)), classes, ignore_index)
        safe_targets = np.where(kept, targets, 0)
        class_weight = weight if weight.shape[0] else np.ones(classes, dtype=log_probs.dtype)
        target_weight = np.where(kept, class_weight[safe_targets], 0).astype(log_probs.dtype)
        losses = -log_probs[np.arange(rows), safe_targets] * target_weight
        weight_sum = float(target_weight.sum(dtype=np.float64))
        ctx.save_for_backward(safe_targets, target_weight)
        ctx.options = (classes, reduction, weight_sum)
        return _reduce(losses, float(losses.sum(dtype=np.float64)), weight_sum, reduction,
                       log_probs.dtype)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        safe_targets, target_weight = ctx.saved_tensors
        classes, reduction, weight_sum = ctx.options
        rows = safe_targets.shape[0]
        row_grads = _row_grads(grad, weight_sum, reduction, target_weight.dtype)
        grad_input = np.zeros((rows, classes), dtype=target_weight.dtype)
        grad_input[np.arange(rows), safe_targets] = -target_weight * row_grads
        return grad_input, None, None, None, None
