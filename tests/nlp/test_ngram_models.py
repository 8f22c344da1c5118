"""N-gram models: normalisation, hand-computed values, a brute-force Kneser-Ney, the API."""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.nlp.ngram import (
    MLE,
    AddK,
    KneserNey,
    Laplace,
    NgramLanguageModel,
    StupidBackoff,
    WittenBell,
)
from seqlab.nlp.ngram.kneser_ney import modified_kn_discounts

TOY = [["a", "b"], ["b"]]
CORPUS = [
    ["the", "cat", "sat", "on", "the", "mat"],
    ["the", "dog", "sat", "on", "the", "log"],
    ["a", "cat", "saw", "the", "dog"],
    ["the", "cat", "ate"],
    [],
    ["dog"],
]
NORMALISED = [
    lambda order: MLE(order),
    lambda order: AddK(order, k=0.3),
    lambda order: Laplace(order),
    lambda order: WittenBell(order),
    lambda order: KneserNey(order),
]
CONTEXTS = [[], ["<s>"], ["the"], ["the", "cat"], ["<s>", "the"], ["sat", "on", "the"],
            ["zebra"], ["zebra", "the"], ["cat", "zebra"], ["mat"], ["the", "ate"], ["a", "b", "c"]]


def _sum_probs(model: NgramLanguageModel, context: list[str]) -> float:
    return math.fsum(np.exp(model.next_token_logprobs(context)).tolist())


@pytest.mark.parametrize("make", NORMALISED)
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_probabilities_sum_to_one_for_seen_and_unseen_contexts(make, order):
    model = make(order).fit(CORPUS)
    for context in CONTEXTS:
        assert _sum_probs(model, context) == pytest.approx(1.0, abs=1e-12), context


@pytest.mark.parametrize("make", NORMALISED)
def test_next_token_logprobs_agree_with_logprob(make):
    model = make(3).fit(CORPUS)
    for context in CONTEXTS:
        vector = model.next_token_logprobs(context)
        singles = [model.logprob(word, context) for word in model.vocab]
        np.testing.assert_allclose(vector, singles, rtol=1e-12)
        assert model.log10prob("cat", context) == pytest.approx(
            model.logprob("cat", context) / math.log(10))


@settings(deadline=None, max_examples=15)
@given(
    sentences=st.lists(st.lists(st.sampled_from("abcd"), max_size=6), min_size=1, max_size=6),
    order=st.integers(1, 4),
    which=st.integers(0, len(NORMALISED) - 1),
)
def test_random_corpora_give_distributions(sentences, order, which):
    model = NORMALISED[which](order).fit(sentences)
    for context in (["<s>"], ["a"], ["b", "a"], ["<s>", "c", "d"], ["x"]):
        assert _sum_probs(model, context) == pytest.approx(1.0, abs=1e-12)


def test_kneser_ney_hand_computed():
    # Corpus "<s> a b </s>", "<s> b </s>"; vocabulary <unk> <s> </s> a b (uniform over 4).
    # Bigrams (highest order, raw counts): <s> a:1, a b:1, <s> b:1, b </s>:2 -> n1=3, n2=1,
    # n3=0, so lmplz's fallback discounts D1=0.5, D2=1, D3+=1.5 apply (also for unigrams).
    # Unigram continuation counts: a:1 (<s>), b:2 (a, <s>), </s>:1 (b); sum 4.
    model = KneserNey(2).fit(TOY)
    gamma0 = (0.5 * 2 + 1.0 * 1) / 4  # two words with count 1, one with count 2
    p_a = (1 - 0.5) / 4 + gamma0 / 4
    p_b = (2 - 1.0) / 4 + gamma0 / 4
    p_end = (1 - 0.5) / 4 + gamma0 / 4
    p_unk = gamma0 / 4
    assert math.exp(model.logprob("a")) == pytest.approx(p_a, rel=1e-12)
    assert math.exp(model.logprob("b")) == pytest.approx(p_b, rel=1e-12)
    assert math.exp(model.logprob("</s>")) == pytest.approx(p_end, rel=1e-12)
    assert math.exp(model.logprob("<unk>")) == pytest.approx(p_unk, rel=1e-12)
    assert math.exp(model.logprob("never-seen")) == pytest.approx(p_unk, rel=1e-12)
    gamma_bos = (0.5 + 0.5) / 2  # <s> is followed by a (1) and b (1)
    assert math.exp(model.logprob("a", ["<s>"])) == pytest.approx(0.5 / 2 + gamma_bos * p_a)
    assert math.exp(model.logprob("</s>", ["<s>"])) == pytest.approx(gamma_bos * p_end)
    p_b_after_a = (1 - 0.5) / 1 + 0.5 / 1 * p_b
    p_end_after_b = (2 - 1.0) / 2 + (1.0 * 1 / 2) * p_end
    assert model.score(["a", "b"]) == pytest.approx(
        math.log(0.5 / 2 + gamma_bos * p_a) + math.log(p_b_after_a) + math.log(p_end_after_b))
    assert math.exp(model.logprob("a", ["a"])) == pytest.approx(0.5 * p_a)  # gamma(a) = 0.5


def test_modified_kn_discounts_closed_form_and_fallback():
    # n1=3, n2=2, n3=1, n4=1: Y = 3/7, D1 = 1 - 2Y(2/3), D2 = 2 - 3Y(1/2), D3 = 3 - 4Y(1/1)
    discounts = modified_kn_discounts(np.array([1, 1, 1, 2, 2, 3, 4, 9]))
    np.testing.assert_allclose(discounts, [0, 3 / 7, 19 / 14, 9 / 7], rtol=1e-12)
    np.testing.assert_allclose(modified_kn_discounts(np.array([1, 2, 2, 4])), [0, 0.5, 1, 1.5])


def _brute_force_kneser_ney(sentences, order, discounts):
    """Interpolated modified KN straight from the definitions, on tuples (independent code)."""
    grams = [Counter() for _ in range(order + 1)]
    for sentence in sentences:
        padded = ["<s>", *sentence, "</s>"]
        for i in range(1, len(padded)):
            for n in range(1, order + 1):
                if i - n + 1 >= 0:
                    grams[n][tuple(padded[i - n + 1 : i + 1])] += 1
    adjusted = [Counter() for _ in range(order + 1)]
    adjusted[order] = Counter(grams[order])
    for n in range(1, order):
        for gram, count in grams[n].items():
            if gram[0] == "<s>":
                adjusted[n][gram] = count
        for gram in grams[n + 1]:
            if gram[1:][0] != "<s>":
                adjusted[n][gram[1:]] += 1
    vocab = {"<unk>", "</s>"} | {w for s in sentences for w in s}

    def prob(word, context):
        n = len(context) + 1
        if n == 1:
            total = sum(adjusted[1].values())
            gamma = sum(discounts[0][min(c, 3) - 1] for c in adjusted[1].values()) / total
            count = adjusted[1].get((word,), 0)
            discount = discounts[0][min(count, 3) - 1] if count else 0.0
            return (count - discount) / total + gamma / len(vocab)
        children = {g: c for g, c in adjusted[n].items() if g[:-1] == tuple(context)}
        if not children:
            return prob(word, context[1:])
        total = sum(children.values())
        gamma = sum(discounts[n - 1][min(c, 3) - 1] for c in children.values()) / total
        count = children.get((*context, word), 0)
        discount = discounts[n - 1][min(count, 3) - 1] if count else 0.0
        return (count - discount) / total + gamma * prob(word, context[1:])

    return prob, vocab


@pytest.mark.parametrize("seed", [0, 1])
def test_kneser_ney_matches_brute_force_definition(seed):
    rng = random.Random(seed)
    sentences = [[rng.choice("abcde") for _ in range(rng.randint(0, 7))] for _ in range(40)]
    order = 3
    model = KneserNey(order).fit(sentences)
    prob, vocab = _brute_force_kneser_ney(sentences, order, model.discounts)
    for context in (["<s>"], ["<s>", "a"], ["a", "b"], ["e", "e"], ["c"], []):
        for word in sorted(vocab):
            expected = prob(word, context[-(order - 1):] if context else [])
            assert math.exp(model.logprob(word, context)) == pytest.approx(expected, rel=1e-10)


def test_witten_bell_hand_computed():
    # Unigram counts a:1, b:2, </s>:2 (N=5, T=3 types), uniform over 4 (<unk> </s> a b).
    model = WittenBell(2).fit(TOY)
    p_b = (2 + 3 * 0.25) / (5 + 3)
    p_unk = (0 + 3 * 0.25) / (5 + 3)
    assert math.exp(model.logprob("b")) == pytest.approx(p_b, rel=1e-12)
    assert math.exp(model.logprob("zzz")) == pytest.approx(p_unk, rel=1e-12)
    # After <s>: a:1, b:1 -> C=2, T=2.
    assert math.exp(model.logprob("b", ["<s>"])) == pytest.approx((1 + 2 * p_b) / (2 + 2))
    assert math.exp(model.logprob("<unk>", ["<s>"])) == pytest.approx(2 * p_unk / (2 + 2))


def test_add_k_hand_computed():
    # V' = 4 predictable tokens; unigram N = 5.
    k = 0.5
    model = AddK(2, k=k).fit(TOY)
    p_uni = {"a": (1 + k) / (5 + 4 * k), "b": (2 + k) / (5 + 4 * k),
             "</s>": (2 + k) / (5 + 4 * k), "<unk>": k / (5 + 4 * k)}
    for word, expected in p_uni.items():
        assert math.exp(model.logprob(word)) == pytest.approx(expected, rel=1e-12)
    # After b: only </s> (count 2) was seen; the rest of the mass, k * 3 / (2 + 4k), goes to
    # the unseen words in proportion to their unigram probabilities.
    assert math.exp(model.logprob("</s>", ["b"])) == pytest.approx((2 + k) / (2 + 4 * k))
    left_over = k * 3 / (2 + 4 * k)
    expected_a = left_over * p_uni["a"] / (1 - p_uni["</s>"])
    assert math.exp(model.logprob("a", ["b"])) == pytest.approx(expected_a, rel=1e-12)
    assert math.exp(Laplace(1).fit(TOY).logprob("a")) == pytest.approx(2 / 9)


def test_mle_hand_computed_and_zero_for_unseen():
    model = MLE(2).fit(TOY)
    assert math.exp(model.logprob("b")) == pytest.approx(2 / 5)
    assert math.exp(model.logprob("a", ["<s>"])) == pytest.approx(1 / 2)
    assert model.logprob("a", ["b"]) == -math.inf
    assert model.logprob("<unk>") == -math.inf
    assert math.exp(model.logprob("b", ["zebra"])) == pytest.approx(2 / 5)  # unseen context
    assert model.perplexity([["b", "a"]]) == math.inf


def test_stupid_backoff_scores_are_not_probabilities():
    model = StupidBackoff(2, alpha=0.4).fit(TOY)
    assert math.exp(model.logprob("a", ["<s>"])) == pytest.approx(1 / 2)
    assert math.exp(model.logprob("a", ["b"])) == pytest.approx(0.4 * 1 / 5)
    assert math.exp(model.logprob("a", ["zebra"])) == pytest.approx(0.4 * 1 / 5)
    with pytest.raises(TypeError, match="not probabilities"):
        model.perplexity(TOY)
    with pytest.raises(TypeError, match="not probabilities"):
        model.save_arpa("unused.arpa")
    assert _sum_probs(model, ["b"]) == pytest.approx(1.0)  # normalised for sampling


def test_unk_cutoff_maps_rare_words_and_never_gives_infinity():
    model = KneserNey(2, unk_cutoff=2).fit(CORPUS)
    assert "mat" not in model.vocab and "cat" in model.vocab
    assert model.vocab[:3] == ["<unk>", "<s>", "</s>"]
    assert model.logprob("mat", ["the"]) == model.logprob("<unk>", ["the"])
    assert math.isfinite(model.perplexity([["zebra", "unicorn", "the"]]))


def test_score_and_perplexity_follow_kenlm_conventions():
    model = KneserNey(3).fit(CORPUS)
    sentence = ["the", "cat", "sat"]
    expected = (model.logprob("the", ["<s>"]) + model.logprob("cat", ["<s>", "the"])
                + model.logprob("sat", ["the", "cat"]) + model.logprob("</s>", ["cat", "sat"]))
    assert model.score(sentence) == pytest.approx(expected, rel=1e-12)
    sentences = [sentence, ["dog"]]
    total = model.score(sentence) + model.score(["dog"])
    assert model.perplexity(sentences) == pytest.approx(math.exp(-total / (4 + 2)), rel=1e-12)
    np.testing.assert_allclose(model.sentence_logprobs(sentences),
                               [model.score(sentence), model.score(["dog"])])


def test_character_level_model():
    lines = ["hello world", "help me", "hold the door"]
    model = KneserNey(4).fit(lines)  # strings are sequences of characters
    assert " " in model.vocab and "h" in model.vocab
    assert _sum_probs(model, ["<s>", "h", "e"]) == pytest.approx(1.0)
    assert model.logprob("l", ["h", "e"]) > model.logprob("z", ["h", "e"])
    assert model.perplexity(["hello"]) < model.perplexity(["qqqqq"])


def test_generate_is_seeded_and_uses_the_vocabulary():
    model = KneserNey(3).fit(CORPUS)
    first = model.generate(30, seed=3)
    assert first == model.generate(30, seed=3)
    assert len(first) == 30 and set(first) <= set(model.vocab) - {"<s>"}
    greedy = model.generate(5, temperature=0, context=["<s>", "the"])
    best = model.vocab[int(np.argmax(model.next_token_logprobs(["<s>", "the"])))]
    assert greedy[0] == best


def test_context_ids_and_sentence_restart():
    model = KneserNey(3).fit(CORPUS)
    ids = [model.token_id(t) for t in ["<s>", "the"]]
    np.testing.assert_array_equal(model.next_token_logprobs(ids),
                                  model.next_token_logprobs(["<s>", "the"]))
    np.testing.assert_array_equal(model.next_token_logprobs(["cat", "</s>"]),
                                  model.next_token_logprobs(["<s>"]))


def test_save_and_load_round_trip(tmp_path):
    sentences = [["the", "cat", "ate", "the", "dog"], ["a", "zebra"]]
    for model in (KneserNey(3, unk_cutoff=2), AddK(2, k=0.2), StupidBackoff(3, alpha=0.3),
                  MLE(2), WittenBell(3), Laplace(2)):
        model.fit(CORPUS)
        path = tmp_path / f"{type(model).__name__}.npz"
        model.save(path)
        loaded = NgramLanguageModel.load(path)
        assert type(loaded) is type(model) and loaded.config() == model.config()
        assert loaded.vocab == model.vocab
        np.testing.assert_array_equal(loaded.sentence_logprobs(sentences),
                                      model.sentence_logprobs(sentences))


def test_bad_input_errors(tmp_path):
    with pytest.raises(ValueError, match="order"):
        KneserNey(0)
    with pytest.raises(ValueError, match="k must be"):
        AddK(2, k=0)
    with pytest.raises(ValueError, match="reserved token '</s>'"):
        KneserNey(2).fit([["a", "</s>"]])
    with pytest.raises(ValueError, match="empty corpus"):
        KneserNey(2).fit([])
    with pytest.raises(RuntimeError, match="not fitted"):
        KneserNey(2).score(["a"])
    not_a_model = tmp_path / "x.npz"
    not_a_model.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=str(not_a_model)):
        NgramLanguageModel.load(not_a_model)
    with pytest.raises(FileNotFoundError):
        NgramLanguageModel.load(tmp_path / "missing.npz")


def test_counting_matches_python_counter():
    rng = random.Random(5)
    sentences = [[rng.choice("xyz") for _ in range(rng.randint(0, 9))] for _ in range(30)]
    model = MLE(3).fit(sentences)
    trigrams, contexts = Counter(), defaultdict(int)
    for sentence in sentences:
        padded = ["<s>", *sentence, "</s>"]
        for i in range(2, len(padded)):
            trigrams[tuple(padded[i - 2 : i + 1])] += 1
            contexts[tuple(padded[i - 2 : i])] += 1
    assert model.counts[2] == len(trigrams)
    for (u, v, w), count in trigrams.items():
        assert math.exp(model.logprob(w, [u, v])) == pytest.approx(count / contexts[(u, v)])


def test_perplexity_streams_blocks_and_matches_one_pass_over_a_list(monkeypatch):
    from seqlab.nlp.ngram import base

    rng = random.Random(3)
    words = ["the", "cat", "sat", "on", "mat", "dog", "zebra"]  # zebra is unseen: <unk>
    test = [[rng.choice(words) for _ in range(rng.randint(0, 9))] for _ in range(200)]
    model = KneserNey(3).fit(CORPUS)
    # the reference: every token's log probability from the per-sentence scores, summed once
    total = math.fsum(model.score(sentence) for sentence in test)
    expected = math.exp(-total / sum(len(s) + 1 for s in test))
    whole = model.perplexity(test)
    monkeypatch.setattr(base, "SCORE_BLOCK_TOKENS", 7)  # dozens of blocks
    pulled = []

    def stream():
        for sentence in test:
            pulled.append(sentence)
            yield sentence

    streamed = model.perplexity(stream())
    assert len(pulled) == len(test)
    assert streamed == whole  # the same correctly rounded sum, bit for bit
    assert streamed == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="at least one sentence"):
        model.perplexity(iter([]))
