"""A tokenizer with its own pattern, streamed: the words the cut's check found are encoded
as they are (no second scan), and the ids equal encoding the whole text, also with capturing
groups in the pattern (whose `findall` gives the groups: the text is scanned again then)."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.nlp.corpora import stream_token_ids, streaming
from seqlab.nlp.tokenizers import BPETokenizer

# GPT-2's pattern without its contractions: a plain custom pattern (GPT-2's own is the
# built-in byte-level split since format 3, which streams by the built-in cut instead)
PLAIN = r""" ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
GROUPED = r"""( ?\p{L}+)|\s+(?!\S)|\s+|."""  # findall: group 1, "" for the other branches


def _text(seed: int) -> str:
    rng = np.random.default_rng(seed)
    words = ["naïve", "dog's", "12", "  ", "x", "\t", "Zoë", "…", "end."]
    endings = ["\n", "\r\n", "\r", "\n\n", " \n"]
    return "".join(str(rng.choice(words)) + (str(rng.choice(endings)) if rng.random() < 0.2
                                            else " ") for _ in range(6000))


@pytest.mark.parametrize("pattern", [PLAIN, GROUPED])
def test_streamed_ids_equal_the_whole_texts(tmp_path, monkeypatch, pattern):
    text = _text(5)
    path = tmp_path / "corpus.txt"
    path.write_bytes(text.encode("utf-8"))
    tokenizer = BPETokenizer.train(text[:10_000], vocab_size=300, pattern=pattern)
    whole = tokenizer.encode_array(text)
    scanned = []  # texts the tokenizer scanned itself
    real = tokenizer.encode
    monkeypatch.setattr(tokenizer, "encode", lambda piece: scanned.append(1) or real(piece))
    for chunk_bytes in (64, 1000, 5000):
        streamed = np.concatenate(list(stream_token_ids(path, tokenizer,
                                                        chunk_bytes=chunk_bytes)))
        np.testing.assert_array_equal(streamed, whole)
    # the check's words are used for a plain pattern (the tokenizer scans only the last
    # piece of each stream), never for one with groups
    assert (len(scanned) <= 3) == (pattern == PLAIN)
    if pattern == PLAIN:  # every piece but the last (and none is cut by force)
        assert not any(words is None for _, words in list(streaming._checked_pieces(
            [text[i:i + 1000] for i in range(0, len(text), 1000)], 1 << 16,
            streaming._cut_checker(pattern), with_words=True))[:-1])
