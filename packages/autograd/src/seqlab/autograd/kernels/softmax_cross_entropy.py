"""Fused softmax cross-entropy over (rows, classes) logits, forward and backward.

The forward pass reads each row of logits once (a row sits in L1 while it is worked on), writes
the softmax probabilities that backward needs and the row's loss, and accumulates the reduced
total; backward turns the probabilities into the gradient in one pass. Semantics are PyTorch's
`cross_entropy` with class-index targets: `ignore_index`, class `weight`, `label_smoothing`:

    loss_i = (1 - eps) * w[t_i] * -log p[i, t_i] + eps / C * sum_c w[c] * -log p[i, c]

and 'mean' divides the sum by sum_i w[t_i] over rows that are not ignored. An empty `weight`
array means no class weights. Both release the GIL: the caller may run row blocks on several
threads. This module imports nothing from the project.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .exp_f32 import exp

# Reassociation lets LLVM vectorize the row sums; no nnan/ninf: infinite logits are inputs.
# Only the row loops get these flags: across the mixed float32/float64 loss arithmetic they
# would let LLVM round a float64 sum to float32 (losing the loss to the logits' magnitude).
_FLAGS = {"contract", "reassoc", "nsz", "arcp"}


@njit(cache=True, error_model="numpy", fastmath=_FLAGS)
def _row_max(logits, i, classes):
    """Max of logits[i] with eight independent running maxima, so the loop does not wait on
    one long chain of dependent comparisons (twice as fast as the plain loop at 65 classes)."""
    m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = logits[i, 0]
    c = 0
    while c + 8 <= classes:
        m0 = max(m0, logits[i, c])
        m1 = max(m1, logits[i, c + 1])
        m2 = max(m2, logits[i, c + 2])
        m3 = max(m3, logits[i, c + 3])
        m4 = max(m4, logits[i, c + 4])
        m5 = max(m5, logits[i, c + 5])
        m6 = max(m6, logits[i, c + 6])
        m7 = max(m7, logits[i, c + 7])
        c += 8
    while c < classes:
        m0 = max(m0, logits[i, c])
        c += 1
    return max(max(max(m0, m1), max(m2, m3)), max(max(m4, m5), max(m6, m7)))


@njit(cache=True, error_model="numpy", fastmath=_FLAGS)
def _exp_row(logits, i, peak, probs):
    """probs[i] = exp(logits[i] - peak); returns their sum (in the logits' dtype)."""
    exp_sum = logits.dtype.type(0)
    for c in range(logits.shape[1]):
        shifted = exp(logits[i, c] - peak)
        probs[i, c] = shifted
        exp_sum += shifted
    return exp_sum


@njit(cache=True, error_model="numpy", fastmath=_FLAGS)
def _scale_row(probs, i, factor):
    for c in range(probs.shape[1]):
        probs[i, c] *= factor


@njit(cache=True, error_model="numpy", fastmath=_FLAGS)
def _exp_row_smoothed(logits, i, peak, probs, weight):
    """As _exp_row, and also sum_c w_c * (logits[i, c] - peak) (w_c = 1 when weight is empty)
    in the same loop, for label smoothing."""
    exp_sum = logits.dtype.type(0)
    shifted_sum = logits.dtype.type(0)
    if weight.shape[0] > 0:
        for c in range(logits.shape[1]):
            shifted = logits[i, c] - peak
            probs[i, c] = exp(shifted)
            exp_sum += probs[i, c]
            shifted_sum += weight[c] * shifted
    else:
        for c in range(logits.shape[1]):
            shifted = logits[i, c] - peak
            probs[i, c] = exp(shifted)
            exp_sum += probs[i, c]
            shifted_sum += shifted
    return exp_sum, shifted_sum


@njit(cache=True, nogil=True, error_model="numpy")
def softmax_cross_entropy_forward(logits, targets, weight, ignore_index, label_smoothing,
                                  probs, losses):
    """Fill probs (rows, C) and per-row losses (rows,); return (total, weight_sum, bad_row).

    bad_row is the first row whose target is out of [0, C) and not ignore_index, or -1.
    Ignored rows get loss 0 and probabilities that backward never reads. Row sums accumulate
    in the logits' dtype (vector lanes); the loss total and the weight sum in float64.
    """
    rows, classes = logits.shape
    has_weight = weight.shape[0] > 0
    smoothing = label_smoothing > 0.0
    weight_total = 0.0
    if has_weight:
        for c in range(classes):
            weight_total += weight[c]
    else:
        weight_total = float(classes)
    total = 0.0
    weight_sum = 0.0
    for i in range(rows):
        target = targets[i]
        if target == ignore_index:
            losses[i] = 0.0
            continue
        if target < 0 or target >= classes:
            return total, weight_sum, i
        peak = _row_max(logits, i, classes)
        if smoothing:
            exp_sum, weighted_shifted = _exp_row_smoothed(logits, i, peak, probs, weight)
        else:
            exp_sum, weighted_shifted = _exp_row(logits, i, peak, probs), 0.0
        _scale_row(probs, i, 1.0 / exp_sum)
        log_norm = np.log(float(exp_sum))
        target_weight = weight[target] if has_weight else 1.0
        target_shifted = float(logits[i, target] - peak)
        loss = -(target_shifted - log_norm) * target_weight * (1.0 - label_smoothing)
        if smoothing:
            # sum_c w_c * log p_c = sum_c w_c * (x_c - peak) - W * log_norm
            loss -= label_smoothing / classes * (weighted_shifted - weight_total * log_norm)
        losses[i] = loss
        total += loss
        weight_sum += target_weight
    return total, weight_sum, -1


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FLAGS)
def softmax_cross_entropy_backward(probs, targets, weight, ignore_index, label_smoothing,
                                   row_grads, grad_logits):
    """Fill grad_logits (rows, C) with d loss / d logits given d loss / d row_loss.

    row_grads has one entry per row, or a single entry shared by all rows ('sum' and 'mean'
    pass grad_output or grad_output / weight_sum). Per row with target t and g = row_grads[i]:
    grad[j] = g * (p_j * ((1 - eps) * w_t + eps / C * W) - (1 - eps) * w_t * [j == t]
                   - eps / C * w_j).
    grad_logits may be probs itself: each element is read before it is written.
    """
    rows, classes = probs.shape
    has_weight = weight.shape[0] > 0
    shared = row_grads.shape[0] == 1
    smooth_per_class = label_smoothing / classes
    weight_total = 0.0
    if has_weight:
        for c in range(classes):
            weight_total += weight[c]
    else:
        weight_total = float(classes)
    for i in range(rows):
        target = targets[i]
        out_row = grad_logits[i]
        if target == ignore_index:
            for c in range(classes):
                out_row[c] = 0.0
            continue
        g = row_grads[0] if shared else row_grads[i]
        target_weight = weight[target] if has_weight else 1.0
        target_part = (1.0 - label_smoothing) * target_weight
        scale = g * (target_part + smooth_per_class * weight_total)
        prob_row = probs[i]
        if has_weight and label_smoothing > 0.0:
            for c in range(classes):
                out_row[c] = prob_row[c] * scale - g * smooth_per_class * weight[c]
        else:
            offset = g * smooth_per_class
            for c in range(classes):
                out_row[c] = prob_row[c] * scale - offset
        out_row[target] -= g * target_part
