"""qaA s24 #7: a compressed corpus is named as compressed, with the pipe that feeds it
(`gzip -dc FILE | seqlab ... -`), not refused as a binary file with a NUL byte."""

import bz2
import gzip
import lzma

import pytest
from inprocess import assert_one_line_failure, invoke

TEXT = ("the cat sat on the mat\n" * 200).encode()
# a zstd frame of TEXT is not in the standard library; its magic bytes and a frame header
ZSTD = b"\x28\xb5\x2f\xfd\x04\x58\x00\x00\x00" + bytes(range(64))


# mtime=0 and named ids: gzip's header holds its time, and pytest-xdist's workers must
# collect the same parameters
@pytest.mark.parametrize(("suffix", "data", "command"), [
    (".gz", gzip.compress(TEXT, mtime=0), "gzip -dc"),
    (".bz2", bz2.compress(TEXT), "bzip2 -dc"),
    (".xz", lzma.compress(TEXT), "xz -dc"),
    (".zst", ZSTD, "zstd -dc"),
], ids=["gz", "bz2", "xz", "zst"])
def test_a_compressed_corpus_is_named_with_its_pipe(tmp_path, suffix, data, command):
    corpus = tmp_path / f"c.txt{suffix}"
    corpus.write_bytes(data)
    done = invoke("tokenize", "train", corpus, "--level", "char", "-o", tmp_path / "t.json")
    assert_one_line_failure(done, "compressed", f"{command} {corpus} | seqlab")
    assert "NUL" not in done.stderr and not (tmp_path / "t.json").exists()


def test_text_starting_with_bzh_is_text(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("BZh is how a bzip2 file starts\n" * 20)
    done = invoke("tokenize", "train", corpus, "--level", "char", "-o", tmp_path / "t.json")
    assert done.returncode == 0, done.stderr
