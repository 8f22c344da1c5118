"""The documented differences from NLTK's `nltk.lm` (docstrings of `MLE` and `AddK`), checked
against NLTK itself (SEQLAB_PEER_PYTHON): the same MLE on seen contexts, Laplace's V without
<s> ((c + 1) / p_nltk - (c + 1) / p = 1 for a seen bigram), a backoff where NLTK gives 0
or a uniform share, and the context <s> of a trigram model, which NLTK's padding counts twice
a sentence."""

from __future__ import annotations

import json
import math
import os
import subprocess

import pytest

from seqlab.nlp.ngram import MLE, Laplace

SENTENCES = [s.split() for s in ["the cat sat on the mat", "the dog sat on the log",
                                 "a cat and a dog", "the cat ate"]]
QUERIES = [("cat", "the"), ("the", "<s>"), ("</s>", "cat"), ("dog", "a"), ("mat", "the"),
           ("cat", "zebra"), ("sat", "mat")]
NLTK_SCRIPT = """
import json, sys
from nltk.lm import MLE, Laplace
from nltk.lm.preprocessing import padded_everygram_pipeline
sentences, queries, order = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
out = {}
for name, cls in (("mle", MLE), ("laplace", Laplace)):
    train, vocab = padded_everygram_pipeline(order, sentences)
    model = cls(order)
    model.fit(train, vocab)
    out[name] = [model.score(word, [context]) for word, context in queries]
    out[name + "_vocab"] = len(model.vocab)
print(json.dumps(out))
"""


def _nltk(queries, order: int) -> dict:
    python = os.environ.get("SEQLAB_PEER_PYTHON")
    if not python:
        pytest.skip("set SEQLAB_PEER_PYTHON to a python that has nltk to run this")
    done = subprocess.run([python, "-c", NLTK_SCRIPT, json.dumps(SENTENCES),
                           json.dumps(queries), str(order)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"the peer python cannot run nltk.lm: {done.stderr.strip()[-200:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def nltk_scores():
    return _nltk(QUERIES, 2)


def _counts():
    pairs = [(s, w) for sentence in SENTENCES
             for s, w in zip(["<s>", *sentence], [*sentence, "</s>"])]
    return pairs, {h: sum(1 for s, _ in pairs if s == h) for h, _ in pairs}


def test_mle_equals_nltk_on_seen_contexts_and_backs_off_where_nltk_gives_zero(nltk_scores):
    model = MLE(2).fit(SENTENCES)
    _, context_totals = _counts()
    for (word, context), theirs in zip(QUERIES, nltk_scores["mle"], strict=True):
        ours = math.exp(model.logprob(word, [context]))
        if context in context_totals:
            assert ours == pytest.approx(theirs, rel=1e-12)
        else:  # an unseen context: the unigram MLE here, 0 in NLTK
            assert theirs == 0 and ours == pytest.approx(math.exp(model.logprob(word)))


def test_laplace_differs_from_nltk_by_the_one_vocabulary_entry_of_s(nltk_scores):
    model = Laplace(2).fit(SENTENCES)
    assert nltk_scores["laplace_vocab"] == model.vocab_size  # <unk>, <s>, </s> and the words
    pairs, context_totals = _counts()
    for (word, context), theirs in zip(QUERIES, nltk_scores["laplace"], strict=True):
        ours = math.exp(model.logprob(word, [context]))
        c = sum(1 for pair in pairs if pair == (context, word))
        if c:  # a seen bigram: NLTK's V counts <s>, seqlab's does not
            assert (c + 1) / theirs - (c + 1) / ours == pytest.approx(1.0, abs=1e-9)
        elif context in context_totals:  # unseen after a seen context: NLTK's even share
            assert theirs == pytest.approx(1 / (context_totals[context] + model.vocab_size))
        else:  # an unseen context: uniform in NLTK, the unigram Laplace estimate here
            assert theirs == pytest.approx(1 / model.vocab_size)
            assert ours == pytest.approx(math.exp(model.logprob(word)))


def test_a_trigram_models_context_s_is_counted_twice_a_sentence_in_nltk():
    """NLTK pads with two <s> and counts the context <s> before the second one too."""
    words = ["the", "a", "cat", "<s>"]
    theirs = _nltk([(word, "<s>") for word in words], 3)
    sentences = len(SENTENCES)
    starts = {word: sum(1 for sentence in SENTENCES if sentence[0] == word) for word in words}
    starts["<s>"] = sentences  # NLTK's "<s> <s>", once a sentence
    mle, laplace = MLE(3).fit(SENTENCES), Laplace(3).fit(SENTENCES)
    for word, p_mle, p_laplace in zip(words, theirs["mle"], theirs["laplace"], strict=True):
        c = starts[word]
        assert p_mle == pytest.approx(c / (2 * sentences), rel=1e-12)
        assert p_laplace == pytest.approx((c + 1) / (2 * sentences + theirs["laplace_vocab"]))
        if word == "<s>":
            continue  # never predicted here
        assert math.exp(mle.logprob(word, ["<s>"])) == pytest.approx(c / sentences, rel=1e-12)
        if c:  # a seen n-gram (an unseen one gets a share of the backoff mass here)
            assert math.exp(laplace.logprob(word, ["<s>"])) == pytest.approx(
                (c + 1) / (sentences + laplace.vocab_size - 1), rel=1e-12)
