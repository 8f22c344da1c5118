"""A word-level n-gram model records its word pattern (`pattern=graphemes`, the word
tokenizer's default, which keeps combining marks in their words and grapheme clusters whole;
`pattern=marks` before it); a model written before patterns were recorded records none and
is read with the pattern it was trained with, so its tokens do not change."""

from __future__ import annotations

import json

import pytest
from inprocess import invoke

from seqlab.nlp.ngram import WittenBell, load, load_arpa
from seqlab.nlp.ngram.mark import mark_line, tokenization_of_line
from seqlab.nlp.ngram.sentences import LineTokens
from seqlab.nlp.tokenizers.word import PATTERN_BEFORE_MARKS, WordTokenizer

TEXT = "हिन्दी भाषा, café\n"  # a virama and vowel signs: the two patterns split it differently
OLD_MARK = b"# written by seqlab; tokenization: level=word lowercase=false\n"


def test_the_two_patterns_differ_on_the_text():
    assert (WordTokenizer().tokenize(TEXT)
            != WordTokenizer(pattern=PATTERN_BEFORE_MARKS).tokenize(TEXT))


def test_word_tokens_record_their_pattern_and_the_mark_line_keeps_it():
    recorded = LineTokens("word").recorded()
    assert recorded == {"level": "word", "lowercase": False, "pattern": "graphemes"}
    assert tokenization_of_line(mark_line(recorded)) == recorded
    assert LineTokens("whitespace").recorded() == {"level": "whitespace", "lowercase": False}


def test_a_record_without_a_pattern_reads_the_pattern_before_marks():
    assert tokenization_of_line(OLD_MARK) == {"level": "word", "lowercase": False,
                                              "pattern": "before-marks"}
    old = LineTokens(**tokenization_of_line(OLD_MARK))
    assert old(TEXT) == WordTokenizer(pattern=PATTERN_BEFORE_MARKS).tokenize(TEXT)


@pytest.mark.parametrize("line", [
    b"# written by seqlab; tokenization: level=word lowercase=false pattern=newer\n",
    b"# written by seqlab; tokenization: level=char lowercase=false pattern=marks\n"])
def test_an_unknown_pattern_is_refused(line):
    with pytest.raises(ValueError, match="does not know"):
        tokenization_of_line(line)


def _old_model(tmp_path):
    """A model as seqlab wrote it before patterns were recorded: trained on the old tokens."""
    old = WordTokenizer(pattern=PATTERN_BEFORE_MARKS)
    model = WittenBell(2).fit([old.tokenize(TEXT)] * 3)
    model.save_arpa(tmp_path / "new.arpa")
    body = (tmp_path / "new.arpa").read_bytes().split(b"\n", 1)[1]
    (tmp_path / "old.arpa").write_bytes(OLD_MARK + body)
    return model, old


def test_an_old_model_scores_a_str_with_its_old_tokens(tmp_path):
    _, old = _old_model(tmp_path)
    loaded = load_arpa(tmp_path / "old.arpa")
    assert loaded.score(TEXT.strip()) == pytest.approx(
        loaded.score(old.tokenize(TEXT)), abs=1e-12)
    loaded.save(tmp_path / "old.npz")  # the .npz keeps what the ARPA file meant
    assert load(tmp_path / "old.npz").tokenization["pattern"] == "before-marks"


def test_ngram_eval_reads_an_old_model_with_its_old_tokens(tmp_path):
    model, old = _old_model(tmp_path)
    (tmp_path / "test.txt").write_text(TEXT, encoding="utf-8")
    done = invoke("ngram", "eval", tmp_path / "old.arpa", tmp_path / "test.txt", "--json")
    assert done.returncode == 0, done.stderr
    expected = model.perplexity([old.tokenize(TEXT)])
    assert json.loads(done.stdout)["perplexity"] == pytest.approx(expected, rel=1e-12)


def test_ngram_train_records_the_pattern(tmp_path):
    (tmp_path / "train.txt").write_text(TEXT * 3, encoding="utf-8")
    out = tmp_path / "m.arpa"
    done = invoke("ngram", "train", tmp_path / "train.txt", "--order", "2", "--out", out, "-q")
    assert done.returncode == 0, done.stderr
    assert load_arpa(out).tokenization == {"level": "word", "lowercase": False,
                                           "pattern": "graphemes"}
    model = load_arpa(out)
    assert model.score(TEXT.strip()) == pytest.approx(
        model.score(WordTokenizer().tokenize(TEXT)), abs=1e-12)


def test_a_model_that_records_marks_reads_with_the_marks_pattern():
    """Models of before grapheme clusters (`pattern=marks`) keep their tokens."""
    from seqlab.nlp.tokenizers.word import PATTERN_MARKS

    text = "family \U0001F468\u200d\U0001F469 flag \U0001F1EB\U0001F1F7 a\u200bb"
    line = b"# written by seqlab; tokenization: level=word lowercase=false pattern=marks\n"
    marks = LineTokens(**tokenization_of_line(line))
    assert marks(text) == WordTokenizer(pattern=PATTERN_MARKS).tokenize(text)
    assert marks(text) != LineTokens("word")(text)
