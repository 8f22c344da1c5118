"""`classify train` / `eval` read their rows in passes and train from a memory-mapped id cache:
the same tokenizer, batches and trained parameters as reading every row into memory."""

from __future__ import annotations

import csv
import io
import json
import os

import numpy as np
import pytest
from typer_inprocess import invoke

from seqlab.autograd.io import load
from seqlab.nlp.classification import (
    classification_report,
    classification_report_codes,
    encode_texts,
    evenly_spaced,
    stratified_split,
)
from seqlab.nlp.corpora.labelled import read_labelled
from seqlab.nlp.corpora.labelled_ids import (
    LabelledSource,
    cached_row_ids,
    encode_rows,
    row_texts,
    scan_labels,
    vocabulary_pieces,
)
from seqlab.nlp.tokenizers import WordTokenizer
from seqlab.seqmodels import ExampleBatches
from seqlab.seqmodels.row_batches import RowBatches

WORDS = ["good", "great", "fine", "bad", "awful", "dull", "the", "film", "was", "plot", "é",
         "naïve", "x", "  ", "\t", "!"]


def _text(rng, label):
    words = [*rng.choice(WORDS, rng.integers(1, 9)), "good" if label == "pos" else "bad"]
    text = " ".join(words)
    if rng.random() < 0.2:
        text = text.replace(" ", "\r\n", 1)  # a quoted field holding a CRLF
    if rng.random() < 0.2:
        text = " " + text + ", truly "  # delimiter inside, spaces at both ends
    return text


def write_rows(path, count=90, seed=0, line_end="\r\n"):
    rng = np.random.default_rng(seed)
    labels = rng.choice(["pos", "neg", "meh"], count)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=line_end)
    writer.writerow(["label", "text"])
    for label in labels:
        writer.writerow([label, _text(rng, label)])
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    return path


def test_rows_are_read_as_the_csv_module_reads_the_whole_text(tmp_path):
    """As the csv module reads the file's text (line ends read as "\\n", as JSONL and folder
    inputs are): a quoted field's CRLF or CR is "\\n"."""
    path = write_rows(tmp_path / "rows.csv")
    path.write_bytes(path.read_bytes() + b'pos,"a lone\rCR, a\r\nCRLF"\r\n')
    whole = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))[1:]
    streamed = list(LabelledSource([path]))
    assert [(text, label) for text, label, _ in streamed] == [(t, lab) for lab, t in whole]
    assert streamed[-1][0] == "a lone\nCR, a\nCRLF"
    assert not any("\r" in text for text, _, _ in streamed)
    assert any("\n" in text for text, _, _ in streamed)
    assert any("," in text for text, _, _ in streamed)


def test_the_vocabulary_of_streamed_texts_is_that_of_the_joined_texts(tmp_path):
    from seqlab.cli.tokenizer_choice import train_tokenizer

    path = write_rows(tmp_path / "rows.csv", count=200, seed=1)
    texts = read_labelled(path).texts
    keep = np.arange(len(texts)) % 3 != 0
    chosen = [t for t, k in zip(texts, keep, strict=True) if k]
    for level, size in (("char", None), ("word", 20), ("bpe", 300)):
        whole = train_tokenizer(level, "\n".join(chosen), size)
        streamed = train_tokenizer(level, vocabulary_pieces(
            row_texts(LabelledSource([path]), keep)), size)
        assert streamed.to_dict() == whole.to_dict(), level


def _padded_batches(ids, lengths, labels, rows, batch_size, seed, epochs):
    source = ExampleBatches((ids[rows], lengths[rows], labels[rows]), batch_size, seed=seed)
    batches = []
    for _ in range(epochs * len(source)):
        (tokens, lengths_, labels_), _ = source.next_batch()
        batches.append((tokens[:, : max(int(lengths_.max()), 1)], lengths_, labels_))
    return batches, source.checksum


def test_row_batches_are_the_padded_batches_trimmed(tmp_path):
    path = write_rows(tmp_path / "rows.csv", count=70, seed=2)
    data = read_labelled(path)
    tokenizer = WordTokenizer.train("\n".join(data.texts))
    ids, lengths = encode_texts(tokenizer, data.texts, 6)
    names = sorted(set(data.labels))
    labels = np.array([names.index(label) for label in data.labels], dtype=np.int64)
    rows = np.sort(np.random.default_rng(0).permutation(len(labels))[:50])
    expected, checksum = _padded_batches(ids, lengths, labels, rows, 8, seed=5, epochs=3)
    row_ids = encode_rows(LabelledSource([path]), tokenizer, 6)
    source = RowBatches(row_ids.ids, row_ids.offsets, labels, 8, rows=rows, seed=5,
                        pad_id=tokenizer.pad_id, width=row_ids.width)
    assert source.checksum == checksum  # a run saved by the padded source resumes here
    for tokens, lengths_, labels_ in expected:
        (got, got_lengths, got_labels), _ = source.next_batch()
        np.testing.assert_array_equal(got, tokens)
        np.testing.assert_array_equal(got_lengths, lengths_)
        np.testing.assert_array_equal(got_labels, labels_)
    restored = RowBatches(row_ids.ids, row_ids.offsets, labels, 8, rows=rows, seed=0,
                          pad_id=tokenizer.pad_id, width=row_ids.width)
    source.next_batch()
    restored.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(restored.next_batch()[0][0], source.next_batch()[0][0])


def test_the_cache_is_reused_and_rebuilt_when_the_file_changes(tmp_path):
    path = write_rows(tmp_path / "rows.csv", count=40, seed=3)
    tokenizer = WordTokenizer.train("\n".join(read_labelled(path).texts))
    cache = tmp_path / "cache"
    first = cached_row_ids(LabelledSource([path]), tokenizer, 50, cache)
    files = sorted(p.name for p in cache.iterdir())
    assert len(files) == 3 and isinstance(first.ids, np.memmap)
    stamps = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    again = cached_row_ids(LabelledSource([path]), tokenizer, 50, cache)
    assert {p.name: p.stat().st_mtime_ns for p in cache.iterdir()} == stamps  # reused
    np.testing.assert_array_equal(again.ids, first.ids)
    text = path.read_bytes().decode("utf-8")
    path.write_text(text.replace("good", "fine", 1), encoding="utf-8", newline="")
    os.utime(path, ns=(1, 1))
    changed = cached_row_ids(LabelledSource([path]), tokenizer, 50, cache)
    assert sorted(p.name for p in cache.iterdir()) != files and len(list(cache.iterdir())) == 3
    whole = encode_rows(LabelledSource([path]), tokenizer, 50)
    np.testing.assert_array_equal(changed.ids, whole.ids)
    np.testing.assert_array_equal(changed.offsets, whole.offsets)
    assert not np.array_equal(changed.ids, first.ids)


def test_a_split_of_codes_is_the_split_of_the_names():
    rng = np.random.default_rng(4)
    names = rng.choice(["zeta", "alpha", "mid"], 200).tolist()
    labels = scan_labels(("t", name, "o") for name in names)
    rank = np.argsort(np.argsort(np.array(labels.names, dtype=object)))
    for got, want in zip(stratified_split(rank[labels.codes], 0.25, 7),
                         stratified_split(names, 0.25, 7), strict=True):
        np.testing.assert_array_equal(got, want)


def test_the_report_of_codes_is_the_report_of_the_names():
    rng = np.random.default_rng(5)
    names = ["b", "a", "c"]
    actual, predicted = rng.integers(0, 3, 50), rng.integers(0, 3, 50)
    expected = classification_report([names[i] for i in actual], [names[i] for i in predicted],
                                     names)
    assert classification_report_codes(actual, predicted, names) == expected


def test_evenly_spaced_keeps_all_or_spreads():
    rows = np.arange(10, 30)
    np.testing.assert_array_equal(evenly_spaced(rows, 50), rows)
    picked = evenly_spaced(rows, 5)
    assert len(picked) == 5 and picked[0] == 10 and picked[-1] == 29


@pytest.mark.parametrize("level", ["word", "bpe"])
def test_streamed_training_equals_training_on_padded_rows(tmp_path, monkeypatch, level):
    """The command trained from RowBatches and from ExampleBatches over the padded matrix of
    every row (the whole-data path) gives bit-identical parameters and the same report."""
    import seqlab.seqmodels.row_batches as row_batches

    path = write_rows(tmp_path / "rows.csv", count=60, seed=6)
    args = ["classify", "train", str(path), "--level", level, "--hidden", "6",
            "--embedding-dim", "4", "--batch-size", "7", "--steps", "12", "--seed", "3",
            "--eval-every", "6", "--quiet", "--json"]
    if level == "bpe":
        args += ["--vocab-size", "300"]
    streamed = invoke(*args, "--out", str(tmp_path / "streamed.safetensors"))
    assert streamed.code == 0, streamed.message

    class Padded(ExampleBatches):
        def __init__(self, ids, offsets, labels, batch_size, *, rows=None, pad_id=0,
                     width=None, shuffle=True, seed=0):
            lengths = np.diff(offsets)
            padded = np.full((len(lengths), width), pad_id, dtype=np.int32)
            for row, length in enumerate(lengths):
                padded[row, :length] = ids[offsets[row] : offsets[row] + length]
            super().__init__((padded[rows], lengths[rows], np.asarray(labels)[rows]),
                             batch_size, shuffle=shuffle, seed=seed)
            self.rows = rows

    monkeypatch.setattr(row_batches, "RowBatches", Padded)
    whole = invoke(*args, "--out", str(tmp_path / "whole.safetensors"))
    assert whole.code == 0, whole.message
    got, _ = load(tmp_path / "streamed.safetensors")
    want, _ = load(tmp_path / "whole.safetensors")
    assert got.keys() == want.keys()
    for name in want:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)

    report, expected = json.loads(streamed.message), json.loads(whole.message)
    assert report["validation"] == expected["validation"]
    assert report["baseline"] == expected["baseline"]
