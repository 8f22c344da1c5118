"""Fused softmax cross-entropy over (rows, classes) logits, forward and backward.

The forward pass reads each row of logits once (a row sits in L1 while it is worked on), writes
the softmax probabilities that backward needs and the row's loss, and accumulates the reduced
total; backward turns the probabilities into the gradient in one pass. Semantics are PyTorch's
`cross_entropy` with class-index targets: `ignore_index`, class `weight`, `label_smoothing`:

    loss_i = (1 - eps) * w[t_i] * -log p[i, t_i] + eps / C * sum_c w[c] * -log p[i, c]

and 'mean' divides the sum by sum_i w[t_i] over rows that are not ignored. An empty `weight`
array means no class weights. This module imports nothing from the project.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def softmax_cross_entropy_forward(logits, targets, weight, ignore_index, label_smoothing,
                                  probs, losses):
    """Fill probs (rows, C) and per-row losses (rows,); return (total, weight_sum, bad_row).

    bad_row is the first row whose target is out of [0, C) and not ignore_index, or -1.
    Ignored rows get loss 0 and probabilities that backward never reads.
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
        row = logits[i]
        prob_row = probs[i]
        peak = row[0]
        for c in range(1, classes):
            if row[c] > peak:
                peak = row[c]
        exp_sum = 0.0
        for c in range(classes):
            shifted = np.exp(row[c] - peak)
            prob_row[c] = shifted
            exp_sum += shifted
        inverse = 1.0 / exp_sum
        for c in range(classes):
            prob_row[c] *= inverse
        log_norm = np.log(exp_sum)
        target_weight = weight[target] if has_weight else 1.0
        loss = -(row[target] - peak - log_norm) * target_weight * (1.0 - label_smoothing)
        if smoothing:
            # sum_c w_c * log p_c = sum_c w_c * (x_c - peak) - W * log_norm
            weighted_shifted = 0.0
            if has_weight:
                for c in range(classes):
                    weighted_shifted += weight[c] * (row[c] - peak)
            else:
                for c in range(classes):
                    weighted_shifted += row[c] - peak
            loss -= label_smoothing / classes * (weighted_shifted - weight_total * log_norm)
        losses[i] = loss
        total += loss
        weight_sum += target_weight
    return total, weight_sum, -1


@njit(cache=True)
def softmax_cross_entropy_backward(probs, targets, weight, ignore_index, label_smoothing,
                                   row_grads, grad_logits):
    """Fill grad_logits (rows, C) with d loss / d logits given d loss / d row_loss.

    row_grads has one entry per row, or a single entry shared by all rows ('sum' and 'mean'
    pass grad_output or grad_output / weight_sum). Per row with target t and g = row_grads[i]:
    grad[j] = g * (p_j * ((1 - eps) * w_t + eps / C * W) - (1 - eps) * w_t * [j == t] - eps / C * w_j).
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
