"""Seq2Seq decoding on plain arrays: agrees with the autograd model; beam width 1 is greedy."""

import numpy as np
import pytest

from seqlab.seqmodels.seq2seq import Seq2Seq, beam_search, greedy_decode, make_batch
from seqlab.seqmodels.seq2seq.batch import pad_rows


def _model(**options) -> Seq2Seq:
    settings = {"embedding_dim": 6, "hidden_size": 8, "num_layers": 2, "cell": "lstm",
                "bidirectional": True, "attention": "general", "input_feeding": True}
    settings.update(options)
    model = Seq2Seq(9, 10, dtype=np.float64, generator=5, **settings)
    rng = np.random.default_rng(6)
    for _, parameter in model.named_parameters():
        parameter.data[...] = rng.uniform(-1.0, 1.0, parameter.shape)
    return model


SOURCES = [np.array(s) for s in ([4, 5, 6, 7, 8], [6, 4], [5, 5, 6], [8])]


def _sources():
    return pad_rows(SOURCES, 0)


@pytest.mark.parametrize("attention", ["dot", "general", "additive"])
@pytest.mark.parametrize("input_feeding", [False, True])
def test_greedy_steps_equal_the_teacher_forced_model(attention, input_feeding):
    """Feeding the greedy output back through the autograd model gives the same log-probs."""
    model = _model(attention=attention, input_feeding=input_feeding)
    source, lengths = _sources()
    decoded = greedy_decode(model, source, lengths, max_len_a=1.0, max_len_b=3, attention=True)
    model.eval()
    for n, found in enumerate(decoded.hypotheses):
        best = found[0]
        batch = make_batch([SOURCES[n]], [np.array(best.tokens, dtype=np.int64)], model.bos_id,
                           model.eos_id, model.pad_id)
        logits, weights = model.forward_with_attention(batch.source, batch.source_lengths,
                                                       batch.target_in)
        logp = logits.numpy()[0] - np.log(np.exp(logits.numpy()[0]).sum(1, keepdims=True))
        logp[:, [model.pad_id, model.bos_id]] = -np.inf
        picked = logp.argmax(1)
        ended = len(best.tokens) < int(np.floor(1.0 * lengths[n] + 3))
        assert picked[: len(best.tokens)].tolist() == best.tokens
        if ended:
            assert picked[len(best.tokens)] == model.eos_id
        expected = logp[np.arange(len(best.tokens)), best.tokens].sum() + (
            logp[len(best.tokens), model.eos_id] if ended else 0.0)
        np.testing.assert_allclose(best.logprob, expected, rtol=1e-10)
        np.testing.assert_allclose(best.attention, weights.numpy()[0, : len(best.tokens)],
                                   rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("input_feeding", [False, True])
def test_beam_width_one_equals_greedy(input_feeding):
    model = _model(input_feeding=input_feeding)
    source, lengths = _sources()
    greedy = greedy_decode(model, source, lengths, attention=True)
    beam = beam_search(model, source, lengths, width=1, attention=True)
    for g, b in zip(greedy.hypotheses, beam.hypotheses):
        assert g[0].tokens == b[0].tokens
        np.testing.assert_allclose(g[0].logprob, b[0].logprob, rtol=1e-12)
        np.testing.assert_array_equal(g[0].attention, b[0].attention)


@pytest.mark.parametrize("length_penalty", [1.0, 0.0, 2.0])
def test_greedy_scores_on_the_beams_scale(length_penalty):
    """QA s20 Q2 LOW 6: `score` is logprob / length ** length_penalty (</s> counted) whatever
    the width, so greedy's equals a width-1 beam's; the penalty never changes greedy's
    output."""
    model = _model()
    source, lengths = _sources()
    greedy = greedy_decode(model, source, lengths, length_penalty=length_penalty)
    beam = beam_search(model, source, lengths, width=1, length_penalty=length_penalty)
    plain = greedy_decode(model, source, lengths)
    for g, b, p in zip(greedy.hypotheses, beam.hypotheses, plain.hypotheses):
        assert g[0].tokens == b[0].tokens == p[0].tokens
        np.testing.assert_allclose(g[0].score, b[0].score, rtol=1e-12)
        np.testing.assert_allclose(g[0].logprob, b[0].logprob, rtol=1e-12)
    assert any(g[0].score != g[0].logprob for g in greedy.hypotheses) == (length_penalty != 0)


def test_beam_finds_at_least_as_likely_outputs_and_ranks_nbest():
    model = _model(attention="additive")
    source, lengths = _sources()
    greedy = greedy_decode(model, source, lengths)
    beam = beam_search(model, source, lengths, width=6, nbest=3, length_penalty=0.0,
                       max_len_a=0.0, max_len_b=12)
    for g, found in zip(greedy.hypotheses, beam.hypotheses):
        assert len(found) == 3
        scores = [h.score for h in found]
        assert scores == sorted(scores, reverse=True)
        assert found[0].logprob >= g[0].logprob - 1e-9
        assert len({tuple(h.tokens) for h in found}) == 3


def test_beam_scores_are_the_models_log_probabilities():
    model = _model(input_feeding=False)
    source, lengths = _sources()
    found = beam_search(model, source, lengths, width=4, nbest=4).hypotheses[2]
    model.eval()
    for hypothesis in found:
        batch = make_batch([SOURCES[2]], [np.array(hypothesis.tokens, dtype=np.int64)],
                           model.bos_id, model.eos_id, model.pad_id)
        logits = model(batch.source, batch.source_lengths, batch.target_in).numpy()[0]
        logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
        steps = np.arange(len(hypothesis.tokens) + 1)
        total = logp[steps, batch.target_out[0]].sum()
        np.testing.assert_allclose(hypothesis.logprob, total, rtol=1e-9)
        np.testing.assert_allclose(hypothesis.score, total / len(steps), rtol=1e-9)


def test_batched_decoding_equals_one_sentence_at_a_time():
    model = _model(attention="dot")
    source, lengths = _sources()
    together = beam_search(model, source, lengths, width=3, nbest=2)
    for n in range(len(SOURCES)):
        alone = beam_search(model, SOURCES[n][None, :], lengths[n : n + 1], width=3, nbest=2)
        assert [h.tokens for h in alone.hypotheses[0]] == \
            [h.tokens for h in together.hypotheses[n]]


def test_output_length_is_bounded_by_the_source():
    model = _model()
    source, lengths = _sources()
    for decoded in (greedy_decode(model, source, lengths, max_len_a=1.0, max_len_b=0),
                    beam_search(model, source, lengths, width=3, max_len_a=1.0, max_len_b=0)):
        produced = np.array([len(found[0].tokens) for found in decoded.hypotheses])
        assert all(produced <= lengths)
        assert any(produced == lengths)  # the limit, not </s>, ended some


def test_bad_beam_settings():
    model = _model()
    source, lengths = _sources()
    with pytest.raises(ValueError, match="beam width"):
        beam_search(model, source, lengths, width=0)
    with pytest.raises(ValueError, match="nbest"):
        beam_search(model, source, lengths, width=2, nbest=3)
