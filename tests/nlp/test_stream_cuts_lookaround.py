"""A tokenizer pattern whose look-behind or look-ahead sees further than the characters a cut
is checked on (`CHECKED_MARGIN`) is never cut by choice (review 4, finding 3): the pieces'
tokens equal the whole text's, and only a forced cut past `max_carry` (with one warning) can
change them. Patterns that look less far keep their checked cuts."""

from __future__ import annotations

import logging
import random

import pytest
import regex

from seqlab.nlp.corpora import safe_pieces
from seqlab.nlp.corpora.lookaround import lookaround_reach
from seqlab.nlp.corpora.streaming import CHECKED_MARGIN

LONG_LOOK_BEHIND = r"(?<=x[^x]{250,400})\w\w|\w+|\s+|[^\w\s]+"
UNBOUNDED_LOOK_BEHIND = r"(?<=x[^x]{300,})\w+|\w+|\s+|[^\w\s]+"
LONG_LOOK_AHEAD = r"\w+(?=[^x]{0,300}x)|\w|\s+|[^\w\s]+"
GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"


@pytest.mark.parametrize(("pattern", "reach"), [
    (GPT2, 1), (r"^\w+|\w+", 0), (r"[(?=]\w+|\(?=a*\)", 0), (LONG_LOOK_BEHIND, 401),
    (r"(?<=a(?=b{3}))c", 4), (r"(?=\p{L}{2})\w", 2), (r"(?<![\]a]b)c", 2),
    (UNBOUNDED_LOOK_BEHIND, None), (r"(?=a+)", None), (r"(?!\S*)x", None),
    (r"(?=\X)x", None), (r"(?<=(a))\1", 1), (r"(?<=\1)(a)", None),
])
def test_lookaround_reach(pattern, reach):
    assert lookaround_reach(pattern) == reach


def _text(seed: int) -> str:
    draw = random.Random(seed)
    return "".join(draw.choice(["abcde", " ", "\n"]) if draw.random() > 0.004 else "x"
                   for _ in range(draw.randint(500, 4000)))


def _random_chunks(text: str, seed: int) -> list[str]:
    draw, chunks, index = random.Random(seed), [], 0
    while index < len(text):
        size = draw.randint(50, 400)
        chunks.append(text[index:index + size])
        index += size
    return chunks


@pytest.mark.parametrize("pattern", [LONG_LOOK_BEHIND, UNBOUNDED_LOOK_BEHIND, LONG_LOOK_AHEAD])
def test_a_long_lookaround_gets_the_whole_texts_tokens(pattern):
    compiled = regex.compile(pattern, flags=regex.VERSION0)
    for seed in range(40):
        text = _text(seed)
        pieces = list(safe_pieces(_random_chunks(text, seed), max_carry=10**9, builtin=False,
                                  token_pattern=pattern))
        assert "".join(pieces) == text
        assert [t for piece in pieces for t in compiled.findall(piece)] == \
            compiled.findall(text), seed


def test_a_short_lookaround_is_still_cut():
    text = "abc de\n" * 2000
    pieces = list(safe_pieces(_random_chunks(text, 0), max_carry=10**9, builtin=False,
                              token_pattern=GPT2))
    assert len(pieces) > 10 and "".join(pieces) == text
    assert lookaround_reach(GPT2) < CHECKED_MARGIN


def test_a_long_lookaround_is_cut_past_max_carry_with_one_warning(caplog):
    chunks = ["abc de\n" * 100] * 30
    with caplog.at_level(logging.WARNING, logger="seqlab.nlp.corpora.streaming"):
        pieces = list(safe_pieces(chunks, max_carry=5000, builtin=False,
                                  token_pattern=LONG_LOOK_BEHIND))
    assert "".join(pieces) == "".join(chunks) and len(pieces) > 1
    assert len(caplog.records) == 1
    assert "look-behind or look-ahead" in caplog.records[0].getMessage()
