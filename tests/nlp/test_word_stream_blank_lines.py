"""The word-level LM stream: a line is blank when the tokenizer gives it no tokens (never
`str.strip()`), and the ids equal encoding each line whole at every chunk size."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.nlp.corpora import stream_token_ids
from seqlab.nlp.tokenizers import BPETokenizer, CharTokenizer, WordTokenizer

# every character str.isspace() holds (Unicode White_Space, and \x1c-\x1f, which the word
# tokenizer reads as symbols), the line breaks among them, and a few word characters
SPACES = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(
    map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
TOKENIZER = WordTokenizer.train("ab c\x1c \x1d \x1e \x1f ab. c!\n")
# line_eos with the other levels too (the CLI uses it at the word level only)
OTHERS = (CharTokenizer.train(SPACES + "ab.é"),
          BPETokenizer.train(("ab c ab.é " + SPACES) * 20, vocab_size=280, min_frequency=2))


def _per_line(text, tokenizer=TOKENIZER):
    """Each line (cut at "\\n" only) encoded whole, then </s>, when it has tokens."""
    ids = []
    for line in text.split("\n"):
        if line_ids := tokenizer.encode(line):
            ids.extend(line_ids)
            ids.append(tokenizer.eos_id)
    return ids


def _streamed(path, chunk_bytes, tokenizer=TOKENIZER):
    blocks = list(stream_token_ids(path, tokenizer, line_eos=True, chunk_bytes=chunk_bytes))
    return np.concatenate(blocks).tolist() if blocks else []


def test_a_line_of_only_separator_controls_is_a_line(tmp_path):
    text = "\x1e\n\x1c\n \x1f \nab\n\x1d"
    path = tmp_path / "rs.txt"
    path.write_text(text, encoding="utf-8", newline="")
    expected = _per_line(text)
    assert expected.count(TOKENIZER.eos_id) == 5
    for chunk_bytes in (1, 2, 3, 1 << 20):
        assert _streamed(path, chunk_bytes) == expected, chunk_bytes


@settings(deadline=None, max_examples=80)
@given(st.text(alphabet=st.sampled_from(list(SPACES + "ab.é")), max_size=40),
       st.integers(1, 12))
def test_stream_equals_each_line_encoded_whole(tmp_path_factory, text, chunk_bytes):
    path = tmp_path_factory.mktemp("stream") / "t.txt"
    path.write_text(text, encoding="utf-8", newline="")
    for tokenizer in (TOKENIZER, *OTHERS):
        assert _streamed(path, chunk_bytes, tokenizer) == _per_line(text, tokenizer), tokenizer


def test_ngram_word2vec_and_lm_agree_on_separator_controls(tmp_path):
    """One rule: U+001C-U+001F are tokens (the word tokenizer's, Hugging Face's and Unicode's
    White_Space reading), so a line of them is a sentence at the word and char levels."""
    from seqlab.nlp.corpora import TokenizedLines
    from seqlab.nlp.ngram.sentences import LineTokens, file_sentences

    path = tmp_path / "c.txt"
    path.write_text("\x1e\n \x1f \n\u3000\u2029\nab\n", encoding="utf-8", newline="")
    word = list(file_sentences([path], LineTokens("word")))
    assert word == [["\x1e"], ["\x1f"], ["ab"]]
    assert list(TokenizedLines(path, WordTokenizer().tokenize)) == word  # word2vec's lines
    chars = list(file_sentences([path], LineTokens("char")))
    assert chars == [["\x1e"], ["\u2581", "\x1f", "\u2581"], ["a", "b"]]
    assert _streamed(path, 1 << 20).count(TOKENIZER.eos_id) == 3  # the LM's lines
