"""A training call with per-sequence lengths runs its rows longest first, as a no-grad call does.

The fused time loops multiply, at each step, only the leading rows whose sequences still run
(`kernels.active_rows`), forward and backward, as PyTorch's packed batch shrinks; with the
caller's rows in any order those are nearly all of them. So a graph call orders its rows by
length once (`length_order`: stable), runs every layer on the ordered rows (the input, or an
embedding's ids, the initial states and the lengths), and puts the outputs and final states
back in the caller's order. Both moves are graph nodes (`RowsInOrder`): each gradient goes back
to its row with the inverse move, so the layers' backward loops run ordered too.

Each row's loop sums are the same whichever rows run beside it (the panel products sum every
row alike; `rows_gemm` is run over whole tiles; BLAS keeps every row), and so are the input
projection's and dx's GEMM rows: out, h_n, c_n and the gradients reaching x, h0 and c0 are the
bits of the caller's order (`tests/seqmodels/test_training_length_order.py`). The weight
gradients and an embedding table's gradient sum over every (step, sequence), in an order the
move changes: those agree to round-off.

Taken only where the loops do not split the batch by sequence (`loops_split_rows`): a part
owning a contiguous block of the ordered rows would get all the long (or all the short)
sequences. Nor with dropout between layers in training (its masks are drawn over the rows:
they stay on the caller's rows), nor on the composed path (no loop to shrink).
"""

from __future__ import annotations

import numpy as np

from seqlab.autograd import Context, Function, Tensor
from seqlab.autograd.workspace import empty
from seqlab.seqmodels.cell_kinds import CELL_KINDS
from seqlab.seqmodels.length_order import length_order


class RowsInOrder(Function):
    """a (D0, N, ...) with its sequences (axis 1) taken in `order`; `inverse` (the inverse
    permutation) takes the gradient back to the caller's rows."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, order: np.ndarray, inverse: np.ndarray):
        ctx.inverse = inverse
        return _taken(a, order)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        return _taken(grad, ctx.inverse), None, None


def _taken(a: np.ndarray, order: np.ndarray) -> np.ndarray:
    """a's sequences (axis 1) in `order`, in a reused workspace block: a fresh array a call
    (out (T, N, 2H) and its gradient are megabytes) faulted its pages in every step, which
    cost more than the skipped padding saved at bi-RNN 128, batch 32 x 64, lengths 32-64."""
    out = empty((a.shape[0], order.size, *a.shape[2:]), a.dtype)
    # mode "clip" (a permutation): "raise" copies out first. Best of 5, float32: (60, 64, 256)
    # 0.17 ms, against 0.44 a row at a time; (100, 32, 256) 0.10 against 0.50
    np.take(a, order, axis=1, out=out, mode="clip")
    return out


def _moved(tensor: Tensor | None, order: np.ndarray, inverse: np.ndarray) -> Tensor | None:
    return None if tensor is None else RowsInOrder.apply(tensor, order, inverse)


def loops_split_rows(kind_name: str, steps: int, batch: int, w_hh: np.ndarray) -> bool:
    """Whether a training loop of this kind and shape splits its batch by sequence on
    seqlab's threads (`CellKind.rows_parts` gives several parts). Shapes, dtype and the
    thread count only."""
    return CELL_KINDS[kind_name].rows_parts(steps, batch, w_hh) > 1


def ordering_pays(stack, steps: int, batch: int, table) -> bool:
    """Whether a graph call of `stack` (a fused `RecurrentBase`) over `batch` sequences of
    `steps` runs its rows longest first: no loop of it splits the batch by sequence (a
    bidirectional layer's directions running side by side each run on one thread), and no
    dropout between layers in training."""
    if not stack.fused or (stack.dropout and stack.training and stack.num_layers > 1):
        return False
    from seqlab.seqmodels.both_directions import directions_side_by_side

    # layer 0 reading an embedding's table runs its directions in turn (`fused.run_projected`)
    if stack.bidirectional and table is None and directions_side_by_side():
        return True
    return not loops_split_rows(stack.kind.name, steps, batch, stack.weight_hh_l0.data)


def run_layers_longest_first(stack, x: Tensor, h0: Tensor, c0: Tensor | None,
                             lengths: np.ndarray, table) -> tuple | None:
    """`stack._run_layers` over x (T, N, F) with its rows longest first, its out, h_n and c_n
    back in the caller's order; None where the rows are already in that order or ordering
    does not pay (`ordering_pays`): the caller runs them as they are."""
    order = length_order(lengths)
    if order is None or not ordering_pays(stack, x.shape[0], x.shape[1], table):
        return None
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    if table is not None:
        weight, ids, padding_idx = table
        table = (weight, np.take(np.asarray(ids), order, axis=1), padding_idx)
    out, h_n, c_n = stack._run_layers(_moved(x, order, inverse), _moved(h0, order, inverse),
                                      _moved(c0, order, inverse),
                                      np.ascontiguousarray(lengths[order]), 0, [], [], table)
    return (_moved(out, inverse, order), _moved(h_n, inverse, order),
            _moved(c_n, inverse, order))
