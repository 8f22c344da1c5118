"""Edit distance, BLEU, chrF and closest-reference scoring."""

import math

import pytest

from seqlab.seqmodels.seq2seq.metrics import corpus_bleu, corpus_chrf, edit_distance
from seqlab.seqmodels.seq2seq.scoring import closest_of, score_outputs

HYPOTHESES = ["the cat sat on the mat today", "a quick brown dog jumps over the fox"]
REFERENCES = ["the cat sat on the red mat", "the quick brown fox jumps over the lazy dog"]


def test_edit_distance():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance([], ["a", "b"]) == 2
    assert edit_distance(["K", "AE", "T"], ["K", "AE", "T"]) == 0
    assert edit_distance("abc", "cab") == 2


def test_bleu_and_chrf_known_values():
    # sacreBLEU 2.6.0: corpus_bleu(h, [r], tokenize="none", smooth_method="none").score and
    # corpus_chrf(h, [r]).score; NLTK 3 corpus_bleu gives the same BLEU
    bleu = corpus_bleu([h.split() for h in HYPOTHESES], [r.split() for r in REFERENCES])
    assert bleu == pytest.approx(41.22516740477306, rel=1e-12)
    assert corpus_chrf(HYPOTHESES, REFERENCES) == pytest.approx(63.77392654908643, rel=1e-12)


def test_bleu_by_hand():
    # one sentence, 4 tokens vs 5: precisions 4/4, 2/3, 1/2, 0/1 -> 0 without smoothing
    assert corpus_bleu([["a", "b", "c", "e"]], [["a", "b", "c", "d", "e"]]) == 0.0
    # 1..4-gram precisions 5/6, 3/5, 2/4, 1/3; hypothesis longer, so no brevity penalty
    hypothesis, reference = ["a", "b", "c", "d", "x", "e"], ["a", "b", "c", "d", "e"]
    expected = 100 * math.exp((math.log(5 / 6) + math.log(3 / 5) + math.log(2 / 4)
                               + math.log(1 / 3)) / 4)
    assert corpus_bleu([hypothesis], [reference]) == pytest.approx(expected, rel=1e-12)
    assert corpus_bleu([reference], [reference]) == pytest.approx(100.0)


def test_text_bleu_smooths_a_zero_match_order_by_hand():
    from seqlab.seqmodels.seq2seq.text_scoring import score_texts

    # 1..4-gram matches 5/7, 3/5, 1/3, 0/1: sacreBLEU's default 'exp' smoothing gives the
    # first order without a match 1 / (2 * its n-grams); lengths equal, no brevity penalty
    scores = score_texts(["the cat sat down", "a b c"], [["the cat sat up"], ["a b d"]])
    expected = math.exp((math.log(100 * 5 / 7) + math.log(100 * 3 / 5) + math.log(100 / 3)
                         + math.log(100 / (2 * 1))) / 4)
    assert scores["bleu"] == pytest.approx(expected, rel=1e-12)
    # without a single match (or without a hypothesis word) BLEU stays 0
    assert score_texts(["x y"], [["a b"]])["bleu"] == 0.0
    assert score_texts([""], [["a b"]])["bleu"] == 0.0


def test_closest_reference_counts():
    hypotheses = [["K", "AE", "T"], ["D", "AO", "G"]]
    references = [[["K", "AH", "T"], ["K", "AE", "T"]], [["D", "AA", "G"]]]
    scores = score_outputs(hypotheses, references)
    assert scores["exact_match"] == 0.5
    assert scores["token_error_rate"] == pytest.approx(1 / 6)
    assert "bleu" not in scores
    assert "bleu" in score_outputs(hypotheses, references, word_level=True)


def test_the_first_of_the_closest_references_counts():
    hypothesis = ["A", "B"]
    short, long = ["A"], ["A", "B", "C"]  # each one edit away
    assert closest_of(hypothesis, [short, long]).reference == short
    assert closest_of(hypothesis, iter([long, short])).reference == long
    assert closest_of(hypothesis, [long, ["A", "B"], short]).distance == 0
    assert score_outputs([hypothesis], [[short, long]])["token_error_rate"] == 1.0
    assert score_outputs([hypothesis], [[long, short]])["token_error_rate"] == pytest.approx(1 / 3)


def test_g2p_scores_with_and_without_stress():
    from seqlab.seqmodels.seq2seq.scoring import g2p_scores

    hypotheses = [["K", "AE1", "T"], ["D", "AO0", "G"]]
    references = [[["K", "AE1", "T"]], [["D", "AO1", "G"], ["D", "AA1", "G"]]]
    scores = g2p_scores(hypotheses, references)
    assert scores["wer"] == 0.0 and scores["per"] == 0.0
    assert scores["wer_stress"] == 0.5 and scores["per_stress"] == pytest.approx(1 / 6)


def test_text_scores_never_credit_an_output_unk():
    from seqlab.seqmodels.seq2seq.text_scoring import UNKNOWN, TextScoreTotals
    from seqlab.seqmodels.seq2seq.tokenize_13a import tokenize_13a

    totals = TextScoreTotals()
    # the model wrote <unk> where the reference has a word its vocabulary lacks
    totals.add("<unk> cat", ["zebra cat"], [UNKNOWN, "cat"])
    totals.add("<unk>", ["<unk>"], [UNKNOWN])  # even a reference that spells "<unk>"
    scores = totals.scores()
    assert scores["exact_match"] == 0.0 and scores["token_error_rate"] == 2 / 3
    assert tokenize_13a("Hello, world: 3.5 x-ray 1-2 (ok).") == \
        ["Hello", ",", "world", ":", "3.5", "x-ray", "1", "-", "2", "(", "ok", ")", "."]


def test_several_references_count_as_sacrebleu_counts_them():
    from seqlab.seqmodels.seq2seq.metrics import BleuTotals

    totals = BleuTotals(max_order=1)
    # "a" clipped by its largest count in one reference (2), not the sum over both (3);
    # the length of the closest reference (3, of 3 and 5)
    totals.add_references(["a", "a", "a"], [["a", "a", "b"], ["a", "b", "b", "b", "b"]])
    assert totals.matches == [2] and totals.reference_length == 3


def test_g2p_scores_take_an_output_unk():
    from seqlab.seqmodels.seq2seq.scoring import G2PTotals
    from seqlab.seqmodels.seq2seq.text_scoring import UNKNOWN

    totals = G2PTotals()
    totals.add(["K", UNKNOWN, "T"], [["K", "AE1", "T"]])
    scores = totals.scores()
    assert scores["exact_match"] == 0.0 and scores["per"] == 1 / 3


@pytest.mark.parametrize("name", ["score_outputs", "g2p_scores", "score_texts"])
def test_each_set_scorer_refuses_unpaired_or_empty_lists(name):
    from seqlab.seqmodels.seq2seq import scoring, text_scoring

    score = getattr(scoring, name, None) or getattr(text_scoring, name)
    hypothesis = "a b" if name == "score_texts" else ["a", "b"]
    for hypotheses, references in (([hypothesis], []), ([], [])):
        with pytest.raises(ValueError, match=f"{name} needs one list of references per "
                                             "hypothesis"):
            score(hypotheses, references)
