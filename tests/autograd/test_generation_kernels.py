"""The batch-1 generation kernels equal their NumPy references (tiny sizes: CI also runs these
with NUMBA_DISABLE_JIT=1)."""

import numpy as np
import pytest

from seqlab.autograd.kernels import generation, generation_reference

pytestmark = pytest.mark.kernels

KINDS = {"lstm": (generation.LSTM, 4), "gru": (generation.GRU, 3),
         "rnn_tanh": (generation.RNN_TANH, 1), "rnn_relu": (generation.RNN_RELU, 1)}
VOCAB, EMBED, HIDDEN = 7, 4, 5


def make_weights(kind, layers, dtype, table, seed=0):
    """Kernel arguments from `kind` to `decoder_bias` for a random model."""
    code, gates = KINDS[kind]
    rng = np.random.default_rng(seed)

    def draw(*shape):
        return (0.6 * rng.standard_normal(shape)).astype(dtype)

    embedding, w_ih0_t = draw(VOCAB, EMBED), draw(EMBED, gates * HIDDEN)
    bias0 = draw(gates * HIDDEN)
    table_rows = embedding @ w_ih0_t + bias0 if table else np.zeros((0, gates * HIDDEN), dtype)
    return (code, np.ascontiguousarray(table_rows), embedding, w_ih0_t, bias0,
            draw(layers - 1, HIDDEN, gates * HIDDEN), draw(layers - 1, gates * HIDDEN),
            draw(layers, HIDDEN, gates * HIDDEN), draw(layers, gates * HIDDEN),
            draw(HIDDEN, VOCAB), draw(VOCAB))


def start_state(layers, dtype, seed=1):
    rng = np.random.default_rng(seed)
    h, c = (0.5 * rng.standard_normal((2, layers, HIDDEN))).astype(dtype)
    return np.ascontiguousarray(h), np.ascontiguousarray(c), np.zeros(VOCAB)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("layers", [1, 3])
@pytest.mark.parametrize("table", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_model_step_equals_the_reference(kind, layers, table, dtype):
    weights = make_weights(kind, layers, dtype, table)
    kernel_state, reference_state = start_state(layers, dtype), start_state(layers, dtype)
    tolerance = 1e-12 if dtype == np.float64 else 2e-5
    for token in (3, 0, 6, 3):
        normalizer = generation.model_step(token, *weights, *kernel_state)
        want_normalizer = generation_reference.model_step(token, *weights, *reference_state)
        for got, want in zip(kernel_state, reference_state):
            np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance)
        assert normalizer == pytest.approx(want_normalizer, rel=tolerance, abs=tolerance)
    h, c, logprobs = kernel_state
    assert np.isclose(np.exp(logprobs).sum(), 1.0)
    decoder_t, decoder_bias = weights[-2:]  # logprobs + normalizer are the logits
    logits = (h[-1] @ decoder_t).astype(np.float64) + decoder_bias
    np.testing.assert_allclose(logprobs + normalizer, logits, rtol=tolerance, atol=tolerance)
    if kind != "lstm":  # c is the LSTM's alone
        np.testing.assert_array_equal(c, start_state(layers, dtype)[1])


RULES = [  # penalty, temperature, top_k, top_p, greedy
    (1.0, 1.0, 0, 1.0, False),
    (1.0, 0.5, 0, 1.0, False),
    (1.0, 1.3, 3, 1.0, False),
    (1.0, 0.8, 0, 0.6, False),
    (1.7, 0.9, 4, 0.9, False),
    (1.5, 1.0, 0, 1.0, True),
]


@pytest.mark.parametrize("rule", RULES)
def test_draw_token_equals_the_reference(rule):
    penalty, temperature, top_k, top_p, greedy = rule
    rng = np.random.default_rng(2)
    scores = np.empty(VOCAB)
    for trial in range(40):
        logits = 2 * rng.standard_normal(VOCAB)
        if trial % 5 == 0:
            logits[[1, 4]] = logits[2]  # ties (top-k keeps all of them, top-p sorts them stably)
        normalizer = np.log(np.exp(logits).sum())
        logprobs = logits - normalizer
        seen = rng.random(VOCAB) < 0.3
        banned = np.zeros(VOCAB, np.bool_)
        banned[trial % VOCAB] = True
        uniform = rng.random()
        got = generation.draw_token(logprobs, normalizer, seen, banned, penalty, temperature,
                                    top_k, top_p, greedy, uniform, scores)
        want = generation_reference.draw_token(logprobs, normalizer, seen, banned, penalty,
                                               temperature, top_k, top_p, greedy, uniform)
        assert got == want
        assert not banned[got]


def test_draw_token_inverts_the_cdf_at_its_edges():
    logprobs = np.log(np.array([0.25, 0.0, 0.5, 0.25, 0.0, 0.0, 0.0]) + 1e-300)
    none = np.zeros(VOCAB, np.bool_)
    scores = np.empty(VOCAB)
    for uniform, token in [(0.0, 0), (0.2499, 0), (0.25, 2), (0.7499, 2), (0.75, 3),
                           (0.999999, 3)]:
        assert generation.draw_token(logprobs, 0.0, none, none, 1.0, 1.0, 0, 1.0, False,
                                     uniform, scores) == token


@pytest.mark.parametrize("module", [generation, generation_reference])
def test_draw_token_penalises_logits_as_hfs_repetition_penalty(module):
    """HF's RepetitionPenaltyLogitsProcessor on the logits: 3 -> 3 / 1.3, -2 -> -2 * 1.3 (on
    log-probabilities, p0 would barely move: 0.865 where HF has 0.770)."""
    logits = np.array([3.0, 0.0, 0.0, -2.0, 0.0, 0.0, 0.0])
    normalizer = np.log(np.exp(logits).sum())
    seen = np.zeros(VOCAB, np.bool_)
    seen[[0, 3]] = True
    penalised = np.array([3.0 / 1.3, 0.0, 0.0, -2.0 * 1.3, 0.0, 0.0, 0.0])
    cdf = np.cumsum(np.exp(penalised) / np.exp(penalised).sum())
    none = np.zeros(VOCAB, np.bool_)
    scores = np.empty(VOCAB)
    for uniform in (0.1, cdf[0] - 1e-9, cdf[0] + 1e-9, 0.85, cdf[3] - 1e-9, 0.999):
        want = int(np.searchsorted(cdf, uniform, side="right"))
        got = module.draw_token(logits - normalizer, normalizer, seen, none, 1.3, 1.0, 0, 1.0,
                                False, uniform, scores)
        assert got == want, uniform


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_sample_tokens_equals_the_reference(kind):
    weights = make_weights(kind, 2, np.float64, table=False)
    uniforms = np.random.default_rng(3).random(30)
    stop = np.zeros(VOCAB, np.bool_)
    results = []
    for module in (generation, generation_reference):
        h, c, logprobs = start_state(2, np.float64)
        normalizer = np.array([module.model_step(2, *weights, h, c, logprobs)])
        seen = np.zeros(VOCAB, np.bool_)
        tokens = np.full(30, -1, np.int64)
        count = 0
        for part in np.split(uniforms, [1, 4, 12]):  # a pending token fed at each call
            pending = tokens[count - 1] if count else -1
            drawn = np.empty(len(part), np.int64)
            n = module.sample_tokens(pending, *weights, h, c, logprobs, normalizer, part, seen,
                                     np.zeros(VOCAB, np.bool_), stop, 1.3, 0.9, 0, 0.95,
                                     False, drawn)
            tokens[count:count + n] = drawn[:n]
            count += n
        results.append((tokens, h, c, seen))
    (tokens, h, c, seen), (want_tokens, want_h, want_c, want_seen) = results
    np.testing.assert_array_equal(tokens, want_tokens)
    np.testing.assert_allclose(h, want_h, atol=1e-12)
    np.testing.assert_allclose(c, want_c, atol=1e-12)
    np.testing.assert_array_equal(seen, want_seen)


def test_sample_tokens_stops_after_a_stop_token():
    weights = make_weights("lstm", 1, np.float64, table=True)
    h, c, logprobs = start_state(1, np.float64)
    normalizer = np.array([generation.model_step(1, *weights, h, c, logprobs)])
    stop = np.ones(VOCAB, np.bool_)  # every token stops: exactly one is drawn
    tokens = np.full(5, -1, np.int64)
    seen = np.zeros(VOCAB, np.bool_)
    count = generation.sample_tokens(-1, *weights, h, c, logprobs, normalizer, np.full(5, 0.5),
                                     seen, np.zeros(VOCAB, np.bool_), stop, 1.0, 1.0, 0, 1.0,
                                     False, tokens)
    assert count == 1 and tokens[0] >= 0 and np.all(tokens[1:] == -1)
    assert not seen.any()  # a stop token is not history


def test_draw_token_top_p_keeps_hfs_support_on_ties():
    """The fused drawer draws from HF's top-p distribution (tests/fixtures/hf_top_p, tied
    logits computed with HF's warpers in PyTorch): each uniform picks the token the inverse
    CDF of HF's probabilities picks."""
    import json
    from pathlib import Path

    path = Path(__file__).parents[1] / "fixtures" / "hf_top_p" / "top_p_ties.json"
    uniforms = np.linspace(0.0, 0.999, 37)
    for case in json.loads(path.read_text())["cases"]:
        logprobs = np.array(case["logprobs"])
        none = np.zeros(len(logprobs), np.bool_)
        cdf = np.cumsum(case["probs"])
        expected = np.searchsorted(cdf / cdf[-1], uniforms, side="right")
        for module in (generation, generation_reference):
            drawn = [module.draw_token(logprobs, 0.0, none, none, 1.0, case["temperature"],
                                       case["top_k"] or 0, case["top_p"], False, uniform,
                                       np.empty(len(logprobs)))
                     for uniform in uniforms]
            assert drawn == expected.tolist(), (module.__name__, case)
