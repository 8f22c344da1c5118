"""Pairs grouped by source text, in 12-24 bytes a pair: what `seq2seq eval` scores.

A source may come with several references, anywhere in the files; each distinct source is
translated once and scored against the closest of its references. Instead of a dict from every
source's text to its references' texts, a first pass keeps a 64-bit hash of each source and
where its line is (file and byte offset); a stable sort of the hashes groups the pairs, in file
order within a group, and the groups are visited in the order their sources first appear, as a
dict keeps them. Texts are read back from disk, a group at a time. Two sources with the same hash
are told apart by their text when they are read back (`strays`).
"""

from __future__ import annotations

import contextlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from seqlab.seqmodels.seq2seq.data import pair_at, read_located_pairs

_OFFSET_BITS = 48  # a location: file number << 48 | byte offset of the line
_OFFSET_MASK = (1 << _OFFSET_BITS) - 1
_HASH_MASK = (1 << 64) - 1


def source_hash(source: str) -> int:
    """64 bits of `source`: Python's own str hash (SipHash, cached on the string; salted
    per process, which is all a pass within one process needs)."""
    return hash(source) & _HASH_MASK


class SourceGroups:
    """The pairs of `located` ((location, source) in file order) grouped by source, with
    `fetch(location)` reading a (source, target) pair back.

    Memory: a location a pair (8 bytes) and a start and a size a distinct source (16 bytes):
    12 bytes a pair with 4 references a source, 24 when every source is distinct (2.4 GB for
    100M pairs). While grouping, a hash, a location, a sort index and the sorted hashes a
    pair, with the group arrays: 33-49 bytes a pair at peak (tracemalloc, 2M pairs). The
    texts stay on disk."""

    def __init__(self, located: Iterable[tuple[int, str]],
                 fetch: Callable[[int], tuple[str, str]]) -> None:
        hashes, locations = array("Q"), array("Q")
        for location, source in located:
            hashes.append(source_hash(source))
            locations.append(location)
        self._fetch = fetch
        keys = np.frombuffer(hashes, dtype=np.uint64)
        order = np.argsort(keys, kind="stable")  # file order within a group
        ordered = keys[order]
        del keys, hashes
        starts = np.flatnonzero(np.concatenate(([ordered.size > 0], ordered[1:] != ordered[:-1])))
        del ordered
        sizes = np.diff(np.append(starts, order.size))
        first_seen = np.argsort(order[starts], kind="stable")
        # each group's locations side by side, so that `order` need not be kept
        self._locations = np.frombuffer(locations, dtype=np.uint64)[order]
        del order, locations
        self._starts, self._sizes = starts[first_seen], sizes[first_seen]
        self._strays: dict[str, list[int]] = {}

    def __len__(self) -> int:
        """Groups of pairs with the same source hash (distinct sources, but for `strays`)."""
        return int(self._starts.size)

    def _members(self, group: int) -> np.ndarray:
        start = self._starts[group]
        return self._locations[start : start + self._sizes[group]]

    def sources(self) -> Iterator[str]:
        """Each group's source, in the order the sources first appear in the files."""
        for group in range(len(self)):
            yield self._fetch(int(self._members(group)[0]))[0]

    def references(self, group: int) -> Iterator[str]:
        """The targets of group `group`'s source, in file order; a pair whose source only
        shares the hash is kept for `strays`."""
        members = self._members(group)
        source, target = self._fetch(int(members[0]))
        yield target
        for location in members[1:]:
            other, target = self._fetch(int(location))
            if other == source:
                yield target
            else:
                self._strays.setdefault(other, []).append(int(location))

    def strays(self) -> list[tuple[str, list[str]]]:
        """(source, targets) of the sources that shared a hash with an earlier one, once every
        group's references were read (in practice none: 64-bit hashes)."""
        return [(source, [self._fetch(location)[1] for location in locations])
                for source, locations in self._strays.items()]


@contextlib.contextmanager
def grouped_pair_files(paths: Sequence[str | Path], max_chars: int | None = None,
                       errors: str = "strict",
                       columns: tuple[int, int] | None = None) -> Iterator[SourceGroups]:
    """The pairs of TSV `paths` (read as `read_pairs` reads them, `columns` included) as
    SourceGroups, the files open for reading back while the context lasts."""
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

        yield SourceGroups(located(), fetch)


def grouped_pairs(pairs: Sequence[tuple[str, str]]) -> SourceGroups:
    """Pairs already in memory (the embedded G2P default) as SourceGroups."""
    return SourceGroups(((index, source) for index, (source, _) in enumerate(pairs)),
                        pairs.__getitem__)
