"""A str given to `score` / `perplexity` / `sentence_logprobs` is read as the model's text was:
split on whitespace as KenLM's `Model.score("the cat sat")` for a word model, by the recorded
tokenization where there is one (ARPA mark line, .npz header), as characters for a model
fitted on str sentences, by characters for an ARPA file of seqlab's single characters (U+2581
among them) without the mark (as the CLI reads it), split at spaces as KenLM for another
tool's file of single characters; an in-memory model of single characters that records nothing
refuses a str rather than score it silently wrong."""

from __future__ import annotations

import math

import pytest
from kenlm_peer import kenlm_scores, needs_kenlm

from seqlab.nlp.ngram import KneserNey, WittenBell, load, load_arpa
from seqlab.nlp.ngram.streamed import train_kneser_ney_arpa

SENTENCES = [s.split() for s in ["the cat sat on the mat", "the dog sat on the log",
                                 "a cat and a dog", "the cat ate"]] * 3
TEST = ["the cat sat on the log", "a zebra ate", "the   dog\tsat "]


def test_a_str_is_split_on_whitespace_for_a_word_model():
    model = KneserNey(3).fit(SENTENCES)
    assert model.tokenization is None
    for text in TEST:
        assert model.score(text) == model.score(text.split())
    assert model.perplexity(TEST) == model.perplexity([t.split() for t in TEST])
    assert list(model.sentence_logprobs(TEST)) == list(
        model.sentence_logprobs([t.split() for t in TEST]))
    # the QA's numbers: log10 -2.2596 as KenLM, not -16.68 (the str's characters)
    assert model.score("the cat sat") / math.log(10) == pytest.approx(-2.2595802, abs=1e-6)


@needs_kenlm
def test_scores_of_strs_equal_kenlms_on_the_same_arpa_file(tmp_path):
    model = KneserNey(3).fit(SENTENCES)
    model.save_arpa(tmp_path / "m.arpa")
    theirs = [scores[(True, True)][0] for scores in kenlm_scores(tmp_path / "m.arpa", TEST)]
    ours = load_arpa(tmp_path / "m.arpa")
    for text, log10 in zip(TEST, theirs, strict=True):
        assert ours.score(text) / math.log(10) == pytest.approx(log10, abs=1e-5)
    words = sum(len(t.split()) + 1 for t in TEST)
    assert ours.perplexity(TEST) == pytest.approx(10 ** (-sum(theirs) / words), rel=1e-5)


@pytest.mark.parametrize(("tokenization", "text", "tokens"), [
    ({"level": "whitespace", "lowercase": True}, "The CAT sat,", ["the", "cat", "sat,"]),
    ({"level": "word", "lowercase": False}, "the cat sat, then", ["the", "cat", "sat", ",",
                                                                 "then"]),
    ({"level": "char", "lowercase": False}, "ab c", ["a", "b", "\u2581", "c"]),
])
def test_a_str_is_read_by_the_recorded_tokenization_after_a_round_trip(
        tmp_path, tokenization, text, tokens):
    corpus = [["the", "cat", "sat", ",", "then", "sat,"], list("ab\u2581c")]
    model = WittenBell(2).fit(corpus)
    model.tokenization = tokenization
    model.save_arpa(tmp_path / "m.arpa")
    model.save(tmp_path / "m.npz")
    # a word-level record without a pattern is an old one: read with the pattern of then
    expected = ({**tokenization, "pattern": "before-marks"} if tokenization["level"] == "word"
                else tokenization)
    for loaded in (load_arpa(tmp_path / "m.arpa"), load(tmp_path / "m.npz")):
        assert loaded.tokenization == expected
        assert loaded.score(text) == pytest.approx(loaded.score(tokens), abs=1e-12)


def test_a_char_model_that_records_no_tokenization_refuses_a_str(tmp_path):
    model = KneserNey(3).fit([list("abcab"), list("bca")])  # lists of characters
    with pytest.raises(ValueError, match="list of tokens"):
        model.score("abc")
    with pytest.raises(ValueError, match="list of tokens"):
        model.perplexity(["abc"])
    assert model.score(list("abc")) < 0  # a list is scored as given
    model.save_arpa(tmp_path / "m.arpa")
    with pytest.raises(ValueError, match="list of tokens"):
        load_arpa(tmp_path / "m.arpa").score("abc")


def test_a_model_fitted_on_strs_reads_a_str_as_its_characters():
    model = KneserNey(3).fit(["hello world", "help me"])
    assert model.str_is_characters
    assert model.score("help") == model.score(list("help"))
    assert model.score("he lp") == model.score(["h", "e", " ", "l", "p"])


def _foreign_copy(model, tmp_path):
    """`model` as an ARPA file without seqlab's mark line (as KenLM's lmplz writes one)."""
    model.save_arpa(tmp_path / "m.arpa")
    lines = (tmp_path / "m.arpa").read_bytes().split(b"\n", 1)
    assert lines[0].startswith(b"# written by seqlab")
    (tmp_path / "foreign.arpa").write_bytes(lines[1])
    return tmp_path / "foreign.arpa"


SEQLAB_CHARS = [list("hello\u2581world"), list("help\u2581me"), list("held")]


def test_an_unmarked_seqlab_char_arpa_reads_a_str_by_characters_as_the_cli(tmp_path):
    """An ARPA file of single characters without seqlab's mark that holds U+2581 (the space
    as seqlab's character level spells it: seqlab's own files before it marked them) reads a
    str by characters, a space spelled U+2581, as `seqlab ngram eval` reads its text; a list
    is taken as it is."""
    model = KneserNey(3).fit(SEQLAB_CHARS)
    foreign = load_arpa(_foreign_copy(model, tmp_path))
    assert foreign.tokenization is None and foreign.written_elsewhere
    for text in ("hello", "world", "help me", " he l"):
        chars = ["\u2581" if ch == " " else ch for ch in text]
        assert foreign.score(text) == pytest.approx(foreign.score(chars), abs=1e-12)
        assert foreign.score(text) == pytest.approx(model.score(chars), abs=1e-9)
    assert foreign.perplexity(["held"]) == pytest.approx(model.perplexity([list("held")]))


def test_an_unmarked_char_arpa_without_the_space_mark_splits_a_str_as_kenlm(tmp_path):
    """A character model as KenLM holds one (space-separated characters, no U+2581): a str is
    split at spaces, as `kenlm.Model.score("h e l l o")` reads it; it was read by characters,
    each space an OOV U+2581 (log10 -3.8 where KenLM gives -1.2 on the QA's file)."""
    model = KneserNey(3).fit([list("hello"), list("world"), list("held")])
    foreign = load_arpa(_foreign_copy(model, tmp_path))
    for text in ("h e l l o", "h  e\tl p", "w o r l d", "hello"):
        assert foreign.score(text) == foreign.score(text.split())
        assert foreign.sentence_tokens(text) == text.split()


@needs_kenlm
def test_a_foreign_char_arpa_scores_strs_and_token_lists_as_kenlm(tmp_path):
    model = KneserNey(3).fit([list("hello"), list("world"), list("held")])
    foreign = _foreign_copy(model, tmp_path)
    texts = ["h e l l o", "h e l p", "w o r l d", "a b"]
    theirs = [scores[(True, True)][0] for scores in kenlm_scores(foreign, texts)]
    ours = load_arpa(foreign)
    for text, log10 in zip(texts, theirs, strict=True):
        assert ours.score(text.split()) / math.log(10) == pytest.approx(log10, abs=1e-5)
        assert ours.score(text) / math.log(10) == pytest.approx(log10, abs=1e-5)


def test_the_refusal_names_what_to_do_and_not_the_char_level():
    model = KneserNey(3).fit([list("abcab"), list("bca")])
    with pytest.raises(ValueError, match="seqlab") as refused:
        model.score("a b c")
    assert "'level': 'char'" not in str(refused.value)


def test_a_changed_tokenization_or_vocabulary_is_seen_at_the_next_str():
    """The tokenization's reader and the single-character check are kept between sentences:
    a new tokenization, one changed in place, or a refit is still read at the next str."""
    model = KneserNey(3).fit([list("abcab"), list("bca")])
    with pytest.raises(ValueError, match="list of tokens"):
        model.score("abc")
    model.tokenization = {"level": "char", "lowercase": False}
    assert model.score("abc") == model.score(list("abc"))
    assert model.score("ABC") == model.score(list("ABC"))
    model.tokenization["lowercase"] = True  # changed in place
    assert model.score("ABC") == model.score(list("abc"))
    model.tokenization = {"level": "whitespace", "lowercase": False}
    assert model.score("a b c") == model.score(list("abc"))
    model.tokenization = None
    model.fit(SENTENCES)  # words now: a str is split on whitespace
    assert model.score("the cat sat") == model.score(["the", "cat", "sat"])
    model.fit([list("abcab"), list("bca")])  # single characters again: refused
    with pytest.raises(ValueError, match="list of tokens"):
        model.score("abc")


def test_a_str_given_for_sentences_is_one_sentence_as_kenlms_perplexity():
    """KenLM's `Model.perplexity("the cat sat")` takes one sentence: a str where sentences go
    is that one sentence (never its characters, each a sentence of its own), for every call
    that takes sentences."""
    model = KneserNey(3).fit(SENTENCES)
    text = "the cat sat"
    assert model.perplexity(text) == model.perplexity([text])
    assert model.perplexity_detail(text) == model.perplexity_detail([text])
    assert list(model.sentence_logprobs(text)) == [model.score(text)]
    words = len(text.split()) + 1  # KenLM: 10 ** (-log10 score / (words + </s>))
    assert model.perplexity(text) == pytest.approx(
        10 ** (-model.score(text) / math.log(10) / words), rel=1e-12)


def test_a_str_for_a_char_model_is_one_sentence_of_its_characters(tmp_path):
    chars = KneserNey(3).fit(["hello world", "help me"])
    assert chars.perplexity("help") == chars.perplexity([list("help")])
    assert list(chars.sentence_logprobs("he lp")) == [chars.score(list("he lp"))]
    one = KneserNey(2).fit(["hello"])  # one str sentence in a list: its characters
    assert one.str_is_characters and one.counts == KneserNey(2).fit([list("hello")]).counts
    external = KneserNey(2).fit_external(["hello"], memory_bytes=1 << 20)
    assert external.counts == one.counts
    train_kneser_ney_arpa(["hello"], 2, tmp_path / "streamed.arpa", memory_bytes=1 << 20)
    one.save_arpa(tmp_path / "fitted.arpa")
    # a bare str is one sentence split on whitespace (as lmplz reads text), not characters
    assert KneserNey(2).fit("hello").vocab[3:] == ["hello"]
    assert (tmp_path / "streamed.arpa").read_bytes() == (tmp_path / "fitted.arpa").read_bytes()
    refusing = KneserNey(3).fit([list("abcab"), list("bca")])  # records no tokenization
    with pytest.raises(ValueError, match="list of tokens"):
        refusing.perplexity("abc")


KENLM_CALLS = ["the cat sat", "a zebra ate the log", "the", "", "<unk> dog"]


def test_full_scores_add_up_to_score_with_and_without_bos_and_eos():
    model = KneserNey(3).fit(SENTENCES)
    for text in KENLM_CALLS:
        for bos in (True, False):
            for eos in (True, False):
                scores = list(model.full_scores(text, bos=bos, eos=eos))
                assert len(scores) == len(text.split()) + eos
                total = sum(log10 for log10, _, _ in scores) * math.log(10)
                assert model.score(text, bos=bos, eos=eos) == pytest.approx(total, abs=1e-9)
    assert [oov for _, _, oov in model.full_scores("a zebra ate")] == [False, True, False,
                                                                        False]
    # <s> the, <s> the cat, the cat sat are listed; "sat </s>" is not (only "sat on")
    assert [length for _, length, _ in model.full_scores("the cat sat")] == [2, 3, 3, 1]
    assert model.score("the cat", bos=False) < model.score("the cat")  # no <s> context


@needs_kenlm
def test_score_and_full_scores_equal_kenlms_with_bos_and_eos(tmp_path):
    model = KneserNey(3, unk_cutoff=2).fit([*SENTENCES, ["a", "rare", "word"]])
    model.save_arpa(tmp_path / "m.arpa")
    theirs = kenlm_scores(tmp_path / "m.arpa", KENLM_CALLS)
    for ours in (model, load_arpa(tmp_path / "m.arpa")):
        for text, kenlm_text in zip(KENLM_CALLS, theirs, strict=True):
            for bos in (True, False):
                for eos in (True, False):
                    score, full = kenlm_text[(bos, eos)]
                    assert ours.score(text, bos=bos, eos=eos) / math.log(10) == pytest.approx(
                        score, abs=1e-5)
                    mine = list(ours.full_scores(text, bos=bos, eos=eos))
                    assert [(n, o) for _, n, o in mine] == [(n, o) for _, n, o in full]
                    assert [p for p, _, _ in mine] == pytest.approx([p for p, _, _ in full],
                                                                    abs=1e-5)
