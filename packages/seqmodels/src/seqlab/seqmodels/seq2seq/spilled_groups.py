"""Pairs grouped by source hash on disk, in a fixed memory whatever the number of pairs.

`source_groups.group_table` hands each full buffer of (hash, location) records to a `Spill`,
which appends them to 16 partition files by the top 4 bits of the hash: every pair of a group
lands in the same partition, and each partition keeps file order. `Spill.table` then settles
the partitions one at a time:

- one that fits the budget is read whole and grouped in memory (`group_by_hash`): its groups'
  member locations go to one members file, and a row (first location, start, size) a group,
  in first-appearance order, to a run of one rows file;
- a larger one whose hashes are all equal is one group (its locations copied as they are);
- any other larger one is split again by the next 4 bits of the hash, in windows.

The runs, each sorted by first location, are merged window by window (every row up to the
smallest last first location of the runs' windows is final) into the table's order file:
the groups in the order their sources first appear in the files, as the in-memory table and
a dict keep them, each group's members in file order. So `seq2seq eval` translates the same
batches and sums the same scores. The files live in a private temporary folder that the
caller removes (`source_groups.grouped_pair_files`: written in place, never a user's file).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from seqlab.seqmodels.seq2seq.source_groups import group_by_hash

FAN_OUT_BITS = 4
FAN_OUT = 1 << FAN_OUT_BITS
ROW_WORDS = 3  # first location, start in the members file, size
WORD = 8
MIN_MERGE_ROWS = 256  # rows of a run held while merging, whatever the budget


class Spill:
    """(hash, location) records spilled to partition files by hash range, then settled into a
    `SpilledTable`; `capacity` records are what one window may hold."""

    def __init__(self, folder: Path, capacity: int) -> None:
        self.folder = folder
        self.capacity = capacity
        self._names = 0
        self._top = _Partitions(self._new_path("part"), 64 - FAN_OUT_BITS)

    def _new_path(self, kind: str) -> Path:
        self._names += 1
        return self.folder / f"{kind}-{self._names}"

    def add(self, hashes: np.ndarray, locations: np.ndarray) -> None:
        """Append records (locations increasing, after every earlier record's)."""
        self._top.add(hashes, locations)

    def table(self) -> SpilledTable:
        """Settle every partition and merge the groups into first-appearance order."""
        members_path, rows_path = self._new_path("members"), self._new_path("rows")
        runs: list[tuple[int, int]] = []  # (first row, rows) of each sorted run
        with open(members_path, "wb") as members, open(rows_path, "wb") as rows:
            writer = _GroupWriter(members, rows, runs)
            for path, count in self._top.close():
                self._settle(path, count, self._top.shift, writer)
        order_path = self._new_path("order")
        groups = _merge_runs(rows_path, runs, order_path, self.capacity)
        rows_path.unlink()
        return SpilledTable(order_path, members_path, groups, self.capacity)

    def _settle(self, path: Path, count: int, shift: int, writer: _GroupWriter) -> None:
        """Group the records of one partition file (hashes equal from bit `shift` up)."""
        if count <= self.capacity:
            records = np.fromfile(path, dtype=np.uint64).reshape(-1, 2)
            writer.add(*group_by_hash(records[:, 0], records[:, 1]))
        elif shift == 0 or _one_hash(path, self.capacity):
            writer.add_one(path, count, self.capacity)
        else:
            parts = _Partitions(self._new_path("part"), shift - FAN_OUT_BITS)
            for records in _windows(path, self.capacity):
                parts.add(records[:, 0], records[:, 1])
            path.unlink()
            for part_path, part_count in parts.close():
                self._settle(part_path, part_count, parts.shift, writer)
            return
        path.unlink()


class _Partitions:
    """Records appended to `FAN_OUT` files `STEM.K` by bits `shift`.. `shift`+3 of the hash,
    each file in the order its records came."""

    def __init__(self, stem: Path, shift: int) -> None:
        self.shift = shift
        self.paths = [stem.with_name(f"{stem.name}.{part:x}") for part in range(FAN_OUT)]
        self.counts = [0] * FAN_OUT
        self._files = [open(path, "wb") for path in self.paths]  # noqa: SIM115 - close()

    def add(self, hashes: np.ndarray, locations: np.ndarray) -> None:
        part = (hashes >> np.uint64(self.shift)) & np.uint64(FAN_OUT - 1)
        order = np.argsort(part, kind="stable")
        records = np.empty((order.size, 2), dtype=np.uint64)
        records[:, 0] = hashes[order]
        records[:, 1] = locations[order]
        ends = np.cumsum(np.bincount(part.astype(np.intp), minlength=FAN_OUT))
        start = 0
        for number, end in enumerate(ends.tolist()):
            if end > start:
                self._files[number].write(records[start:end].data)
                self.counts[number] += end - start
            start = end

    def close(self) -> Iterator[tuple[Path, int]]:
        """Close the files; (path, records) of each non-empty one (empty ones removed)."""
        for file in self._files:
            file.close()
        for path, count in zip(self.paths, self.counts):
            if count:
                yield path, count
            else:
                path.unlink()


class _GroupWriter:
    """Appends settled groups: member locations to `members`, one sorted run of rows (first
    location, start, size) a partition to `rows`, its extent to `runs`."""

    def __init__(self, members: BinaryIO, rows: BinaryIO, runs: list[tuple[int, int]]) -> None:
        self.members, self.rows, self.runs = members, rows, runs
        self.member_count = self.row_count = 0

    def add(self, members: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> None:
        """Groups of one partition, in first-appearance order (`group_by_hash`)."""
        rows = np.empty((starts.size, ROW_WORDS), dtype=np.uint64)
        rows[:, 0] = members[starts]
        rows[:, 1] = starts.astype(np.uint64) + np.uint64(self.member_count)
        rows[:, 2] = sizes
        self.members.write(np.ascontiguousarray(members).data)
        self.rows.write(rows.data)
        self._extend(members.size, starts.size)

    def add_one(self, path: Path, count: int, window: int) -> None:
        """The records of file `path` as one group."""
        first = None
        for records in _windows(path, window):
            if first is None:
                first = int(records[0, 1])
            self.members.write(np.ascontiguousarray(records[:, 1]).data)
        self.rows.write(np.array([first, self.member_count, count], dtype=np.uint64).data)
        self._extend(count, 1)

    def _extend(self, members: int, rows: int) -> None:
        self.runs.append((self.row_count, rows))
        self.member_count += members
        self.row_count += rows


def _windows(path: Path, records: int) -> Iterator[np.ndarray]:
    """The (hash, location) records of `path`, `records` at a time."""
    with open(path, "rb") as file:
        while True:
            window = np.fromfile(file, dtype=np.uint64, count=2 * records)
            if not window.size:
                return
            yield window.reshape(-1, 2)


def _one_hash(path: Path, records: int) -> bool:
    """Whether every record of `path` has the same hash."""
    seen = None
    for window in _windows(path, records):
        hashes = window[:, 0]
        if seen is None:
            seen = hashes[0]
        if not np.all(hashes == seen):
            return False
    return True


def _merge_runs(rows_path: Path, runs: list[tuple[int, int]], order_path: Path,
                capacity: int) -> int:
    """Merge the sorted runs of rows into `order_path` by first location, holding a window
    of each run (about `capacity` records' worth in all, `MIN_MERGE_ROWS` at least); the
    number of rows."""
    window = max(MIN_MERGE_ROWS, capacity // (2 * max(1, len(runs))))  # and the merge's copies
    read = [0] * len(runs)  # rows of each run read so far
    held = [np.zeros((0, ROW_WORDS), dtype=np.uint64) for _ in runs]
    total = 0
    with open(rows_path, "rb") as rows, open(order_path, "wb") as order:
        reader = _Rows(rows.fileno(), window)
        while True:
            for i, (start, count) in enumerate(runs):
                if not len(held[i]) and read[i] < count:
                    held[i] = reader.read(start + read[i], min(window, count - read[i]))
                    read[i] += len(held[i])
            live = [i for i in range(len(runs)) if len(held[i])]
            if not live:
                return total
            pivot = np.uint64(min(int(held[i][-1, 0]) for i in live))
            pieces = []
            for i in live:
                take = int(np.searchsorted(held[i][:, 0], pivot, side="right"))
                pieces.append(held[i][:take])
                held[i] = held[i][take:]
            merged = np.concatenate(pieces)
            merged = merged[np.argsort(merged[:, 0], kind="stable")]
            order.write(merged.data)
            total += len(merged)


class _Rows:
    """Rows of (first location, start, size) read from an open file by index (`os.pread`:
    readers at different places share the file)."""

    def __init__(self, fd: int, window: int) -> None:
        self.fd, self.window = fd, window
        self._start, self._rows = 0, np.zeros((0, ROW_WORDS), dtype=np.uint64)

    def read(self, start: int, count: int) -> np.ndarray:
        """Rows start..start+count."""
        data = os.pread(self.fd, count * ROW_WORDS * WORD, start * ROW_WORDS * WORD)
        return np.frombuffer(data, dtype=np.uint64).reshape(-1, ROW_WORDS)

    def row(self, index: int) -> np.ndarray:
        """Row `index`, from a window read around it."""
        if not self._start <= index < self._start + len(self._rows):
            self._start, self._rows = index, self.read(index, self.window)
        return self._rows[index - self._start]


class SpilledTable:
    """Groups on disk: rows (first location, start, size) in first-appearance order in
    `order_path`, member locations in `members_path`, read a window at a time."""

    def __init__(self, order_path: Path, members_path: Path, groups: int, window: int) -> None:
        self._order = open(order_path, "rb")  # noqa: SIM115 - close()
        self._members = open(members_path, "rb")  # noqa: SIM115 - close()
        self._groups, self._window = groups, window
        self._firsts = _Rows(self._order.fileno(), window)  # what `sources` reads
        self._extents = _Rows(self._order.fileno(), window)  # what `references` reads

    def __len__(self) -> int:
        return self._groups

    def first(self, group: int) -> int:
        """The location of group `group`'s first pair."""
        return int(self._firsts.row(group)[0])

    def members(self, group: int) -> Iterator[int]:
        """The locations of group `group`'s pairs, in file order, a window at a time."""
        _, start, size = map(int, self._extents.row(group))
        for offset in range(start, start + size, self._window):
            count = min(self._window, start + size - offset)
            data = os.pread(self._members.fileno(), count * WORD, offset * WORD)
            yield from map(int, np.frombuffer(data, dtype=np.uint64))

    def close(self) -> None:
        """Close the files (the caller removes the folder)."""
        self._order.close()
        self._members.close()
