"""`full_scores` / `score` at orders 4 and 5 (a history shorter than order - 1 keeps all of
it) and a literal <s> inside a sentence (scored as a word, as KenLM scores it, by one rule in
`score`, `full_scores`, `sentence_logprobs` and `perplexity`): against the plain ARPA rule
and, where `$SEQLAB_PEER_PYTHON` has kenlm, against KenLM on the same ARPA file."""

from __future__ import annotations

import math

import numpy as np
import pytest
from kenlm_peer import kenlm_scores, needs_kenlm

from seqlab.nlp.ngram import KneserNey, load_arpa
from seqlab.nlp.ngram.reference import backoff_logprob, ngram_dict

SENTENCES = [s.split() for s in ["aa bb cc dd", "aa bb cc ee", "xx bb cc dd", "aa bb yy dd",
                                 "bb cc dd ee aa", "cc dd"]] * 3
CALLS = ["aa bb cc dd", "aa bb cc dd ee aa bb", "bb cc", "aa", "", "aa zz cc dd",
         "zz qq", "xx bb cc ee"]
INNER_BOS = ["aa <s> bb", "<s> aa bb", "aa bb <s>"]


def _reference_scores(model, tokens, bos, eos):
    """Each word's natural-log probability by the ARPA rule, its context every word before
    it (<s> first when `bos`), cut to the last order - 1."""
    table = ngram_dict(model.vocab_size, model._keys, model._logprob, model._logbackoff)
    ids = [model.token_id(t) for t in tokens] + ([model.token_id("</s>")] if eos else [])
    history = [model.token_id("<s>")] if bos else []
    out = []
    for word in ids:
        context = tuple(history[max(len(history) - (model.order - 1), 0):])
        out.append(backoff_logprob(table, context, word))
        history.append(word)
    return out


@pytest.mark.parametrize("order", [4, 5])
def test_full_scores_keep_a_short_history_whole(order):
    model = KneserNey(order).fit(SENTENCES)
    for text in CALLS:
        for bos in (True, False):
            for eos in (True, False):
                expected = _reference_scores(model, text.split(), bos, eos)
                got = [lp * math.log(10) for lp, _, _ in model.full_scores(text, bos, eos)]
                np.testing.assert_allclose(got, expected, rtol=1e-12)
                assert model.score(text, bos=bos, eos=eos) == pytest.approx(
                    math.fsum(expected), rel=1e-12)


def test_an_inner_bos_gets_one_answer_everywhere(tmp_path):
    fitted = KneserNey(3).fit(SENTENCES)
    fitted.save_arpa(tmp_path / "m.arpa")
    for model in (fitted, load_arpa(tmp_path / "m.arpa")):
        for text in INNER_BOS:
            full = list(model.full_scores(text))
            total = sum(lp for lp, _, _ in full) * math.log(10)
            assert model.score(text) == total == -math.inf  # <s> is never predicted
            assert model.sentence_logprobs([text])[0] == total
            assert model.perplexity(text) == math.inf
            assert model.score(text, eos=False) == -math.inf
            # after the inner <s>, a word is scored with <s> (and what came before) as context
            words = text.split()
            after = [i for i, w in enumerate(words) if w == "<s>" and i + 1 < len(words)]
            for i in after:
                expected = _reference_scores(model, words, True, True)[i + 1]
                assert full[i + 1][0] * math.log(10) == pytest.approx(expected, rel=1e-12)


def test_training_refuses_a_literal_bos():
    with pytest.raises(ValueError, match="reserved token '<s>'"):
        KneserNey(3).fit([["aa", "<s>", "bb"]])


@needs_kenlm
@pytest.mark.parametrize("order", [4, 5])
def test_score_and_full_scores_equal_kenlms_at_high_orders(tmp_path, order):
    model = KneserNey(order, unk_cutoff=2).fit([*SENTENCES, ["aa", "rare", "bb"]])
    model.save_arpa(tmp_path / "m.arpa")
    calls = [*CALLS, *INNER_BOS]
    theirs = kenlm_scores(tmp_path / "m.arpa", calls)
    for ours in (model, load_arpa(tmp_path / "m.arpa")):
        for text, kenlm_text in zip(calls, theirs, strict=True):
            for bos in (True, False):
                for eos in (True, False):
                    score, full = kenlm_text[(bos, eos)]
                    mine = list(ours.full_scores(text, bos=bos, eos=eos))
                    assert [(n, o) for _, n, o in mine] == [(n, o) for _, n, o in full]
                    for (p, _, _), (q, _, _) in zip(mine, full, strict=True):
                        if q <= -99:  # log zero: KenLM's -99 (plus backoffs), ours -inf
                            assert p == -math.inf
                        else:
                            assert p == pytest.approx(q, abs=1e-5)
                    mine_score = ours.score(text, bos=bos, eos=eos) / math.log(10)
                    if score <= -99:
                        assert mine_score == -math.inf
                    else:
                        assert mine_score == pytest.approx(score, abs=1e-5)
