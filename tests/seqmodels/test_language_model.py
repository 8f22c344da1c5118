"""LanguageModel: shapes, state carrying, step() against forward(), the sampler interface."""

import numpy as np
import pytest

from seqlab.autograd import Tensor, no_grad
from seqlab.autograd.nn.functional import cross_entropy
from seqlab.seqmodels.language_model import LanguageModel, LMState

CELLS = ["lstm", "gru", "rnn"]


def make(cell="lstm", **options):
    settings = {"vocab_size": 11, "embedding_dim": 5, "hidden_size": 6, "num_layers": 2,
                "cell": cell, "dtype": np.float64, "generator": 0}
    settings.update(options)
    return LanguageModel(**settings)


def tokens(steps=7, batch=3, vocab=11, seed=1):
    return np.random.default_rng(seed).integers(0, vocab, size=(steps, batch))


def log_softmax(logits):
    shifted = logits - logits.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


@pytest.mark.parametrize("cell", CELLS)
def test_forward_shapes_and_state(cell):
    model = make(cell)
    logits, state = model(tokens())
    assert logits.shape == (7, 3, 11)
    parts = state if cell == "lstm" else (state,)
    assert len(parts) == (2 if cell == "lstm" else 1)
    assert all(part.shape == (2, 3, 6) for part in parts)


@pytest.mark.parametrize("cell", CELLS)
def test_carried_state_equals_one_long_run(cell):
    model = make(cell)
    ids = tokens(steps=8)
    whole, _ = model(ids)
    first, state = model(ids[:3])
    second, _ = model(ids[3:], state)
    assert np.allclose(np.concatenate([first.data, second.data]), whole.data, atol=1e-12)


@pytest.mark.parametrize("cell", [*CELLS, "rnn_relu"])
def test_step_matches_forward(cell):
    model = make(cell, tie_weights=False).eval()
    ids = tokens(steps=6, batch=2)
    with no_grad():
        logits, final = model(ids)
    state = None
    for t in range(ids.shape[0]):
        logprobs, state = model.step(ids[t], state)
        assert np.allclose(logprobs, log_softmax(logits.data[t]), atol=1e-12)
    final_arrays = final if cell == "lstm" else (final,)
    state_arrays = state if cell == "lstm" else (state,)
    for got, expected in zip(state_arrays, final_arrays):
        assert np.allclose(got, expected.data, atol=1e-12)


def test_step_does_not_modify_the_state_it_is_given():
    model = make("lstm")
    _, state = model.step(np.array([1, 2]))
    copies = tuple(part.copy() for part in state)
    model.step(np.array([3, 4]), state)
    assert all(np.array_equal(a, b) for a, b in zip(state, copies))


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn", "rnn_relu"])
def test_sampler_interface_is_value_semantics_and_matches_step(cell):
    model = make(cell, num_layers=2)
    start = model.initial_state()
    assert isinstance(start, LMState)
    assert np.isclose(np.exp(model.logprobs(start)).sum(), 1.0)
    branch_a = model.advance(start, 3)
    branch_b = model.advance(start, 3)  # branching twice from one state gives the same
    assert np.array_equal(model.logprobs(branch_a), model.logprobs(branch_b))
    state, expected = start, None
    sequence = [3, 1, 4, 1, 5]
    for token in sequence:
        state = model.advance(state, token)
    for token in sequence:
        expected_logprobs, expected = model.step(np.array([token]), expected)
    assert model.logprobs(state).shape == (11,)
    assert model.logprobs(state).dtype == np.float64
    assert np.allclose(model.logprobs(state), expected_logprobs[0], atol=1e-12)
    assert model.vocab_size == 11
    # the initial logprobs are the decoder applied to the zero state
    zero_logits = model.decoder.bias.data
    assert np.allclose(model.logprobs(start), log_softmax(zero_logits), atol=1e-12)


def test_tied_weights_share_one_parameter():
    model = make("lstm", embedding_dim=6, tie_weights=True)
    assert model.decoder.weight is model.embedding.weight
    names = [name for name, _ in model.named_parameters()]
    assert "embedding.weight" in names and "decoder.weight" not in names
    state = model.state_dict()
    assert "decoder.weight" in state and np.shares_memory(state["decoder.weight"],
                                                          state["embedding.weight"])
    with pytest.raises(ValueError, match="tie_weights"):
        make("lstm", embedding_dim=5, tie_weights=True)


def test_config_rebuilds_the_same_architecture():
    model = make("gru", dropout=0.25)
    rebuilt = LanguageModel.from_config(model.config)
    assert rebuilt.config == model.config
    rebuilt.load_state_dict(model.state_dict())
    ids = tokens()
    model.eval(), rebuilt.eval()
    assert np.array_equal(model(ids)[0].data, rebuilt(ids)[0].data)


def test_gradient_matches_finite_differences():
    model = make("lstm", num_layers=1, hidden_size=4, embedding_dim=3)
    ids, targets = tokens(steps=4, batch=2), tokens(steps=4, batch=2, seed=2)

    def loss_value():
        logits, _ = model(ids)
        return cross_entropy(logits.reshape(-1, 11), targets.reshape(-1))

    loss = loss_value()
    model.zero_grad()
    loss.backward()
    rng = np.random.default_rng(3)
    for parameter in (model.embedding.weight, model.decoder.weight, model.rnn.weight_hh_l0):
        analytic = parameter.grad.copy()
        for _ in range(3):
            index = tuple(rng.integers(0, size) for size in parameter.shape)
            saved = parameter.data[index]
            parameter.data[index] = saved + 1e-6
            plus = loss_value().item()
            parameter.data[index] = saved - 1e-6
            minus = loss_value().item()
            parameter.data[index] = saved
            assert np.isclose(analytic[index], (plus - minus) / 2e-6, rtol=1e-5, atol=1e-8)


def test_dropout_is_active_in_training_only():
    model = make("lstm", dropout=0.5)
    ids = tokens()
    model.train()
    a, b = model(ids)[0].data, model(ids)[0].data
    assert not np.allclose(a, b)
    model.eval()
    assert np.array_equal(model(ids)[0].data, model(ids)[0].data)


def test_bad_inputs_are_clear_errors():
    model = make()
    with pytest.raises(ValueError, match="token ids must lie"):
        model(np.full((2, 2), 11))
    with pytest.raises(ValueError, match="integer"):
        model(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"\(T, N\)"):
        model(np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match="cell"):
        make("transformer")


def test_forward_accepts_ndarray_state():
    model = make("lstm")
    ids = tokens()
    _, state = model(ids[:2])
    as_arrays = tuple(part.data for part in state)
    a, _ = model(ids[2:], state)
    b, _ = model(ids[2:], as_arrays)
    assert np.array_equal(a.data, b.data)
    assert isinstance(a, Tensor)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn", "rnn_relu"])
def test_folded_embedding_projection_equals_the_plain_path(cell):
    """Gathering layer 0's projection from an (V, G*H) table gives the same logits and the same
    gradient for every parameter as embedding -> full input projection."""
    results = []
    ids = tokens(steps=9, batch=4)  # 36 tokens > 11 symbols: the folded path applies
    for fused in (True, False):
        model = make(cell, num_layers=2)
        model.rnn.fused = fused  # the composed path never folds
        assert model._folds_embedding(ids) == fused
        logits, state = model(ids)
        weight = np.random.default_rng(5).standard_normal(logits.shape)
        h_n = state[0] if cell == "lstm" else state
        ((logits * weight).sum() + h_n.sum()).backward()
        results.append((logits.data, {n: p.grad for n, p in model.named_parameters()}))
    (folded, folded_grads), (plain, plain_grads) = results
    np.testing.assert_allclose(folded, plain, rtol=1e-10, atol=1e-12)
    for name, grad in plain_grads.items():
        np.testing.assert_allclose(folded_grads[name], grad, rtol=1e-9, atol=1e-11,
                                   err_msg=name)
