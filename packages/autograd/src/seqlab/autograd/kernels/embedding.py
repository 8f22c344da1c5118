"""Embedding lookup (row gather) and its backward (scatter-add of rows), with padding_idx.

Indices come flattened to 1-D int64; a padding_idx of -1 means none. This module imports
nothing from the project.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def embedding_forward(weight, indices, out):
    """Copy weight[indices[k]] into out[k]; return the first position with a bad index, or -1."""
    rows = weight.shape[0]
    dim = weight.shape[1]
    for k in range(indices.shape[0]):
        index = indices[k]
        if index < 0 or index >= rows:
            return k
        source = weight[index]
        target = out[k]
        for j in range(dim):
            target[j] = source[j]
    return -1


@njit(cache=True)
def embedding_backward(grad_output, indices, padding_idx, grad_weight):
    """Add grad_output[k] into grad_weight[indices[k]] (zeroed first), skipping padding_idx."""
    dim = grad_weight.shape[1]
    for r in range(grad_weight.shape[0]):
        row = grad_weight[r]
        for j in range(dim):
            row[j] = 0.0
    for k in range(indices.shape[0]):
        index = indices[k]
        if index == padding_idx:
            continue
        source = grad_output[k]
        target = grad_weight[index]
        for j in range(dim):
            target[j] += source[j]
