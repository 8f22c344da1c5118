"""ARPA files: write any fitted model's backoff form, read any ARPA file into a scorable model.

Layout: a `\\data\\` header with `ngram n=count` lines, then one `\\n-grams:` section per order
whose lines are `log10 p <TAB> w1 ... wn [<TAB> log10 backoff]`, then `\\end\\`.
Log zero is written -99 (the ARPA convention); read back it stays 10**-99, as KenLM reads it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from seqlab.autograd.atomic import atomic_write
from seqlab.nlp.ngram import arpa_kernels, kernels
from seqlab.nlp.ngram.base import NgramLanguageModel
from seqlab.nlp.ngram.vocabulary import BOS, EOS, UNK

LN10 = math.log(10.0)
LOG10_ZERO = -99.0
# What KenLM substitutes for the probability of <unk> when an ARPA file does not list it.
MISSING_UNK_LOG10 = -100.0
_NGRAM_COUNT = re.compile(r"ngram\s+(\d+)\s*=\s*(\d+)$")
_SECTION = re.compile(r"\\(\d+)-grams:$")
WRITE_BLOCK_ROWS = 1 << 16
WRITE_BUFFER_BYTES = 8 << 20


def log10_values(values: np.ndarray) -> np.ndarray:
    """Natural logs to the log10 an ARPA file holds (log zero, -inf, becomes -99)."""
    return np.maximum(values / LN10, LOG10_ZERO)  # -inf (log zero) becomes -99


def write_arpa(path: str | Path, vocab: Sequence[str], keys: Sequence[np.ndarray],
               logprob: Sequence[np.ndarray], logbackoff: Sequence[np.ndarray],
               flat_keys: np.ndarray | None = None) -> None:
    """Write backoff n-gram tables (natural logs, see `kernels`) as an ARPA file.

    `flat_keys` may pass the orders' keys already laid end to end (a model's flat table).

    Rows are written by `arpa_kernels.write_rows` in blocks of WRITE_BLOCK_ROWS, so neither
    the n-grams' names nor the numbers' text is ever held for a whole order.
    """
    vocab_size, order = len(vocab), len(keys)
    vocab_text, vocab_offsets = encode_vocab(vocab)
    offsets = np.zeros(order + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(k) for k in keys])
    if flat_keys is None:
        flat_keys = np.concatenate([np.asarray(k, dtype=np.int64) for k in keys])
    buffer = write_buffer(vocab_offsets, order)
    with atomic_write(path, "wb") as file:
        file.write(arpa_header([len(k) for k in keys]))
        for n in range(1, order + 1):
            file.write(f"\n\\{n}-grams:\n".encode())
            with_backoff = n < order
            for start in range(0, len(keys[n - 1]), WRITE_BLOCK_ROWS):
                stop = min(start + WRITE_BLOCK_ROWS, len(keys[n - 1]))
                probs = log10_values(np.asarray(logprob[n - 1][start:stop]))
                backoffs = log10_values(np.asarray(logbackoff[n - 1][start:stop])) if with_backoff \
                    else probs
                row = start
                while row < stop:
                    used, row, status = arpa_kernels.write_rows(
                        n, row, stop, vocab_size, flat_keys, offsets, vocab_text, vocab_offsets,
                        probs[row - start:], backoffs[row - start:], with_backoff, buffer)
                    file.write(buffer[:used].data)
                    if status == arpa_kernels.UNWRITABLE:
                        file.write(_python_row(n, row, vocab, flat_keys, offsets,
                                               probs[row - start],
                                               backoffs[row - start] if with_backoff else None))
                        row += 1
        file.write(b"\n\\end\\\n")


def encode_vocab(vocab: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(UTF-8 bytes of all tokens end to end, offset of each token's bytes) for the kernels;
    ValueError for a token an ARPA file cannot hold."""
    encoded = []
    for token in vocab:
        if not token or any(ch.isspace() for ch in token):
            raise ValueError(
                f"token {token!r} cannot be written to an ARPA file (ARPA separates tokens by "
                "whitespace): map whitespace to a visible symbol, or use save() instead"
            )
        encoded.append(token.encode("utf-8"))
    vocab_text = np.frombuffer(b"".join(encoded) or b"\0", dtype=np.uint8)
    vocab_offsets = np.zeros(len(vocab) + 1, dtype=np.int64)
    vocab_offsets[1:] = np.cumsum([len(t) for t in encoded])
    return vocab_text, vocab_offsets


def write_buffer(vocab_offsets: np.ndarray, order: int) -> np.ndarray:
    """The byte buffer the kernels write lines into (room for the longest line)."""
    longest = int(np.diff(vocab_offsets).max(initial=0))
    return np.empty(max(WRITE_BUFFER_BYTES, 4 * order * (longest + 1) + 256), dtype=np.uint8)


def arpa_header(counts: Sequence[int]) -> bytes:
    """The `\\data\\` block: one `ngram n=count` line per order."""
    return b"\\data\\\n" + "".join(f"ngram {n}={c}\n" for n, c in enumerate(counts, 1)).encode()


def python_line(words: Sequence[str], log10prob: float, log10backoff: float | None) -> bytes:
    """One ARPA line written by Python's `repr` (values the kernel cannot write exactly)."""
    line = f"{float(log10prob)!r}\t{' '.join(words)}"
    if log10backoff is not None:
        line += f"\t{float(log10backoff)!r}"
    return (line + "\n").encode("utf-8")


def _python_row(order: int, row: int, vocab: Sequence[str], flat_keys: np.ndarray,
                offsets: np.ndarray, log10prob: float, log10backoff: float | None) -> bytes:
    """One ARPA line written by Python (values the kernel cannot write exactly)."""
    words, node = [], row
    for m in range(order, 1, -1):
        node, word = divmod(int(flat_keys[offsets[m - 1] + node]), len(vocab))
        words.append(vocab[word])
    words.append(vocab[node])
    return python_line(words[::-1], log10prob, log10backoff)


class ArpaModel(NgramLanguageModel):
    """A model read from an ARPA file: it scores exactly as the file says (see `load_arpa`)."""

    def fit(self, sentences):
        raise TypeError("an ARPA model is already estimated; fit a KneserNey, WittenBell, ... "
                        "model instead")

    def fit_counts(self, vocab, tables):
        return self.fit(None)


def load_arpa(path: str | Path) -> ArpaModel:
    """Read any ARPA file (KenLM, SRILM, seqlab); ValueError naming the file and line if bad.

    A missing <unk> gets log10 probability -100 (as KenLM substitutes); <s> is never predicted.
    N-grams whose prefix is missing (pruned SRILM files) get that prefix added with its backoff
    probability and weight 1, which changes no score.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"ARPA file not found: {path}")
    sections = _parse(path)
    return _build(path, sections)


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
            got = repr(lines[i]) if i < len(lines) else "end of file"
            raise fail(min(i + 1, len(lines)), f"expected '\\{n}-grams:', got {got}")
        i += 1
        section = _Section(n)
        while i < len(lines) and lines[i].strip() and not lines[i].startswith("\\"):
            fields = lines[i].split()
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


def _build(path: Path, sections: list[_Section]) -> ArpaModel:
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
    model = ArpaModel(order=len(sections))
    model._set_tables(vocab, keys, logprob, logbackoff)
    return model


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
            order_logprob[blanks] = _backoff_logprobs(rows[n - 1][sort][blanks], keys, logprob,
                                                      logbackoff, vocab_size)
        keys.append(order_keys)
        logprob.append(order_logprob)
        logbackoff.append(log10backoff[n - 1][sort] * LN10)
    return keys, logprob, logbackoff


def _backoff_logprobs(ngrams, keys, logprob, logbackoff, vocab_size) -> np.ndarray:
    """log p(w | h) of unlisted n-grams `h w` from the lower orders, by the ARPA rule."""
    offsets = np.zeros(len(keys) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(k) for k in keys])
    flat_keys, flat_logprob = np.concatenate(keys), np.concatenate(logprob)
    flat_logbackoff = np.concatenate(logbackoff)
    out = np.empty(len(ngrams))
    for i, ngram in enumerate(ngrams):
        context, word = ngram[:-1], int(ngram[-1])
        row = int(context[0])
        for m in range(2, len(context) + 1):
            key = row * vocab_size + context[m - 1]
            row = kernels.find_row(keys[m - 1], 0, len(keys[m - 1]), key)
            if row < 0:
                break
        backoff = logbackoff[len(context) - 1][row] if row >= 0 else 0.0
        state, length = kernels.context_state(context[1:], vocab_size, flat_keys, offsets)
        out[i] = backoff + kernels.step(state, length, word, vocab_size, flat_keys, flat_logprob,
                                        flat_logbackoff, offsets, 0.0, False,
                                        np.empty_like(state))
    return out
