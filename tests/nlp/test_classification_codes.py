"""`seqlab.nlp.classification`'s label codes, batched baseline predictions and batched class
probabilities: what `classify train`, `predict` and `eval` did in the CLI, now library
functions (the CLI calls them; its tests hold the commands' behaviour)."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.nlp.classification import (
    UnknownLabelError,
    encode_texts,
    first_text_ids,
    label_counts,
    model_label_ids,
    predicted_codes,
    sorted_name_codes,
    streamed_label_codes,
    text_probabilities,
)


def test_model_label_ids_put_each_row_in_the_models_order():
    names = ["pos", "neg", "mixed"]  # the order the labels were first read in
    codes = np.array([0, 1, 1, 2, 0])
    labels = ["mixed", "neg", "pos"]  # the model's order
    got = model_label_ids(names, codes, labels)
    assert got.dtype == np.int64
    assert [labels[i] for i in got] == [names[c] for c in codes]


def test_a_name_the_model_lacks_is_a_value_error():
    with pytest.raises(ValueError):
        model_label_ids(["pos", "other"], np.array([0, 1]), ["neg", "pos"])


def test_sorted_name_codes_are_each_rows_rank_among_the_sorted_names():
    names = ["b", "10", "a", "2"]
    codes = np.array([0, 1, 2, 3, 3, 0])
    got = sorted_name_codes(names, codes)
    order = sorted(names)
    assert got.tolist() == [order.index(names[c]) for c in codes]


def test_label_counts_count_every_name_seen_once_or_more():
    assert label_counts(["x", "y", "z"], np.array([2, 0, 2, 2])) == {"x": 1, "y": 0, "z": 3}


def test_predicted_codes_predict_in_bounded_batches_in_order():
    labels = ["neg", "pos"]
    texts = [f"text {i} {'good' if i % 3 else 'bad'}" for i in range(11)]
    sizes: list[int] = []

    def predict(batch: list[str]) -> np.ndarray:
        sizes.append(len(batch))
        return np.array(["pos" if "good" in text else "neg" for text in batch])

    got = predicted_codes(predict, iter(texts), labels, len(texts), batch=4)
    assert sizes == [4, 4, 3]
    assert got.dtype == np.int64
    assert got.tolist() == [1 if "good" in text else 0 for text in texts]


class _CountingModel:
    """A stand-in classifier: its probabilities are a softmax of each row's token sum and
    length, so a row's answer depends on that row alone, as a real model's does."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def probabilities(self, tokens: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        self.batches.append(len(tokens))
        sums = np.array([row[:n].sum() for row, n in zip(tokens, lengths, strict=True)])
        logits = np.stack([sums * 0.01, lengths * 0.1, np.zeros(len(tokens))], axis=1)
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)


class _Letters:
    pad_id = 0

    def encode(self, text: str) -> list[int]:
        return [ord(c) for c in text if c != " "]


def test_text_probabilities_are_the_models_batch_by_batch():
    texts = ["ab", "a longer text here", "xyz", "q", "the end of it"]
    model = _CountingModel()
    got = text_probabilities(model, _Letters(), texts, max_length=6, num_classes=3, batch=2)
    assert model.batches == [2, 2, 1]
    whole = _CountingModel().probabilities(
        *_encoded([_Letters().encode(t)[-6:] for t in texts]))
    np.testing.assert_array_equal(got, whole)


def test_text_probabilities_of_no_texts_are_an_empty_table():
    got = text_probabilities(_CountingModel(), _Letters(), [], max_length=6, num_classes=3)
    assert got.shape == (0, 3)


def _encoded(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.array([len(row) for row in rows])
    ids = np.zeros((len(rows), lengths.max()), dtype=np.int32)
    for index, row in enumerate(rows):
        ids[index, : len(row)] = row
    return ids, lengths


def test_streamed_label_codes_codes_each_row_and_predicts_in_batches():
    labels = ["neg", "pos"]
    rows = [(f"text {i}", labels[i % 3 == 0], f"f.csv:{i}") for i in range(7)]
    batches: list[int] = []

    def predict(texts: list[str]) -> np.ndarray:  # "pos" for texts ending in an even digit
        batches.append(len(texts))
        return np.array([int(text[-1]) % 2 == 0 for text in texts])

    actual, predicted = streamed_label_codes(iter(rows), labels, predict, batch=3)
    assert batches == [3, 3, 1]
    assert (actual.dtype, predicted.dtype) == (np.int64, np.int64)
    assert actual.tolist() == [labels.index(label) for _, label, _ in rows]
    assert predicted.tolist() == [int(i % 2 == 0) for i in range(7)]


def test_streamed_label_codes_of_nothing_are_empty():
    actual, predicted = streamed_label_codes([], ["a"], lambda texts: 1 / 0, batch=2)
    assert actual.size == predicted.size == 0


def test_streamed_label_codes_refuse_a_label_the_model_lacks_where_it_is():
    rows = [("x", "pos", "a.csv:2"), ("y", "meh", "a.csv:3")]
    with pytest.raises(UnknownLabelError, match=r"^a\.csv:3: label 'meh' is not one the model "
                       r"knows \(neg, pos\)$"):
        streamed_label_codes(rows, ["neg", "pos"], lambda texts: np.zeros(len(texts)), 8)


@pytest.mark.parametrize("keep", ["last", "first"])
@pytest.mark.parametrize("max_length", [None, 3, 100])
def test_first_text_ids_read_the_first_line_as_encode_texts_cuts_it(keep, max_length):
    text = "\n  \nthe first text here\nsecond one\n\nthird\n"
    read = first_text_ids(_Letters(), text, max_length, keep)
    batch, lengths = encode_texts(_Letters(), ["the first text here"],
                                  max_length or 10**9, keep)
    assert read.ids.dtype == np.int64
    assert read.ids.tolist() == batch[0, : int(lengths[0])].tolist()
    assert (read.text, read.texts) == ("the first text here", 3)
    assert read.tokens == len("thefirsttexthere")  # before the cut


def test_first_text_ids_of_a_text_with_no_tokens_are_empty():
    read = first_text_ids(_Letters(), "   \n \t\n", 4)
    assert (read.ids.size, read.texts, read.tokens) == (0, 0, 0)
    read = first_text_ids(_Letters(), "\n \n", None)
    assert read.ids.size == 0
