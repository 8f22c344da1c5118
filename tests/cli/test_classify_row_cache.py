"""The classify row-ids cache is named by each file's path, size and whole-content hash: an edit
in place that keeps size and mtime (and lies where a sampled hash would not look) is
re-encoded, with or without the row count and label CRC stored with the cache."""

from __future__ import annotations

import os

import numpy as np

from seqlab.nlp.corpora.labelled_ids import (
    LabelledSource,
    cached_row_ids,
    encode_rows,
    scan_labels,
)
from seqlab.nlp.tokenizers import WordTokenizer

SAMPLED_BYTES = 1 << 16  # what the version 3 key hashed: the first, middle and last 64 KiB


def _rows(count: int) -> list[bytes]:
    return [f"{'pos' if i % 3 else 'neg'},{'good' if i % 3 else 'bad!'} row {i:06d}\n".encode()
            for i in range(count)]


def test_an_edit_keeping_size_and_mtime_outside_the_samples_is_re_encoded(tmp_path):
    rows = _rows(20_000)  # ~400 KB: bytes between the first and middle samples go unhashed
    path = tmp_path / "rows.csv"
    path.write_bytes(b"label,text\n" + b"".join(rows))
    stamp = path.stat().st_mtime_ns
    tokenizer = WordTokenizer.train("good bad ! row " + " ".join(f"{i:06d}" for i in range(99)))
    cache = tmp_path / "cache"
    first = cached_row_ids(LabelledSource([path]), tokenizer, 50, cache,
                           scan_labels(LabelledSource([path])))
    # swap one row's label and text at ~100 KB, same length: size and samples unchanged
    at = next(i for i in range(len(rows)) if sum(map(len, rows[:i])) > 3 * SAMPLED_BYTES // 2
              and rows[i].startswith(b"neg"))
    assert sum(map(len, rows[:at])) < path.stat().st_size // 2 - SAMPLED_BYTES
    rows[at] = rows[at].replace(b"neg,bad!", b"pos,good")
    path.write_bytes(b"label,text\n" + b"".join(rows))
    os.utime(path, ns=(stamp, stamp))
    whole = encode_rows(LabelledSource([path]), tokenizer, 50)
    unchecked = cached_row_ids(LabelledSource([path]), tokenizer, 50, cache)  # no labels given
    np.testing.assert_array_equal(unchecked.ids, whole.ids)  # the content hash changed
    labels = scan_labels(LabelledSource([path]))
    again = cached_row_ids(LabelledSource([path]), tokenizer, 50, cache, labels)
    assert not np.array_equal(whole.ids, first.ids)
    np.testing.assert_array_equal(again.ids, whole.ids)
    np.testing.assert_array_equal(again.offsets, whole.offsets)
    reused = cached_row_ids(LabelledSource([path]), tokenizer, 50, cache, labels)
    np.testing.assert_array_equal(reused.ids, whole.ids)
    assert len(list(cache.iterdir())) == 3
