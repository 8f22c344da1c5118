"""The documented differences from NLTK's `nltk.lm` (docstrings of `MLE` and `AddK`), checked
against NLTK itself (SEQLAB_PEER_PYTHON): the same MLE on seen contexts, Laplace's V without
<s> ((c + 1) / p_nltk - (c + 1) / p = 1 for a seen bigram), and a backoff where NLTK gives 0
or a uniform share."""

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
sentences, queries = json.loads(sys.argv[1]), json.loads(sys.argv[2])
out = {}
for name, cls in (("mle", MLE), ("laplace", Laplace)):
    train, vocab = padded_everygram_pipeline(2, sentences)
    model = cls(2)
    model.fit(train, vocab)
    out[name] = [model.score(word, [context]) for word, context in queries]
    out[name + "_vocab"] = len(model.vocab)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def nltk_scores():
    python = os.environ.get("SEQLAB_PEER_PYTHON")
    if not python:
        pytest.skip("set SEQLAB_PEER_PYTHON to a python that has nltk to run this")
    done = subprocess.run([python, "-c", NLTK_SCRIPT, json.dumps(SENTENCES),
                           json.dumps(QUERIES)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"the peer python cannot run nltk.lm: {done.stderr.strip()[-200:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


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
