"""An LSTM layer's two weight gradients as ONE product: [dW_ih | dW_hh] = d_xg^T @ [x | h_prev].

Both gradients multiply the same projected-input gradients d_xg (T*N, 4H) by a (T*N, width)
block: dW_ih by the layer's input x, dW_hh by h_prev (the outputs shifted a step, h0 at the
first step read). `around_products.recurrent_weight_grad` already lays h_prev out in one
(T*N, H) block for its product; laying x out beside it makes one GEMM of width F + H where
there were two: OpenBLAS packs d_xg^T once instead of twice and runs the wider product
faster (float32, one thread, AMD EPYC Zen 4, `benchmarks/product_rates.py`: 84-85 -> 91
GFLOP/s at 2048 x 512 x (128 + 128), 90-92 -> 97 at 2048 x 1024 x (256 + 256), 92-93 -> 98 at
1600 x 1024 x (300 + 256); whole training steps 1.01-1.03x, BENCHMARKS.md issue 11, deep).

Each output element is the same dot product over the same T*N rows; OpenBLAS (SkylakeX
kernels) gave the same bits as the two products apart at every shape measured, but a BLAS
may block a wider product differently, so the tests hold it to float32 round-off.

Taken by `recurrent_ops.layer_backward` for an LSTM layer whose loop did not read a table
(ids) and whose input is at least `around_products.MIN_DEPTH` deep: a narrow input's dW_ih
runs through the tiles (`narrow_weight_grad`), faster than any BLAS product.
"""

from __future__ import annotations

import numpy as np

from seqlab.autograd import workspace
from seqlab.autograd.threads import matmul
from seqlab.seqmodels.around_products import MIN_DEPTH, MIN_SPLIT_WEIGHT_GRAD_MACS

Array = np.ndarray


def takes_joint_weight_grads(mode: str, x: Array, w_ih: Array, w_hh: Array,
                             ids: Array | None) -> bool:
    """Whether a layer's dW_ih and dW_hh form as one product: an LSTM loop that read its
    projection (no table ids), an input at least MIN_DEPTH deep, one dtype throughout."""
    return (mode == "lstm" and ids is None and x.shape[2] >= MIN_DEPTH
            and x.dtype == w_ih.dtype == w_hh.dtype)


def joint_weight_grads(d_xg: Array, x: Array, h_prev: Array | None, out: Array, h0: Array,
                       shifted: bool, reverse: bool) -> tuple[Array, Array]:
    """(dW_ih (G, F), dW_hh (G, H)) for d_xg (T, N, G), the layer input x (T, N, F) and the
    loop's saved h_prev (T, N, H) or, when `shifted` (every sequence read the same time at
    each step), its outputs out (T, N, H) a step behind (ahead when `reverse`) and h0 (N, H)."""
    steps, batch, gate_width = d_xg.shape
    features, hidden = x.shape[2], out.shape[2]
    rows = steps * batch
    block = workspace.empty((rows, features + hidden), d_xg.dtype)
    block[:, :features] = x.reshape(rows, features)
    recurrent = block[:, features:]
    if not shifted:
        recurrent[:] = h_prev.reshape(rows, hidden)
    else:
        flat = out.reshape(rows, hidden)
        later = rows - batch
        if reverse:  # step t read out[t + 1]; the last step h0
            recurrent[:later] = flat[batch:]
            recurrent[later:] = h0
        else:
            recurrent[:batch] = h0
            recurrent[batch:] = flat[:later]
    d_flat = d_xg.reshape(rows, gate_width)
    if rows * gate_width * (features + hidden) < MIN_SPLIT_WEIGHT_GRAD_MACS:
        both = d_flat.T @ block
    else:
        both = matmul(d_flat.T, block)
    return np.ascontiguousarray(both[:, :features]), np.ascontiguousarray(both[:, features:])
