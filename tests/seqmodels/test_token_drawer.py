"""A language model's fused drawer samples exactly the tokens of the sampler's per-token NumPy
loop (same seed, same uniform numbers), for every cell kind and sampling rule."""

import numpy as np
import pytest

from seqlab.nlp.generation import FusedTokenModel, SamplingOptions, sample, sample_chunks
from seqlab.seqmodels import generation_step
from seqlab.seqmodels.cell_kinds import CELLS
from seqlab.seqmodels.language_model import LanguageModel


class PerTokenOnly:
    """The same model seen through the plain TokenModel interface (no fused drawer)."""

    def __init__(self, model: LanguageModel) -> None:
        self.model, self.vocab_size = model, model.vocab_size

    def initial_state(self):
        return self.model.initial_state()

    def advance(self, state, token_id):
        return self.model.advance(state, token_id)

    def logprobs(self, state):
        return self.model.logprobs(state)

    def logits(self, state):
        return self.model.logits(state)


def make(cell, dtype=np.float32, vocab=13, layers=2):
    return LanguageModel(vocab, 6, 8, num_layers=layers, cell=cell, dtype=dtype, generator=0)


RULES = [
    {"seed": 1},
    {"seed": 2, "temperature": 0.5, "top_k": 4},
    {"seed": 3, "temperature": 1.4, "top_p": 0.8, "repetition_penalty": 1.5},
    {"seed": 4, "banned_tokens": frozenset({0, 5}), "stop_tokens": frozenset({7})},
    {"seed": 5, "greedy": True, "repetition_penalty": 2.0},
]


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn", "rnn_relu"])
@pytest.mark.parametrize("rule", RULES)
def test_fused_drawer_samples_what_the_per_token_loop_samples(cell, rule):
    model = make(cell, dtype=np.float64)
    assert isinstance(model, FusedTokenModel)
    assert not isinstance(PerTokenOnly(model), FusedTokenModel)
    options = SamplingOptions(max_tokens=60, **rule)
    fused = list(sample(model, [3, 1, 4], options))
    plain = list(sample(PerTokenOnly(model), [3, 1, 4], options))
    assert fused == plain
    assert all(isinstance(token, int) for token in fused)
    if "stop_tokens" in rule and 7 in fused:
        assert fused.index(7) == len(fused) - 1


def test_float32_model_and_word_sized_vocabulary_without_the_table(monkeypatch):
    # a vocabulary too large for layer 0's table computes the projection per token instead
    model = make("lstm", vocab=40)
    options = SamplingOptions(max_tokens=80, seed=9, top_p=0.95)
    with_table = list(sample(model, [2], options))
    monkeypatch.setattr(generation_step, "TABLE_VOCAB_PER_EMBEDDING_DIM", 1)
    assert generation_step.GenerationPlan.from_model(model).table.shape[0] == 0
    without_table = list(sample(model, [2], options))
    plain = list(sample(PerTokenOnly(model), [2], options))
    assert with_table == without_table == plain


def test_chunk_sizes_do_not_change_the_tokens():
    model = make("gru")
    options = SamplingOptions(max_tokens=200, seed=11, temperature=0.9)
    one_at_a_time = list(sample_chunks(model, [1], options, chunk_seconds=0.0))
    growing = list(sample_chunks(model, [1], options, chunk_seconds=60.0))
    assert all(len(chunk) == 1 for chunk in one_at_a_time)
    assert [len(chunk) for chunk in growing[:4]] == [1, 2, 4, 8]
    tokens = [token for chunk in growing for token in chunk]
    assert [token for chunk in one_at_a_time for token in chunk] == tokens
    assert len(tokens) == 200


def test_a_run_is_a_snapshot_and_states_stay_values():
    model = make("lstm")
    options = SamplingOptions(max_tokens=30, seed=3)
    start = model.advance(model.initial_state(), 2)
    saved = [part.copy() for part in start.hidden]
    first = list(sample(model, (), options, state=start))
    assert all(np.array_equal(a, b) for a, b in zip(saved, start.hidden))
    assert list(sample(model, (), options, state=start)) == first
    drawer = model.token_drawer(start, [], options)
    model.decoder.bias.data += 5.0  # training after the snapshot does not reach the run
    assert drawer.draw(np.random.default_rng(3).random(30)).tolist() == first


@pytest.mark.parametrize("token", [99, 13, -1])
@pytest.mark.parametrize("fused", [True, False])
def test_bad_banned_tokens_are_the_same_clear_error_on_both_paths(token, fused):
    model = make("rnn")
    options = SamplingOptions(max_tokens=3, banned_tokens=frozenset({token}))
    with pytest.raises(ValueError, match=rf"^banned token id {token} is outside the "
                                         r"vocabulary \[0, 13\)$"):
        list(sample(model if fused else PerTokenOnly(model), [1], options))


def fixed_logits_model(logits):
    """A language model whose next-token logits are `logits` whatever it has read."""
    model = LanguageModel(len(logits), 3, 4, cell="lstm", dtype=np.float64, generator=0)
    model.decoder.weight.data[:] = 0.0
    model.decoder.bias.data[:] = logits
    return model


@pytest.mark.parametrize("fused", [True, False])
def test_repetition_penalty_acts_on_logits_as_hfs_processor(fused):
    """HF's RepetitionPenaltyLogitsProcessor divides a seen token's positive logit by the
    penalty and multiplies a negative one; on log-probabilities (all negative) a confident
    token would barely move (qaB: p0 0.870 -> 0.865 where HF gives 0.770)."""
    logits = np.array([3.0, 2.5, 0.0, -1.0, 0.5])
    model = fixed_logits_model(logits)
    subject = model if fused else PerTokenOnly(model)
    greedy = SamplingOptions(max_tokens=1, greedy=True, repetition_penalty=1.3)
    assert list(sample(subject, [0], greedy)) == [1]  # 3 / 1.3 < 2.5 (log-probs: still 0)
    penalised = logits.copy()
    penalised[0] /= 1.3
    penalised[3] *= 1.3
    probs = np.exp(penalised) / np.exp(penalised).sum()
    cdf = np.cumsum(probs)
    for seed in range(12):  # one uniform a token, inverted on HF's distribution
        options = SamplingOptions(max_tokens=1, seed=seed, repetition_penalty=1.3)
        uniform = np.random.default_rng(seed).random()
        expected = int(np.searchsorted(cdf, uniform, side="right"))
        assert list(sample(subject, [0, 3], options)) == [expected], seed


def test_a_hand_built_state_gets_the_log_normalizer_of_its_hidden_state():
    """An `LMState(hidden, logprobs)` built by hand (no `next_log_normalizer`) gives the
    model's logits for that hidden state, so the repetition penalty still acts on logits as
    HF's RepetitionPenaltyLogitsProcessor does (divides a seen token's positive logit by the
    penalty, multiplies a negative one), not on log-probabilities (0 was taken as the
    normalizer: the logits read as the log-probabilities, all negative)."""
    from seqlab.seqmodels.language_model import LMState

    logits = np.array([3.0, 2.5, 0.0, -1.0, 0.5])
    model = fixed_logits_model(logits)
    built = model.initial_state()
    by_hand = LMState(built.hidden, built.next_logprobs)
    np.testing.assert_allclose(model.logits(by_hand), logits, rtol=0, atol=1e-12)
    greedy = SamplingOptions(max_tokens=1, greedy=True, repetition_penalty=1.3)
    drawn = model.token_drawer(by_hand, [0], greedy).draw(np.array([0.5]))
    assert drawn.tolist() == [1]  # 3 / 1.3 < 2.5; on log-probabilities token 0 stays first


@pytest.mark.parametrize("cell", CELLS)
def test_a_hand_built_state_after_some_tokens_reads_its_hidden_states_logits(cell):
    """For every cell kind, two layers, after three tokens: a state rebuilt by hand from the
    model's hidden state and log-probabilities (with or without the plan) gives the decoder's
    logits of the top layer's h (computed here from the weights), and the fused drawer draws
    what it draws from the model's own state, with a temperature and a repetition penalty."""
    from seqlab.seqmodels.language_model import LMState

    model = LanguageModel(7, 3, 5, num_layers=2, cell=cell, dtype=np.float64, generator=1)
    state = model.initial_state()
    for token in (2, 5, 1):
        state = model.advance(state, token)
    top_h = state.hidden[0][-1, 0]  # (h, c) for an LSTM, (h,) otherwise: layers x batch x H
    expected = model.decoder.weight.data @ top_h + model.decoder.bias.data
    rule = SamplingOptions(max_tokens=6, seed=3, temperature=0.7, repetition_penalty=1.4)
    uniforms = np.random.default_rng(0).random(6)
    drawn = model.token_drawer(state, [2, 5, 1], rule).draw(uniforms).tolist()
    for by_hand in (LMState(state.hidden, state.next_logprobs),
                    LMState(state.hidden, state.next_logprobs, state.plan)):
        np.testing.assert_allclose(model.logits(by_hand), expected, rtol=0, atol=1e-12)
        assert model.token_drawer(by_hand, [2, 5, 1], rule).draw(uniforms).tolist() == drawn
