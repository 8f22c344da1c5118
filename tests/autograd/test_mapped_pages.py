"""A pass over a memory-mapped file gives its pages back: the mapping's resident size (from
/proc/self/smaps) falls after a release, and the data read afterwards is unchanged."""

from pathlib import Path

import numpy as np
import pytest

from seqlab.autograd.mapped_pages import PageReleaser, backing_mmap

SMAPS = Path("/proc/self/smaps")
pytestmark = pytest.mark.skipif(not SMAPS.exists(), reason="needs Linux /proc/self/smaps")


def resident_kb(path: Path) -> int:
    """Resident kB of every mapping of `path` in this process."""
    total, inside = 0, False
    target = str(path.resolve())
    for line in SMAPS.read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and len(fields) >= 5 and ":" in fields[3]:
            inside = len(fields) >= 6 and fields[5] == target
        elif inside and line.startswith("Rss:"):
            total += int(fields[1])
    return total


def mapped_file(tmp_path: Path, megabytes: int = 16) -> tuple[Path, np.memmap]:
    path = tmp_path / "ids.u8"
    np.random.default_rng(0).integers(0, 200, megabytes << 20, dtype=np.uint8).tofile(path)
    return path, np.memmap(path, dtype=np.uint8, mode="r")


def test_backing_mmap_of_memmaps_views_and_plain_arrays(tmp_path):
    _, mapped = mapped_file(tmp_path, 1)
    assert backing_mmap(mapped) is not None
    assert backing_mmap(mapped[10:].reshape(-1)[::2]) is backing_mmap(mapped)
    assert backing_mmap(np.zeros(4)) is None
    PageReleaser(np.zeros(4)).advance(1 << 40)  # nothing to release: no error


def test_release_drops_resident_pages_and_keeps_the_data(tmp_path):
    path, mapped = mapped_file(tmp_path)
    total = int(mapped.sum(dtype=np.int64))  # touches every page
    assert resident_kb(path) > 12 * 1024
    pages = PageReleaser(mapped, every_bytes=4 << 20)
    pages.release()
    assert resident_kb(path) < 1024
    assert int(mapped.sum(dtype=np.int64)) == total  # read back from the page cache


def test_advance_releases_every_budget_while_reading(tmp_path):
    path, mapped = mapped_file(tmp_path)
    pages = PageReleaser(mapped, every_bytes=2 << 20)
    block = 1 << 20
    most = 0
    for start in range(0, mapped.size, block):
        int(mapped[start:start + block].sum())
        pages.advance(block)
        most = max(most, resident_kb(path))
    assert most <= 3 * 1024


def test_token_streams_checksum_leaves_no_pages_resident(tmp_path):
    from seqlab.seqmodels import TokenStreams

    path, mapped = mapped_file(tmp_path)
    streams = TokenStreams(mapped, batch_size=8, seq_len=64)
    assert resident_kb(path) < 1024
    in_memory = TokenStreams(np.array(mapped), batch_size=8, seq_len=64)
    assert streams.checksum == in_memory.checksum
    for index in (0, len(streams) // 2, len(streams) - 1):
        for mine, theirs in zip(streams.chunk(index), in_memory.chunk(index), strict=True):
            np.testing.assert_array_equal(mine, theirs)
