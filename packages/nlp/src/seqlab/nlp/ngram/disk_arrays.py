"""Columns of numbers on disk, read and written block by block in a fixed amount of memory.

The streamed n-gram estimate (`streamed`) keeps every per-n-gram column (keys, counts,
adjusted counts, probabilities) in a raw file: written with `file.write` in order, read back
through a read-only memory map whose resident pages are given back as a pass moves on
(`seqlab.autograd.mapped_pages`), so a pass over a 4 GB column costs one block of memory.

Two random-access operations over columns larger than memory are done in range passes: the
target (or source) rows are cut into chunks that fit, and each pass scans the index column
once, handling only the indices that fall in its chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from seqlab.autograd.mapped_pages import PageReleaser
from seqlab.nlp.ngram import disk_kernels


class ColumnWriter:
    """Appends blocks of one dtype to a raw file; `finish()` maps the file back read-only."""

    def __init__(self, path: Path, dtype: np.dtype | type, width: int = 1) -> None:
        self.path, self.dtype, self.width = path, np.dtype(dtype), width
        self.stream = open(path, "wb")  # noqa: SIM115 - closed in finish()
        self.rows = 0

    def write(self, block: np.ndarray) -> None:
        """Append `block` (rows of `width` values)."""
        self.stream.write(np.ascontiguousarray(block, dtype=self.dtype).data)
        self.rows += len(block)

    def finish(self) -> np.ndarray:
        """Close the file and map it back (an empty array when nothing was written)."""
        self.stream.close()
        return open_column(self.path, self.dtype, self.rows, self.width)


def open_column(path: Path, dtype: np.dtype | type, rows: int, width: int = 1) -> np.ndarray:
    """A read-only memory map of a raw column file of `rows` rows."""
    shape = (rows,) if width == 1 else (rows, width)
    if rows == 0:
        return np.zeros(shape, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", shape=shape)


def row_blocks(rows: int, block_rows: int) -> Iterator[tuple[int, int]]:
    """(start, stop) of consecutive blocks of at most `block_rows` rows."""
    block_rows = max(1, block_rows)
    for start in range(0, rows, block_rows):
        yield start, min(start + block_rows, rows)


def read(array: np.ndarray, start: int, stop: int, pages: PageReleaser) -> np.ndarray:
    """A copy of array[start:stop] in memory; the pages read are counted against `pages`."""
    block = np.array(array[start:stop])
    pages.advance(block.nbytes)
    return block


def scatter_count(index: np.ndarray, length: int, chunk_bytes: int, block_rows: int,
                  path: Path) -> np.ndarray:
    """`np.bincount(index, minlength=length)` (int64) for an index column on disk, written to
    `path`: one pass over `index` per chunk of target rows that fits `chunk_bytes` (counted
    in uint32 where they cannot overflow it)."""
    count_dtype = np.dtype(np.uint32 if len(index) < 2**32 else np.int64)
    chunk_rows = max(1, chunk_bytes // count_dtype.itemsize)
    out = ColumnWriter(path, np.int64)
    pages = PageReleaser(index)
    for low, high in row_blocks(length, chunk_rows):
        counts = np.zeros(high - low, dtype=count_dtype)
        for start, stop in row_blocks(len(index), block_rows):
            disk_kernels.count_in_range(read(index, start, stop, pages), low, high, counts)
        pages.release()
        for start, stop in row_blocks(high - low, block_rows):
            out.write(counts[start:stop].astype(np.int64))
        del counts
    return out.finish()


def gather(source: np.ndarray, index: np.ndarray, chunk_bytes: int, block_rows: int,
           path: Path) -> np.ndarray:
    """`source[index]` for columns on disk, written to `path`: one pass over `index` per chunk
    of source rows that fits `chunk_bytes` (each pass after the first rewrites the output)."""
    chunk_rows = max(1, chunk_bytes // source.dtype.itemsize)
    chunks = list(row_blocks(len(source), chunk_rows)) or [(0, 0)]
    previous: np.ndarray | None = None
    for number, (low, high) in enumerate(chunks):
        part_path = path if number == len(chunks) - 1 else path.with_suffix(f".part{number}")
        out = ColumnWriter(part_path, source.dtype)
        pages = PageReleaser(index, source, *([previous] if previous is not None else []))
        values = np.empty(high - low, dtype=source.dtype)  # copied a block at a time: the
        for start, stop in row_blocks(high - low, block_rows):  # file's pages are given back
            values[start:stop] = read(source, low + start, low + stop, pages)
        pages.release()
        for start, stop in row_blocks(len(index), block_rows):
            rows = read(index, start, stop, pages)
            if previous is None:
                block = np.empty(stop - start, dtype=source.dtype)
            else:
                block = read(previous, start, stop, pages)
            disk_kernels.gather_in_range(rows, low, high, values, block)
            out.write(block)
        done = out.finish()
        if previous is not None:
            old = Path(previous.filename) if isinstance(previous, np.memmap) else None
            del previous
            if old is not None:
                old.unlink(missing_ok=True)
        previous = done
        del values
    return previous
