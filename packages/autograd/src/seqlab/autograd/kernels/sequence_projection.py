"""x @ W^T (+ b) for a block of sequences of a (T, N, F) input: each part of a team split by
sequence projects its own sequences' inputs before its time loop.

A training LSTM loop split by sequence (`recurrent_lstm_rows`) reads, at step t, only the
projected inputs of its own sequences [start, stop): part p can project those T blocks of
rows itself (`panel_rows_into` on x[t, start:stop] for every t) inside the loop's team,
instead of a team of its own for the whole (T*N, G) projection before it (one hand-over of
the threads fewer a step). Each row's sums run in the same order whatever block of rows it
is taken in, so the result has the same bits as the whole projection.

Plain NumPy under NUMBA_DISABLE_JIT=1 (the tiles' Python bodies);
`sequence_projection_reference` is the reference.
"""

from numba import njit

from .panel_blocks import panel_rows_into


def sequence_projection_reference(x, w, bias, start, stop):
    """x[:, start:stop] @ w^T (+ bias) for x (T, N, F), w (G, F) (the plain-NumPy reference)."""
    out = x[:, start:stop] @ w.T
    return out if bias is None else out + bias


@njit(cache=True, nogil=True, error_model="numpy")
def project_sequences_into(x, panels, first, has_bias, out, start, stop, block):
    """out[t, start:stop] = x[t, start:stop] @ b (+ first[:stop - start] when `has_bias`) for
    every step t, for x (T, N, F) and out (T, N, P*W) with contiguous rows, b given as
    `pack_panels(b)`; `first` (at least stop - start rows, P*W columns, any row stride: a bias
    broadcast with row stride 0) is read only with `has_bias`. Rows in blocks of `block` (a
    multiple of ROWS), as `panel_rows_into`."""
    steps = x.shape[0]
    if out.shape[0] != steps or out.shape[1] != x.shape[1] or not 0 <= start <= stop <= x.shape[1]:
        raise ValueError("project_sequences_into: x (T, N, F), out (T, N, G), start <= stop <= N")
    if start == stop:
        return
    for t in range(steps):
        target = out[t, start:stop]
        if has_bias:
            panel_rows_into(x[t, start:stop], panels, target, first[:stop - start], True, block)
        else:
            panel_rows_into(x[t, start:stop], panels, target, target, False, block)
