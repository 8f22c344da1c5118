"""A spinning barrier for a team of nogil kernels that share one time loop (one wait per step).

A recurrent time loop split across threads by hidden unit must meet once per step: every part
reads the whole previous state. A step takes 10-500 us, far too short for an OS wait, so each
part publishes how many steps it has finished in its own cache line of `flags` (an int64 array
of `parts * FLAG_STRIDE` zeros) and spins until every other part has finished as many. The
counts only grow within a call, so no reset is needed. After a while of spinning it yields the
core (`sched_yield`), so a part whose partner was descheduled does not starve it. Each part also
counts, in the next slot of its line, the meets at which it spun that long (`spin_outs`; once
a meet, however many partners it waited for): on
two free cores a meet takes well under a microsecond, so many spin-outs in a call say that
another process holds a core and the team's parts are taking turns on the other one.

The jitted versions use acquire loads and release stores (LLVM atomics), so the state a part
wrote before arriving is visible to every part after it leaves. Plain-Python bodies for
NUMBA_DISABLE_JIT=1, where the GIL orders everything.
"""

import sys
import time

import llvmlite.ir as ir
import numpy as np
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic, overload, register_jitable

FLAG_STRIDE = 16  # int64 slots between two parts' counters: 128 bytes, never one cache line
# ~6 us of spinning (AMD EPYC VM). A team of 2 that shares one core (the other taken by another
# process) pays two spin-outs a meet (12.7 us; benchmarks/units_team_barrier.py), but yielding
# after 1000 spins lost: the batch-1 team then ran at ~19k tokens/s beside base's 39-43k
# (both parts kept on one core far more often). See BENCHMARKS.md.
_SPINS_BEFORE_YIELD = 20000
SPIN_OUT_SLOT = 1  # flags[part * FLAG_STRIDE + SPIN_OUT_SLOT]: meets at which the part spun out
KEPT_SLOT = 2  # ... and its count as it was when the part last called `keep_spin_outs`
SIDE_SLOT = 3  # ... and a second barrier's count (`side_barrier`; its spin-outs in the next slot)
# A team is contended when more than one meet in this many spun out (summed over its parts).
# On free cores a call of the batch-1 unit team spins out about once (its partner thread
# wakes late); with one core taken, one part spins out at every meet (AMD EPYC, 2 vCPUs).
# One in 16 sent the team to one thread in calls it would have won (BENCHMARKS.md).
SPIN_OUT_SHARE = 4
MIN_SPIN_OUTS = 4  # ... and more than this many (a short call's late-starting partner is not)
# A released part's count (`release`): past every count a partner waits for
RELEASED = np.iinfo(np.int64).max
# flags[JOIN_SLOT] (part 0's line): 0 until part 1 of a 2-part team joins (`join_team`) or
# part 0, tired of waiting for it, takes its share (`partner_joined`); whichever swaps it first
# (past `side_barrier`'s slots, SIDE_SLOT + 0..2)
JOIN_SLOT = 8


def new_flags(parts: int) -> np.ndarray:
    """Zeroed step counters for a team of `parts` kernels."""
    return np.zeros(parts * FLAG_STRIDE, dtype=np.int64)


def meets(flags: np.ndarray) -> int:
    """The step count each part last published (`arrive_and_wait`'s `count`), summed over the
    parts; read once the team has finished. That is the meets the parts arrived at only for a
    team that counts its meets 1, 2, 3... (the unit team, `recurrent_units_stack`, does; the
    LSTM backward team counts down and a one-meet team says 1)."""
    return int(flags[::FLAG_STRIDE].sum())


def spin_outs(flags: np.ndarray) -> int:
    """How many meets a part waited at past its spinning (`_SPINS_BEFORE_YIELD`) before
    yielding the core, summed over the team's parts: each part counts a meet once, however
    many of its partners it waited for there; read once the team has finished."""
    return int(flags[SPIN_OUT_SLOT::FLAG_STRIDE].sum())


@register_jitable
def contended(spun_out, meets):
    """Whether `spun_out` spin-outs in `meets` meets (both summed over a team's parts) say
    that the parts are taking turns on fewer cores than they are: more than one meet in
    `SPIN_OUT_SHARE` and more than `MIN_SPIN_OUTS`."""
    return spun_out > MIN_SPIN_OUTS and spun_out * SPIN_OUT_SHARE > meets


@register_jitable
def keep_spin_outs(flags, part):
    """Copy this part's spin-out count to its kept slot; call it before arriving at a meet
    after which every part reads the kept counts (`kept_spin_outs`): each part's kept count
    then stays as it was until that part arrives at a later meet."""
    flags[part * FLAG_STRIDE + KEPT_SLOT] = flags[part * FLAG_STRIDE + SPIN_OUT_SLOT]


@register_jitable
def kept_spin_outs(flags, parts):
    """The parts' kept spin-out counts, summed: the same in every part after the meet."""
    total = 0
    for part in range(parts):
        total += flags[part * FLAG_STRIDE + KEPT_SLOT]
    return total


def load_acquire(flags, index):
    """flags[index], read with acquire ordering (plain-Python body)."""
    return flags[index]


def store_release(flags, index, value):
    """flags[index] = value, written with release ordering (plain-Python body)."""
    flags[index] = value


def swap_if(flags, index, expected, value):
    """flags[index] = value if it holds `expected`; whether it did, in one atomic step
    (plain-Python body)."""
    if flags[index] != expected:
        return False
    flags[index] = value
    return True


def ticks():
    """A clock that only grows, for bounding a wait (plain-Python body: nanoseconds; jitted:
    the CPU's time-stamp counter, ~2-4 ticks a nanosecond)."""
    return time.perf_counter_ns()


def yield_core():
    """Let another thread run on this core (plain-Python body: also lets go of the GIL)."""
    time.sleep(0)


def _element_pointer(context, builder, array_type, array, index):
    array_struct = context.make_array(array_type)(context, builder, array)
    return cgutils.get_item_pointer(context, builder, array_type, array_struct, [index],
                                    wraparound=False)


@intrinsic
def _load_acquire(typingctx, flags, index):
    def codegen(context, builder, signature, args):
        pointer = _element_pointer(context, builder, signature.args[0], args[0], args[1])
        return builder.load_atomic(pointer, "acquire", 8)

    return types.int64(flags, index), codegen


@intrinsic
def _store_release(typingctx, flags, index, value):
    def codegen(context, builder, signature, args):
        pointer = _element_pointer(context, builder, signature.args[0], args[0], args[1])
        builder.store_atomic(args[2], pointer, "release", 8)
        return context.get_dummy_value()

    return types.void(flags, index, types.int64), codegen


@intrinsic
def _sched_yield(typingctx):
    def codegen(context, builder, signature, args):
        # POSIX sched_yield; Windows has no such symbol (SwitchToThread), so there it only spins
        if sys.platform != "win32":
            declared = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.IntType(32), []), "sched_yield")
            builder.call(declared, [])
        return context.get_dummy_value()

    return types.void(), codegen


@overload(load_acquire, jit_options={"inline": "always"})
def _load_acquire_typed(flags, index):
    return lambda flags, index: _load_acquire(flags, index)


@overload(store_release, jit_options={"inline": "always"})
def _store_release_typed(flags, index, value):
    return lambda flags, index, value: _store_release(flags, index, np.int64(value))


@intrinsic
def _swap_if(typingctx, flags, index, expected, value):
    def codegen(context, builder, signature, args):
        pointer = _element_pointer(context, builder, signature.args[0], args[0], args[1])
        swapped = builder.cmpxchg(pointer, args[2], args[3], "acq_rel", "acquire")
        return builder.extract_value(swapped, 1)

    return types.boolean(flags, index, types.int64, types.int64), codegen


@intrinsic
def _cycle_counter(typingctx):
    def codegen(context, builder, signature, args):
        declared = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.IntType(64), []), "llvm.readcyclecounter")
        return builder.call(declared, [])

    return types.int64(), codegen


@overload(swap_if, jit_options={"inline": "always"})
def _swap_if_typed(flags, index, expected, value):
    return lambda flags, index, expected, value: _swap_if(flags, index, np.int64(expected),
                                                          np.int64(value))


@overload(ticks, jit_options={"inline": "always"})
def _ticks_typed():
    return lambda: _cycle_counter()


@overload(yield_core, jit_options={"inline": "always"})
def _yield_core_typed():
    return lambda: _sched_yield()


def side_barrier(flags: np.ndarray) -> np.ndarray:
    """A second barrier on a team's `flags`, for meets of the team's own Python code between
    its kernels (`seqmodels.rows_layer`), whose counts must not mix with the kernels' own:
    `arrive_and_wait(side_barrier(flags), ...)`. `release` lets it go with the first."""
    return flags[SIDE_SLOT:]


@njit(cache=True, nogil=True)
def release(flags, part):
    """Say part `part` will arrive at no more meets (it raised): its partners waiting for it,
    now or at any later meet of the call, on `flags` or its `side_barrier`, go on at once
    (what they compute after is dropped with the error). `threads.run_team` calls it on a
    part's error path."""
    store_release(flags, part * FLAG_STRIDE, RELEASED)
    store_release(flags, part * FLAG_STRIDE + SIDE_SLOT, RELEASED)


@njit(cache=True, nogil=True)
def arrive_and_wait(flags, part, parts, count):
    """Say part `part` has finished `count` steps; return once all `parts` parts have. A meet
    at which this part spins out (waiting for one partner or more) adds one to its
    `SPIN_OUT_SLOT` (only this part writes it)."""
    if parts == 1:
        return
    store_release(flags, part * FLAG_STRIDE, count)
    spun_out = False
    for other in range(parts):
        if other == part:
            continue
        spins = 0
        while load_acquire(flags, other * FLAG_STRIDE) < count:
            spins += 1
            if spins > _SPINS_BEFORE_YIELD:
                if not spun_out:  # once a meet, not once a partner waited for
                    flags[part * FLAG_STRIDE + SPIN_OUT_SLOT] += 1
                    spun_out = True
                yield_core()


@njit(cache=True, nogil=True)
def join_team(flags):
    """Part 1 of a 2-part team, before it does anything: whether it joins (True) or part 0
    has taken its share already (`partner_joined`: then it must return at once)."""
    return swap_if(flags, JOIN_SLOT, 0, 1)


@njit(cache=True, nogil=True)
def partner_joined(flags, wait_ticks):
    """Part 0 of a 2-part team: wait up to `wait_ticks` (`ticks`) for part 1 to `join_team`;
    True when it did, False when part 0 took its share instead (part 1 has not started: its
    pool thread not yet woken, or its core held by another process) and is to run the whole
    call alone. Spins, yielding the core between rounds as `arrive_and_wait` does."""
    started = ticks()
    spins = 0
    while load_acquire(flags, JOIN_SLOT) == 0:
        spins += 1
        if spins > _SPINS_BEFORE_YIELD:
            if ticks() - started > wait_ticks:
                return not swap_if(flags, JOIN_SLOT, 0, 2)  # (part 1 may have joined meanwhile)
            spins = 0
            yield_core()
    return True


def partner_taken(flags: np.ndarray) -> bool:
    """Whether part 0 of a 2-part team took part 1's share (`partner_joined`); read after part
    0 returned: part 1's task then does nothing and need not be waited for."""
    return int(flags[JOIN_SLOT]) == 2
