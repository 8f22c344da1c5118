"""ARPA files: write any fitted model's backoff form (reading: `arpa_reader`, re-exported here).

Layout: a `\\data\\` header with `ngram n=count` lines, then one `\\n-grams:` section per order
whose lines are `log10 p <TAB> w1 ... wn [<TAB> log10 backoff]`, then `\\end\\`.
Log zero is written -99 (the ARPA convention); read back it stays 10**-99, as KenLM reads it.
The first line is a comment, `SEQLAB_MARK` (naming the model's tokenization when it has one, see
`mark`): KenLM (`ReadARPACounts`) and SRILM skip '#' lines before `\\data\\`, and seqlab's CLI
replaces an existing ARPA file only when it carries the mark.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from seqlab.autograd.atomic import atomic_write
from seqlab.nlp.ngram import arpa_kernels
from seqlab.nlp.ngram.arpa_reader import ArpaModel, load_arpa  # noqa: F401 (moved, kept here)
from seqlab.nlp.ngram.kenlm_split import KENLM_WHITESPACE
from seqlab.nlp.ngram.mark import SEQLAB_MARK, mark_line  # noqa: F401 (SEQLAB_MARK: kept here)

LN10 = math.log(10.0)
LOG10_ZERO = -99.0
# A default KenLM build (KENLM_MAX_ORDER 6, lm/max_order.hh) loads ARPA files of orders 2 to 6:
# it "assumes at least a bigram model" and names `-DKENLM_MAX_ORDER` for a higher order.
KENLM_MIN_ORDER = 2
KENLM_DEFAULT_MAX_ORDER = 6
WRITE_BLOCK_ROWS = 1 << 16
WRITE_BUFFER_BYTES = 8 << 20


def log10_values(values: np.ndarray) -> np.ndarray:
    """Natural logs to the log10 an ARPA file holds (log zero, -inf, becomes -99)."""
    return np.maximum(values / LN10, LOG10_ZERO)  # -inf (log zero) becomes -99


def write_arpa(path: str | Path, vocab: Sequence[str], keys: Sequence[np.ndarray],
               logprob: Sequence[np.ndarray], logbackoff: Sequence[np.ndarray],
               flat_keys: np.ndarray | None = None, tokenization: dict | None = None) -> None:
    """Write backoff n-gram tables (natural logs, see `kernels`) as an ARPA file.

    `flat_keys` may pass the orders' keys already laid end to end (a model's flat table);
    `tokenization` (`{"level": ..., "lowercase": ...}`) goes into the mark line (see `mark`).

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
        file.write(arpa_header([len(k) for k in keys], tokenization))
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
    ValueError for a token an ARPA file cannot hold: an empty one, or one holding KenLM's
    whitespace (`KENLM_WHITESPACE`, the six ASCII spaces lmplz and kenlm split at; U+00A0,
    U+3000, U+2028 and the other Unicode spaces are parts of words there, as here)."""
    encoded = []
    for token in vocab:
        if not token or any(ch in KENLM_WHITESPACE for ch in token):
            raise ValueError(
                f"token {token!r} cannot be written to an ARPA file (ARPA separates tokens by "
                "whitespace: space, tab, \\r, \\v, \\f): save the model as .npz instead"
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


def arpa_header(counts: Sequence[int], tokenization: dict | None = None) -> bytes:
    """Seqlab's mark (naming `tokenization`, if any), then the `\\data\\` block: one
    `ngram n=count` line per order."""
    counts_text = "".join(f"ngram {n}={c}\n" for n, c in enumerate(counts, 1))
    return mark_line(tokenization) + b"\\data\\\n" + counts_text.encode()


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
