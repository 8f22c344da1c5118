"""Texts longer than --max-length keep their LAST tokens (Keras `pad_sequences`' default
truncating='pre'), the same in the training cache, in predict/eval, and counted."""

from __future__ import annotations

import numpy as np

from seqlab.nlp.classification import encode_texts
from seqlab.nlp.corpora.labelled_ids import LabelledSource, cached_row_ids, encode_rows
from seqlab.nlp.tokenizers import WordTokenizer
from seqlab.nlp.truncation import kept_tokens

TEXTS = ["one two three four five", "two three", "five four three two one six"]


def _tokenizer():
    return WordTokenizer.train("one two three four five six")


def test_kept_tokens_keeps_either_end():
    assert kept_tokens([1, 2, 3, 4], 2, "last") == [3, 4]
    assert kept_tokens([1, 2, 3, 4], 2, "first") == [1, 2]
    assert kept_tokens([1, 2], 5, "last") == [1, 2]


def test_training_rows_and_predicted_texts_keep_the_same_last_tokens(tmp_path):
    tokenizer = _tokenizer()
    path = tmp_path / "rows.csv"
    path.write_text("label,text\n" + "".join(f"x,{text}\n" for text in TEXTS))
    expected = [tokenizer.encode(text)[-3:] for text in TEXTS]
    for rows in (encode_rows(LabelledSource([path]), tokenizer, 3),
                 cached_row_ids(LabelledSource([path]), tokenizer, 3, tmp_path / "cache"),
                 cached_row_ids(LabelledSource([path]), tokenizer, 3, tmp_path / "cache")):
        assert [rows.ids[a:b].tolist() for a, b in zip(rows.offsets, rows.offsets[1:])] == \
            expected
        assert rows.cut == 2  # the first and the last text are longer than 3 tokens
    ids, lengths = encode_texts(tokenizer, TEXTS, 3)
    assert [row[:n].tolist() for row, n in zip(ids, lengths)] == expected
    first, _ = encode_texts(tokenizer, TEXTS, 3, keep="first")  # models saved before stop 21
    assert first[0].tolist() == tokenizer.encode(TEXTS[0])[:3]


def test_a_cache_of_first_tokens_is_not_served_for_last_tokens(tmp_path):
    tokenizer = _tokenizer()
    path = tmp_path / "rows.csv"
    path.write_text("label,text\n" + "".join(f"x,{text}\n" for text in TEXTS))
    head = cached_row_ids(LabelledSource([path]), tokenizer, 3, tmp_path / "c", keep="first")
    tail = cached_row_ids(LabelledSource([path]), tokenizer, 3, tmp_path / "c", keep="last")
    assert not np.array_equal(head.ids, tail.ids)
