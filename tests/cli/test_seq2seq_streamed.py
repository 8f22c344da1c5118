"""`seq2seq train` reads its pairs files in passes into a memory-mapped pairs cache: the same
corpus (ids, offsets, checksum) and the same trained parameters as the pairs held in lists."""

from __future__ import annotations

import os

import numpy as np
from inprocess import invoke

from seqlab.autograd.io import load
from seqlab.nlp.corpora.pair_ids import cached_pair_ids, encode_pairs
from seqlab.nlp.tokenizers import CharTokenizer, WordTokenizer
from seqlab.seqmodels.seq2seq.data import PairCorpus, held_out, read_pairs, split_pairs


def _pairs_file(path, count=120, seed=0):
    rng = np.random.default_rng(seed)
    words = ["abc", "bca", "cab", "aab", "naïve", "x y", "zz"]
    lines = []
    for _ in range(count):
        source = " ".join(rng.choice(words, rng.integers(1, 4)))
        lines.append(f"{source}\t{source[::-1]}\r\n" if rng.random() < 0.3
                     else f"{source}\t{source[::-1]}\n")
    path.write_bytes("".join(lines).encode())
    return path


def _corpora_of_lists(path, fraction, tokenizers):
    train, valid = split_pairs(read_pairs(path), fraction)
    return PairCorpus.encode(train, *tokenizers), PairCorpus.encode(valid, *tokenizers)


def test_the_cached_pairs_are_the_listed_pairs(tmp_path):
    path = _pairs_file(tmp_path / "p.tsv")
    tokenizers = (CharTokenizer.train(path.read_text()), WordTokenizer.train(path.read_text()))
    segments = cached_pair_ids(lambda: read_pairs(path), [path], lambda s: held_out(s, 0.2),
                               {"val_fraction": 0.2}, *tokenizers, tmp_path / "cache")
    expected = _corpora_of_lists(path, 0.2, tokenizers)
    for side, corpus in zip(("train", "valid"), expected, strict=True):
        got = PairCorpus(segments[f"{side}-source"].ids, segments[f"{side}-source"].offsets,
                         segments[f"{side}-target"].ids, segments[f"{side}-target"].offsets)
        assert isinstance(got.source_ids, np.memmap) and got.source_ids.dtype == np.uint8
        np.testing.assert_array_equal(got.source_ids, corpus.source_ids)
        np.testing.assert_array_equal(got.target_ids, corpus.target_ids)
        np.testing.assert_array_equal(got.source_offsets, corpus.source_offsets)
        np.testing.assert_array_equal(got.target_offsets, corpus.target_offsets)
        assert got.checksum() == corpus.checksum()  # a run saved from lists resumes here
        indices = np.arange(len(got))[::3]
        batch, want = got.batch(indices, 0, 2, 3), corpus.batch(indices, 0, 2, 3)
        for name in ("source", "source_lengths", "target_in", "target_out"):
            np.testing.assert_array_equal(getattr(batch, name), getattr(want, name))
    memory = encode_pairs(read_pairs(path), lambda s: held_out(s, 0.2), *tokenizers)
    for name, side in memory.items():
        np.testing.assert_array_equal(side.ids, segments[name].ids)


def test_the_pairs_cache_is_reused_and_rebuilt_when_the_file_changes(tmp_path):
    path = _pairs_file(tmp_path / "p.tsv", seed=1)
    tokenizers = (CharTokenizer.train(path.read_text()), CharTokenizer.train(path.read_text()))
    cache = tmp_path / "cache"

    def cached():
        return cached_pair_ids(lambda: read_pairs(path), [path], lambda s: held_out(s, 0.1),
                               {"val_fraction": 0.1}, *tokenizers, cache)

    first = cached()
    stamps = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    assert len(stamps) == 9  # four segments' ids and offsets, and the JSON
    cached()
    assert {p.name: p.stat().st_mtime_ns for p in cache.iterdir()} == stamps
    path.write_bytes(path.read_bytes().replace(b"abc", b"cba", 1))
    os.utime(path, ns=(1, 1))
    changed = cached()
    assert set(p.name for p in cache.iterdir()).isdisjoint(stamps) and \
        len(list(cache.iterdir())) == 9
    assert any(not np.array_equal(changed[name].ids, first[name].ids) for name in first)


def test_streamed_training_equals_training_on_pair_lists(tmp_path, monkeypatch):
    import seqlab.cli.seq2seq_training as training

    path = _pairs_file(tmp_path / "p.tsv", count=90, seed=2)
    args = ["seq2seq", "train", path, "--hidden", "8", "--layers", "1", "--steps", "6",
            "--batch-size", "8", "--val-fraction", "0.2", "--eval-every", "3", "--seed", "4",
            "--source-level", "word", "--target-level", "char", "-q"]
    streamed = invoke(*args, "--out", tmp_path / "streamed.safetensors")
    assert streamed.returncode == 0, streamed.stderr
    assert (tmp_path / "streamed.cache").is_dir()

    def from_lists(files, tokenizers, out):
        return _corpora_of_lists(path, files.fraction, tokenizers)

    monkeypatch.setattr(training, "_encode_files", from_lists)
    whole = invoke(*args, "--out", tmp_path / "whole.safetensors")
    assert whole.returncode == 0, whole.stderr
    got, _ = load(tmp_path / "streamed.safetensors")
    want, _ = load(tmp_path / "whole.safetensors")
    assert got.keys() == want.keys()
    for name in want:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
