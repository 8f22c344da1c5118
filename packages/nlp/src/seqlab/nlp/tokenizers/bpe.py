"""Byte-level BPE: text -> pre-token words -> UTF-8 bytes -> learned merges (GPT-2 style)."""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache
from itertools import pairwise
from typing import Any

from seqlab.nlp.tokenizers.base import SPECIAL_TOKENS, Tokenizer, as_text_iterable
from seqlab.nlp.tokenizers.bpe_patterns import (
    DEFAULT_PRETOKEN_PATTERN,
    HF_SPLIT_FORMAT_VERSION,
    PRETOKEN_PATTERN_BEFORE_HF,
    pretoken_splitter,
)

_N_SPECIAL = len(SPECIAL_TOKENS)
FIRST_MERGE_ID = _N_SPECIAL + 256
_ENCODE_CACHE_LIMIT = 1 << 18
# How ids 4..259 stand for the 256 bytes. "printable" (what `train` gives): in the code-point
# order of the bytes' printable characters (GPT-2's table below), as Hugging Face's BpeTrainer
# numbers its alphabet, so a tokenizer trained alike there has the same ids, and training
# breaks count ties as it does (the smallest pair of ids). "bytes": id 4 + the byte's value,
# the order of every file saved before it (version 1 files carry no order and read as it).
ALPHABET_ORDERS = ("printable", "bytes")


@lru_cache(maxsize=1)
def byte_to_printable() -> tuple[str, ...]:
    """GPT-2's reversible byte -> printable character table, used to show tokens as strings."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    table, extra = {}, 0
    for byte in range(256):
        if byte in printable:
            table[byte] = chr(byte)
        else:
            table[byte] = chr(256 + extra)
            extra += 1
    return tuple(table[b] for b in range(256))


@lru_cache(maxsize=len(ALPHABET_ORDERS))
def bytes_in_id_order(alphabet_order: str) -> tuple[int, ...]:
    """The byte each of ids 4..259 stands for, in order, under an alphabet order."""
    if alphabet_order not in ALPHABET_ORDERS:
        raise ValueError(f"alphabet_order must be one of {ALPHABET_ORDERS}, got {alphabet_order!r}")
    if alphabet_order == "bytes":
        return tuple(range(256))
    return tuple(sorted(range(256), key=byte_to_printable().__getitem__))


@lru_cache(maxsize=len(ALPHABET_ORDERS))
def byte_ids(alphabet_order: str) -> tuple[int, ...]:
    """The id of each byte value 0..255 under an alphabet order."""
    ids = [0] * 256
    for position, byte in enumerate(bytes_in_id_order(alphabet_order)):
        ids[byte] = _N_SPECIAL + position
    return tuple(ids)


# Up to this many symbols in the distinct words, training merges in plain Python
# (`bpe_merges`) is faster than importing Numba and loading its kernel (0.7 s against ~4 s for
# 471k symbols and 1,740 merges; 3.0 s against 2.3 s for 1.4M symbols and 4,000 merges) and
# saves the ~130 MB Numba and LLVM add to the process, and NumPy's ~20 MB: below the limit
# training imports neither. Both give the same merges.
PYTHON_MERGE_LIMIT = 1_000_000


class BPETokenizer(Tokenizer):
    """Byte-level BPE: ids 4..259 are the bytes (in `alphabet_order`), 260.. the merges in the
    order they were learned."""

    type_name = "bpe"

    def __init__(
        self, merges: Iterable[tuple[int, int]] = (), pattern: str = DEFAULT_PRETOKEN_PATTERN,
        alphabet_order: str = "bytes",
    ) -> None:
        """Build from learned merges (pairs of ids; merge k creates id 260 + k), whose byte ids
        follow `alphabet_order` (see ALPHABET_ORDERS; `train` gives "printable")."""
        order = bytes_in_id_order(alphabet_order)  # checks the name
        self.alphabet_order = alphabet_order
        self._byte_ids = byte_ids(alphabet_order)
        self.merges: list[tuple[int, int]] = [(int(a), int(b)) for a, b in merges]
        for k, (left, right) in enumerate(self.merges):
            limit = FIRST_MERGE_ID + k
            if not (_N_SPECIAL <= left < limit and _N_SPECIAL <= right < limit):
                raise ValueError(f"merge {k} = ({left}, {right}) uses an id outside [4, {limit})")
        self._regex = pretoken_splitter(pattern)
        self.pattern = pattern
        self._ranks = {pair: k for k, pair in enumerate(self.merges)}
        self._token_bytes: list[bytes] = [b""] * _N_SPECIAL + [bytes([b]) for b in order]
        for left, right in self.merges:
            self._token_bytes.append(self._token_bytes[left] + self._token_bytes[right])
        table = byte_to_printable()
        self._token_strings = list(SPECIAL_TOKENS) + [
            "".join(table[b] for b in piece) for piece in self._token_bytes[_N_SPECIAL:]
        ]
        self._string_ids = {s: i for i, s in enumerate(self._token_strings)}
        self._cache: dict[str, list[int]] = {}

    @classmethod
    def train(
        cls,
        texts: str | Iterable[str],
        vocab_size: int = 1000,
        min_frequency: int = 2,
        pattern: str = DEFAULT_PRETOKEN_PATTERN,
        alphabet_order: str = "printable",
    ) -> BPETokenizer:
        """Learn merges until vocab_size ids (specials and 256 bytes included) or until no pair
        is seen min_frequency times; of pairs seen equally often, the smallest pair of ids
        (left id, then right id) merges first.

        With the default "printable" alphabet order this gives the merges, in the same order
        and with the same ids, that Hugging Face `tokenizers` learns with
        `BpeTrainer(vocab_size, min_frequency, special_tokens=["<pad>", "<unk>", "<s>", "</s>"],
        initial_alphabet=ByteLevel.alphabet())` and `ByteLevel(add_prefix_space=False)` on
        the same texts: the default pattern is HF's ByteLevel split (`bpe_patterns`).
        """
        if vocab_size < FIRST_MERGE_ID:
            raise ValueError(f"vocab_size must be >= {FIRST_MERGE_ID} (4 specials + 256 bytes)")
        if min_frequency < 1:
            raise ValueError(f"min_frequency must be >= 1, got {min_frequency}")
        ids_of_bytes = byte_ids(alphabet_order)
        regex = pretoken_splitter(pattern)
        word_counts: Counter = Counter()
        for text in as_text_iterable(texts):
            word_counts.update(regex.findall(text))
        words = [w.encode("utf-8", "surrogatepass") for w in word_counts]
        counts = list(word_counts.values())
        # the words as Python objects go before the merge loop: its arrays reuse their memory
        del word_counts
        joined = b"".join(words)
        lengths = array("q", map(len, words))
        del words
        n_merges = vocab_size - FIRST_MERGE_ID
        if len(joined) <= PYTHON_MERGE_LIMIT:  # no NumPy, no Numba: ~20 + ~130 MB less resident
            from seqlab.nlp.tokenizers.bpe_merges import train_merges

            # byte + specials < 2**16: two bytes a symbol (the loop makes its own copies)
            symbols = array("H", map(ids_of_bytes.__getitem__, joined))
            del joined
            merges = train_merges(symbols, lengths, counts, n_merges, min_frequency,
                                  FIRST_MERGE_ID)
        else:  # imported here: Numba costs ~130 MB resident with LLVM, and ~3 s to start
            import numpy as np

            from seqlab.nlp.tokenizers.bpe_kernels import train_merges as train_with_numba

            numbers = np.asarray(ids_of_bytes, dtype=np.uint16)[
                np.frombuffer(joined, dtype=np.uint8)]
            del joined
            merges = train_with_numba(
                numbers, np.asarray(lengths, dtype=np.int64),
                np.fromiter(counts, dtype=np.int64, count=len(counts)), n_merges,
                min_frequency, FIRST_MERGE_ID).tolist()
        return cls(map(tuple, merges), pattern=pattern, alphabet_order=alphabet_order)

    @property
    def vocab_size(self) -> int:
        """4 specials + 256 bytes + the merges."""
        return len(self._token_bytes)

    def token_to_id(self, token: str) -> int:
        """Id of a token in its printable (GPT-2 byte-mapped) spelling; <unk> id when unknown."""
        return self._string_ids.get(token, self.unk_id)

    def id_to_token(self, index: int) -> str:
        """Printable spelling of a token (bytes shown with GPT-2's byte-to-character table)."""
        if not 0 <= index < self.vocab_size:
            raise IndexError(f"token id {index} out of range for vocab_size {self.vocab_size}")
        return self._token_strings[index]

    def token_bytes(self, index: int) -> bytes:
        """Raw bytes a token stands for (empty for specials)."""
        return self._token_bytes[index]

    def pretokenize(self, text: str) -> list[str]:
        """The pre-token words merges never cross; their concatenation is `text`."""
        return self._regex.findall(text)

    def _encode_word(self, word: str) -> list[int]:
        byte_id = self._byte_ids
        ids = [byte_id[b] for b in word.encode("utf-8", "surrogatepass")]
        ranks = self._ranks
        missing = len(self.merges)
        while len(ids) > 1:
            # Apply the earliest-learned merge present, everywhere in the word, as training did.
            best = min(pairwise(ids), key=lambda pair: ranks.get(pair, missing))
            rank = ranks.get(best)
            if rank is None:
                break
            new, merged, i = FIRST_MERGE_ID + rank, [], 0
            while i < len(ids):
                if i + 1 < len(ids) and ids[i] == best[0] and ids[i + 1] == best[1]:
                    merged.append(new)
                    i += 2
                else:
                    merged.append(ids[i])
                    i += 1
            ids = merged
        return ids

    def tokenize(self, text: str) -> list[str]:
        """The printable spellings of `text`'s tokens (byte-level: every piece is in the
        vocabulary, none becomes <unk>)."""
        return [self.id_to_token(i) for i in self.encode(text)]

    def encode(self, text: str) -> list[int]:
        """Byte-level BPE ids; decode(encode(text)) == text for any valid Unicode text."""
        return self.encode_words(self._regex.findall(text))

    def encode_words(self, words: Iterable[str]) -> list[int]:
        """The ids of pre-tokens already split by this tokenizer's pattern (what `encode`
        does after `findall`: a stream whose cuts were checked with the pattern has them)."""
        cache = self._cache
        if len(cache) > _ENCODE_CACHE_LIMIT:
            cache.clear()
        ids: list[int] = []
        for word in words:
            piece = cache.get(word)
            if piece is None:
                piece = cache[word] = self._encode_word(word)
            ids.extend(piece)
        return ids

    def decode(self, ids: Iterable[int], skip_special_tokens: bool = True) -> str:
        """Join the tokens' bytes and decode as UTF-8 (invalid sequences become U+FFFD)."""
        pieces, table = [], self._token_bytes
        for index in ids:
            index = int(index)
            if not 0 <= index < len(table):
                raise IndexError(f"token id {index} out of range for vocab_size {len(table)}")
            if index >= _N_SPECIAL:
                pieces.append(table[index])
            elif not skip_special_tokens:
                pieces.append(SPECIAL_TOKENS[index].encode("utf-8"))
            elif index == self.unk_id:
                pieces.append("\ufffd".encode())
        return b"".join(pieces).decode("utf-8", "replace")

    def summary(self) -> dict[str, Any]:
        custom = {} if self.pattern == DEFAULT_PRETOKEN_PATTERN else {"pattern": self.pattern}
        return {"vocab_size": self.vocab_size, "merges": len(self.merges), **custom}

    @property
    def format_version(self) -> int:
        """3 with the default (Hugging Face's) pre-token pattern; else 1 for the "bytes" order
        (as every file before it), 2 for "printable": a seqlab that reads only older versions
        refuses the file rather than split its text or read its ids otherwise."""
        if self.pattern == DEFAULT_PRETOKEN_PATTERN:
            return HF_SPLIT_FORMAT_VERSION
        return 1 if self.alphabet_order == "bytes" else 2

    def _config(self) -> dict[str, Any]:
        order = {} if self.alphabet_order == "bytes" else {"alphabet_order": self.alphabet_order}
        return {"pattern": self.pattern, **order,
                "merges": [list(pair) for pair in self.merges]}

    @classmethod
    def _from_config(cls, data: Mapping[str, Any]) -> BPETokenizer:
        merges = data["merges"]
        if not isinstance(merges, list) or not all(_is_id_pair(m) for m in merges):
            raise ValueError('"merges" must be a list of [left_id, right_id] integer pairs')
        order = data.get("alphabet_order", "bytes")
        if order not in ALPHABET_ORDERS:
            raise ValueError(f'"alphabet_order" must be one of {list(ALPHABET_ORDERS)}')
        # a file older than version 3 without a pattern had the default of its day
        version = data.get("version", 1)
        default = (DEFAULT_PRETOKEN_PATTERN if version >= HF_SPLIT_FORMAT_VERSION
                   else PRETOKEN_PATTERN_BEFORE_HF)
        pattern = data.get("pattern", default)
        if not isinstance(pattern, str):
            raise ValueError('"pattern" must be a string')
        return cls(merges, pattern=pattern, alphabet_order=order)


def _is_id_pair(item: Any) -> bool:
    return isinstance(item, list) and len(item) == 2 and all(isinstance(i, int) for i in item)
