"""seqlab's threads, in one place: how many, the pool, teams, split GEMMs, and BLAS's share.

How many (`get_num_threads` / `set_num_threads`, as PyTorch's): from the environment at import,
the first value of `OMP_NUM_THREADS` when it is set, else every core this process may run on
(PyTorch reads the same variable; it counts physical cores, which on the VMs we measure on are
the usable cores). No call is needed for full speed. seqlab splits its own work that many ways:

- a recurrent time loop runs as n nogil kernels, each owning a block of hidden units, that meet
  at a spinning barrier once per step (`kernels.spin_barrier`; `run_team`), or, for an LSTM's
  training loop over a batch large enough, each owning a block of sequences (no per-step barrier);
- a large GEMM runs as n row (or, for few rows, column) blocks, each a one-thread BLAS call in
  its own thread (`matmul`; NumPy releases the GIL inside BLAS); a backward's independent
  GEMMs of the same size (dX and dW) run side by side, one per thread (`matmuls`);
- elementwise kernels over many arrays take even shares of their total length (`for_ranges`).

BLAS's share (`seqlab_computing`): while seqlab computes (a module call, a backward, a team or
a split GEMM) NumPy's and SciPy's BLAS run one thread each, and the counts found are put back
when the outermost such call returns. Their worker threads spin for a while after every GEMM,
and a team thread sharing a core with one ran at half speed (LSTM H=512 forward loop, 2 parts,
16 ms alone, 34 ms right after a two-thread NumPy GEMM); seqlab's own threads take the cores
instead, as PyTorch's OpenMP pool does for its BLAS. Outside seqlab's calls BLAS keeps whatever
the user set: importing seqlab changes no process-wide setting. (Only BLAS work the user runs
in another Python thread *while* seqlab computes sees one thread meanwhile.) Setting a library's
count costs ~3 us; the limit is taken once per outermost call.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator

import numba
import numpy as np

from seqlab.autograd import workspace
from seqlab.autograd.kernels.spin_barrier import (
    contended,
    meets,
    new_flags,
    partner_taken,
    release,
    spin_outs,
)
from seqlab.autograd.kernels.unit_blocks import max_parts
from seqlab.autograd.thread_variables import (
    ThreadsEnvironmentWarning,
    omp_threads,
    omp_threads_problem,
)

# the fewest hidden units per part worth a thread: below it the barrier and the thinner GEMMs
# cost more than the second core gives
MIN_UNITS_PER_PART = 32
# a GEMM splits into blocks of at least this many multiply-adds and this many rows (columns)
# each, else stays on one thread: waking a worker costs ~20-50 us, and a product of 2^22 split
# in two gained nothing on its critical path (AMD EPYC Zen 4, 2 threads, float32, one process
# alternating, thread CPU: Embedding(65) -> LSTM(128)'s table projection (65, 128) x (128, 512)
# 115 / 114 us, its backward's (512, 65) x (65, 128) 120 / 148 us) while the hand-over cost
# the caller ~0.1 ms of Python a call; products of 2^23 split in two gain 1.11-1.31x,
# 2^24 1.41x (BENCHMARKS.md, issue 11, lentrain2)
MIN_PARALLEL_MACS = 1 << 22
MIN_ROWS_PER_BLOCK = 64
# Parts of a team wait for each other, so every part needs a thread at once: the pool starts
# threads as they are needed and never queues a part behind another while one is idle.
_MAX_PARTS = 64


# How often the cores are counted again. `threads_for` asks on every split, and
# sched_getaffinity costs 2-3 us (a syscall and a set of every core): the count is kept and
# read again after this long, so a change of affinity (taskset -p, a cgroup's cpuset,
# os.sched_setaffinity) is followed within a second, and at once after `set_num_threads`.
# (OpenMP and PyTorch count once, when their pool starts, and never follow a change; a forked
# child inherits its parent's affinity, so the kept count stays true there.)
CORES_RECHECK_SECONDS = 1.0
_cores_seen: tuple[float, int] | None = None  # (time.monotonic() when counted, cores)


def usable_cores() -> int:
    """The cores this process may run on (counted at most once a `CORES_RECHECK_SECONDS`)."""
    global _cores_seen
    now = time.monotonic()
    seen = _cores_seen
    if seen is not None and now - seen[0] < CORES_RECHECK_SECONDS:
        return seen[1]
    if hasattr(os, "sched_getaffinity"):
        cores = len(os.sched_getaffinity(0))
    else:
        cores = os.cpu_count() or 1
    _cores_seen = (now, cores)
    return cores


def forget_usable_cores() -> None:
    """Count the usable cores afresh on the next call (after changing this process's affinity)."""
    global _cores_seen
    _cores_seen = None


def threads_from_environment() -> int:
    """The first value of OMP_NUM_THREADS when it is a positive integer (as OpenMP and PyTorch
    read it), else every usable core; a value that is set but no such count (0, -1, abc) is
    warned about (`ThreadsEnvironmentWarning`), as PyTorch warns, not ignored silently."""
    value = os.environ.get("OMP_NUM_THREADS")
    problem = omp_threads_problem(value)
    if problem is not None:
        warnings.warn(problem, ThreadsEnvironmentWarning, stacklevel=2)
    return omp_threads(value) or usable_cores()


_threads: int = threads_from_environment()


def set_num_threads(threads: int) -> None:
    """Compute with `threads` threads of seqlab's own (like `torch.set_num_threads`)."""
    global _threads
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive integer; got {threads!r}")
    _threads = threads
    forget_usable_cores()  # a call made after changing the affinity applies it at once


def get_num_threads() -> int:
    """How many threads seqlab computes with: set_num_threads's value, else the environment's."""
    return _threads


@functools.cache
def _blas_libraries() -> tuple:
    """threadpoolctl controllers of every BLAS loaded: NumPy's and the SciPy one the jitted
    loops call (loaded here first, so that it is found)."""
    import scipy.linalg.cython_blas  # noqa: F401
    from threadpoolctl import ThreadpoolController

    return tuple(ThreadpoolController().select(user_api="blas").lib_controllers)


_blas_lock = threading.Lock()
_blas_users = 0  # seqlab calls computing now (from any Python thread)
_blas_found: dict = {}  # thread counts to put back after the last of them


class _ComputingDepth(threading.local):
    """How many `seqlab_computing` blocks this thread is inside (a forked child counts only
    its forking thread's: `_after_fork_in_child`)."""

    value = 0


_computing_depth = _ComputingDepth()


@contextlib.contextmanager
def seqlab_computing() -> Iterator[None]:
    """BLAS on one thread each while seqlab computes; the counts found return when the
    outermost of these (over all Python threads) exits. Cheap when nested."""
    global _blas_users, _blas_found
    with _blas_lock:
        if _blas_users == 0:
            _blas_found = {}
            for library in _blas_libraries():
                threads = library.num_threads
                if threads != 1:
                    _blas_found[library] = threads
                    library.set_num_threads(1)
        _blas_users += 1
    _computing_depth.value += 1
    try:
        yield
    finally:
        _computing_depth.value -= 1
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                for library, threads in _blas_found.items():
                    library.set_num_threads(threads)


class _TeamFlag(threading.local):
    """`.active` while this thread runs a task of `_run_at_once`."""

    active = False  # a class default: a thread that never set it reads it without an exception


_in_team = _TeamFlag()


def threads_for(most: int) -> int:
    """How many threads work that splits into at most `most` pieces gets (at least 1); one
    inside a task already running beside others (the other threads are busy, and a nested
    split would wait on a pool its own callers fill)."""
    if getattr(_in_team, "active", False):
        return 1
    return max(1, min(_threads, usable_cores(), most, _MAX_PARTS))


def team_size(hidden: int) -> int:
    """How many parts a time loop over `hidden` units runs as."""
    if numba.config.DISABLE_JIT:
        return 1  # (plain-Python parts would spin on the GIL)
    return threads_for(min(hidden // MIN_UNITS_PER_PART, max_parts(hidden)))


@functools.cache
def _pool() -> concurrent.futures.ThreadPoolExecutor:
    return concurrent.futures.ThreadPoolExecutor(_MAX_PARTS - 1, thread_name_prefix="seqlab")


def _after_fork_in_child() -> None:
    """A forked child starts its own threads: the parent's pool threads do not exist in it (a
    pool inherited would count them idle and start none, and a team's part 0 would wait for
    its partners for ever), and a lock another parent thread held stays held. Only the forking
    thread's `seqlab_computing` blocks go on computing: where none does, BLAS gets back the
    thread counts another parent thread's block had set to one (they stayed so for good)."""
    global _blas_lock, _blas_users
    _pool.cache_clear()
    _blas_lock = threading.Lock()
    _blas_users = _computing_depth.value
    if _blas_users == 0:
        for library, count in _blas_found.items():
            library.set_num_threads(count)
        _blas_found.clear()
    forget_usable_cores()  # (a child may narrow its affinity at once)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _run_at_once(tasks: list[Callable[[], None]],
                 others_idle: Callable[[], bool] | None = None) -> None:
    """Run every task at the same time, tasks[0] in this thread, the rest on the pool; work
    the tasks split again runs in their own thread (`threads_for`). The pool's threads keep
    this thread's floating-point error settings (`np.errstate` is per thread): a caller that
    silences overflow warnings silences them in the work it splits too. `others_idle`, asked
    once tasks[0] returned: True where the other tasks will do nothing (tasks[0] did their
    work): they are then not waited for (those not started never run)."""
    with seqlab_computing():
        settings = np.geterr()
        others = [_pool().submit(_as_team_task, task, settings) for task in tasks[1:]]
        try:
            _as_team_task(tasks[0])
        finally:
            if others_idle is not None and others_idle():
                for other in others:
                    other.cancel()
                others = []
            for other in others:
                other.result()


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """seqlab's work inside runs on this thread alone (`threads_for` answers 1 here), as
    inside a team's part; the thread count set stays as it is."""
    outer = getattr(_in_team, "active", False)
    _in_team.active = True
    try:
        yield
    finally:
        _in_team.active = outer


def _as_team_task(task: Callable[[], None], errors: dict[str, str] | None = None) -> None:
    with one_thread(), np.errstate(**(errors or {})):
        task()


def run_team(parts: int, run_part: Callable[[int, int, np.ndarray], None],
             partner_may_be_taken: bool = False) -> tuple[int, int]:
    """Call run_part(part, parts, flags) for every part at once; part 0 in this thread.
    Returns (spin-outs, meets): how many times a part spun out waiting at the team's barrier
    (`spin_outs`) and how many meets the parts arrived at, both summed over the parts. A part
    that raises releases its slot of `flags` (its partners run on to their end, reading what it
    left unfinished) and the error comes out here: every meet of a team's parts must be on
    `flags`, or on flags its parts release themselves on their error path.
    `partner_may_be_taken`: a 2-part team whose part 0 may take part 1's share
    (`spin_barrier.partner_joined`); where it did, part 1 is not waited for (it returns at
    once whenever it starts, touching nothing but `flags`)."""
    if not 1 <= parts <= _MAX_PARTS:
        raise ValueError(f"a team has 1 to {_MAX_PARTS} parts; got {parts}")
    flags = new_flags(parts)
    _run_at_once([functools.partial(_released_on_error, run_part, part, parts, flags)
                  for part in range(parts)],
                 functools.partial(partner_taken, flags)
                 if partner_may_be_taken and parts == 2 else None)
    return spin_outs(flags), meets(flags)


def _released_on_error(run_part: Callable[[int, int, np.ndarray], None], part: int, parts: int,
                       flags: np.ndarray) -> None:
    """run_part(part, parts, flags); if it raises (a Ctrl-C in the caller's thread included),
    the part's slot of `flags` is released first (`spin_barrier.release`), so partners waiting
    for it at a meet go on to their end instead of spinning for ever, and `_run_at_once`, which
    waits for them, raises the error."""
    try:
        run_part(part, parts, flags)
    except BaseException:
        release(flags, part)
        raise


def run_claiming(parts: int, work: Callable[[], None], finished: Callable[[], bool]) -> None:
    """Call work() on `parts` threads at once, this one included, where each call takes shares
    of one job from a counter they share until none is left; return once this thread's call has
    returned and finished() says every share taken is done. The other threads are waited for
    only where one is not (a share still running): a partner that has not started yet (its
    core woken from idle, or taken by another process) finds no share left when it runs, and
    the caller does not wait for its start (`run_team` would). Exceptions of a partner that was
    not waited for are not raised here: `work` must not fail once the shares are all taken."""
    if not 1 <= parts <= _MAX_PARTS:
        raise ValueError(f"a team has 1 to {_MAX_PARTS} parts; got {parts}")
    with seqlab_computing():
        settings = np.geterr()
        others = [_pool().submit(_as_team_task, work, settings) for _ in range(parts - 1)]
        _as_team_task(work)
        pending = set(others)
        while pending and not finished():  # a share still runs on a partner that started
            done, pending = concurrent.futures.wait(
                pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for other in done:
                other.result()  # (raises its error)


class TeamWatch:
    """Whether a team that meets every step should run now, judged by its last calls (of one
    shape: seconds a step compare only between calls of the same work, `TeamWatches`).

    On free cores a meet costs well under a microsecond and a part almost never spins out
    (`spin_barrier.spin_outs`: once a call or so, where the partner thread wakes late). When
    another process holds a core, the parts take turns on the other one and nearly every meet
    spins out (~12.7 us a meet for a 2-part team, AMD EPYC; a batch-1 forward then took 3-4x a
    one-thread one). `record` after each team call: when its spin-outs say it was
    `spin_barrier.contended`, `team_pays` answers False for the next `first_pause` calls, twice
    as many after each further such call (up to `longest_pause`), after which one call tries
    the team again; a call with few spin-outs sets the pause back. The pause counts calls, not
    seconds, so it holds for calls however far apart (a REPL, line-by-line prediction). Races
    between Python threads only move a pause by a call.

    A one-part call is faster only while it gets a core of its own: on a machine loaded far
    past its cores, the scheduler shares each core among threads, a team's two threads got
    twice the share of one, and one-part calls ran 2-4x slower than the contended team (AMD
    EPYC, load 7-10 on 2 cores). So the caller also gives each call's wall seconds a step
    (`seconds` for a team call, `record_alone` for each one-part call taken while paused), and
    a contended team call takes no pause while the last one-part call was slower than it;
    after `retry_alone` such calls (or a free team call) one part is tried again.
    """

    def __init__(self, first_pause: int = 2, longest_pause: int = 32,
                 retry_alone: int = 16) -> None:
        self.first_pause, self.longest_pause = first_pause, longest_pause
        self.retry_alone = retry_alone
        self.reset()

    def reset(self) -> None:
        """Forget the calls seen: the next call runs as a team."""
        self._pause = 0  # the last pause taken, in calls; 0 after a call with few spin-outs
        self._paused = 0  # one-part calls left in the pause taken
        self._alone = float("inf")  # wall seconds a step of the last one-part call, if recent
        self._kept = 0  # contended team calls since then that took no pause

    def team_pays(self) -> bool:
        """False while a pause taken after a contended call lasts (`record_alone` counts it
        down)."""
        return self._paused <= 0

    def _take_pause(self) -> None:
        self._pause = (self.first_pause if self._pause == 0
                       else min(2 * self._pause, self.longest_pause))
        self._paused = self._pause

    def record(self, spun_out: int, met: int, seconds: float) -> None:
        """One team call's spin-outs out of the `met` meets its parts arrived at (`run_team`'s
        answer; a team that went on as one part, `recurrent_units_stack`, met fewer times) and
        its wall `seconds` a step."""
        if not contended(spun_out, met):
            self._pause = 0
            self._alone = float("inf")  # the machine changed: a one-part call is news again
            return
        if self._alone <= seconds:
            self._take_pause()
            return
        self._kept += 1
        if self._kept > self.retry_alone:  # the one-part time is stale: try one part again
            self._alone = float("inf")
        if self._alone == float("inf"):  # not tried since the machine changed: try it
            self._pause = 0
            self._take_pause()

    def record_alone(self, seconds: float) -> None:
        """One one-part call's wall `seconds` a step (taken while a pause lasted)."""
        self._alone = seconds
        self._kept = 0
        self._paused -= 1


class TeamWatches:
    """One `TeamWatch` per shape of work (a key such as (kind, hidden, layers, batch, dtype)):
    seconds a step of different models do not compare. Keeps the `most` keys used last."""

    def __init__(self, most: int = 16) -> None:
        self.most = most
        self._watches: dict = {}

    def watch(self, key) -> TeamWatch:
        """The watch of `key` (a new one, the team allowed, for a key not seen lately)."""
        found = self._watches.pop(key, None)
        if found is None:
            found = TeamWatch()
            while len(self._watches) >= self.most:  # the least recently used goes
                del self._watches[next(iter(self._watches))]
        self._watches[key] = found  # (dicts keep insertion order: now the most recent)
        return found

    def __len__(self) -> int:
        return len(self._watches)

    def reset(self) -> None:
        """Forget every shape's calls: each next call runs as a team."""
        self._watches.clear()


def for_ranges(sizes: list[int], call: Callable[[int, int, int], None],
               min_block: int = 1 << 18) -> None:
    """Call call(item, start, stop) so that the ranges cover [0, sizes[item]) for every item,
    with the total split evenly over seqlab's threads, run at once (all in this thread when the
    total is under 2 * min_block); `call` should release the GIL."""
    total = sum(sizes)
    blocks = threads_for(total // min_block)
    if blocks == 1:
        for item, size in enumerate(sizes):
            call(item, 0, size)
        return
    # block k covers positions [total * k / blocks, total * (k + 1) / blocks) of all items laid
    # end to end
    bounds = [total * block // blocks for block in range(blocks + 1)]
    offsets = np.cumsum([0, *sizes])
    work: list[list[tuple[int, int, int]]] = [[] for _ in range(blocks)]
    for block in range(blocks):
        low, high = bounds[block], bounds[block + 1]
        for item, size in enumerate(sizes):
            start, stop = max(low - offsets[item], 0), min(high - offsets[item], size)
            if start < stop:
                work[block].append((item, int(start), int(stop)))

    def run(block: int) -> None:
        for item, start, stop in work[block]:
            call(item, start, stop)

    _run_at_once([functools.partial(run, block) for block in range(blocks)])


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b for 2-D arrays, as row (or, for few rows, column) blocks on seqlab's threads when
    it is large enough."""
    rows, inner = a.shape
    cols = b.shape[1]
    if inner == 1:  # an outer product: the same values as BLAS's GEMM, 3.6-4x faster
        return _outer(a, b)
    if rows * inner * cols < MIN_PARALLEL_MACS:
        return a @ b
    # the result's memory comes back from the step before (`workspace`: no page faults)
    out = workspace.empty((rows, cols), np.result_type(a, b))
    by_rows = rows >= cols
    length = rows if by_rows else cols
    blocks = threads_for(min(length // MIN_ROWS_PER_BLOCK,
                             rows * inner * cols // MIN_PARALLEL_MACS))
    if blocks == 1:
        return np.matmul(a, b, out=out)
    bounds = [length * block // blocks for block in range(blocks + 1)]

    def block(k: int) -> None:
        part = slice(bounds[k], bounds[k + 1])
        if by_rows:
            np.matmul(a[part], b, out=out[part])
        else:
            np.matmul(a, b[:, part], out=out[:, part])

    _run_at_once([functools.partial(block, k) for k in range(blocks)])
    return out


def _outer(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b for a (R, 1) and b (1, C) as one broadcast multiply. OpenBLAS runs a GEMM of depth
    1 at a quarter of the speed of writing its output (one thread, AMD EPYC Zen 4, float32: a
    regression head's d_out, (2048, 1) x (1, 128), 0.29 -> 0.08 ms; (2048, 1) x (1, 512)
    1.18 -> 0.29 ms)."""
    out = workspace.empty((a.shape[0], b.shape[1]), np.result_type(a, b))
    return np.multiply(a, b, out=out)


def matmuls(products: list[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
    """[a @ b for (a, b) in products]. With about as many threads as products, each product
    runs whole on a thread of its own, all at once (one hand-over instead of one per block;
    Linear(128, 65)'s dX and dW on 2048 rows: 0.35 -> 0.28 ms on 2 threads); otherwise each
    is split by `matmul`. Meant for products of similar size."""
    count = len(products)
    small = any(a.shape[0] * a.shape[1] * b.shape[1] < MIN_PARALLEL_MACS or a.shape[1] == 1
                for a, b in products)  # (depth 1: `_outer`, by `matmul`)
    threads = threads_for(count)
    if count < 2 or small or threads < count or _threads >= 2 * count:
        return [matmul(a, b) for a, b in products]
    results: list[np.ndarray] = [np.empty(0)] * count

    def product(k: int) -> None:
        a, b = products[k]
        results[k] = np.matmul(a, b, out=workspace.empty((a.shape[0], b.shape[1]),
                                                         np.result_type(a, b)))

    _run_at_once([functools.partial(product, k) for k in range(count)])
    return results
