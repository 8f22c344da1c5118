"""A batch split whose chunks the team's threads claim, for no-grad calls that run a chunk by
Python (`recurrent_inference._split_call`: a GRU stack, any stack over an embedding's table or
with panels past a core's L2).

Fixed parts (one per thread) make a call wait for its slowest thread: a partner that starts
late (its core woken from idle, or taken by another process) holds the call up by its whole
part. Here the batch is cut into `chunk_bounds` (as many chunks as threads or a few times
more, each at least `MIN_SEQUENCES_PER_PART` sequences: a chunk's rows take the same loops, so
the same bits, as the whole batch's) and each thread takes the next chunk until none is left
(`threads.run_claiming`): a late partner takes fewer chunks, or none, and is not waited for
once every chunk is taken and done.
The LSTM and Elman RNN stacks that run stacked claim chunks inside one kernel instead
(`kernels.recurrent_lstm_claims.stacked_claims`); this is the same rule for the calls whose
chunks run layer by layer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from seqlab.autograd.threads import run_claiming

MIN_SEQUENCES_PER_PART = 8  # as the training loops' split by sequence (`rows_split_pays`)
# At most this many chunks a thread. Finer chunks let a late partner's share shrink further,
# but each costs a `_stack_arrays` call and runs its GEMM and loop over fewer rows: GRU(40, H)
# under no_grad, 2 threads, AMD EPYC Zen 4, process CPU medians of 48 calls, load 12-13, 1 ->
# 4 chunks a thread: H 128 batch 32 4.51 -> 4.85 ms, batch 64 7.87 -> 9.18 ms, H 512 batch
# 32 39.9 -> 43.2 ms; 1 -> 2: batch 64 7.94 -> 8.27, batch 128 15.2 -> 15.4, H 64 batch 64
# 2.88 -> 3.12. So one: the halves `batch_parts` made, taken by whichever thread is free (a
# partner that starts after the caller's half is done finds the other taken, not waited for).
CHUNKS_PER_THREAD = 1


def chunk_bounds(batch: int, parts: int) -> list[int]:
    """The sequence bounds of a `parts`-thread split's chunks: `parts` to `CHUNKS_PER_THREAD`
    times as many near-equal chunks of `MIN_SEQUENCES_PER_PART` sequences or more (so at
    least `parts`, as `batch_parts` made them)."""
    chunks = max(parts, min(batch // MIN_SEQUENCES_PER_PART, CHUNKS_PER_THREAD * parts))
    return [batch * chunk // chunks for chunk in range(chunks + 1)]


def run_claimed_chunks(parts: int, chunks: int, run_chunk: Callable[[int], None]) -> None:
    """run_chunk(chunk) for every chunk in range(chunks), each once, by `parts` threads (this
    one included) that take the next chunk from a shared counter until none is left. An error
    in a chunk is raised here once every chunk taken is done (the first, where several)."""
    lock = threading.Lock()
    state = {"next": 0, "done": 0}
    errors: list[BaseException] = []

    def claim() -> int:
        with lock:
            chunk = state["next"]
            state["next"] = chunk + 1
            return chunk

    def work() -> None:
        while (chunk := claim()) < chunks:
            try:
                run_chunk(chunk)
            except BaseException as error:  # (raised by the caller once all are done)
                errors.append(error)
            finally:
                with lock:
                    state["done"] += 1

    run_claiming(parts, work, lambda: state["done"] >= chunks)
    if errors:
        raise errors[0]
