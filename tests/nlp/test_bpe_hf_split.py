"""The default BPE pre-token split is Hugging Face's ByteLevel split (GPT-2's), on every code
point: checked against HF's classes of all of them and HF's pieces of hard texts, both
recorded once from `tokenizers` in tests/fixtures/hf_bytelevel (make_table.py). Files made
before it (format < 3) keep their split."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from seqlab.nlp.tokenizers import BPETokenizer, Tokenizer, bpe
from seqlab.nlp.tokenizers.bpe_patterns import pretoken_splitter

TABLE = json.loads((Path(__file__).parents[1] / "fixtures" / "hf_bytelevel" / "classes.json")
                   .read_text(encoding="utf-8"))
CODES = [c for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]


def _expand(ranges) -> set[int]:
    return {c for first, last in ranges for c in range(first, last + 1)}


def classes_of(pattern: str) -> dict[int, str]:
    """Each code point's class under `pattern`, read off its pieces as make_table.py reads
    HF's: "L" when "a" + c is one piece, "N" when "1" + c is, "O" when "!" + c is, else "S"."""
    findall = pretoken_splitter(pattern).findall
    classes = dict.fromkeys(CODES, "S")
    for lead, name in (("!", "O"), ("1", "N"), ("a", "L")):
        text = "".join(lead + chr(c) + "\n" for c in CODES)
        start, starts = 0, {}
        for piece in findall(text):  # the pieces join to the text: a piece's start is a sum
            starts[start] = len(piece)
            start += len(piece)
        for index, c in enumerate(CODES):
            if starts.get(3 * index) == 2:
                classes[c] = name
    return classes


@pytest.fixture(scope="module")
def hf_classes() -> dict[int, str]:
    classes = {}
    for name in "LNOS":
        classes.update(dict.fromkeys(_expand(TABLE[name]), name))
    assert len(classes) == len(CODES)  # HF's four classes partition every code point
    return classes


@pytest.mark.slow
def test_every_code_point_is_classed_as_hf_classes_it(hf_classes):
    ours = classes_of(bpe.DEFAULT_PRETOKEN_PATTERN)
    unassigned = _expand(TABLE["unassigned"])
    differ = {c for c in CODES if ours[c] != hf_classes[c]}
    # only code points HF's Unicode has not assigned yet (and `regex`'s newer one has)
    assert differ <= unassigned, sorted(differ - unassigned)[:20]
    assert all(hf_classes[c] == "O" for c in differ)
    assert len(differ) < 40_000


def test_the_split_before_format_3_classes_some_code_points_otherwise(hf_classes):
    """What the version bump is for: "_", "²", "Ⅻ", \\x1c were split otherwise."""
    old = BPETokenizer(pattern=bpe.PRETOKEN_PATTERN_BEFORE_HF)
    new = BPETokenizer()
    for text, char, hf_class in (("a_b", "_", "O"), ("x\u00b2", "\u00b2", "N"),
                                 ("\u216b1", "\u216b", "N"), ("a \x1cb", "\x1c", "O")):
        assert hf_classes[ord(char)] == hf_class
        assert old.pretokenize(text) != new.pretokenize(text)
    assert new.pretokenize("a_b") == ["a", "_", "b"] and old.pretokenize("a_b") == ["a_b"]


@pytest.mark.parametrize(("text", "pieces"), TABLE["cases"])
def test_hard_texts_split_into_hfs_pieces(text, pieces):
    assert BPETokenizer().pretokenize(text) == pieces


def test_ascii_text_splits_alike_through_re_and_regex():
    """ASCII text runs on `re` (faster); every ASCII character next to every other splits as
    `regex` splits it."""
    splitter = pretoken_splitter(bpe.DEFAULT_PRETOKEN_PATTERN)
    ascii_text = "".join(chr(a) + chr(b) + chr(c) for a in range(128) for b in (32, 97, 49, 39)
                         for c in range(128))
    assert splitter.findall(ascii_text) == splitter._unicode().findall(ascii_text)


def test_a_file_before_format_3_keeps_its_split_and_a_new_one_says_3(tmp_path):
    text = "snake_case x\u00b2 \x1c done"
    old = {"type": "bpe", "version": 2, "alphabet_order": "printable",
           "pattern": bpe.PRETOKEN_PATTERN_BEFORE_HF, "merges": []}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    loaded = Tokenizer.load(path)
    assert loaded.pretokenize(text) == ["snake_case", " x\u00b2", " \x1c", " done"]
    assert loaded.to_dict() == old
    # an old file without a "pattern" had the default of its day; a new one has HF's
    assert Tokenizer.from_dict({k: v for k, v in old.items() if k != "pattern"}).pattern \
        == bpe.PRETOKEN_PATTERN_BEFORE_HF
    new = BPETokenizer.train(text * 3, vocab_size=270)
    assert new.to_dict()["version"] == 3
    assert Tokenizer.from_dict({k: v for k, v in new.to_dict().items() if k != "pattern"}
                               ).pattern == bpe.DEFAULT_PRETOKEN_PATTERN
