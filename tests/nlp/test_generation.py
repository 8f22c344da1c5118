"""The shared sampler and beam search, on a toy bigram model whose probabilities we know."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

from seqlab.nlp.generation import (
    ContextWindowModel,
    SamplingOptions,
    UnknownPromptWarning,
    apply_repetition_penalty,
    ban,
    beam_search,
    cut_at_stop,
    encode_prompt,
    generate_text,
    next_token_distribution,
    sample,
    stream_chunk_pieces,
    stream_pieces,
    whole_text,
)


class Bigram:
    """P(next | last) from a fixed table; state = last token (or None before any)."""

    def __init__(self, table: np.ndarray, first: np.ndarray) -> None:
        self.table, self.first = table, first
        self.vocab_size = table.shape[0]
        self.calls = 0

    def initial_state(self):
        return None

    def advance(self, state, token_id):
        self.calls += 1
        return int(token_id)

    def logprobs(self, state):
        return np.log(self.first if state is None else self.table[state])


def toy_model() -> Bigram:
    rng = np.random.default_rng(0)
    table = rng.dirichlet(np.ones(5), size=5)
    return Bigram(table, rng.dirichlet(np.ones(5)))


def test_greedy_follows_the_argmax_chain():
    model = toy_model()
    tokens = list(sample(model, [2], SamplingOptions(max_tokens=6, greedy=True)))
    expected, last = [], 2
    for _ in range(6):
        last = int(np.argmax(model.table[last]))
        expected.append(last)
    assert tokens == expected
    assert list(sample(model, [2], SamplingOptions(max_tokens=6, temperature=0))) == expected
    assert list(sample(model, [2], SamplingOptions(max_tokens=6, top_k=1, seed=3))) == expected


def test_same_seed_same_tokens_and_prompt_run_once():
    model = toy_model()
    first = list(sample(model, [0, 1, 2], SamplingOptions(max_tokens=30, seed=7)))
    model.calls = 0
    second = list(sample(model, [0, 1, 2], SamplingOptions(max_tokens=30, seed=7)))
    assert first == second
    assert model.calls == 3 + 29  # each prompt token once, then one step per new token
    other = list(sample(model, [0, 1, 2], SamplingOptions(max_tokens=30, seed=8)))
    assert other != first


def test_temperature_top_k_top_p_distribution_by_hand():
    logp = np.log(np.array([0.5, 0.2, 0.15, 0.1, 0.05]))
    t = 2.0
    by_hand = np.array([0.5, 0.2, 0.15, 0.1, 0.05]) ** (1 / t)
    by_hand /= by_hand.sum()
    np.testing.assert_allclose(next_token_distribution(logp, SamplingOptions(temperature=t)),
                               by_hand)
    top2 = next_token_distribution(logp, SamplingOptions(top_k=2))
    np.testing.assert_allclose(top2, [0.5 / 0.7, 0.2 / 0.7, 0, 0, 0])
    # top_p = 0.8: 0.5 + 0.2 = 0.7 < 0.8, so the third token (0.15) is needed as well
    nucleus = next_token_distribution(logp, SamplingOptions(top_p=0.8))
    np.testing.assert_allclose(nucleus, [0.5 / 0.85, 0.2 / 0.85, 0.15 / 0.85, 0, 0])
    assert next_token_distribution(logp, SamplingOptions(top_p=0.01)).tolist() == [1, 0, 0, 0, 0]


def test_sampling_frequencies_match_the_model():
    model = toy_model()
    draws = [next(sample(model, [3], SamplingOptions(max_tokens=1, seed=s))) for s in range(4000)]
    freq = np.bincount(draws, minlength=5) / len(draws)
    np.testing.assert_allclose(freq, model.table[3], atol=0.03)


def test_repetition_penalty_by_hand():
    logp = np.log(np.array([0.6, 0.3, 0.1]))
    out = apply_repetition_penalty(logp, [0, 0], 1.5)
    np.testing.assert_allclose(out, [math.log(0.6) * 1.5, math.log(0.3), math.log(0.1)])
    scores = np.array([2.0, -1.0])
    np.testing.assert_allclose(apply_repetition_penalty(scores, [0, 1], 2.0), [1.0, -2.0])


@pytest.mark.parametrize("token", [5, 99, -1])
def test_banned_tokens_outside_the_vocabulary_are_a_clear_error(token):
    # -1 once banned the last token silently, 99 raised a bare IndexError
    options = SamplingOptions(max_tokens=2, banned_tokens=frozenset({token}))
    with pytest.raises(ValueError, match=rf"^banned token id {token} is outside the "
                                         r"vocabulary \[0, 5\)$"):
        list(sample(toy_model(), [1], options))
    with pytest.raises(ValueError, match=f"banned token id {token}"):
        ban(np.zeros(5), [token])


def test_a_model_without_logits_is_penalised_on_its_log_probabilities():
    model = toy_model()
    options = SamplingOptions(max_tokens=1, greedy=True, repetition_penalty=50.0)
    logp = np.log(model.table[2])
    best = int(np.argmax(logp))  # seen (as is 2), so its log-probability is multiplied by 50
    penalised = logp.copy()
    penalised[[best, 2]] *= 50.0
    assert int(np.argmax(penalised)) != best
    assert list(sample(model, [best, 2], options)) == [int(np.argmax(penalised))]


def test_stop_tokens_end_generation_after_the_stop():
    model = toy_model()
    greedy = list(sample(model, [2], SamplingOptions(max_tokens=10, greedy=True)))
    stop = greedy[2]
    first_stop = greedy.index(stop)
    out = list(sample(model, [2], SamplingOptions(max_tokens=10, greedy=True,
                                                  stop_tokens=frozenset({stop}))))
    assert out == greedy[: first_stop + 1]


def test_beam_search_equals_brute_force_with_full_width():
    model = toy_model()
    length = 3
    best, best_score = None, -np.inf
    for seq in itertools.product(range(5), repeat=length):
        last, total = 1, 0.0
        for token in seq:
            total += math.log(model.table[last, token])
            last = token
        if total > best_score:
            best, best_score = list(seq), total
    assert beam_search(model, [1], beam_width=25, max_tokens=length, length_penalty=0.0) == best
    width1 = beam_search(model, [1], beam_width=1, max_tokens=length, length_penalty=0.0)
    assert width1 == list(sample(model, [1], SamplingOptions(max_tokens=length, greedy=True)))


def test_invalid_options_are_clear_errors():
    with pytest.raises(ValueError, match="top_p must be in"):
        SamplingOptions(top_p=1.5)
    with pytest.raises(ValueError, match="temperature"):
        SamplingOptions(temperature=-1)
    with pytest.raises(ValueError, match="top_k"):
        SamplingOptions(top_k=0)
    with pytest.raises(ValueError, match="beam width"):
        beam_search(toy_model(), [], beam_width=0)


def byte_decode(ids):
    return bytes(ids).decode("utf-8", errors="replace")


def test_stream_pieces_hold_back_split_utf8_characters():
    text = "héllo → wörld"
    ids = list(text.encode("utf-8"))
    pieces = list(stream_pieces(iter(ids), byte_decode))
    assert "".join(pieces) == text
    assert all("\ufffd" not in p for p in pieces)


def chunked(ids, sizes):
    chunks, start = [], 0
    for size in itertools.cycle(sizes):
        if start >= len(ids):
            return chunks
        chunks.append(ids[start:start + size])
        start += size


@pytest.mark.parametrize("sizes", [[1], [2, 3], [5], [7, 1, 4], [1000]])
def test_stream_chunk_pieces_hold_back_split_utf8_characters_at_any_chunking(sizes):
    text = "héllo → wörld, 日本語 and 🎉 too"
    ids = list(text.encode("utf-8"))
    pieces = list(stream_chunk_pieces(chunked(ids, sizes), byte_decode))
    assert "".join(pieces) == text
    assert all("\ufffd" not in p for p in pieces)
    assert len(pieces) <= len(chunked(ids, sizes))  # one piece per chunk at most


@pytest.mark.parametrize("sizes", [[1], [3], [2, 5], [50]])
def test_stream_chunk_pieces_show_bytes_that_are_not_utf8(sizes):
    ids = list(b"ab") + [0xE2, 0x86] + list("cd€".encode()) + [0x80] * 5 + [0xF0]
    pieces = list(stream_chunk_pieces(chunked(ids, sizes), byte_decode))
    # the stray bytes come out as replacement characters, never lost or swallowing text; the
    # lone lead byte at the very end is a character cut by the end of generation: dropped
    assert "".join(pieces) == byte_decode(ids[:-1])
    assert "".join(stream_pieces(iter(ids), byte_decode)) == byte_decode(ids[:-1])


def test_stream_chunk_pieces_continue_after_the_prompt_history():
    history = list("→ ".encode())
    ids = list("wörld".encode())
    pieces = list(stream_chunk_pieces(chunked(ids, [2]), byte_decode, history))
    assert "".join(pieces) == "wörld"


class Letters:
    """A char model over 'abc.' that always continues the alphabet then a full stop."""

    alphabet = "abc."
    vocab_size = 4

    def initial_state(self):
        return -1

    def advance(self, state, token):
        return token

    def logprobs(self, state):
        out = np.full(4, -30.0)
        out[(state + 1) % 4] = 0.0
        return out


def test_generate_text_stops_before_stop_string_and_warns_on_unknown():
    model = Letters()
    encode = lambda s: [Letters.alphabet.index(ch) if ch in Letters.alphabet else 3 for ch in s]  # noqa: E731
    decode = lambda ids: "".join(Letters.alphabet[i] for i in ids)  # noqa: E731
    opts = SamplingOptions(max_tokens=20, greedy=True)
    out = "".join(generate_text(model, encode, decode, "a", opts, stop_strings=[".a"]))
    assert out == "bc"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        text = "".join(generate_text(model, encode, decode, "az", SamplingOptions(max_tokens=2,
                                     greedy=True), unk_id=3))
    assert any(issubclass(w.category, UnknownPromptWarning) for w in caught)
    assert text == "ab"  # 'z' became unk id 3 ('.'), which is followed by 'a'
    empty = "".join(generate_text(model, encode, decode, "", SamplingOptions(max_tokens=4,
                                  greedy=True, seed=1), special_ids=[3]))
    assert len(empty) == 4 and empty[0] in "abc"


def test_generate_text_from_prompt_ids_encoded_beforehand():
    """The prompt encoded (and warned about) first, as `seqlab generate` does before echoing
    it: the same text, and generate_text neither encodes nor warns again."""
    model = Letters()
    encode = lambda s: [Letters.alphabet.index(ch) if ch in Letters.alphabet else 3 for ch in s]  # noqa: E731
    decode = lambda ids: "".join(Letters.alphabet[i] for i in ids)  # noqa: E731
    opts = SamplingOptions(max_tokens=5, greedy=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ids = encode_prompt(encode, "az", unk_id=3)
    assert [w.category for w in caught] == [UnknownPromptWarning]

    def refuse(text):
        raise AssertionError("encoded twice")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        given = "".join(generate_text(model, refuse, decode, "az", opts, unk_id=3,
                                      prompt_ids=ids))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert given == "".join(generate_text(model, encode, decode, "az", opts, unk_id=3))


def test_cut_at_stop_keeps_the_text_before_the_earliest_stop():
    assert cut_at_stop("abc.abc.", [".a", "c"]) == "ab"
    assert cut_at_stop("abc", ["x"]) == "abc" and cut_at_stop("abc", []) == "abc"
    assert cut_at_stop("abc", ["a"]) == ""


def test_context_window_adapter_keeps_last_tokens():
    seen = []

    def next_logprobs(context):
        seen.append(tuple(context))
        return np.log(np.full(3, 1 / 3))

    model = ContextWindowModel(next_logprobs, vocab_size=3, window=2, start=[0])
    list(sample(model, [1, 2, 1], SamplingOptions(max_tokens=2, seed=0)))
    assert seen[0] == (2, 1)
    assert all(len(c) == 2 for c in seen)


def test_banned_tokens_are_never_generated():
    model = toy_model()
    greedy_first = int(np.argmax(model.table[0]))
    out = list(sample(model, [0], SamplingOptions(max_tokens=300, seed=0,
                                                  banned_tokens=frozenset({greedy_first}))))
    assert greedy_first not in out
    assert greedy_first not in beam_search(model, [0], beam_width=3, max_tokens=5,
                                           banned_tokens=[greedy_first])


@pytest.mark.parametrize("penalty", [1.5, 3.0])
def test_beam_search_with_a_repetition_penalty_equals_brute_force(penalty):
    """As HF's beam search: each step's log-probability of a token already in the prompt or
    the beam is multiplied by the penalty before it is added to the beam's score."""
    model = toy_model()
    length, prompt = 4, [1]
    best, best_score = None, -np.inf
    for seq in itertools.product(range(5), repeat=length):
        last, total, seen = prompt[-1], 0.0, set(prompt)
        for token in seq:
            logprob = math.log(model.table[last, token])
            total += logprob * penalty if token in seen else logprob
            seen.add(token)
            last = token
        if total > best_score:
            best, best_score = list(seq), total
    plain = beam_search(model, prompt, beam_width=625, max_tokens=length, length_penalty=0.0)
    assert beam_search(model, prompt, beam_width=625, max_tokens=length, length_penalty=0.0,
                       repetition_penalty=penalty) == best != plain
    with pytest.raises(ValueError, match="repetition_penalty"):
        beam_search(model, prompt, repetition_penalty=0.0)


def _hf_top_p_cases():
    """HF's warpers on tied logits, computed once in PyTorch (tests/fixtures/hf_top_p)."""
    import json
    from pathlib import Path

    path = Path(__file__).parents[1] / "fixtures" / "hf_top_p" / "top_p_ties.json"
    return json.loads(path.read_text())["cases"]


def test_top_p_breaks_ties_as_hfs_top_p_warper():
    """HF sorts ascending with `torch.sort` and removes the tokens whose cumulative
    probability is <= 1 - top_p: of tied tokens straddling the cut-off, the higher ids stay.
    HF's tie order is matched only for vocabularies of at most 16 (on CPU `torch.sort` is
    stable up to 16 elements, not above), so the fixture holds no longer row."""
    cases = _hf_top_p_cases()
    assert cases and all(len(case["logprobs"]) <= 16 for case in cases)
    for case in cases:
        options = SamplingOptions(temperature=case["temperature"], top_k=case["top_k"],
                                  top_p=case["top_p"])
        ours = next_token_distribution(np.array(case["logprobs"]), options)
        np.testing.assert_array_equal(ours > 0, np.array(case["probs"]) > 0, err_msg=str(case))
        np.testing.assert_allclose(ours, case["probs"], rtol=1e-12, atol=1e-15)
    # the fixture holds cases where the tie rule decides (the old rule kept the lower ids)
    four = next_token_distribution(np.log(np.full(4, 0.25)), SamplingOptions(top_p=0.5))
    assert four.tolist() == [0, 0, 0.5, 0.5]


def test_top_p_breaks_ties_stably_in_a_large_vocabulary():
    """Above 16 tokens, ties are broken stably (ascending scores, tied ids in id order, as
    `torch.sort(stable=True)` orders them): of the tied tokens at the cut-off the higher ids
    stay, whatever the vocabulary size."""
    logprobs = np.log(np.full(40, 1 / 40))
    kept = next_token_distribution(logprobs, SamplingOptions(top_p=0.26)) > 0
    assert np.flatnonzero(kept).tolist() == list(range(29, 40))  # 29 of 40 removed


@pytest.mark.parametrize("cut", [1, 2, 3])
@pytest.mark.parametrize("sizes", [[1], [2], [4, 1], [100]])
def test_text_cut_inside_a_character_ends_at_the_last_whole_one(cut, sizes):
    """Generation that stops between the bytes of a character (byte-level BPE at --length)
    drops them, streamed or whole: never a U+FFFD the model did not write (QA round 23)."""
    text = "नमस्ते 🎉"
    ids = list(text.encode("utf-8"))[:-cut]  # 🎉 is 4 bytes: 1 to 3 of them are left
    assert byte_decode(ids).endswith("\ufffd")
    assert whole_text(ids, byte_decode) == "नमस्ते "
    assert "".join(stream_pieces(iter(ids), byte_decode)) == "नमस्ते "
    assert "".join(stream_chunk_pieces(chunked(ids, sizes), byte_decode)) == "नमस्ते "


def test_whole_text_keeps_whole_text_and_bytes_that_are_not_utf8():
    assert whole_text(list("नमस्ते".encode()), byte_decode) == "नमस्ते"
    ids = [*b"ab", 0x80, 0x80, *"€".encode()]
    assert whole_text(ids, byte_decode) == byte_decode(ids)  # nothing cut at the end
    assert whole_text([], byte_decode) == ""


class Bytes:
    """A model over byte ids that always writes the next byte of a fixed UTF-8 text."""

    def __init__(self, text: str) -> None:
        self.data = list(text.encode("utf-8"))
        self.vocab_size = 256

    def initial_state(self):
        return 0

    def advance(self, state, token):
        return state + 1

    def logprobs(self, state):
        out = np.full(256, -30.0)
        out[self.data[state % len(self.data)]] = 0.0
        return out


def test_generate_text_at_its_token_limit_inside_a_character_drops_its_bytes():
    model = Bytes("a日本")  # 1 + 3 + 3 bytes
    encode = lambda s: list(s.encode("utf-8"))  # noqa: E731
    for limit, expected in [(4, "日"), (5, "日"), (6, "日"), (7, "日本")]:
        out = "".join(generate_text(model, encode, byte_decode, "a",
                                    SamplingOptions(max_tokens=limit - 1, greedy=True)))
        assert out == expected, limit
