"""Reading ARPA files into a scorable model, with memory set by the model, not the file.

The file is read in blocks of bytes, section by section; `arpa_read_kernels.parse_rows` turns
each block's lines into the model's own arrays (keys, log probabilities, log backoffs), which
are allocated once from the header's counts and adopted by the model without a copy. Lines
the kernel leaves alone (rare numbers, and every bad line) are read here, one at a time, by
the same rules and with the same error messages. Peak memory is the model's arrays plus a few
blocks, and a sort's index for an order whose lines are not in the model's key order.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from seqlab.nlp.ngram import arpa_read_kernels as rk
from seqlab.nlp.ngram import kernels
from seqlab.nlp.ngram.base import NgramLanguageModel
from seqlab.nlp.ngram.kenlm_split import kenlm_split
from seqlab.nlp.ngram.mark import is_marked, tokenization_of_line
from seqlab.nlp.ngram.vocabulary import BOS, EOS, UNK

LN10 = math.log(10.0)
LOG10_ZERO = -99.0
# What KenLM substitutes for the probability of <unk> when an ARPA file does not list it.
MISSING_UNK_LOG10 = -100.0
NGRAM_COUNT = re.compile(r"ngram\s+(\d+)\s*=\s*(\d+)$")
READ_BLOCK_BYTES = 16 << 20
BLOCK_ROWS = 1 << 17


class ArpaModel(NgramLanguageModel):
    """A model read from an ARPA file: it scores exactly as the file says (see `load_arpa`)."""

    def fit(self, sentences):
        raise TypeError("an ARPA model is already estimated; fit a KneserNey, WittenBell, ... "
                        "model instead")

    def fit_counts(self, vocab, tables):
        return self.fit(None)


def load_arpa(path: str | Path) -> ArpaModel:
    """Read any ARPA file (KenLM, SRILM, seqlab); ValueError naming the file and line if bad.

    The tokenization seqlab's mark line records (see `mark`) becomes the model's `tokenization`;
    a file without the mark is `written_elsewhere` (a str to score is read by characters when
    it holds seqlab's character level, single characters with U+2581 for the space, else split
    on whitespace, as KenLM reads text: see `NgramLanguageModel.sentence_tokens`).
    A missing <unk> gets log10 probability -100 (as KenLM substitutes); <s> is never predicted.
    N-grams whose prefix is missing (pruned SRILM files) get that prefix added with its backoff
    probability and weight 1, which changes no score.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"ARPA file not found: {path}")
    with open(path, "rb") as file:
        reader = _Reader(path, file)
        model = reader.read()
    model.unk_listed = reader.unk_listed
    # another tool's file (or seqlab's before the mark): see `sentence_tokens`
    model.written_elsewhere = not is_marked(reader.first_line)
    try:
        model.tokenization = tokenization_of_line(reader.first_line)
    except ValueError as error:
        raise ValueError(f"{path}:1: {error}") from None
    return model


class _Lines:
    """The file as lines (split on '\\n' only), read in blocks; checked as UTF-8 block by block.

    `data[pos:]` holds what is not read yet; `number` is the 1-based number of the line at pos.
    The end of the file counts as one more '\\n', so a file's last piece is a line (as
    `text.split("\\n")` has it)."""

    def __init__(self, path: Path, file: BinaryIO) -> None:
        self.path, self.file = path, file
        self.data = b""
        self.array = np.zeros(0, dtype=np.uint8)
        self.pos = 0
        self.number = 1
        self.offset = 0  # file offset of data[0]
        self.checked = 0  # data[:checked] is known to be UTF-8
        self.at_end = False

    def fill(self) -> bool:
        """Drop what was read, add the next block; False when the file has nothing more."""
        if self.at_end:
            return False
        chunk = self.file.read(READ_BLOCK_BYTES)
        if not chunk:
            self.at_end = True
            chunk = b"\n"
        self.offset += self.pos
        self.checked = max(0, self.checked - self.pos)
        self.data = self.data[self.pos:] + chunk
        self.pos = 0
        self._check_utf8(self.data.rfind(b"\n") + 1)
        self.array = np.frombuffer(self.data, dtype=np.uint8)
        return True

    def _check_utf8(self, stop: int) -> None:
        if stop <= self.checked:
            return
        try:
            self.data[self.checked:stop].decode("utf-8")
        except UnicodeDecodeError as error:
            at = self.checked + error.start
            line = self.number + self.data.count(b"\n", self.pos, at)
            raise ValueError(f"{self.path}:{line}: not UTF-8 text (byte 0x{self.data[at]:02x} "
                             f"at byte offset {self.offset + at}: {error.reason}); "
                             "save the file as UTF-8") from None
        self.checked = stop

    def next_line(self) -> str | None:
        """The line at pos (without its '\\n'), or None at the end of the file."""
        while True:
            end = self.data.find(b"\n", self.pos)
            if end >= 0:
                break
            if not self.fill():
                return None
        line = self.data[self.pos:end].decode("utf-8").removesuffix("\r")  # (CRLF files)
        self.pos = end + 1
        self.number += 1
        return line

    def skip_rows(self, position: int, rows: int) -> None:
        self.pos = position
        self.number += rows


def quoted_line(line: str) -> str:
    """A line of an ARPA file quoted as the file has it ('\\end\\' shown as '\\end\', which a
    repr would double), or its repr where it holds characters that do not print."""
    shown = line.rstrip("\r\n")
    return f"'{shown}'" if shown.isprintable() else repr(shown)


class _Reader:
    """One pass over an ARPA file: header, sections, `\\end\\`."""

    def __init__(self, path: Path, file: BinaryIO) -> None:
        self.path = path
        self.lines = _Lines(path, file)
        self.size = path.stat().st_size
        self.first_line = b""  # the file's first line, once `_header` has read it

    def fail(self, line_number: int, message: str) -> ValueError:
        return ValueError(f"{self.path}:{line_number}: {message} (is this an ARPA file?)")

    def read(self) -> ArpaModel:
        expected = self._header()
        order = len(expected)
        vocab, log10prob, log10backoff = self._unigrams(expected[1])
        tables = _Tables(order, len(vocab), [self._capacity(n, expected[n])
                                             for n in range(2, order + 1)])
        tables.set_unigrams(log10prob * LN10, log10backoff * LN10)
        word_table = _WordTable(vocab)
        for n in range(2, order + 1):
            self._section(n, expected[n], tables, word_table)
        line = self._next_nonblank()
        if line is None or line.strip() != "\\end\\":
            raise self.fail(self._here(), "expected '\\end\\' after the last section")
        bos = word_table.index[BOS]
        tables.logprob(0)[bos] = -np.inf  # files write 0 or -99 for <s>; it is never predicted
        model = ArpaModel(order=order)
        tables.hand_to(model, vocab)
        return model

    # ---- header and the lines between sections ---------------------------------------------

    def _here(self) -> int:
        """The number of the line just read (the last line at the end of the file)."""
        return self.lines.number - 1

    def _next_nonblank(self) -> str | None:
        line = self.lines.next_line()
        while line is not None and not line.strip():
            line = self.lines.next_line()
        return line

    def _header(self) -> dict[int, int]:
        with open(self.path, "rb") as file:
            head = file.read(1 << 16)
        self.first_line = io.BytesIO(head).readline(4096)  # the mark line, in a seqlab file
        if b"\r" in head and b"\n" not in head:  # (before a search for '\n' reads it all)
            raise ValueError(f"{self.path}: its lines end in a lone carriage return (old Mac "
                             "line endings); convert them to newlines")
        line = self.lines.next_line()
        while line is not None and line.strip() != "\\data\\":
            line = self.lines.next_line()
        if line is None:
            raise ValueError(f"{self.path}:1: no \\data\\ header found (is this an ARPA file?)")
        expected: dict[int, int] = {}
        line = self.lines.next_line()
        while line is not None and line.strip():
            match = NGRAM_COUNT.match(line.strip())
            if not match:
                raise self.fail(self.lines.number - 1,
                                f"expected 'ngram N=count', got {line!r}")
            expected[int(match.group(1))] = int(match.group(2))
            line = self.lines.next_line()
        order = len(expected)
        if order == 0 or sorted(expected) != list(range(1, order + 1)):
            number = self.lines.number - 1 if line is not None else self.lines.number
            raise self.fail(number, f"the header must list orders 1..N, got {sorted(expected)}")
        return expected

    def _section_start(self, n: int) -> None:
        line = self._next_nonblank()
        if line is None or line.strip() != f"\\{n}-grams:":
            got = "end of file" if line is None else quoted_line(line)
            raise self.fail(self._here(), f"expected '\\{n}-grams:', got {got}")

    def _capacity(self, n: int, expected: int) -> int:
        """Rows to allocate: the header's count, unless the file is too small to hold it (a
        header that lies must not allocate its promise; the count check catches it)."""
        return min(expected, self.size // (2 * n + 2) + 1)

    def _count_check(self, n: int, expected: int, rows: int) -> None:
        """The section ended (at the line at pos, or the file's end) with `rows` rows."""
        if rows != expected:
            raise self.fail(self.lines.number, f"the header promises {expected} {n}-grams, "
                                               f"the section has {rows}")

    # ---- sections -------------------------------------------------------------------------

    def _unigrams(self, expected: int) -> tuple[list[str], np.ndarray, np.ndarray]:
        """The 1-gram section: the vocabulary (specials added) and its log10 values."""
        self._section_start(1)
        first_line = self.lines.number
        capacity = self._capacity(1, expected)
        log10prob = np.empty(capacity + 3)
        log10backoff = np.empty(capacity + 3)
        vocab: list[str] = []
        block = _Block(1)

        def flush() -> None:
            data = self.lines.data
            words = [data[start:stop].decode("utf-8")
                     for start, stop in block.spans[:block.filled].tolist()]
            room = max(0, min(block.filled, capacity - len(vocab)))
            at = len(vocab)
            log10prob[at:at + room] = block.prob[:room]
            log10backoff[at:at + room] = block.backoff[:room]
            vocab.extend(words[:room])
            block.rows += block.filled
            block.filled = 0

        self._rows(1, block, flush, None)
        self._count_check(1, expected, block.rows)
        index = {token: i for i, token in enumerate(vocab)}
        if len(index) != len(vocab):
            seen: set[str] = set()
            for i, token in enumerate(vocab):
                if token in seen:
                    raise ValueError(f"{self.path}:{first_line + i}: unigram {token!r} "
                                     "is listed twice")
                seen.add(token)
        size = len(vocab)
        self.unk_listed = UNK in index
        for special, value in ((UNK, MISSING_UNK_LOG10), (BOS, LOG10_ZERO),
                               (EOS, MISSING_UNK_LOG10)):
            if special not in index:
                index[special] = len(vocab)
                vocab.append(special)
                log10prob[size] = value
                log10backoff[size] = 0.0
                size += 1
        return vocab, log10prob[:size].copy(), log10backoff[:size].copy()

    def _section(self, n: int, expected: int, tables: _Tables, word_table: _WordTable) -> None:
        """The n-gram section (n >= 2) into its table: keys sorted, natural logs."""
        self._section_start(n)
        first_line = self.lines.number
        capacity = tables.capacity(n - 1)
        keys, prob, backoff = tables.keys(n - 1), tables.logprob(n - 1), tables.logbackoff(n - 1)
        block = _Block(n)
        pending_rows: list[np.ndarray] = []
        pending_words: list[np.ndarray] = []

        def flush() -> None:
            room = max(0, min(block.filled, capacity - block.rows))
            at = block.rows
            keys[at:at + room] = block.keys[:room]
            prob[at:at + room] = block.prob[:room]
            backoff[at:at + room] = block.backoff[:room]
            missing = np.flatnonzero(block.keys[:room] < 0)
            if len(missing):
                pending_rows.append(missing + at)
                pending_words.append(block.words[missing].copy())
            block.rows += block.filled
            block.filled = 0

        self._rows(n, block, flush, (word_table, tables))
        self._count_check(n, expected, block.rows)
        prob *= LN10
        backoff *= LN10
        if pending_rows:
            tables.add_missing_prefixes(n, np.concatenate(pending_rows),
                                        np.concatenate(pending_words))
        duplicate_row = tables.sort(n - 1)
        if duplicate_row is not None:
            raise ValueError(f"{self.path}:{first_line + duplicate_row}: this {n}-gram is "
                             "listed twice")

    def _rows(self, n: int, block: _Block, flush, lookup) -> bool:
        """Parse the section's rows into `block`, flushing it when full; True if the file ended."""
        lines = self.lines
        if lookup is None:  # 1-grams: words are kept as byte spans, nothing to look up
            vocab_bytes = np.zeros(1, dtype=np.uint8)
            vocab_offsets = word_slots = np.zeros(1, dtype=np.int64)
            vocab_size, flat_keys, offsets = 0, np.zeros(1, dtype=np.int64), np.zeros(2, np.int64)
        else:
            word_table, tables = lookup
            vocab_bytes, vocab_offsets, word_slots = word_table.arrays()
            vocab_size, flat_keys, offsets = tables.vocab_size, tables.flat_keys, tables.offsets
        prefix_words = np.full(n, -1, dtype=np.int64)
        prefix_rows = np.full(n, -1, dtype=np.int64)
        while True:
            at = block.filled
            position, rows, status = rk.parse_rows(
                lines.array, lines.pos, n, vocab_bytes, vocab_offsets, word_slots, vocab_size,
                flat_keys, offsets, prefix_words, prefix_rows, block.keys[at:], block.prob[at:],
                block.backoff[at:], block.words[at:], block.spans[at:])
            lines.skip_rows(position, rows)
            block.filled += rows
            if status == rk.SECTION_END:
                flush()
                return False
            if status == rk.FULL:
                flush()
            elif status == rk.NEED_MORE:
                flush()
                if not lines.fill():
                    return True
            elif status == rk.SLOW:
                self._python_row(n, block, lookup, prefix_words, prefix_rows)

    def _python_row(self, n: int, block: _Block, lookup, prefix_words: np.ndarray,
                    prefix_rows: np.ndarray) -> None:
        """Read the line the kernel left (a number off its fast path, or a bad line) into the
        block's next row, by the rules every line follows; ValueError for a bad line."""
        lines = self.lines
        start = lines.pos
        end = lines.data.index(b"\n", start)
        line = lines.data[start:end].decode("utf-8")
        number = lines.number
        # the file's last line with no newline after it: a bad one was most likely cut off
        cut_off = lines.at_end and end == len(lines.data) - 1

        def fail(message: str) -> ValueError:
            if cut_off:
                return ValueError(f"{self.path}:{number}: the file ends in the middle of this "
                                  "line (truncated? write or copy it again)")
            return self.fail(number, message)

        fields = kenlm_split(line)
        if len(fields) not in (n + 1, n + 2):
            raise fail(f"a {n}-gram line needs log10 prob, {n} words and an optional backoff; "
                       f"got {len(fields)} fields")
        try:
            log10prob = float(fields[0])
            log10backoff = float(fields[n + 1]) if len(fields) == n + 2 else 0.0
        except ValueError as error:
            raise fail(f"bad number ({error})") from error
        if math.isnan(log10prob) or log10prob > 1e-6:
            raise fail(f"log10 probability must be <= 0, got {fields[0]}")
        row = block.filled
        if n == 1:
            # the word's byte span: the first field after the number's (whitespace between)
            number_end = lines.data.index(fields[0].encode("utf-8"), start) + len(
                fields[0].encode("utf-8"))
            word = fields[1].encode("utf-8")
            word_start = lines.data.index(word, number_end)
            block.spans[row] = (word_start, word_start + len(word))
        else:
            word_table, tables = lookup
            for j, word in enumerate(fields[1:n + 1]):
                word_id = word_table.index.get(word)
                if word_id is None:
                    if cut_off:
                        raise fail("")
                    raise ValueError(f"{self.path}:{number}: word {word!r} is not among the "
                                     "1-grams")
                block.words[row, j] = word_id
            block.keys[row] = rk.ngram_key(block.words[row], n, tables.vocab_size,
                                           tables.flat_keys, tables.offsets, prefix_words,
                                           prefix_rows)
        block.prob[row] = log10prob
        block.backoff[row] = log10backoff
        block.filled += 1
        lines.skip_rows(end + 1, 1)  # a full block is flushed on the next parse_rows (FULL)


class _Block:
    """Scratch rows the kernel fills between flushes into the model's arrays."""

    def __init__(self, order: int) -> None:
        self.keys = np.empty(BLOCK_ROWS, dtype=np.int64)
        self.prob = np.empty(BLOCK_ROWS)
        self.backoff = np.empty(BLOCK_ROWS)
        self.words = np.empty((BLOCK_ROWS if order > 1 else 1, order), dtype=np.int64)
        self.spans = np.empty((BLOCK_ROWS if order == 1 else 1, 2), dtype=np.int64)
        self.filled = 0  # rows in the block now
        self.rows = 0  # rows of the section read so far (flushed)


class _WordTable:
    """The 1-grams' ids by their UTF-8 bytes, for the kernel, and by str, for Python."""

    def __init__(self, vocab: Sequence[str]) -> None:
        self.index = {token: i for i, token in enumerate(vocab)}
        encoded = [token.encode("utf-8") for token in vocab]
        self.vocab_bytes = np.frombuffer(b"".join(encoded) or b"\0", dtype=np.uint8)
        self.vocab_offsets = np.zeros(len(vocab) + 1, dtype=np.int64)
        self.vocab_offsets[1:] = np.cumsum([len(t) for t in encoded])
        self.slots = rk.build_word_table(self.vocab_bytes, self.vocab_offsets)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.vocab_bytes, self.vocab_offsets, self.slots


class _Tables:
    """The model's flat arrays (all orders end to end, as `NgramLanguageModel` keeps them),
    allocated once; order n's rows are flat[offsets[n - 1]:offsets[n]]."""

    def __init__(self, order: int, vocab_size: int, capacities: Sequence[int]) -> None:
        self.vocab_size = vocab_size
        self.offsets = np.zeros(order + 1, dtype=np.int64)
        self.offsets[1:] = np.cumsum([vocab_size, *capacities])
        total = int(self.offsets[-1])
        self.flat_keys = np.empty(total, dtype=np.int64)
        self.flat_logprob = np.empty(total)
        self.flat_logbackoff = np.empty(total)
        self.flat_keys[:vocab_size] = np.arange(vocab_size)

    def set_unigrams(self, logprob: np.ndarray, logbackoff: np.ndarray) -> None:
        self.flat_logprob[:self.vocab_size] = logprob
        self.flat_logbackoff[:self.vocab_size] = logbackoff

    def capacity(self, table: int) -> int:
        return int(self.offsets[table + 1] - self.offsets[table])

    def _view(self, flat: np.ndarray, table: int) -> np.ndarray:
        return flat[self.offsets[table]:self.offsets[table + 1]]

    def keys(self, table: int) -> np.ndarray:
        return self._view(self.flat_keys, table)

    def logprob(self, table: int) -> np.ndarray:
        return self._view(self.flat_logprob, table)

    def logbackoff(self, table: int) -> np.ndarray:
        return self._view(self.flat_logbackoff, table)

    def sort(self, table: int) -> int | None:
        """Sort a finished table by key; the file row of a duplicate n-gram, if any."""
        keys = self.keys(table)
        if len(keys) < 2 or bool(np.all(keys[1:] > keys[:-1])):
            return None
        order = np.argsort(keys, kind="stable")
        keys[:] = keys[order]
        duplicate = np.flatnonzero(keys[1:] == keys[:-1])
        if len(duplicate):
            return int(order[duplicate[0] + 1])
        for flat in (self.flat_logprob, self.flat_logbackoff):
            values = self._view(flat, table)
            values[:] = values[order]
        return None

    def add_missing_prefixes(self, n: int, rows: np.ndarray, words: np.ndarray) -> None:
        """Give the n-grams at `rows` (their words in `words`) their keys, first adding each
        unlisted prefix to its table with probability by the backoff rule and weight 1.

        Rare (pruned files), so it rebuilds the flat arrays rather than keeping memory tight."""
        vocab_size = self.vocab_size
        tables = [[self.keys(t).copy(), self.logprob(t).copy(), self.logbackoff(t).copy()]
                  for t in range(n)]
        current_keys = tables[n - 1][0]
        for m in range(2, n):  # the prefixes of m words, table m - 1
            parent = words[:, 0]
            for j in range(1, m - 1):
                parent = np.searchsorted(tables[j][0], parent * vocab_size + words[:, j])
            wanted = parent * vocab_size + words[:, m - 1]
            table_keys = tables[m - 1][0]
            position = np.searchsorted(table_keys, wanted)
            found = position < len(table_keys)
            found[found] = table_keys[position[found]] == wanted[found]
            new_keys, first = np.unique(wanted[~found], return_index=True)
            if not len(new_keys):
                continue
            new_words = words[~found][first, :m]
            row_map = np.arange(len(table_keys)) + np.searchsorted(new_keys, table_keys)
            at = np.searchsorted(table_keys, new_keys)
            tables[m - 1][0] = np.insert(table_keys, at, new_keys)
            tables[m - 1][1] = np.insert(tables[m - 1][1], at, np.nan)
            tables[m - 1][2] = np.insert(tables[m - 1][2], at, 0.0)
            new_rows = at + np.arange(len(new_keys))
            tables[m - 1][1][new_rows] = backoff_logprobs(
                new_words, [t[0] for t in tables[:m - 1]], [t[1] for t in tables[:m - 1]],
                [t[2] for t in tables[:m - 1]], vocab_size)
            child = tables[m][0]
            listed = child >= 0
            child[listed] = (row_map[child[listed] // vocab_size] * vocab_size
                             + child[listed] % vocab_size)
        parent = words[:, 0]
        for j in range(1, n - 1):
            parent = np.searchsorted(tables[j][0], parent * vocab_size + words[:, j])
        current_keys[rows] = parent * vocab_size + words[:, n - 1]
        tables[n - 1][0] = current_keys
        self._relayout(tables)

    def _relayout(self, tables: list[list[np.ndarray]]) -> None:
        """New flat arrays for tables that grew; the later tables keep their capacity."""
        sizes = [len(t[0]) for t in tables]
        sizes += [self.capacity(t) for t in range(len(tables), len(self.offsets) - 1)]
        old = self.offsets
        self.offsets = np.zeros(len(old), dtype=np.int64)
        self.offsets[1:] = np.cumsum(sizes)
        flats = [np.empty(int(self.offsets[-1]), dtype=dtype)
                 for dtype in (np.int64, np.float64, np.float64)]
        for t, arrays in enumerate(tables):
            for flat, array in zip(flats, arrays):
                flat[self.offsets[t]:self.offsets[t + 1]] = array
        self.flat_keys, self.flat_logprob, self.flat_logbackoff = flats

    def hand_to(self, model: NgramLanguageModel, vocab: list[str]) -> None:
        """Give the model the flat arrays themselves (no copy)."""
        model._set_flat_tables(vocab, self.flat_keys, self.flat_logprob, self.flat_logbackoff,
                               self.offsets)


def backoff_logprobs(ngrams, keys, logprob, logbackoff, vocab_size) -> np.ndarray:
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
