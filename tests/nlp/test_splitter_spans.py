"""`Splitter.spans` finds what `findall` finds, by the same pattern choice (`re` for ASCII text
where there is one, `regex` otherwise) and under the same time bound."""

from __future__ import annotations

import pytest

from seqlab.nlp.tokenizers.patterns import PatternTimeoutError, Splitter
from seqlab.nlp.tokenizers.word import ASCII_PATTERN, DEFAULT_PATTERN, PATTERN_BEFORE_MARKS

TEXTS = ["Hi, you! It's 3 o'clock.", "Cafe\u0301 na\u00efve \u2014 d\u00e9j\u00e0 vu",
         "", "   ", "a\x1fb"]
SPLITTERS = {
    "trusted re": Splitter(PATTERN_BEFORE_MARKS, (PATTERN_BEFORE_MARKS,), "word pattern"),
    "trusted regex": Splitter(DEFAULT_PATTERN, (), "word pattern",
                              trusted_unicode={DEFAULT_PATTERN: ASCII_PATTERN}),
    "untrusted": Splitter(r"\w+|[^\w\s]", (), "word pattern"),
}


@pytest.mark.parametrize("name", SPLITTERS)
@pytest.mark.parametrize("text", TEXTS)
def test_spans_cut_out_what_findall_finds(name, text):
    splitter = SPLITTERS[name]
    assert [text[start:end] for start, end in splitter.spans(text)] == splitter.findall(text)


@pytest.mark.parametrize("name", SPLITTERS)
def test_spans_from_pos_to_endpos_see_the_text_before_pos(name):
    text = "one two three"
    lookbehind = Splitter(r"(?<=e )\w+", (), "word pattern")
    assert lookbehind.spans(text, 4) == [(4, 7)]  # "two": its look-behind reads before pos
    assert SPLITTERS[name].spans(text, 4, 9) == [(4, 7), (8, 9)]


def test_spans_stop_a_runaway_pattern_as_findall_does():
    """(findall's stop: tests/nlp/test_hostile_files.py; one runaway costs a second or more)"""
    runaway = Splitter("(a|aa)+$", (), "word pattern")
    with pytest.raises(PatternTimeoutError, match=r"'\(a\|aa\)\+\$' ran for more than 1\.0 s "
                                                  r"on 41 characters \(it backtracks"):
        runaway.spans("a" * 40 + "!")
