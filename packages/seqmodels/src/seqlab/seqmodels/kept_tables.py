"""What a no-grad call derives from weights alone, kept across calls while those weights stay
bitwise the same: layer 0's projection of an embedding's whole table (`recurrent_inference`).

At batch 1 x 64 the projection of the table's rows by W_ih (a 65 x 256 by 256 x 1024 GEMM at
LSTM 256) took ~0.45 ms of a ~2.6 ms call on one thread, and ~0.2 ms of each part's 1.5 ms on
two; the weights of a model serving calls do not change between them.

Why the arrays' bits are compared, not a version: a `Tensor`'s `.data` is a plain ndarray that
anyone may write in place (`p.data -= lr * g`, `np.copyto(w.data, ...)`, `tensor.numpy()[0] =
1`, a view taken long before), and no counter sees such writes. A kept result stores copies of
the arrays it was computed from and is used only while every one of them is bitwise what it
was (~35 us for the 1 MiB of W_ih at LSTM 256, AMD EPYC Zen 4): a stale result cannot be
returned, whoever wrote the weights and however (a NaN stays equal to itself; -0.0 and 0.0
differ). Results are kept per owner (a stack module), for as long as it lives: its
`MOST_KEPT` most recent (a stack's layers share one entry, `kept_in`); the watches that judge
whether keeping pays (`ChangeWatch`) and the owner's lock live apart from them (`kept_one`),
never evicted, so an owner's history is never forgotten while its results come and go.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numba
import numpy as np

from seqlab.autograd.kernels import bit_compare

_KEPT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # owner -> {key: KeptResult}
MOST_KEPT = 8  # results kept per owner (keys name shapes: a stack fed tables of many shapes)
_ONES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # owner -> {key: object}


def _entries(owner: Any) -> dict:
    """The owner's kept results, by key, the least recently added first."""
    entries = _KEPT.get(owner)
    if entries is None:
        entries = _KEPT.setdefault(owner, {})
    return entries


def _store(entries: dict, key: Any, value: Any) -> None:
    entries.pop(key, None)
    while len(entries) >= MOST_KEPT:
        del entries[next(iter(entries))]
    entries[key] = value


def same_bits(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """Whether a and b are both None, or arrays of one shape and dtype with the same bits."""
    if a is None or b is None:
        return a is b
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind not in "fciub" or a.dtype.itemsize not in (1, 2, 4, 8):
        return bool(np.array_equal(a, b))
    if (a.dtype.itemsize in (4, 8) and a.flags.c_contiguous and b.flags.c_contiguous
            and not numba.config.DISABLE_JIT):
        return bool(bit_compare.same_bits(a, b))
    unsigned = np.dtype(f"u{a.dtype.itemsize}")
    return bool(np.array_equal(a.view(unsigned), b.view(unsigned)))


class KeptResult:
    """A value with copies of the arrays it was computed from (`matches` compares them)."""

    __slots__ = ("sources", "value")

    def __init__(self, sources: Sequence[np.ndarray | None], value: Any) -> None:
        self.sources = tuple(None if s is None else np.array(s, copy=True) for s in sources)
        self.value = value

    def matches(self, sources: Sequence[np.ndarray | None]) -> bool:
        """Whether `sources` are, one by one, bitwise the arrays this value came from."""
        return len(sources) == len(self.sources) and all(
            same_bits(now, then) for now, then in zip(sources, self.sources))


def kept(owner: Any, key: Any, sources: Sequence[np.ndarray | None],
         compute: Callable[[], Any]) -> tuple[Any, bool]:
    """(compute()'s value kept on `owner` under `key`, whether it was computed now): computed
    again whenever an array of `sources` (the arrays it reads) is not bitwise what it was at
    the last computation (`kept_in` the owner's results, the `MOST_KEPT` most recent). The
    caller must not write into the value (later calls get the same object)."""
    entries = _entries(owner)
    value, computed = kept_in(entries, key, sources, compute)
    if computed:  # the newest now: the least recently added go beyond MOST_KEPT
        _store(entries, key, entries[key])
    return value, computed


def kept_in(results: dict, key: Any, sources: Sequence[np.ndarray | None],
            compute: Callable[[], Any]) -> tuple[Any, bool]:
    """As `kept`, in `results` (a dict the caller keeps, one `kept_room` entry for many results:
    a stack's layers), which holds one result per key and evicts none."""
    entry = results.get(key)
    if entry is not None and entry.matches(sources):
        return entry.value, False
    result = KeptResult(sources, None)  # the copies first: a write during compute() then
    result.value = compute()  # shows as a change at the next call, never as a stale match
    results[key] = result
    return result.value, True


def kept_room(owner: Any, key: Any, make: Callable[[], Any]) -> Any:
    """make()'s value, kept on `owner` under `key` (which should name every shape and dtype in
    it), for a caller that checks its contents itself (the unit team's layer-0 table: each
    part compares its own rows with the copies kept beside them, `recurrent_units_stack`)."""
    entries = _entries(owner)
    value = entries.get(key)
    if value is None:
        value = make()
        _store(entries, key, value)
    return value


def kept_one(owner: Any, key: Any, make: Callable[[], Any]) -> Any:
    """make()'s value, kept on `owner` under `key` for as long as the owner lives, apart from
    its results (never evicted by them): a watch of its calls, its lock."""
    ones = _ONES.get(owner)
    if ones is None:
        ones = _ONES.setdefault(owner, {})
    value = ones.get(key)
    if value is None:
        value = ones.setdefault(key, make())
    return value


class ChangeWatch:
    """Whether keeping a result for an owner pays, judged by its last calls: not while the
    sources change between calls (an optimizer step between no-grad calls: each call then
    computed the bigger kept result and copied its sources for nothing; +10-14% CPU a call at
    batch 1 x 64). After `changes` calls in a row that found their sources changed, `pays`
    answers False but once every `probe` calls (a probe that finds them unchanged ends it)."""

    def __init__(self, changes: int = 2, probe: int = 16) -> None:
        self.changes, self.probe = changes, probe
        self._changed = 0  # calls in a row that found the sources changed
        self._skipped = 0  # calls answered False since the last probe

    def pays(self) -> bool:
        """Whether this call should keep (ask once a call: it counts the calls skipped)."""
        if self._changed < self.changes:
            return True
        self._skipped += 1
        if self._skipped >= self.probe:
            self._skipped = 0
            return True
        return False

    def record(self, changed: bool) -> None:
        """A call that kept: whether it found its sources changed since the last such call."""
        self._changed = self._changed + 1 if changed else 0


def change_watch(owner: Any) -> ChangeWatch:
    """The owner's `ChangeWatch` (kept with its results)."""
    return kept_one(owner, ("change watch",), ChangeWatch)


def forget(owner: Any) -> None:
    """Drop every result kept on `owner` (they would be computed again on their next use) and
    its watches."""
    _KEPT.pop(owner, None)
    _ONES.pop(owner, None)


def renew_ones(key: Any, make: Callable[[], Any]) -> list:
    """Replace every owner's `kept_one` value under `key` by make() (a forked child's fresh
    locks: one another parent thread held stays held there); returns [(owner, old value)]."""
    renewed = []
    for owner, ones in list(_ONES.items()):
        old = ones.get(key)
        if old is not None:
            ones[key] = make()
            renewed.append((owner, old))
    return renewed


def forget_rooms(owner: Any, tag: Any) -> None:
    """Drop `owner`'s `kept_room` values whose key starts with `tag` (a table a forked
    child's parent thread was filling when it forked: its contents are not to be trusted)."""
    entries = _KEPT.get(owner)
    if entries is not None:
        for key in [key for key in entries if isinstance(key, tuple) and key[:1] == (tag,)]:
            del entries[key]
