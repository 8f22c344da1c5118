"""Every id cache (corpus ids, labelled rows, pairs) notices an edit that keeps the file's size
and restores its modification time (`touch -r`, `cp -p`, `rsync -t`, a checkout tool) and falls
between the bytes a sampled fingerprint would read: the key is one fingerprint function that
hashes the whole file (`token_cache.file_fingerprint`)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from seqlab.nlp.corpora import cached_token_ids
from seqlab.nlp.corpora.labelled_ids import LabelledSource, cached_row_ids, encode_rows
from seqlab.nlp.corpora.pair_ids import cached_pair_ids, encode_pairs
from seqlab.nlp.corpora.token_cache import file_fingerprint
from seqlab.nlp.tokenizers import CharTokenizer, WordTokenizer

LINES = 20_000  # ~400 KB: the edit at ~100 KB lies outside the first, middle and last 64 KiB


def _lines(prefix: str) -> list[str]:
    return [f"{prefix}{'good' if i % 3 else 'bad!'}\trow {i:06d}\n" for i in range(LINES)]


def _edit_in_place(path: Path, old: bytes, new: bytes) -> None:
    """Replace the first `old` after 100 KB by `new` (same length), keeping size and mtime."""
    assert len(old) == len(new)
    stat = path.stat()
    data = path.read_bytes()
    at = data.index(old, 100_000)
    assert 64 * 1024 < at < stat.st_size // 2 - 32 * 1024
    path.write_bytes(data[:at] + new + data[at + len(old):])
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns


def test_the_fingerprint_sees_an_edit_keeping_size_and_mtime(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("".join(_lines("")), encoding="utf-8")
    before = file_fingerprint(path)
    _edit_in_place(path, b"bad!", b"good")
    edited = file_fingerprint(path)
    assert edited != before
    os.utime(path, ns=(1, 1))  # a touch alone changes nothing the ids depend on: kept
    assert file_fingerprint(path) == edited


def test_the_corpus_id_cache_re_encodes_an_edit_keeping_size_and_mtime(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("".join(_lines("")), encoding="utf-8")
    tokenizer = CharTokenizer.train(path.read_text(encoding="utf-8"))
    cache = tmp_path / "run.cache"
    first = np.array(cached_token_ids(path, tokenizer, cache))
    _edit_in_place(path, b"bad!", b"good")
    again = cached_token_ids(path, tokenizer, cache)
    whole = tokenizer.encode(path.read_text(encoding="utf-8"))
    assert not np.array_equal(first, whole)
    np.testing.assert_array_equal(again, whole)


def test_the_labelled_row_cache_re_encodes_an_edit_keeping_size_and_mtime(tmp_path):
    path = tmp_path / "rows.tsv"
    path.write_text("label\ttext\n" + "".join(_lines("")).replace("\trow", " row"),
                    encoding="utf-8")
    path.write_text(path.read_text(encoding="utf-8").replace("good ", "pos\tgood ")
                    .replace("bad! ", "neg\tbad! "), encoding="utf-8")
    tokenizer = WordTokenizer.train("good bad ! row " + " ".join(f"{i:06d}" for i in range(99)))
    cache = tmp_path / "cache"
    first = cached_row_ids(LabelledSource([path]), tokenizer, 50, cache)  # no labels checked
    _edit_in_place(path, b"neg\tbad!", b"pos\tgood")
    again = cached_row_ids(LabelledSource([path]), tokenizer, 50, cache)
    whole = encode_rows(LabelledSource([path]), tokenizer, 50)
    assert not np.array_equal(first.ids, whole.ids)
    np.testing.assert_array_equal(again.ids, whole.ids)


def test_the_pairs_cache_re_encodes_an_edit_keeping_size_and_mtime(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("".join(_lines("")), encoding="utf-8")

    def pairs():
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                source, target = line.rstrip("\n").split("\t")
                yield source, target

    tokenizer = CharTokenizer.train(path.read_text(encoding="utf-8"))
    cache = tmp_path / "cache"

    def cached():
        return cached_pair_ids(pairs, [path], lambda s: False, {"val_fraction": 0},
                               tokenizer, tokenizer, cache)

    first = cached()
    _edit_in_place(path, b"bad!", b"good")
    again = cached()
    whole = encode_pairs(pairs(), lambda s: False, tokenizer, tokenizer)
    assert not np.array_equal(first["train-source"].ids, whole["train-source"].ids)
    for name, side in whole.items():
        np.testing.assert_array_equal(again[name].ids, side.ids)
