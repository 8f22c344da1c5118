"""Layer 0's per-symbol input table E @ W_ih^T + b as one graph node whose backward reads E
as it was at forward.

PyTorch's `Embedding -> LSTM` saves the looked-up rows (the LSTM's input), never the
embedding's weight E, so a write into E between forward and backward (`with no_grad():
emb.weight.add_(...)`, or through `.data`) changes no gradient there. The table path reads E
itself; had it saved E (`F.linear`), such a write would raise at backward, or, through
`.data`, change dW_ih. Here backward rebuilds E's rows at the ids from the looked-up rows
(every other row's table gradient is zero), so dW_ih = d_table^T @ E is PyTorch's, bit for bit
the same product when nothing was written. W_ih is saved as usual: a write into it raises, as
in PyTorch, whose LSTM saves it.
"""

from __future__ import annotations

import numba
import numpy as np

from seqlab.autograd import Tensor
from seqlab.autograd.function import Context, Function
from seqlab.autograd.grad_mode import is_graph_retained
from seqlab.autograd.kernels import bit_compare
from seqlab.autograd.threads import matmul, matmuls


class TableProjection(Function):
    """table (V, E), w_ih (G, E), bias (G,) or None -> (V, G); `ids` (any shape) and `rows`
    (ids' shape + (E,)): where and what the embedding looked up from this table."""

    @staticmethod
    def forward(ctx: Context, table: np.ndarray, w_ih: np.ndarray, bias: np.ndarray | None,
                ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
        out = matmul(table, w_ih.T)
        if bias is not None:
            out += bias
        ctx.save_for_backward(w_ih if ctx.needs_input_grad[0] else None)
        # not saved for the version check: backward rebuilds the rows it reads (module doc)
        ctx.table, ctx.ids, ctx.rows = table, ids, rows
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (w_ih,) = ctx.saved_tensors
        grad_table = grad_weight = grad_bias = None
        needs = ctx.needs_input_grad
        if needs[1]:
            table = table_at_forward(ctx.table, ctx.ids, ctx.rows)
        if needs[0] and needs[1]:  # as `F.linear`'s backward: the two products at once
            grad_table, grad_weight = matmuls([(grad, w_ih), (grad.T, table)])
        elif needs[0]:
            grad_table = matmul(grad, w_ih)
        elif needs[1]:
            grad_weight = matmul(grad.T, table)
        if needs[2]:
            grad_bias = grad.sum(axis=0)
        if not is_graph_retained():  # a second backward reads them again
            ctx.table = ctx.ids = ctx.rows = None
        return grad_table, grad_weight, grad_bias, None, None


def table_at_forward(table: np.ndarray, ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """`table` with its rows at `ids` set to the `rows` looked up there: the table as it was
    at the lookup wherever a gradient reads it (the same array when they still hold its bits,
    read in place: no gathered copy)."""
    flat_ids = ids.reshape(-1)
    flat_rows = rows.reshape(-1, table.shape[1])
    if _rows_hold(table, flat_ids, flat_rows):
        return table
    rebuilt = table.copy()
    rebuilt[flat_ids] = flat_rows
    return rebuilt


def _rows_hold(table: np.ndarray, flat_ids: np.ndarray, flat_rows: np.ndarray) -> bool:
    """Whether `flat_rows` (n, d) hold the bits of `table`'s rows at `flat_ids` (n,)."""
    if (numba.config.DISABLE_JIT or table.dtype != flat_rows.dtype
            or table.dtype.itemsize not in (4, 8)
            or not (table.flags.c_contiguous and flat_rows.flags.c_contiguous)):
        return bit_compare.rows_hold_reference(table, flat_ids, flat_rows)
    return bool(bit_compare.rows_hold(table, flat_ids, flat_rows))


def table_projection(table: Tensor, w_ih: Tensor, bias: Tensor | None, ids: np.ndarray,
                     rows: np.ndarray) -> Tensor:
    """`TableProjection` of an embedding's weight `table` looked up at `ids` into `rows`."""
    return TableProjection.apply(table, w_ih, bias, ids, rows)
