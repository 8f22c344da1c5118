"""What text classification needs around the model, from scikit-learn: a stratified split,
"balanced" class weights, the bag-of-words baseline, and the metrics report.

The baseline is a logistic regression on unigram + bigram counts (scikit-learn's
`CountVectorizer` + `LogisticRegression`), fitted on the same training split as the recurrent
model, so a report shows whether the RNN earns its cost.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from seqlab.nlp.truncation import DEFAULT_KEEP, kept_tokens


def class_order(names: Iterable[str]) -> list[str]:
    """The classes in the order of the model's outputs: by number when every name is an
    integer (0, 1, 2, 10, as scikit-learn's LabelEncoder orders int labels and as a JSONL or
    CSV column of ints reads), else by name. Labels are text: `01` and `1` stay two classes
    (codes such as `01` are not numbers), and then the names are sorted as text, since their
    numbers cannot order them (`same_number_labels` finds such names, to warn about them). A
    model file stores this order, so a model saved before ints were sorted by number keeps
    its own."""
    names = list(names)
    if names and all(_is_integer(name) for name in names) and not same_number_labels(names):
        return sorted(names, key=int)
    return sorted(names)


def same_number_labels(names: Iterable[str]) -> list[list[str]]:
    """Groups of integer labels written differently with the same value (`01` and `1`,
    `+2` and `2`), each sorted, in order of value: distinct classes a reader of the column as
    ints would take for one."""
    by_value: dict[int, set[str]] = {}
    for name in names:
        if _is_integer(name):
            by_value.setdefault(int(name), set()).add(name)
    return [sorted(group) for _, group in sorted(by_value.items()) if len(group) > 1]


def _is_integer(name: str) -> bool:
    digits = name[1:] if name[:1] in "+-" else name
    return digits.isascii() and digits.isdigit()


def model_label_ids(names: Sequence[str], codes: np.ndarray,
                    labels: Sequence[str]) -> np.ndarray:
    """Each row's class as an index into `labels` (a model's class order), int64, from its
    `codes` into `names` (the order the labels were read in); a ValueError for a name that is
    not among `labels`."""
    labels = list(labels)
    return np.array([labels.index(name) for name in names], dtype=np.int64)[codes]


def sorted_name_codes(names: Sequence[str], codes: np.ndarray) -> np.ndarray:
    """Each row's label as its rank among the sorted `names` (from its `codes` into `names`):
    the labels `stratified_split` splits by, without a Python string per row."""
    return np.argsort(np.argsort(np.array(names, dtype=object)))[codes]


def label_counts(names: Sequence[str], codes: np.ndarray) -> dict[str, int]:
    """How many rows have each of `names` (from each row's code into `names`)."""
    counts = np.bincount(codes, minlength=len(names))
    return dict(zip(names, counts.tolist(), strict=True))


def check_labels(labels: Sequence[str], stratified: bool) -> None:
    """ValueError for one class only, or (stratified) a class with a single example."""
    check_label_counts(Counter(labels), stratified)


def check_label_counts(counts: Mapping[Any, int], stratified: bool) -> None:
    """`check_labels` on each label's count of examples (labels in first-seen order)."""
    if len(counts) < 2:
        only = next(iter(counts), None)
        raise ValueError(f"the data has one class only ({only!r}); a classifier needs at "
                         "least two labels")
    if stratified:
        single = sorted(label for label, count in counts.items() if count < 2)
        if single:
            raise ValueError(f"class {single[0]!r} has a single example: a stratified "
                             "validation split needs at least two per class; add examples "
                             "or drop the class")


def stratified_split(labels: Sequence[Any] | np.ndarray, fraction: float,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, validation indices) with every class in both, in its proportion.

    `labels`: one per example (strings, or integer codes: the split depends only on the
    classes' sorted order, so codes numbered in the names' sorted order split as the names)."""
    from sklearn.model_selection import train_test_split

    labels = np.asarray(labels)
    names, counts = np.unique(labels, return_counts=True)
    check_label_counts(dict(zip(names.tolist(), counts.tolist(), strict=True)), stratified=True)
    indices = np.arange(len(labels))
    classes = len(names)
    size = max(round(len(labels) * fraction), classes)
    if len(labels) - size < classes:
        raise ValueError(f"{len(labels)} examples are too few for a validation split of "
                         f"{fraction:g} with {classes} classes; add data or lower --val-fraction")
    train, valid = train_test_split(indices, test_size=size, random_state=seed,
                                    stratify=labels)
    return np.sort(train), np.sort(valid)


def balanced_class_weights(label_ids: np.ndarray, num_classes: int) -> np.ndarray:
    """n_samples / (n_classes * count(c)) per class, scikit-learn's "balanced" weights."""
    from sklearn.utils.class_weight import compute_class_weight

    present = np.unique(label_ids)
    weights = np.ones(num_classes)
    weights[present] = compute_class_weight("balanced", classes=present, y=label_ids)
    return weights


def bag_of_words_baseline(train_texts: Sequence[str], train_labels: Sequence[Any],
                          test_texts: Iterable[str], seed: int = 0) -> np.ndarray:
    """Predictions of a unigram+bigram logistic regression trained on the training split; the
    training split's most frequent label for every text when its texts hold no word of two
    letters or more (scikit-learn's default tokens: nothing to fit)."""
    predict = fit_bag_of_words(train_texts, train_labels, seed)
    return predict(list(test_texts))


def fit_bag_of_words(train_texts: Sequence[str], train_labels: Sequence[Any],
                     seed: int = 0) -> Callable[[Sequence[str]], np.ndarray]:
    """`bag_of_words_baseline`'s model, fitted: a function from texts to predicted labels (call
    it on batches of texts to predict a large set)."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = CountVectorizer(ngram_range=(1, 2), min_df=1)
    try:
        features = vectorizer.fit_transform(train_texts)
    except ValueError:  # "empty vocabulary"
        majority = Counter(train_labels).most_common(1)[0][0]
        return lambda texts: np.array([majority] * len(texts))
    model = LogisticRegression(max_iter=2000, random_state=seed)
    model.fit(features, list(train_labels))
    return lambda texts: model.predict(vectorizer.transform(texts))


def predicted_codes(predict: Callable[[Sequence[str]], np.ndarray], texts: Iterable[str],
                    labels: Sequence[str], count: int, batch: int = 4096) -> np.ndarray:
    """`predict`'s label (a `fit_bag_of_words` model's) for each of the `count` `texts`, as an
    index into `labels` (int64), called on at most `batch` texts at a time so that a large
    set is never held whole."""
    code = {label: index for index, label in enumerate(labels)}
    codes = np.zeros(count, dtype=np.int64)
    done = 0
    pending: list[str] = []
    for text in texts:
        pending.append(text)
        if len(pending) == batch:
            codes[done : done + batch] = [code[label] for label in predict(pending)]
            done, pending = done + batch, []
    if pending:
        codes[done : done + len(pending)] = [code[label] for label in predict(pending)]
    return codes


class UnknownLabelError(ValueError):
    """A labelled example whose label is not one of the model's; the message names where it
    came from and the model's labels."""


def streamed_label_codes(rows: Iterable[tuple[str, str, Any]], labels: Sequence[str],
                         predict: Callable[[list[str]], np.ndarray],
                         batch: int) -> tuple[np.ndarray, np.ndarray]:
    """(actual, predicted) int64 codes (indices into `labels`) of the `(text, label, origin)`
    `rows`, read once: `predict` gets at most `batch` texts at a time and returns their codes,
    and a code per example is all that is kept (`classification_report_codes` takes them).
    An `UnknownLabelError` for the first label not in `labels`."""
    from array import array

    code = {label: index for index, label in enumerate(labels)}
    actual, predicted = array("q"), array("q")
    texts: list[str] = []
    for text, label, origin in rows:
        if label not in code:
            raise UnknownLabelError(f"{origin}: label {label!r} is not one the model knows "
                                    f"({', '.join(labels)})")
        actual.append(code[label])
        texts.append(text)
        if len(texts) == batch:
            predicted.extend(np.asarray(predict(texts), dtype=np.int64).tolist())
            texts.clear()
    if texts:
        predicted.extend(np.asarray(predict(texts), dtype=np.int64).tolist())
    return np.frombuffer(actual, dtype=np.int64), np.frombuffer(predicted, dtype=np.int64)


def evenly_spaced(indices: np.ndarray, most: int) -> np.ndarray:
    """At most `most` of `indices`, spread evenly over them (all when there are so few)."""
    if len(indices) <= most:
        return indices
    return indices[np.linspace(0, len(indices) - 1, most).round().astype(np.int64)]


def classification_report(actual: Sequence[Any], predicted: Sequence[Any],
                          labels: Sequence[Any]) -> dict[str, Any]:
    """Accuracy, macro precision/recall/F1, per-class precision/recall/F1/support, and the
    confusion matrix (rows: actual label, columns: predicted, in `labels` order)."""
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    labels = list(labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        actual, predicted, labels=labels, zero_division=0)
    present = support > 0
    return {
        "accuracy": float(accuracy_score(actual, predicted)),
        "macro_precision": float(np.mean(precision[present])),
        "macro_recall": float(np.mean(recall[present])),
        "macro_f1": float(np.mean(f1[present])),
        "per_class": {str(label): {"precision": float(p), "recall": float(r), "f1": float(f),
                                   "support": int(s)}
                      for label, p, r, f, s in zip(labels, precision, recall, f1, support,
                                                   strict=True)},
        "labels": [str(label) for label in labels],
        "confusion": confusion_matrix(actual, predicted, labels=labels).tolist(),
        "examples": len(actual),
    }


def classification_report_codes(actual: np.ndarray, predicted: np.ndarray,
                                names: Sequence[str]) -> dict[str, Any]:
    """`classification_report` of integer class codes (indices into `names`): the report is
    the one the names would give, without a Python object per example."""
    report = classification_report(np.asarray(actual, dtype=np.int64),
                                   np.asarray(predicted, dtype=np.int64), range(len(names)))
    report["per_class"] = {str(name): value for name, value in
                           zip(names, report["per_class"].values(), strict=True)}
    report["labels"] = [str(name) for name in names]
    return report


class EmptyTextError(ValueError):
    """A text that the tokenizer turns into no tokens; `index` says which."""

    def __init__(self, index: int) -> None:
        super().__init__(f"text {index + 1} has no tokens; remove it or give it some text")
        self.index = index


def encode_texts(tokenizer: Any, texts: Sequence[str], max_length: int,
                 keep: str = DEFAULT_KEEP) -> tuple[np.ndarray, np.ndarray]:
    """Token ids of each text, cut to its last (`keep="first"`: first) `max_length`, padded
    with the pad id: (ids (N, L) int32, lengths (N,) int64). A text with no tokens is an
    `EmptyTextError`."""
    rows = []
    for index, text in enumerate(texts):
        ids = kept_tokens(tokenizer.encode(text), max_length, keep)
        if not ids:
            raise EmptyTextError(index)
        rows.append(ids)
    lengths = np.array([len(row) for row in rows], dtype=np.int64)
    batch = np.full((len(rows), int(lengths.max(initial=1))), tokenizer.pad_id, dtype=np.int32)
    for index, row in enumerate(rows):
        batch[index, : len(row)] = row
    return batch, lengths


@dataclass(frozen=True)
class ClassifierText:
    """What a classifier reads of a text of one or more lines (`first_text_ids`)."""

    ids: np.ndarray  # int64: the kept tokens of the first text (none when it gives none)
    text: str  # that first text (the first non-blank line)
    texts: int  # how many texts (non-blank lines) the whole text holds
    tokens: int  # the first text's tokens before the cut to max_length


def first_text_ids(tokenizer: Any, text: str, max_length: int | None,
                   keep: str = DEFAULT_KEEP) -> ClassifierText:
    """The token ids a classifier reads for `text`: one text per line, as `classify predict`
    reads them, so its first non-blank line, encoded and cut to `max_length` tokens (None: no
    cut) at the end `keep` says, as `encode_texts` does."""
    texts = [line for line in text.split("\n") if line.strip()]
    if not texts:
        return ClassifierText(np.zeros(0, dtype=np.int64), text, 0, 0)
    tokens = tokenizer.encode(texts[0])
    kept = kept_tokens(tokens, max_length or sys.maxsize, keep)
    return ClassifierText(np.asarray(kept, dtype=np.int64).reshape(-1), texts[0], len(texts),
                          len(tokens))


def text_probabilities(model: Any, tokenizer: Any, texts: Sequence[str], max_length: int,
                       num_classes: int, keep: str = DEFAULT_KEEP,
                       batch: int = 256) -> np.ndarray:
    """(N, num_classes) class probabilities of a classifier (`model.probabilities(ids,
    lengths)`, a `SequenceClassifier`'s) for `texts`, each encoded and cut as `encode_texts`
    does, `batch` texts at a time; an `EmptyTextError` for a text with no tokens."""
    ids, lengths = encode_texts(tokenizer, texts, max_length, keep)
    parts = [model.probabilities(ids[start : start + batch], lengths[start : start + batch])
             for start in range(0, len(texts), batch)]
    return np.concatenate(parts) if parts else np.zeros((0, num_classes))
