"""Plain NumPy references for the cross-entropy and embedding kernels.

Same signatures and results as the jitted kernels, written with whole-array NumPy so that a
reader can check them against the formulas; tests compare the kernels with these. They also
serve the autograd Functions when Numba's JIT is disabled (NUMBA_DISABLE_JIT=1), where the
kernels would run as slow Python loops.
"""

from __future__ import annotations

import numpy as np


def softmax_cross_entropy_forward(logits, targets, weight, ignore_index, label_smoothing,
                                  probs, losses):
    """NumPy version of kernels.softmax_cross_entropy.softmax_cross_entropy_forward."""
    rows, classes = logits.shape
    ignored = targets == ignore_index
    bad = ~ignored & ((targets < 0) | (targets >= classes))
    if bad.any():
        return 0.0, 0.0, int(np.argmax(bad))
    class_weight = weight.astype(np.float64) if weight.shape[0] else np.ones(classes)
    shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    probs[...] = np.exp(log_probs)
    safe_targets = np.where(ignored, 0, targets)
    target_weight = np.where(ignored, 0.0, class_weight[safe_targets])
    nll = -log_probs[np.arange(rows), safe_targets] * target_weight
    smooth = -(log_probs * class_weight).sum(axis=1)
    row_loss = np.where(ignored, 0.0,
                        (1.0 - label_smoothing) * nll + label_smoothing / classes * smooth)
    losses[...] = row_loss
    return float(row_loss.sum()), float(target_weight.sum()), -1


def softmax_cross_entropy_backward(probs, targets, weight, ignore_index, label_smoothing,
                                   row_grads, grad_logits):
    """NumPy version of kernels.softmax_cross_entropy.softmax_cross_entropy_backward
    (grad_logits may be probs itself)."""
    rows, classes = probs.shape
    ignored = targets == ignore_index
    class_weight = weight.astype(np.float64) if weight.shape[0] else np.ones(classes)
    safe_targets = np.where(ignored, 0, targets)
    target_weight = class_weight[safe_targets]
    row_grads = np.broadcast_to(row_grads.astype(np.float64), (rows,))
    one_hot = np.zeros((rows, classes))
    one_hot[np.arange(rows), safe_targets] = 1.0
    # d/dx of (1-eps) * w_t * -log p_t  +  eps/C * sum_c w_c * -log p_c
    grad = (1.0 - label_smoothing) * target_weight[:, None] * (probs - one_hot)
    grad += label_smoothing / classes * (class_weight.sum() * probs - class_weight[None, :])
    grad *= row_grads[:, None]
    grad[ignored] = 0.0
    grad_logits[...] = grad


def embedding_forward(weight, indices, out):
    """NumPy version of kernels.embedding.embedding_forward."""
    bad = (indices < 0) | (indices >= weight.shape[0])
    if bad.any():
        return int(np.argmax(bad))
    out[...] = weight[indices]
    return -1


def embedding_backward(grad_output, indices, padding_idx, grad_weight):
    """NumPy version of kernels.embedding.embedding_backward."""
    grad_weight[...] = 0.0
    kept = indices != padding_idx
    np.add.at(grad_weight, indices[kept], grad_output[kept])
