"""A str context (`logprob`, `next_token_logprobs`, `generate`) is read as `sentence_tokens`
reads a str sentence: split on whitespace for a word model, not its characters."""

from __future__ import annotations

import numpy as np

from seqlab.nlp.ngram import KneserNey

SENTENCES = [s.split() for s in ["the cat sat on the mat", "the dog sat on the log",
                                 "a cat and a dog"]] * 2


def test_a_str_context_is_split_on_whitespace_for_a_word_model():
    model = KneserNey(3).fit(SENTENCES)
    assert model.logprob("sat", "the  cat") == model.logprob("sat", ["the", "cat"])
    assert model.logprob("sat", "the cat") != model.logprob("sat", list("the cat"))
    np.testing.assert_array_equal(model.next_token_logprobs("<s> the"),
                                  model.next_token_logprobs(["<s>", "the"]))
    assert (model.generate(6, seed=3, context="<s> a")
            == model.generate(6, seed=3, context=["<s>", "a"]))


def test_a_str_context_is_characters_for_a_model_fitted_on_strs():
    model = KneserNey(3).fit(["abcab", "bca"])
    assert model.logprob("c", "ab") == model.logprob("c", ["a", "b"])
    assert model.generate(4, seed=1, context="ab") == model.generate(4, seed=1,
                                                                     context=["a", "b"])


def test_generate_keeps_a_history_shorter_than_order_minus_one_whole():
    model = KneserNey(4).fit([s.split() for s in ["a b", "a b", "x a c", "x a c", "y a c"]])
    tokens = model.generate(3, temperature=0, context=["<s>", "a"])
    history = ["<s>", "a"]
    for token in tokens:
        expected = model.vocab[int(np.argmax(model.next_token_logprobs(history)))]
        assert token == expected
        history.append(token)
    assert tokens[0] == "b"  # after <s> a (a alone is followed by c more often)
