"""seqlab's word2vec vectors files carry a mark in the header line's whitespace that gensim's
reader ignores: a second `word2vec train` to the same --out replaces seqlab's own file without
--force, and a file seqlab did not write (gensim's, the C tool's) still needs --force."""

from __future__ import annotations

import numpy as np
import pytest
from cli_helpers import CORPUS
from inprocess import assert_one_line_failure, invoke, snapshot

from seqlab.cli import file_kinds
from seqlab.nlp.word2vec.formats import (
    SEQLAB_BINARY_MARK,
    SEQLAB_HEADER_MARK,
    has_seqlab_mark,
    write_word2vec_format,
)
from seqlab.nlp.word2vec.vectors_file import read_vectors

TRAIN = ["--dim", "4", "--min-count", "1", "--epochs", "1"]


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "corpus.txt").write_text(CORPUS, encoding="utf-8")
    return tmp_path


def test_the_cli_and_the_writer_agree_on_the_mark(tmp_path):
    path = tmp_path / "v.txt"
    write_word2vec_format(path, ["a", "b"], np.ones((2, 3)))
    header = path.read_bytes().split(b"\n", 1)[0] + b"\n"
    assert header == b"2 3" + SEQLAB_HEADER_MARK.encode() + b"\n"
    assert has_seqlab_mark(header) and file_kinds.WORD2VEC_MARK.fullmatch(header)
    assert not has_seqlab_mark(b"2 3\n") and not has_seqlab_mark(b"2 3 \n")
    assert not has_seqlab_mark(b"2 3\na 1 2 3") and not has_seqlab_mark(b"2 3\t\na")
    assert file_kinds.kind_of(path) == file_kinds.WORD2VEC
    binary = tmp_path / "v.bin"
    write_word2vec_format(binary, ["a", "b"], np.ones((2, 3)), binary=True)
    start = binary.read_bytes()[:8]
    assert start.startswith(b"2 3\n" + SEQLAB_BINARY_MARK.encode() + b"a ")
    assert has_seqlab_mark(start) and file_kinds.WORD2VEC_MARK.match(start)
    assert file_kinds.kind_of(binary) == file_kinds.WORD2VEC


def _word2vec_c_read_binary(data: bytes) -> tuple[list[bytes], np.ndarray]:
    """word2vec.c's distance.c / bin2text reader: fscanf("%lld") twice, then for each entry
    fgetc a word up to a space (a '\\n' is skipped, every other byte kept), then fread the
    float32 values."""
    position = 0

    def scan_number() -> int:  # fscanf("%lld"): skip whitespace, read digits
        nonlocal position
        while data[position:position + 1].isspace():
            position += 1
        begin = position
        while data[position:position + 1].isdigit():
            position += 1
        return int(data[begin:position])

    words, size = scan_number(), scan_number()
    keys, rows = [], []
    for _ in range(words):
        word = bytearray()
        while True:
            byte = data[position:position + 1]
            position += 1
            if not byte or byte == b" ":
                break
            if byte != b"\n":
                word += byte
        keys.append(bytes(word))
        rows.append(np.frombuffer(data, "<f4", size, position))
        position += 4 * size
    return keys, np.array(rows)


def test_word2vec_cs_reader_reads_the_marked_binary_file(tmp_path):
    path = tmp_path / "v.bin"
    vectors = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    write_word2vec_format(path, ["the", "naïve", "x"], vectors, binary=True)
    keys, rows = _word2vec_c_read_binary(path.read_bytes())
    assert keys == [b"the", "naïve".encode(), b"x"]
    np.testing.assert_array_equal(rows, vectors)


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_the_marked_files(tmp_path, binary):
    from gensim.models import KeyedVectors

    path = tmp_path / ("v.bin" if binary else "v.txt")
    words = ["the", "naïve", "cat", "x"]
    vectors = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    write_word2vec_format(path, words, vectors, binary=binary)
    assert file_kinds.kind_of(path) == file_kinds.WORD2VEC
    loaded = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert loaded.index_to_key == words
    np.testing.assert_array_equal(loaded.vectors, vectors)
    ours_words, ours = read_vectors(path)
    assert list(ours_words) == words
    np.testing.assert_array_equal(ours, vectors)


def test_a_second_run_replaces_seqlabs_own_vectors(folder):
    vectors = folder / "vec.bin"
    assert invoke("word2vec", "train", folder / "corpus.txt", *TRAIN,
                  "--out", vectors).returncode == 0
    first = vectors.read_bytes()
    again = invoke("word2vec", "train", folder / "corpus.txt", *TRAIN, "--dim", "6",
                   "--out", vectors)
    assert again.returncode == 0, again.stderr
    assert vectors.read_bytes() != first and has_seqlab_mark(vectors.read_bytes())
    exported = folder / "vec.txt"
    for _ in range(2):  # export writes seqlab's mark too, and replaces its own file
        done = invoke("word2vec", "export", vectors, exported)
        assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("header", [b"2 3\n", b"2 3 \n", b"2 3\t\n"])
def test_a_file_seqlab_did_not_write_needs_force(folder, header):
    from gensim.models import KeyedVectors

    foreign = folder / "foreign.txt"
    foreign.write_bytes(header + b"foo 1 2 3\nbar 4 5 6\n")
    assert KeyedVectors.load_word2vec_format(str(foreign)).vectors.shape == (2, 3)
    assert file_kinds.kind_of(foreign) == file_kinds.FOREIGN_WORD2VEC
    before = snapshot(folder)
    refused = invoke("word2vec", "train", folder / "corpus.txt", *TRAIN, "--out", foreign)
    assert_one_line_failure(refused, str(foreign), "seqlab's mark", "--force", code=1)
    assert snapshot(folder) == before
    forced = invoke("word2vec", "train", folder / "corpus.txt", *TRAIN, "--out", foreign,
                    "--force")
    assert forced.returncode == 0, forced.stderr
    assert file_kinds.kind_of(foreign) == file_kinds.WORD2VEC


PEER_READ = """
import sys
from gensim.models import KeyedVectors
kv = KeyedVectors.load_word2vec_format(sys.argv[1], binary=sys.argv[2] == "1")
print(" ".join(kv.index_to_key), " ".join(str(float(v)) for v in kv.vectors.ravel()))
"""


def test_the_peers_gensim_reads_the_marked_files(tmp_path):
    """The peer environment's gensim (SEQLAB_PEER_PYTHON, another install) reads both too."""
    import os
    import subprocess

    python = os.environ.get("SEQLAB_PEER_PYTHON")
    if not python:
        pytest.skip("SEQLAB_PEER_PYTHON is not set (a Python with gensim; see DEVELOPERS.md)")
    if subprocess.run([python, "-c", "import gensim"], capture_output=True).returncode:
        pytest.skip(f"the peer Python {python} cannot import gensim")
    vectors = np.arange(6, dtype=np.float32).reshape(2, 3)
    for name, binary in (("v.txt", "0"), ("v.bin", "1")):
        write_word2vec_format(tmp_path / name, ["a", "bc"], vectors, binary=binary == "1")
        done = subprocess.run([python, "-c", PEER_READ, str(tmp_path / name), binary],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == ["a", "bc", "0.0", "1.0", "2.0", "3.0", "4.0", "5.0"]
