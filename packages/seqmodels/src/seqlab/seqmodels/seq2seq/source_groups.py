"""Pairs grouped by source text, in a bounded memory: what `seq2seq eval` scores.

A source may come with several references, anywhere in the files; each distinct source is
translated once and scored against the closest of its references. Instead of a dict from every
source's text to its references' texts, a first pass keeps a 64-bit hash of each source and
where its line is (file and byte offset); a stable sort of the hashes groups the pairs, in file
order within a group, and the groups are visited in the order their sources first appear, as a
dict keeps them. Texts are read back from disk, a group at a time. Two sources with the same hash
are told apart by their text when they are read back (`strays`). Past a memory budget the
(hash, location) records spill to disk by hash range and are grouped a range at a time
(`spilled_groups`): the same groups, in the same order.
"""

from __future__ import annotations

import contextlib
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from seqlab.seqmodels.seq2seq.data import pair_at, read_located_pairs

if TYPE_CHECKING:  # spilled_groups imports this module: for the hints only
    from seqlab.seqmodels.seq2seq.spilled_groups import SpilledTable

_OFFSET_BITS = 48  # a location: file number << 48 | byte offset of the line
_OFFSET_MASK = (1 << _OFFSET_BITS) - 1
_HASH_MASK = (1 << 64) - 1
# What grouping may hold (a hash and a location a pair, the sort's index and copies: 48 bytes
# a pair at peak); past it the pairs spill to disk by hash range (`spilled_groups`).
DEFAULT_MEMORY_BYTES = 64 << 20
BYTES_PER_RECORD = 48
MIN_RECORDS = 64


def records_in(memory_bytes: int) -> int:
    """How many (hash, location) records grouping holds in `memory_bytes`."""
    return max(MIN_RECORDS, memory_bytes // BYTES_PER_RECORD)


def source_hash(source: str) -> int:
    """64 bits of `source`: Python's own str hash (SipHash, cached on the string; salted
    per process, which is all a pass within one process needs)."""
    return hash(source) & _HASH_MASK


def group_by_hash(hashes: np.ndarray, locations: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(members, starts, sizes): the `locations` (increasing) of the pairs with equal
    `hashes` side by side, in file order within a group, and each group's start and size in
    `members`, the groups in the order their first pairs appear."""
    order = np.argsort(hashes, kind="stable")  # file order within a group
    ordered = hashes[order]
    starts = np.flatnonzero(np.concatenate(([ordered.size > 0], ordered[1:] != ordered[:-1])))
    del ordered
    sizes = np.diff(np.append(starts, order.size))
    first_seen = np.argsort(order[starts], kind="stable")
    members = locations[order]  # each group's locations side by side
    del order
    return members, starts[first_seen], sizes[first_seen]


class GroupTable:
    """Groups in memory: each group's member locations (`group_by_hash`'s arrays)."""

    def __init__(self, members: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> None:
        self._members, self._starts, self._sizes = members, starts, sizes

    def __len__(self) -> int:
        return int(self._starts.size)

    def first(self, group: int) -> int:
        """The location of group `group`'s first pair."""
        return int(self._members[self._starts[group]])

    def members(self, group: int) -> Iterator[int]:
        """The locations of group `group`'s pairs, in file order."""
        start = self._starts[group]
        yield from map(int, self._members[start : start + self._sizes[group]])


class SourceGroups:
    """Pairs grouped by source: `table` (a `GroupTable` or `spilled_groups.SpilledTable`)
    holds each group's pair locations, `fetch(location)` reads a (source, target) pair back.

    Memory in RAM: a location a pair (8 bytes) and a start and a size a distinct source (16
    bytes) when the table is in memory (12-24 bytes a pair, 33-49 bytes at the sort); a
    spilled table holds a few windows of its files, whatever the number of pairs. The texts
    stay on disk."""

    def __init__(self, table: GroupTable | SpilledTable,
                 fetch: Callable[[int], tuple[str, str]]) -> None:
        self._table = table
        self._fetch = fetch
        self._strays: dict[str, list[int]] = {}

    def __len__(self) -> int:
        """Groups of pairs with the same source hash (distinct sources, but for `strays`)."""
        return len(self._table)

    def sources(self) -> Iterator[str]:
        """Each group's source, in the order the sources first appear in the files."""
        for group in range(len(self)):
            yield self._fetch(self._table.first(group))[0]

    def references(self, group: int) -> Iterator[str]:
        """The targets of group `group`'s source, in file order; a pair whose source only
        shares the hash is kept for `strays`."""
        members = self._table.members(group)
        source, target = self._fetch(next(members))
        yield target
        for location in members:
            other, target = self._fetch(location)
            if other == source:
                yield target
            else:
                self._strays.setdefault(other, []).append(location)

    def strays(self) -> list[tuple[str, list[str]]]:
        """(source, targets) of the sources that shared a hash with an earlier one, once every
        group's references were read (in practice none: 64-bit hashes)."""
        return [(source, [self._fetch(location)[1] for location in locations])
                for source, locations in self._strays.items()]


def group_table(located: Iterable[tuple[int, str]], memory_bytes: int = DEFAULT_MEMORY_BYTES,
                scratch: Callable[[], Path] | None = None) -> GroupTable | SpilledTable:
    """The groups of `located` ((location, source), locations increasing): in memory when
    they fit `memory_bytes`, else spilled to files in the folder `scratch()` gives (see
    `spilled_groups`), holding about `memory_bytes` whatever the number of pairs."""
    capacity = records_in(memory_bytes)
    hashes, locations = array("Q"), array("Q")
    spill = None
    for location, source in located:
        hashes.append(source_hash(source))
        locations.append(location)
        if len(hashes) >= capacity:
            if spill is None:
                if scratch is None:
                    raise ValueError(f"more pairs than {memory_bytes} bytes hold, and no "
                                     "scratch folder to spill them to")
                from seqlab.seqmodels.seq2seq.spilled_groups import Spill
                spill = Spill(scratch(), capacity)
            spill.add(np.frombuffer(hashes, dtype=np.uint64),
                      np.frombuffer(locations, dtype=np.uint64))
            hashes, locations = array("Q"), array("Q")
    keys = np.frombuffer(hashes, dtype=np.uint64)
    places = np.frombuffer(locations, dtype=np.uint64)
    if spill is None:
        return GroupTable(*group_by_hash(keys, places))
    spill.add(keys, places)
    del keys, places, hashes, locations
    return spill.table()


@contextlib.contextmanager
def grouped_pair_files(paths: Sequence[str | Path], max_chars: int | None = None,
                       errors: str = "strict", columns: tuple[int, int] | None = None,
                       memory_bytes: int = DEFAULT_MEMORY_BYTES,
                       scratch_dir: str | Path | None = None) -> Iterator[SourceGroups]:
    """The pairs of TSV `paths` (read as `read_pairs` reads them, `columns` included) as
    SourceGroups, the files open for reading back while the context lasts. Past
    `memory_bytes` of grouping the pairs' hashes and locations spill to a private temporary
    folder in `scratch_dir` (the system's by default), removed when the context ends, however
    it ends."""
    if len(paths) >= 1 << (64 - _OFFSET_BITS):
        raise ValueError(f"at most {(1 << (64 - _OFFSET_BITS)) - 1} pairs files, got {len(paths)}")
    with contextlib.ExitStack() as stack:
        handles = [stack.enter_context(open(path, "rb")) for path in paths]

        def located() -> Iterator[tuple[int, str]]:
            for number, path in enumerate(paths):
                for offset, source, _ in read_located_pairs(path, max_chars, errors, columns):
                    yield number << _OFFSET_BITS | offset, source

        def fetch(location: int) -> tuple[str, str]:
            return pair_at(handles[location >> _OFFSET_BITS], location & _OFFSET_MASK, errors,
                           columns)

        def scratch() -> Path:
            return Path(stack.enter_context(tempfile.TemporaryDirectory(
                prefix="seqlab-pairs-", dir=scratch_dir)))

        table = group_table(located(), memory_bytes, scratch)
        if hasattr(table, "close"):
            stack.callback(table.close)
        yield SourceGroups(table, fetch)


def grouped_pairs(pairs: Sequence[tuple[str, str]]) -> SourceGroups:
    """Pairs already in memory (the embedded G2P default) as SourceGroups."""
    hashes = np.fromiter((source_hash(source) for source, _ in pairs), dtype=np.uint64,
                         count=len(pairs))
    return SourceGroups(GroupTable(*group_by_hash(hashes, np.arange(len(pairs), dtype=np.uint64))),
                        pairs.__getitem__)
