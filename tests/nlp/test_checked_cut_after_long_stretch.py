"""A custom pattern streamed over a long stretch with no cut, then ordinary text: the first
piece cut after the stretch is scanned from its sync point, not from 0, so its words must not
be taken from that scan (they lost the stretch's text), and cuts come again at once however
small the chunks are (the sync point stays `CHECKED_MARGIN` behind the checkable end)."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.nlp.corpora import stream_token_ids, streaming
from seqlab.nlp.corpora.reading import DEFAULT_CHUNK_BYTES
from seqlab.nlp.tokenizers import BPETokenizer

SHORT_WORDS = r"\w{1,3}|\s|."
SENTENCES = r"[^.]+\.?"


def _text(stretch: int, lead: bool = True) -> str:
    lines = "".join(f"the cat sat on mat {i % 7}.\n" for i in range(400))
    return (lines if lead else "") + "abc" * stretch + "\n" + lines


@pytest.mark.parametrize("pattern", [SHORT_WORDS, SENTENCES])
@pytest.mark.parametrize("chunk_bytes", [300, 512, 1024])
def test_streamed_ids_after_an_uncut_stretch_equal_the_whole_texts(tmp_path, pattern,
                                                                    chunk_bytes):
    text = _text(3000)
    path = tmp_path / "corpus.txt"
    path.write_text(text, encoding="utf-8")
    tokenizer = BPETokenizer.train(text, vocab_size=300, pattern=pattern)
    streamed = np.concatenate(list(stream_token_ids(path, tokenizer, chunk_bytes=chunk_bytes)))
    np.testing.assert_array_equal(streamed, tokenizer.encode_array(text))
    assert tokenizer.decode(streamed.tolist()) == text


def test_default_chunks_after_an_uncut_stretch(tmp_path):
    sentences = "".join(f"the cat sat on mat {i % 7}.\n" for i in range(400))
    # sentences, then one sentence longer than a chunk: the cut is found past a sync point
    stretch = "a cat sat\n" * (DEFAULT_CHUNK_BYTES // 10 + 1000)
    text = sentences + stretch + sentences
    path = tmp_path / "corpus.txt"
    path.write_text(text, encoding="utf-8")
    tokenizer = BPETokenizer.train(sentences, vocab_size=260, pattern=SENTENCES)
    streamed = np.concatenate(list(stream_token_ids(path, tokenizer)))
    np.testing.assert_array_equal(streamed, tokenizer.encode_array(text))


@pytest.mark.parametrize("chunk_size", [50, 100, 200])
def test_small_chunks_cut_again_right_after_the_stretch(chunk_size):
    text = _text(3000)
    chunks = [text[i:i + chunk_size] for i in range(0, len(text), chunk_size)]
    pieces = list(streaming._checked_pieces(chunks, 1 << 16,
                                            streaming._cut_checker(SHORT_WORDS)))
    assert "".join(pieces) == text
    stretch_end = text.index("\n", text.index("abc"))
    starts = np.cumsum([0] + [len(piece) for piece in pieces[:-1]])
    after = [piece for piece, start in zip(pieces, starts, strict=True) if start > stretch_end]
    # ordinary lines are cut within a chunk and the check's margins of where they could be
    assert after and max(map(len, after)) <= chunk_size + 3 * streaming.CHECKED_MARGIN
