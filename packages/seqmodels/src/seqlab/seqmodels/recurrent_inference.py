"""A recurrent stack's forward without a graph (under `no_grad`): every layer on plain ndarrays.

The graph path wraps each (layer, direction) in an autograd Function and its state in Tensors;
without a graph the same kernels run here straight on the arrays (`recurrent_ops` with
`save=False`), Tensors made only for what the stack returns: at batch 1 x 64 the per-call
Python of the Function path is a tenth of the forward. An LSTM layer at a panel batch on one
thread, an upper one or layer 0 over its own input (not an embedding's table), runs its input
projection inside the time loop as one per-step product (`kernels.recurrent_lstm_stacked`;
an Elman RNN layer alike, `kernels.recurrent_rnn_stacked`, by the same rules:
`CellKind.stacked_code`) instead of a whole-input GEMM before it; an upper layer
over a few rows that fill whole panels (batch 1 x 64) projects them by `project_by_panels`.
A stacked layer's panels are kept across calls while its weights stay bitwise the same
(`kept_panels`), so the stacked loop pays at every batch (batch 1 over raw features too: there
the loop had called a BLAS GEMV per step). Every other layer computes exactly what the graph
path's no-grad branch computed. Each direction of a bidirectional LSTM layer runs stacked
where a one-direction layer of its shape would (the reverse one from the last step, over its
own kept panels). On several threads a batch splits by sequence (`call_parts`:
an LSTM whose panels fit a core's L2 in parts of a panel tile's sequences with work enough
for a thread, any other stack 8+ sequences a part, `batch_parts`); an LSTM over its own
input whose layers all run stacked splits by chunks of a panel tile's sequences its threads
claim from one counter (`_claimed_call`: a partner that starts late takes fewer; an RNN
stack alike); every other split's chunks are claimed too (`claimed_chunks`), other LSTMs'
chunks reading one copy of what they all need (`shared_work`: the table's projection and
every layer's panels, computed once first; layer 0 then runs `lstm_packed_forward` over a
table, stacked over its own input); such an LSTM too small to split runs stacked on
one thread rather than as a per-layer team split by units (`stacked_pays`);
a one-direction stack below the panels' batch runs whole as one team split by hidden units
(`recurrent_units_team`) when `units_team_parts` says it pays and its work a layer-step does
(`units_team_work_pays`; else the call runs on one thread, as at 1 thread). Below the
panels' batch, layer 0 reads an embedding's whole (small) table, whose projection is kept
across calls while its weights stay bitwise the same (`keeps_whole_table`, `kept_tables`): at
batch 1 x 64 it was the largest fixed cost of a call (~0.2-0.45 ms of 1.5-2.6). A
bidirectional layer the batch split does not reach (one part) runs its two directions side by
side on exactly two threads, each whole on one (`both_directions.run_both`: no barrier a step,
the one-thread bits), where each had run in turn as a team split by units. A call with
`lengths` runs its rows longest first (`length_order`), so each step's product covers only
the sequences still running (`kernels.active_rows`), and a batch split of any stack over an
embedding's table projects the table once for all its parts (`shared_table_rows`).
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable

import numba
import numpy as np

from seqlab.autograd import Tensor
from seqlab.autograd.kernels.panel_gemm import (
    FMA,
    MIN_BATCH,
    pack_transposed_in_k_blocks,
    pack_transposed_into,
    panel_columns,
    panel_gemm_packed_into,
    panels_pay,
    panels_shape,
)
from seqlab.autograd.kernels.recurrent_blas import transpose_into
from seqlab.autograd.kernels.recurrent_lstm_claims import (
    chunks_done,
    new_claims,
    stacked_claims,
)
from seqlab.autograd.kernels.recurrent_lstm_packed import lstm_packed_forward
from seqlab.autograd.kernels.recurrent_lstm_stacked import (
    lstm_stacked_forward,
    lstm_stacked_reverse,
    pack_stacked_into,
)
from seqlab.autograd.kernels.recurrent_rnn_stacked import (
    rnn_stacked_forward,
    rnn_stacked_reverse,
)
from seqlab.autograd.threads import (
    one_thread,
    run_claiming,
    run_team,
    seqlab_computing,
    team_size,
    threads_for,
)
from seqlab.autograd.workspace import empty
from seqlab.seqmodels.both_directions import run_both
from seqlab.seqmodels.cell_kinds import CellKind
from seqlab.seqmodels.claimed_chunks import (
    MIN_SEQUENCES_PER_PART,
    chunk_bounds,
    run_claimed_chunks,
)
from seqlab.seqmodels.kept_panels import (
    KEPT_PANELS_BYTES,
    kept_stacked_panels,
    panels_room,
    panels_watch,
    stacked_bytes,
)
from seqlab.seqmodels.kept_tables import change_watch, kept
from seqlab.seqmodels.length_order import in_length_order, length_order
from seqlab.seqmodels.recurrent_ops import (
    FEW_ROWS,
    _check_ids,
    layer_forward,
    project_rows,
    projected_forward,
)
from seqlab.seqmodels.recurrent_units_team import (
    units_team_forward,
    units_team_parts,
    units_team_watch,
    units_team_work_pays,
)

# An LSTM layer whose stacked panels fit a core's L2 (1 MiB on AMD EPYC Zen 4: LSTM(40, 128)'s
# are 346 KB) runs stacked on one thread rather than as the per-layer team split by units: at
# batch 8 x 64, H 128, on 2 threads that team ran at the one-thread stacked loop's rate on a
# quiet machine (479k vs 474k elements/s) and 2-3x slower than it with a core taken (its
# barrier every step). A stack of such layers splits its batch in parts of a panel tile's
# sequences (`MIN_BATCH`) instead of `MIN_SEQUENCES_PER_PART` (`call_parts`).
ALONE_PANELS_BYTES = 1 << 20
# ... and only while a part gets this many multiply-adds (its stacked loop's, ~0.1 ms on one
# core): below it a team's start and the parts' fixed costs (~30-60 us) take what the second
# core gives (LSTM(40, 32) at batch 32 x 64: a whole call ~0.53 ms on one thread). Raised to
# 32M this stop from parts timed under load, and measured back on the quiet machine (AMD EPYC,
# 2 threads, LSTM(40, 128) batch 8 x 64 under no_grad, median of 7 x 50 calls, two rounds):
# split 700-870 us a call against 1000 us on one thread; LSTM(40, 32) at batch 32 a tie
# (3.54M against 3.50-3.68M elements/s). So 4M stays.
MIN_PART_MACS = 1 << 22
# Layer 0's projection of an embedding's whole table is kept across calls (`kept_tables`) up to
# this size (a char vocabulary: 65 x 1024 float32 at LSTM 256 is 266 KB; a 10k-word one would
# be 40 MB and its first call 10k rows of GEMM): the rows a call reads are compacted instead.
KEPT_TABLE_BYTES = 4 << 20
# The panel paths need the FMA tile, and under NUMBA_DISABLE_JIT their loops would run in Python
PANELS = FMA and not numba.config.DISABLE_JIT


def _stackable_kind(kind: CellKind, directions: int, lengths) -> bool:
    """Whether a stack's layers may run over stacked panels at all: an LSTM or an Elman RNN
    (`CellKind.stacked_code`), one direction, every sequence T long, on a target with the
    panel tile (`PANELS`)."""
    return PANELS and kind.stacked_code is not None and directions == 1 and lengths is None


def _layer_bytes(w_ih: np.ndarray, w_hh: np.ndarray, dtype) -> int:
    """The bytes of this layer's stacked panels (`stacked_bytes`; G*H = W_ih's rows)."""
    hidden = w_hh.shape[1]
    return stacked_bytes(w_ih.shape[1], hidden, dtype, w_ih.shape[0] // hidden)


def stacked_pays(kind: CellKind, batch: int, hidden: int, lengths, directions: int,
                 in_part: bool = False, panel_bytes: int | None = None,
                 kept: bool = False) -> bool:
    """Whether an LSTM layer runs as `lstm_stacked_forward`: one direction, every sequence T
    long, a batch the panels pay for (or any batch when its panels are of a size kept across
    calls: `kept`, `_keepable_layer`, `kept_panels`), on one thread: in a part of a batch
    split (`in_part`, asked from outside it), where a time loop gets one thread
    (`team_size`), or where its panels (`panel_bytes`) are at most `ALONE_PANELS_BYTES` (the
    team split by units loses there)."""
    if not _stackable_kind(kind, directions, lengths):
        return False
    if not (panels_pay(batch) or kept):
        return False
    return (in_part or team_size(hidden) == 1
            or (panel_bytes is not None and panel_bytes <= ALONE_PANELS_BYTES))


# Below the panels' batch a layer runs stacked over kept panels (`small_batch_stacked`) only
# where the layer-by-layer path's per-step BLAS product is slow: at most this many hidden
# units (its call's fixed cost dominates), W_hh past this size (OpenBLAS's product then ran
# at ~4 GMAC/s at H 512), or an input at most half as wide as the hidden state.
SMALL_GEMV_HIDDEN = 64
SLOW_GEMV_BYTES = 2 << 20


def small_batch_stacked(features: int, hidden: int, dtype) -> bool:
    """Whether an LSTM layer below the panels' batch runs stacked (its panels kept across
    calls, or packed by a call whose weights keep changing: the path never depends on that).
    The stacked loop's per-step product reads [W_ih | W_hh | b] ((F + H + 1) x 4H) at the
    panel tile's row rate (~22 GMAC/s a row), where the layer-by-layer path reads W_hh
    (H x 4H) by a BLAS call per step (~15-17 GMAC/s at H 128-256) after one GEMM projecting
    every step (~90 GMAC/s). Layer alone, batch 1 x 64, one thread, AMD EPYC Zen 4, CPU us,
    layer-by-layer -> stacked: H 32 F 32 80 -> 31, H 64 F 64 134 -> 103, H 128 F 40 300 ->
    243, H 128 F 128 329 -> 375, H 256 F 40 1009 -> 960, H 256 F 128 1110 -> 1240, H 256
    F 256 1220 -> 1650, H 512 F 512 16500 -> 6500, H 512 F 40 16200 -> 3460 (batch 2 alike:
    H 128 F 128 530 -> 680, F 40 440 -> 450). An Elman RNN's layer (W_hh H x H) takes the
    stacked loop at batch 1 whatever this says (`_keepable_layer`): RNN(F, H), batch 1 x 64,
    one thread, CPU us (p25), layer-by-layer -> stacked, load 15: F 40 H 128 148 -> 123,
    F 128 H 128 194 -> 153, F 256 H 256 484 -> 468, F 768 H 768 4277 -> 4262, F 1024 H 1024
    8002 -> 7293; at batch 2-3 a tie (F 128 H 128 batch 2 219 -> 227, F 256 H 256 batch 3
    1131 -> 1166), so this rule stays there."""
    weights_hh = 4 * hidden * hidden * np.dtype(dtype).itemsize
    return (hidden <= SMALL_GEMV_HIDDEN or weights_hh > SLOW_GEMV_BYTES
            or 2 * features <= hidden)


def _stack_fits_alone(stack, features: int, lengths, dtype) -> bool:
    """Whether every layer of `stack` (layer 0 over `features` inputs) is an LSTM layer whose
    stacked panels fit `ALONE_PANELS_BYTES`, one direction, no lengths."""
    hidden = stack.hidden_size
    if not _stackable_kind(stack.kind, stack.num_directions, lengths):
        return False
    widest = max(features, hidden) if stack.num_layers > 1 else features
    return stacked_bytes(widest, hidden, dtype, stack.kind.gates) <= ALONE_PANELS_BYTES


def call_parts(stack, batch: int, steps: int, features: int, lengths, dtype) -> int:
    """How many parts a no-grad call of `stack` over `batch` sequences of `steps` splits into
    (`features` layer 0's inputs). A stack that fits `_stack_fits_alone` runs every layer of a
    part stacked over a panel tile's sequences at least (`MIN_BATCH`) and at least
    `MIN_PART_MACS` multiply-adds; any other by `batch_parts`."""
    if numba.config.DISABLE_JIT:
        return 1
    if not _stack_fits_alone(stack, features, lengths, dtype):
        return batch_parts(batch)
    hidden = stack.hidden_size
    gate_rows = stack.kind.gates * hidden
    per_sequence = steps * sum((width + hidden + 1) * gate_rows for width in
                               [features] + [hidden] * (stack.num_layers - 1))
    parts = threads_for(batch // MIN_BATCH)
    while parts > 1 and batch // parts * per_sequence < MIN_PART_MACS:
        parts -= 1
    return parts


def _panel_share(count: int, part: int, parts: int) -> tuple[int, int]:
    """The panels [low, high) of `count` that part `part` of `parts` packs."""
    return count * part // parts, count * (part + 1) // parts


def _run_shares(jobs: list, parts: int) -> None:
    """Call job(part, parts) for every job, each part of `parts` its own share, at once."""
    if parts == 1:
        for job in jobs:
            job(0, 1)
        return
    run_team(parts, lambda part, parts, _flags: [job(part, parts) for job in jobs])


def _stacked_job(w_ih, w_hh, b_ih, b_hh, dtype):
    """Room for `stacked_panels` and the job (part, parts) packing a part's share of it."""
    hidden = w_hh.shape[1]
    depth = w_ih.shape[1] + hidden + 1
    gate_rows = w_ih.shape[0]
    bias = np.zeros(gate_rows, dtype) if b_ih is None else b_ih + b_hh
    panels = empty(panels_shape(depth, gate_rows, dtype), dtype)
    w_ih, w_hh = np.ascontiguousarray(w_ih), np.ascontiguousarray(w_hh)
    width = panels.shape[2]

    def pack_share(part: int, parts: int) -> None:
        low, high = _panel_share(panels.shape[0], part, parts)
        if high > low:
            rows = slice(low * width, high * width)
            pack_stacked_into(w_ih[rows], w_hh[rows], bias[rows], panels[low:high])

    return panels, pack_share


def stacked_panels(w_ih: np.ndarray, w_hh: np.ndarray, b_ih: np.ndarray | None,
                   b_hh: np.ndarray | None, dtype, parts: int = 1) -> np.ndarray:
    """The panels of [W_ih | W_hh | b]^T that `lstm_stacked_forward` multiplies by, packed by
    `parts` threads at once (each its share of whole panels: of the gate rows they hold)."""
    panels, job = _stacked_job(w_ih, w_hh, b_ih, b_hh, dtype)
    _run_shares([job], parts)
    return panels


def lstm_stacked_layer(x: np.ndarray, h0: np.ndarray, c0: np.ndarray, w_ih: np.ndarray,
                       w_hh: np.ndarray, b_ih: np.ndarray | None, b_hh: np.ndarray | None,
                       panels: np.ndarray | None = None, reverse: bool = False):
    """out (T, N, H), h_n, c_n of one LSTM layer over x (T, N, F) by `lstm_stacked_forward`
    (`lstm_stacked_reverse` where `reverse`: a bidirectional layer's reverse direction; over
    `panels` when given: `stacked_panels` of these weights)."""
    x = np.ascontiguousarray(x)
    dtype = x.dtype
    hidden = w_hh.shape[1]
    if panels is None:
        panels = stacked_panels(w_ih, w_hh, b_ih, b_hh, dtype)
    h = np.array(h0, dtype, order="C")
    c = np.array(c0, dtype, order="C")
    out = empty((x.shape[0], x.shape[1], hidden), dtype)
    (lstm_stacked_reverse if reverse else lstm_stacked_forward)(x, panels, h, c, out)
    return out, h, c


def rnn_stacked_layer(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                      b_ih: np.ndarray | None, b_hh: np.ndarray | None, relu: bool,
                      panels: np.ndarray | None = None, reverse: bool = False):
    """out (T, N, H), h_n, None of one Elman RNN layer (ReLU where `relu`, else tanh) over x
    (T, N, F) by `rnn_stacked_forward` (`rnn_stacked_reverse` where `reverse`; over `panels`
    when given: `stacked_panels` of these weights)."""
    x = np.ascontiguousarray(x)
    dtype = x.dtype
    if panels is None:
        panels = stacked_panels(w_ih, w_hh, b_ih, b_hh, dtype)
    h = np.array(h0, dtype, order="C")
    out = empty((x.shape[0], x.shape[1], w_hh.shape[1]), dtype)
    (rnn_stacked_reverse if reverse else rnn_stacked_forward)(x, panels, h, out, relu)
    return out, h, None


def _packed_job(w_hh, dtype):
    """Room for `packed_panels` and the job (part, parts) packing a part's share of it."""
    panels = empty(panels_shape(w_hh.shape[1], w_hh.shape[0], dtype), dtype)
    w_hh = np.ascontiguousarray(w_hh, dtype)
    width = panels.shape[2]

    def pack_share(part: int, parts: int) -> None:
        low, high = _panel_share(panels.shape[0], part, parts)
        if high > low:
            pack_transposed_into(w_hh[low * width:high * width], panels[low:high])

    return panels, pack_share


def packed_panels(w_hh: np.ndarray, dtype, parts: int = 1) -> np.ndarray:
    """W_hh^T packed for `lstm_packed_forward` (`panels_shape(H, G*H)`), by `parts` threads
    at once (each its share of whole panels)."""
    panels, job = _packed_job(w_hh, dtype)
    _run_shares([job], parts)
    return panels


def lstm_packed_layer(x_rows: np.ndarray, row_of: np.ndarray, h0: np.ndarray, c0: np.ndarray,
                      panels: np.ndarray):
    """out (T, N, H), h_n, c_n of one LSTM layer over the projected rows x_rows[row_of[t, n]]
    (biases in) by `lstm_packed_forward` over W_hh's `packed_panels`."""
    dtype = x_rows.dtype
    h = np.array(h0, dtype, order="C")
    c = np.array(c0, dtype, order="C")
    out = empty((*row_of.shape, h.shape[1]), dtype)
    lstm_packed_forward(np.ascontiguousarray(x_rows), row_of, panels, h, c, out)
    return out, h, c


def panels_project(rows: int, dtype) -> bool:
    """Whether `project_by_panels` projects `rows` rows: few (`FEW_ROWS`), a whole number of
    panel columns (no column of the tile wasted), on a target with FMA. One thread, AMD EPYC
    Zen 4, x (R, 256) by W (1024, 256) float32, all included: 64 rows 390 -> 336 us (batch 1 x
    64), 128 rows 738 -> 672; 25 rows 211 -> 317 and 100 rows 606 -> 650, so not there."""
    return PANELS and rows <= FEW_ROWS and rows % panel_columns(1, dtype) == 0


def project_by_panels(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """x @ w^T (+ bias) for x (R, F) and w (G, F), as (w @ x^T)^T with x^T packed into panels
    (R / 64 of them in float32: a 64 KiB copy at R = 64) and w's own rows broadcast by the
    panel tile; then one transpose."""
    rows, features = x.shape
    dtype = x.dtype
    panels = np.empty(panels_shape(features, rows, dtype), dtype)
    pack_transposed_in_k_blocks(np.ascontiguousarray(x), panels)
    product = empty((w.shape[0], rows), dtype)
    panel_gemm_packed_into(np.ascontiguousarray(w), panels, product)
    out = np.empty((rows, w.shape[0]), dtype)
    transpose_into(product, out)
    if bias is not None:
        out += bias
    return out


def _upper_layer(kind: CellKind, x: np.ndarray, h0, c0, weights, lengths, reverse):
    """out, h_n, c_n of a layer above the first by `layer_forward`, or, when its input is a
    few rows `panels_project` takes, projected by panels first."""
    w_ih, w_hh, b_ih, b_hh = weights
    steps, batch, features = x.shape
    if not panels_project(steps * batch, x.dtype) or w_ih.dtype != x.dtype:
        return layer_forward(kind, x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths, reverse,
                             save=False)[:3]
    xg = project_by_panels(x.reshape(steps * batch, features), w_ih,
                           kind.projection_bias(b_ih, b_hh))
    loop_bias = b_hh if kind.hh_bias_in_loop else None
    return projected_forward(kind, xg.reshape(steps, batch, -1), h0, c0, w_hh, loop_bias,
                             lengths, reverse, save=False)[:3]


def table_layer(kind: CellKind, rows: np.ndarray, ids: np.ndarray, h0: np.ndarray,
                c0: np.ndarray | None, w_hh: np.ndarray, b_hh: np.ndarray | None, lengths,
                reverse: bool):
    """out, h_n, c_n of layer 0 reading its input projection from table `rows` at `ids`."""
    loop_bias = b_hh if kind.hh_bias_in_loop else None
    return projected_forward(kind, rows, h0, c0, w_hh, loop_bias, lengths, reverse, ids,
                             save=False)[:3]


def _array(value) -> np.ndarray | None:
    """A Tensor's array, or a plain array as given (the graph path takes both)."""
    if value is None or isinstance(value, Tensor):
        return None if value is None else value.data
    return np.asarray(value)


def _arrays(weights) -> tuple:
    return tuple(_array(w) for w in weights)


def batch_parts(batch: int) -> int:
    """How many parts a no-grad stack over `batch` sequences splits into, each part all its
    layers on one thread (`MIN_SEQUENCES_PER_PART` sequences at least). The sequences are
    independent: no part waits on another until all are done, where a team split by units
    meets at a barrier every step."""
    if numba.config.DISABLE_JIT:
        return 1
    return threads_for(batch // MIN_SEQUENCES_PER_PART)


def keeps_whole_table(stack, vocab: int, batch: int, dtype) -> bool:
    """Whether a no-grad call of `stack` at `batch` reads an embedding's whole table of `vocab`
    rows and keeps its layer-0 projection across calls (`kept_tables`): a batch below the
    panels' (`MIN_BATCH`: the unit team's and the one-thread path's), the projection at most
    `KEPT_TABLE_BYTES`."""
    gate_rows = stack.kind.gates * stack.hidden_size
    return (batch < MIN_BATCH and stack.num_directions == 1
            and vocab * gate_rows * np.dtype(dtype).itemsize <= KEPT_TABLE_BYTES)


def _kept_rows(stack, table, weights) -> np.ndarray:
    """Layer 0's projection of the whole table (V, G*H), kept across calls."""
    kind = stack.kind
    w_ih, _, b_ih, b_hh = weights
    embedded = table[0].data

    def project() -> np.ndarray:
        return project_rows(embedded, w_ih, kind.projection_bias(b_ih, b_hh))

    rows, computed = kept(stack, ("rows0",), (embedded, w_ih, b_ih, b_hh), project)
    change_watch(stack).record(computed)
    return rows


def reads_whole_table(stack, vocab: int, batch: int, dtype) -> bool:
    """Whether this no-grad call of `stack` should read an embedding's whole table (ask once a
    call): where `keeps_whole_table`, unless its weights changed between its last calls
    (`kept_tables.ChangeWatch`: then the rows read are projected, as before)."""
    return keeps_whole_table(stack, vocab, batch, dtype) and change_watch(stack).pays()


def run_layers(stack, x: Tensor, h0: Tensor, c0: Tensor | None, lengths: np.ndarray | None,
               table, whole_table: bool = False) -> tuple[Tensor, Tensor, Tensor | None]:
    """`RNNBase._run_layers` from layer 0 without a graph: out (T, N, D*H), h_n, c_n.
    `table` (weight, ids (T, N), padding_idx) or None as there (layer 0 reads the projected
    rows of an embedding's table; `whole_table`: the embedding's whole weight, whose projection
    is kept across calls where `keeps_whole_table` says so). On several threads the batch
    splits (`batch_parts`)."""
    h0 = _array(h0)
    c0 = _array(c0)
    x = None if table is not None else _array(x)
    batch = h0.shape[1]
    keep = whole_table and table is not None and keeps_whole_table(
        stack, table[0].shape[0], batch, table[0].dtype)
    steps = np.shape(table[1])[0] if table is not None else x.shape[0]
    features = stack.input_size
    parts = call_parts(stack, batch, steps, features, lengths, h0.dtype)
    packed = _keeps_panels(stack, lengths)  # (a list of the packs made, or None: no keeping)
    if packed is not None and stack.num_directions == 2:
        panels_room(stack, h0.dtype)  # (made here: the two directions may look at once)
    team = units_team_parts(stack.kind, batch, stack.hidden_size, stack.num_directions,
                            steps * stack.num_layers)
    # a small batch whose team would not pay runs the one-thread path, the 1-thread call's bits
    alone = team > 1 and not units_team_work_pays(stack.kind, batch, features,
                                                  stack.hidden_size, stack.num_layers,
                                                  table is not None)
    team = 1 if alone else team
    by_units = None
    if parts == 1 and team > 1:  # a small batch: the whole stack as one team split by units
        x0, row_of = _layer0_rows(x, table)
        watch = units_team_watch(stack, batch, x0.dtype)
        if watch.team_pays():
            by_units = units_team_forward(stack, x0, row_of, h0, c0, lengths, team,
                                          keep_table=keep)
        else:
            # the team's last call of this shape mostly waited (a core taken): the same
            # kernel as one part on this thread, so the outputs keep the team's bits
            started = time.perf_counter()
            with one_thread():
                by_units = units_team_forward(stack, x0, row_of, h0, c0, lengths, 1, team,
                                              keep_table=keep)
            watch.record_alone((time.perf_counter() - started)
                               / max(steps * stack.num_layers, 1))
    if by_units is not None:  # (None: a dtype the team does not take)
        out, h_n, c_n = by_units
    elif parts == 1:
        with one_thread() if alone else contextlib.nullcontext():
            out, h_n, c_n = _stack_arrays(stack, x, h0, c0, lengths, table, keep_table=keep,
                                          packed=packed)
    else:
        claimed = (_claimed_call(stack, x, h0, c0, parts, packed)
                   if table is None and _stack_fits_alone(stack, features, lengths, h0.dtype)
                   else None)
        out, h_n, c_n = claimed or _split_call(stack, x, h0, c0, lengths, table, parts,
                                               packed)
    if packed:  # (some layer read kept panels: whether any had to be packed again)
        panels_watch(stack).record(any(packed))
    return Tensor(out), Tensor(h_n), None if c_n is None else Tensor(c_n)


def _claimed_call(stack, x: np.ndarray, h0: np.ndarray, c0: np.ndarray, parts: int,
                  packed: list | None) -> tuple | None:
    """out, h_n, c_n of `run_layers`' batch split for a stack of LSTM layers that all run
    stacked (`_stack_fits_alone`, over x, no table): `parts` threads claim chunks of a panel
    tile's sequences (`MIN_BATCH`) from one counter until none is left, each chunk through
    every layer (`kernels.recurrent_lstm_claims`), over the panels `shared_work` finds. A
    fixed half of the batch a thread made the call wait for a partner that started late (its
    core woken from idle or taken): here that partner takes fewer chunks, or none, and is
    not waited for (`run_claiming`). The one-thread stacked loop's bits. None where
    `shared_work` gives no panels for some layer (mixed dtypes: `_split_call` raises the
    graph path's error). An Elman RNN stack alike (`CellKind.stacked_code`: no c, its c_n None)."""
    dtype = h0.dtype
    if c0 is not None and c0.dtype != dtype:
        return None
    batch = h0.shape[1]
    with seqlab_computing():
        shared = shared_work(stack, x, None, h0, batch // parts, None, parts, packed)
        if any(layer not in shared for layer in range(stack.num_layers)):
            return None
        panels = tuple(shared[layer] for layer in range(stack.num_layers))
        x = np.ascontiguousarray(x)
        h = np.array(h0, dtype, order="C")
        c = h if c0 is None else np.array(c0, dtype, order="C")  # (an RNN's c: never read)
        out = empty((x.shape[0], batch, stack.hidden_size), dtype)
        claims = new_claims()
        cell = stack.kind.stacked_code
        run_claiming(parts,
                     lambda: stacked_claims(x, panels, h, c, out, claims, MIN_BATCH, cell),
                     lambda: chunks_done(claims, batch, MIN_BATCH))
    return out, h, None if c0 is None else c


def _split_call(stack, x: np.ndarray | None, h0: np.ndarray, c0: np.ndarray | None,
                lengths: np.ndarray | None, table, parts: int, packed: list | None) -> tuple:
    """out, h_n, c_n of `run_layers`' batch split into chunks of sequences (`chunk_bounds`)
    that `parts` threads claim (`run_claimed_chunks`: a partner that starts late takes fewer),
    each chunk all its layers on one thread (`_stack_arrays`) after `shared_work`. Each chunk
    writes its
    sequences' outputs into the call's arrays itself (all parts at once): the concatenation
    after the team, on one thread, was the largest serial cost of a split call (LSTM(40, 128)
    at batch 32 x 64: ~80 of ~250 us, a fresh 1 MiB output page-faulted every call). The
    same values as each part's own arrays; where a part's dtype differs from the state's
    (the graph path's mixed-dtype errors are raised in the parts) they are concatenated."""
    steps = np.shape(table[1])[0] if table is not None else x.shape[0]
    batch = h0.shape[1]
    dtype = h0.dtype
    width = stack.num_directions * stack.hidden_size
    wholes = (empty((steps, batch, width), dtype), empty(h0.shape, dtype),
              None if c0 is None else empty(c0.shape, dtype))
    bounds = chunk_bounds(batch, parts)
    chunks = len(bounds) - 1
    results: list = [None] * chunks
    copied = [False] * chunks

    with seqlab_computing():
        shared = shared_work(stack, x, table, h0, batch // chunks, lengths, parts, packed)

        def run_part(part: int) -> None:
            low, high = bounds[part], bounds[part + 1]
            part_table = (None if table is None
                          else (table[0], table[1][:, low:high], table[2]))
            result = _stack_arrays(
                stack, None if x is None else x[:, low:high], h0[:, low:high],
                None if c0 is None else c0[:, low:high],
                None if lengths is None else lengths[low:high], part_table, shared)
            results[part] = result
            if all(array is None or array.dtype == dtype for array in result):
                for whole, array in zip(wholes, result):
                    if whole is not None and array is not None:
                        whole[:, low:high] = array
                copied[part] = True

        run_claimed_chunks(parts, chunks, run_part)
    if all(copied):
        return wholes
    return tuple(None if results[0][i] is None
                 else np.concatenate([result[i] for result in results], axis=1)
                 for i in range(3))


def _keeps_panels(stack, lengths) -> list | None:
    """[] where this call's stacked layers read panels kept across calls (`kept_panels`):
    an LSTM without lengths (each direction's of a bidirectional one), unless its weights
    changed between its last calls (`kept_panels.panels_watch`); else None (each stacked
    layer packs its panels for this call alone, on the same path: `_keepable_layer`). Ask
    once a call."""
    if not _stackable_kind(stack.kind, 1, lengths):
        return None
    return [] if panels_watch(stack).pays() else None


def _layer_panels(stack, layer: int, weights: tuple, dtype, packed: list | None,
                  direction: int = 0):
    """Layer `layer`'s stacked panels kept across calls (`packed` gets whether they were
    packed now), or None (`lstm_stacked_layer` packs them) where `packed` is None or they
    are larger than `KEPT_PANELS_BYTES`; a reverse direction's (`direction` 1) apart."""
    w_ih, w_hh = weights[0], weights[1]
    if packed is None or _layer_bytes(w_ih, w_hh, dtype) > KEPT_PANELS_BYTES:
        return None
    key = (layer, direction) if direction else layer
    panels, now = kept_stacked_panels(stack, key, weights, dtype,
                                      lambda: stacked_panels(*weights, dtype))
    packed.append(now)
    return panels


def _keepable_layer(batch: int, w_ih: np.ndarray, w_hh: np.ndarray, dtype) -> bool:
    """Whether this layer's panels are of a size `_layer_panels` keeps and a stacked loop over
    them pays at `batch` (`small_batch_stacked` below the panels' batch). From shapes and
    dtype alone, never from whether this call keeps them (`_keeps_panels`): a call whose
    weights keep changing packs the panels for itself and takes the same path, so the same
    weights and input give the same bits whatever the calls before were."""
    features, hidden = w_ih.shape[1], w_hh.shape[1]
    one_gate = w_ih.shape[0] == hidden  # an Elman RNN: at batch 1 stacked at every shape
    return (_layer_bytes(w_ih, w_hh, dtype) <= KEPT_PANELS_BYTES
            and (panels_pay(batch) or small_batch_stacked(features, hidden, dtype)
                 or (one_gate and batch == 1)))


def shared_work(stack, x: np.ndarray | None, table, h0: np.ndarray, part_batch: int, lengths,
                parts: int, packed: list | None = None) -> dict:
    """What every part of a batch split would compute alike, computed once by `parts` threads before
    the parts start (one team), each its share of the gate rows: layer 0's projection of an
    embedding's table ("rows") and its W_hh panels ("panels0"), and the panels of each layer the
    parts run stacked (layer -> panels: the upper ones, and layer 0 over x). At batch 32 on 2
    threads each part projected the 65 x 256 table by 1024 rows (0.43 ms), packed layer 0's 1
    MiB of W_hh panels and layer 1's 2 MiB of stacked panels (0.39 ms) for itself. Empty (the
    parts do their own, as the graph path would) where a weight's, the input's (x or the
    table's) dtype differs from the state's, and for every stack but a one-direction LSTM whose
    layers the parts run over panels (`stacked_pays`). Panels kept across calls (`packed` a
    list: `_layer_panels`) are found or packed on this thread; the others are packed by the
    team only where they come to `ALONE_PANELS_BYTES` or a table is projected (at LSTM(40, 32)
    the team's start cost three times the packing: 56 against 17 us)."""
    kind = stack.kind
    dtype = h0.dtype
    weights = [_arrays(stack.layer_weights(layer, 0)) for layer in range(stack.num_layers)]
    layer0_input = x if table is None else _array(table[0])
    if layer0_input.dtype != dtype or any(w is not None and w.dtype != dtype
                                          for layer in weights for w in layer):
        return {}
    if not stacked_pays(kind, part_batch, stack.hidden_size, lengths, stack.num_directions,
                        in_part=True) or (table is not None and not kind.has_cell_state):
        # (layer 0 over a table runs `lstm_packed_forward`, an LSTM's loop, only here)
        return {} if table is None else shared_table_rows(stack, _array(table[0]), dtype)
    # layer 0 by `lstm_packed_layer` over the table's projection, or stacked over x; the
    # others stacked
    shared: dict = {}
    jobs = []
    if table is not None:
        shared["panels0"], job = _packed_job(weights[0][1], dtype)
        jobs.append(job)
    packing = 0  # bytes of panels the jobs pack
    for layer in range(0 if table is None else 1, stack.num_layers):
        kept_panels = _layer_panels(stack, layer, weights[layer], dtype, packed)
        if kept_panels is not None:
            shared[layer] = kept_panels
            continue
        shared[layer], job = _stacked_job(*weights[layer], dtype)
        packing += shared[layer].nbytes
        jobs.append(job)
    if table is not None:
        w_ih, _, b_ih, b_hh = weights[0]
        bias = kind.projection_bias(b_ih, b_hh)
        embedded = _array(table[0])
        rows = np.empty((embedded.shape[0], w_ih.shape[0]), dtype)
        width = panel_columns(1, dtype)

        def project_share(part: int, parts: int) -> None:
            low, high = (w_ih.shape[0] // width * k // parts * width for k in (part, part + 1))
            high = w_ih.shape[0] if part == parts - 1 else high
            if high > low:
                rows[:, low:high] = project_rows(embedded, w_ih[low:high],
                                                 None if bias is None else bias[low:high])

        jobs.insert(0, project_share)
        shared["rows"] = rows
    _run_shares(jobs, parts if table is not None or packing >= ALONE_PANELS_BYTES else 1)
    return shared


def shared_table_rows(stack, embedded: np.ndarray, dtype) -> dict:
    """("rows", direction) -> layer 0's projection of an embedding's table for each direction
    (`project_rows`, as a part would compute it), once for every part of a batch split whose
    parts share nothing else (GRU, RNN, a bidirectional stack, a call with lengths): each part
    had projected every row the batch reads (b256 x 40 of a 20k vocabulary: 5258 rows, the
    projection 2x the CPU at 2 threads, 4x for a bidirectional GRU). Empty where a direction's
    weights are not of the state's dtype (the parts raise the graph path's error)."""
    shared: dict = {}
    for direction in range(stack.num_directions):
        w_ih, _, b_ih, b_hh = _arrays(stack.layer_weights(0, direction))
        if w_ih.dtype != dtype or any(b is not None and b.dtype != dtype for b in (b_ih, b_hh)):
            return {}
        shared["rows", direction] = project_rows(embedded, w_ih,
                                                 stack.kind.projection_bias(b_ih, b_hh))
    return shared


def _layer0_rows(x: np.ndarray | None, table) -> tuple[np.ndarray, np.ndarray]:
    """Layer 0's input as rows (R, F) and the row each (step, sequence) reads (T, N): the
    embedding table's rows at its ids, or x's own rows in order."""
    if table is not None:
        weight, ids, _ = table
        return _array(weight), np.asarray(ids)
    steps, batch, features = x.shape
    return x.reshape(steps * batch, features), np.arange(steps * batch).reshape(steps, batch)


def _packed_layer0(table, shared: dict, h0: np.ndarray, c0: np.ndarray) -> tuple:
    """out, h_n, c_n of an LSTM layer 0 (one direction) over the shared W_hh panels, from the
    shared projection of the embedding's table at this part's ids."""
    rows = shared["rows"]  # (`shared_work` projects the table wherever it packs panels0)
    return lstm_packed_layer(rows, _check_ids(table[1], rows), h0, c0, shared["panels0"])


def _stackable_input(x: np.ndarray, *arrays) -> bool:
    """Whether layer 0 may run stacked over its input x (T, N, F) itself (not an embedding's
    table): x and every state and weight share one dtype (else the layer-by-layer path
    raises the graph path's error)."""
    return all(array is None or array.dtype == x.dtype for array in arrays)


def _direction_layer(stack, layer: int, layer_input: np.ndarray | None, h0: np.ndarray,
                     c0: np.ndarray | None, lengths: np.ndarray | None, table, shared: dict,
                     keep_table: bool, packed: list | None, direction: int) -> tuple:
    """out, h_n, c_n of one direction of one layer in `_stack_arrays` (its arguments)."""
    kind = stack.kind
    directions = stack.num_directions
    index = layer * directions + direction
    w_ih, w_hh, b_ih, b_hh = _arrays(stack.layer_weights(layer, direction))
    c0_part = c0[index] if c0 is not None else None
    reverse = bool(direction)
    if layer == 0 and "panels0" in shared:
        result = _packed_layer0(table, shared, h0[0], c0_part)
    elif layer == 0 and table is not None:
        weight, ids, _ = table
        rows = shared.get(("rows", direction))  # (`shared_table_rows`)
        if rows is not None:
            pass
        elif keep_table:
            rows = _kept_rows(stack, table, (w_ih, w_hh, b_ih, b_hh))
        else:
            rows = project_rows(weight.data, w_ih, kind.projection_bias(b_ih, b_hh))
        result = table_layer(kind, rows, ids, h0[index], c0_part,
                             w_hh, b_hh, lengths, reverse)
    elif (stacked_pays(kind, h0.shape[1], w_hh.shape[1], lengths, 1,  # (each direction)
                       panel_bytes=_layer_bytes(w_ih, w_hh, w_hh.dtype),
                       kept=layer in shared or _keepable_layer(
                           h0.shape[1], w_ih, w_hh, w_hh.dtype))
          and (layer or _stackable_input(layer_input, h0, c0, w_ih, w_hh, b_ih,
                                         b_hh))):
        weights = (w_ih, w_hh, b_ih, b_hh)
        panels = None if reverse else shared.get(layer)
        if panels is None:
            panels = _layer_panels(stack, layer, weights, layer_input.dtype, packed,
                                   direction)
        if kind.has_cell_state:
            result = lstm_stacked_layer(layer_input, h0[index], c0_part, *weights,
                                        panels, reverse)
        else:
            result = rnn_stacked_layer(layer_input, h0[index], *weights,
                                       kind.relu, panels, reverse)
    elif layer:
        result = _upper_layer(kind, layer_input, h0[index], c0_part,
                              (w_ih, w_hh, b_ih, b_hh), lengths,
                              reverse)
    else:
        result = layer_forward(kind, layer_input, h0[index], c0_part, w_ih,
                               w_hh, b_ih, b_hh, lengths, reverse,
                               save=False)[:3]
    return result


def _run_directions(directions: int, run: Callable[[int], tuple], key: tuple) -> list:
    """[run(direction) for each direction]; a layer's two directions side by side on exactly
    two threads (`both_directions.run_both`: one a thread, else one after the other; `key`
    names the shape of the work)."""
    results: list = [None] * directions

    def store(direction: int) -> None:
        results[direction] = run(direction)

    if directions == 2:
        run_both([functools.partial(store, direction) for direction in (0, 1)], key)
    else:
        store(0)
    return results


def _stack_arrays(stack, layer_input: np.ndarray | None, h0: np.ndarray, c0: np.ndarray | None,
                  lengths: np.ndarray | None, table, shared: dict | None = None,
                  keep_table: bool = False, packed: list | None = None) -> tuple:
    """out (T, N, D*H), h_n, c_n (or None) of every layer on arrays, in this thread's share;
    `shared`: what `shared_work` computed for every part (none: all computed here);
    `keep_table`: layer 0's projection of `table` kept across calls (`_kept_rows`);
    `packed`: a list where stacked layers read panels kept across calls (`_layer_panels`).
    With `lengths` the rows run longest first (`length_order`), the results in the caller's
    order."""
    order = None if lengths is None else length_order(lengths)
    if order is not None:  # (the rows longest first: each step multiplies the running ones)
        return in_length_order(order, lambda *arrays: _layers_in_order(
            stack, *arrays, shared, keep_table, packed), layer_input, h0, c0, lengths, table)
    return _layers_in_order(stack, layer_input, h0, c0, lengths, table, shared, keep_table,
                            packed)


def _layers_in_order(stack, layer_input: np.ndarray | None, h0: np.ndarray,
                     c0: np.ndarray | None, lengths: np.ndarray | None, table,
                     shared: dict | None, keep_table: bool, packed: list | None) -> tuple:
    """`_stack_arrays` over its rows in the order given."""
    shared = shared or {}
    kind = stack.kind
    directions = stack.num_directions
    h_finals, c_finals = [], []
    with seqlab_computing():
        for layer in range(stack.num_layers):
            outputs = _run_directions(directions, functools.partial(
                _direction_layer, stack, layer, layer_input, h0, c0, lengths, table, shared,
                keep_table, packed), ("no_grad", kind.name, stack.hidden_size, layer, h0.shape[1],
                                      h0.dtype.str, table is not None))
            for _, h_n, c_n in outputs:
                h_finals.append(h_n)
                c_finals.append(c_n)
            outputs = [result[0] for result in outputs]
            layer_input = outputs[0] if directions == 1 else np.concatenate(outputs, axis=2)
    c_n = np.stack(c_finals, 0) if kind.has_cell_state else None
    return layer_input, np.stack(h_finals, 0), c_n
