"""A no-grad LSTM or Elman RNN stack over a batch, run by a team whose threads claim chunks of
sequences (one helper for the stacked loops of both: `stacked_claims`, its `cell` a code).

A batch split into one fixed part a thread finishes when its slowest part does: a partner that
starts late (its core woken from idle, or taken by another process) makes the whole call wait
for it, up to the one-thread call's time and past it. Here every thread of the team calls
`stacked_claims` on the same arrays and takes the next chunk of sequences from a shared
counter (an atomic add) until none is left, running each chunk through every layer of the stack
(`lstm_stacked_sequences` or `rnn_stacked_sequences`, layer by layer over the chunk's
sequences): a thread that starts late takes fewer chunks, and one that never starts takes
none, and the caller waits for the others only while a chunk is still running (`chunks_done`,
`threads.run_claiming`). Each sequence's outputs are the bits of the one-thread stacked loop
whoever computes it (the panel tile's rows never mix).

`claims` is an int64 array of `CLAIM_SLOTS` zeros, fresh for each call: the next chunk at
`NEXT_SLOT` and the chunks finished at `DONE_SLOT`, a cache line apart. Plain-Python bodies for
NUMBA_DISABLE_JIT=1 (where the GIL orders everything).
"""

import numpy as np
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic, overload

from .recurrent_lstm_stacked import lstm_stacked_sequences
from .recurrent_rnn_stacked import rnn_stacked_sequences
from .spin_barrier import load_acquire

# the `cell` codes of `stacked_claims`: which stacked loop runs each layer
LSTM_CELL = 0
RNN_TANH_CELL = 1
RNN_RELU_CELL = 2

NEXT_SLOT = 0
DONE_SLOT = 8  # 64 bytes past NEXT_SLOT: the two counters never share a cache line
CLAIM_SLOTS = 16


def new_claims() -> np.ndarray:
    """Zeroed counters for one call's team (`lstm_stacked_claims`)."""
    return np.zeros(CLAIM_SLOTS, dtype=np.int64)


def fetch_add(counters, index, value):
    """counters[index] += value; the value before (plain-Python body)."""
    before = counters[index]
    counters[index] = before + value
    return before


@intrinsic
def _fetch_add(typingctx, counters, index, value):
    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        array = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(context, builder, array_type, array, [args[1]],
                                           wraparound=False)
        return builder.atomic_rmw("add", pointer, args[2], "acq_rel")

    return types.int64(counters, index, types.int64), codegen


@overload(fetch_add, jit_options={"inline": "always"})
def _fetch_add_typed(counters, index, value):
    return lambda counters, index, value: _fetch_add(counters, index, np.int64(value))


@njit(cache=True, nogil=True, error_model="numpy")
def lstm_stacked_claims(x, panels, h, c, out, claims, chunk):
    """`stacked_claims` of an LSTM stack (`LSTM_CELL`)."""
    stacked_claims(x, panels, h, c, out, claims, chunk, LSTM_CELL)


@njit(cache=True, nogil=True, error_model="numpy")
def stacked_claims(x, panels, h, c, out, claims, chunk, cell):
    """Run chunks of `chunk` sequences of x (T, N, F) through every layer of a stack until the
    counter in `claims` has none left: `panels` a tuple of each layer's `pack_stacked_into`
    panels, h and c (L, N, H) the initial states on entry and the final ones on return (c
    read and written only by an LSTM: an RNN's caller passes h again), out (T, N, H) the last
    layer's output; `cell` `LSTM_CELL`, `RNN_TANH_CELL` or `RNN_RELU_CELL`. Returns when no
    chunk is left to take (others may still be running: `chunks_done`)."""
    steps, batch, _ = x.shape
    layers = len(panels)
    hidden = h.shape[2]
    chunks = (batch + chunk - 1) // chunk
    relu = cell == RNN_RELU_CELL
    while True:
        index = fetch_add(claims, NEXT_SLOT, 1)
        if index >= chunks:
            break
        first = index * chunk
        count = min(chunk, batch - first)
        layer_input = x
        input_first = first
        for layer in range(layers):
            last = layer == layers - 1
            target = out if last else np.empty((steps, count, hidden), x.dtype)
            target_first = first if last else 0
            if cell == LSTM_CELL:
                lstm_stacked_sequences(layer_input, input_first, panels[layer], h[layer],
                                       c[layer], first, target, target_first, count, False)
            else:
                rnn_stacked_sequences(layer_input, input_first, panels[layer], h[layer],
                                      first, target, target_first, count, False, relu)
            layer_input = target
            input_first = target_first
        fetch_add(claims, DONE_SLOT, 1)


@njit(cache=True, nogil=True)
def chunks_done(claims, batch, chunk):
    """Whether every chunk of `chunk` sequences of `batch` is done (read with acquire
    ordering: their outputs are then visible to this thread)."""
    return load_acquire(claims, DONE_SLOT) >= (batch + chunk - 1) // chunk

