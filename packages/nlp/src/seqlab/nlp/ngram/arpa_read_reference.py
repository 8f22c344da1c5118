"""The whole-file ARPA reader `arpa_reader` replaced, kept as its plain-Python reference.

It holds the file as one string and every n-gram as Python lists: slow and memory-hungry on
purpose, written straight from the format, so tests can compare the streamed reader with it
(same vocabulary, keys, log probabilities and backoffs, same errors).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from seqlab.nlp.ngram.arpa_reader import (
    LN10,
    LOG10_ZERO,
    MISSING_UNK_LOG10,
    NGRAM_COUNT,
    backoff_logprobs,
    quoted_line,
)
from seqlab.nlp.ngram.kenlm_split import kenlm_split
from seqlab.nlp.ngram.vocabulary import BOS, EOS, UNK

_NGRAM_COUNT = NGRAM_COUNT


def load_arpa_reference(path: str | Path):
    """(vocab, keys, logprob, logbackoff) of an ARPA file, each table per order (natural logs)."""
    path = Path(path)
    return _build(path, _parse(path))


class _Section:
    def __init__(self, order: int) -> None:
        self.order = order
        self.words: list[list[str]] = []
        self.log10prob: list[float] = []
        self.log10backoff: list[float] = []
        self.lines: list[int] = []


def _parse(path: Path) -> list[_Section]:
    def fail(line_number: int, message: str) -> ValueError:
        return ValueError(f"{path}:{line_number}: {message} (is this an ARPA file?)")

    with open(path, encoding="utf-8", errors="strict") as file:
        try:
            lines = file.read().split("\n")
        except UnicodeDecodeError as error:
            raise ValueError(f"{path}: not UTF-8 text ({error})") from error
    i = 0
    while i < len(lines) and lines[i].strip() != "\\data\\":
        i += 1
    if i == len(lines):
        raise ValueError(f"{path}:1: no \\data\\ header found (is this an ARPA file?)")
    i += 1
    expected: dict[int, int] = {}
    while i < len(lines) and lines[i].strip():
        match = _NGRAM_COUNT.match(lines[i].strip())
        if not match:
            raise fail(i + 1, f"expected 'ngram N=count', got {lines[i]!r}")
        expected[int(match.group(1))] = int(match.group(2))
        i += 1
    order = len(expected)
    if order == 0 or sorted(expected) != list(range(1, order + 1)):
        raise fail(i + 1, f"the header must list orders 1..N, got {sorted(expected)}")
    sections: list[_Section] = []
    for n in range(1, order + 1):
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i == len(lines) or lines[i].strip() != f"\\{n}-grams:":
            got = quoted_line(lines[i]) if i < len(lines) else "end of file"
            raise fail(min(i + 1, len(lines)), f"expected '\\{n}-grams:', got {got}")
        i += 1
        section = _Section(n)
        while i < len(lines) and lines[i].strip() and not lines[i].startswith("\\"):
            fields = kenlm_split(lines[i])
            if len(fields) not in (n + 1, n + 2):
                raise fail(i + 1, f"a {n}-gram line needs log10 prob, {n} words and an optional "
                                  f"backoff; got {len(fields)} fields")
            try:
                section.log10prob.append(float(fields[0]))
                section.log10backoff.append(float(fields[n + 1]) if len(fields) == n + 2 else 0.0)
            except ValueError as error:
                raise fail(i + 1, f"bad number ({error})") from error
            if math.isnan(section.log10prob[-1]) or section.log10prob[-1] > 1e-6:
                raise fail(i + 1, f"log10 probability must be <= 0, got {fields[0]}")
            section.words.append(fields[1 : n + 1])
            section.lines.append(i + 1)
            i += 1
        if len(section.words) != expected[n]:
            raise fail(i + 1, f"the header promises {expected[n]} {n}-grams, "
                              f"the section has {len(section.words)}")
        sections.append(section)
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i == len(lines) or lines[i].strip() != "\\end\\":
        raise fail(min(i + 1, len(lines)), "expected '\\end\\' after the last section")
    return sections


def _build(path: Path, sections: list[_Section]):
    vocab = [words[0] for words in sections[0].words]
    index = {token: i for i, token in enumerate(vocab)}
    if len(index) != len(vocab):
        duplicate = next(t for t in vocab if vocab.count(t) > 1)
        line = sections[0].lines[vocab.index(duplicate, vocab.index(duplicate) + 1)]
        raise ValueError(f"{path}:{line}: unigram {duplicate!r} is listed twice")
    log10prob = [np.asarray(s.log10prob, dtype=np.float64) for s in sections]
    log10backoff = [np.asarray(s.log10backoff, dtype=np.float64) for s in sections]
    for special, value in ((UNK, MISSING_UNK_LOG10), (BOS, LOG10_ZERO), (EOS, MISSING_UNK_LOG10)):
        if special not in index:
            index[special] = len(vocab)
            vocab.append(special)
            log10prob[0] = np.append(log10prob[0], value)
            log10backoff[0] = np.append(log10backoff[0], 0.0)
    vocab_size = len(vocab)
    rows = [np.arange(vocab_size, dtype=np.int64).reshape(-1, 1)]
    for section in sections[1:]:
        try:
            ids = [[index[w] for w in words] for words in section.words]
        except KeyError as error:
            line = next(ln for ln, words in zip(section.lines, section.words)
                        if any(w not in index for w in words))
            raise ValueError(f"{path}:{line}: word {error.args[0]!r} is not among the "
                             "1-grams") from error
        rows.append(np.asarray(ids, dtype=np.int64).reshape(-1, section.order))
    lines = [np.asarray(s.lines, dtype=np.int64) for s in sections]
    rows, log10prob, log10backoff, lines = _add_missing_prefixes(rows, log10prob, log10backoff,
                                                                 lines)
    keys, logprob, logbackoff = _tables(path, rows, log10prob, log10backoff, lines, vocab_size)
    logprob[0][index[BOS]] = -np.inf  # files write 0 or -99 for <s>; it is never predicted
    return vocab, keys, logprob, logbackoff


def _add_missing_prefixes(rows, log10prob, log10backoff, lines):
    """Add every missing prefix of a listed n-gram (probability NaN: filled in by `_tables`)."""
    for n in range(len(rows) - 1, 0, -1):
        listed = set(map(tuple, rows[n - 1].tolist()))
        missing = sorted({tuple(r) for r in rows[n][:, :-1].tolist()} - listed)
        if missing:
            rows[n - 1] = np.concatenate([rows[n - 1], np.asarray(missing, dtype=np.int64)])
            log10prob[n - 1] = np.concatenate([log10prob[n - 1], np.full(len(missing), np.nan)])
            log10backoff[n - 1] = np.concatenate([log10backoff[n - 1], np.zeros(len(missing))])
            lines[n - 1] = np.concatenate([lines[n - 1], np.zeros(len(missing), dtype=np.int64)])
    return rows, log10prob, log10backoff, lines


def _tables(path, rows, log10prob, log10backoff, lines, vocab_size):
    """Sorted keys and natural-log tables, order by order (see `kernels`)."""
    keys = [rows[0][:, 0]]
    logprob = [log10prob[0] * LN10]
    logbackoff = [log10backoff[0] * LN10]
    for n in range(2, len(rows) + 1):
        parent = rows[n - 1][:, 0]
        for m in range(2, n):
            parent = np.searchsorted(keys[m - 1], parent * vocab_size + rows[n - 1][:, m - 1])
        order_keys = parent * vocab_size + rows[n - 1][:, -1]
        sort = np.argsort(order_keys, kind="stable")
        order_keys = order_keys[sort]
        duplicate = np.flatnonzero(order_keys[1:] == order_keys[:-1])
        if len(duplicate):
            line = lines[n - 1][sort][duplicate[0] + 1]
            raise ValueError(f"{path}:{line}: this {n}-gram is listed twice")
        order_logprob = log10prob[n - 1][sort] * LN10
        blanks = np.flatnonzero(np.isnan(order_logprob))
        if len(blanks):
            order_logprob[blanks] = backoff_logprobs(rows[n - 1][sort][blanks], keys, logprob,
                                                      logbackoff, vocab_size)
        keys.append(order_keys)
        logprob.append(order_logprob)
        logbackoff.append(log10backoff[n - 1][sort] * LN10)
    return keys, logprob, logbackoff
